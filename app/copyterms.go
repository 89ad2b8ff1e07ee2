package app

import (
	"context"

	"github.com/balis/illhub/ill"
)

// SetCopyTerms changes library's copy settings (the answer and delivery
// windows in working days, the per-reader limit of open copy requests)
// for console account a: the library's admin or the centre
// (ill.StaffActor.MayEditFees, like the fee rules), validated
// (ill.CopyTerms.Validate). It returns the changes recorded in the policy
// history (none when nothing changed). The windows apply to deadlines set
// after the change; requests already asked keep theirs.
func (s *Service) SetCopyTerms(ctx context.Context, a ill.StaffActor, library string, ct ill.CopyTerms) ([]ill.PolicyChange, error) {
	lib, err := feeLibrary(a, library)
	if err != nil {
		return nil, err
	}
	if err := a.MayEditFees(lib); err != nil {
		return nil, err
	}
	if err := ct.Validate(); err != nil {
		return nil, err
	}
	st, ok := s.store.(ill.LibraryCopyTerms)
	if !ok {
		return nil, ill.Errorf(ill.CodeInternal, "the store does not keep copy settings")
	}
	return st.SetCopyTermsBy(ctx, lib, ct, a.Name(), s.clock.Now())
}
