package app

// Money: the violations of R11 with their settlement (pending → paid or
// waived, by the lender or the centre), the monthly statement of a
// library, and the lenders' fee rules with their history.

import (
	"context"
	"strings"

	"github.com/balis/illhub/ill"
)

// moneyLibrary is the library p's money reads are about: a member's own
// (another member's: forbidden), any member for the centre ("" = every
// library). The courier has no money.
func (s *Service) moneyLibrary(ctx context.Context, p ill.Principal, library string) (string, error) {
	if p == Courier {
		return "", ill.Errorf(ill.CodeForbidden, "violations are a library's business")
	}
	library = strings.TrimSpace(library)
	if library == "" {
		return scope(p), nil
	}
	code, err := ill.CanonicalCode("library", library)
	if err != nil {
		return "", err
	}
	if !p.Centre {
		if code != p.Library {
			return "", ill.Errorf(ill.CodeForbidden, "a library sees only its own violations and statements")
		}
		return code, nil
	}
	if code == ill.CentreCode {
		return "", nil
	}
	l, err := s.store.Library(ctx, code)
	if err != nil {
		return "", err
	}
	return l.Code, nil
}

// ViolationList lists the violations q selects that p may see: a member
// those where it is lender or borrower (q.Library must be "" or its own;
// q.Role narrows it to one side), the centre every library's or, with
// q.Library, one library's.
func (s *Service) ViolationList(ctx context.Context, p ill.Principal, q ill.ViolationQuery) ([]ill.ViolationRow, error) {
	lib, err := s.moneyLibrary(ctx, p, q.Library)
	if err != nil {
		return nil, err
	}
	q.Library = lib
	if q.Library == "" {
		q.Role = "" // a side needs a library
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return s.store.ViolationList(ctx, q)
}

// Violation reads violation id if p may see it (its lender, its borrower,
// the centre); not_found otherwise.
func (s *Service) Violation(ctx context.Context, p ill.Principal, id int64) (ill.ViolationRow, error) {
	v, err := s.store.ViolationByID(ctx, id)
	if err != nil {
		return v, err
	}
	if p == Courier || (!p.Centre && v.Lender != p.Library && v.Borrower != p.Library) {
		return ill.ViolationRow{}, ill.Errorf(ill.CodeNotFound, "violation %d not found", id)
	}
	return v, nil
}

// SettleBody is a settlement: state paid or waived, and a note (at most
// ill.MaxSettleNote characters).
type SettleBody struct {
	State string `json:"state"`
	Note  string `json:"note"`
}

// SettleViolation marks violation id paid or waived for p, recorded as
// settled by by (ill.SettledByName) at the clock's time, and returns it
// as stored. Only the lender or the centre settles (ill.CheckSettle:
// forbidden for the borrower, not_found for anyone else); a settled
// violation is never changed (conflict, also for the loser of two
// concurrent settlements).
func (s *Service) SettleViolation(ctx context.Context, p ill.Principal, by string, id int64, b SettleBody) (ill.ViolationRow, error) {
	st, err := ill.ParseSettlement(b.State)
	if err != nil {
		return ill.ViolationRow{}, err
	}
	note := strings.TrimSpace(b.Note)
	if err := checkLen("note", note, ill.MaxSettleNote, false); err != nil {
		return ill.ViolationRow{}, err
	}
	if p == Courier {
		return ill.ViolationRow{}, ill.Errorf(ill.CodeForbidden, "violations are a library's business")
	}
	v, err := s.store.ViolationByID(ctx, id)
	if err != nil {
		return ill.ViolationRow{}, err
	}
	if err := ill.CheckSettle(v, p.Library, p.Centre); err != nil {
		return ill.ViolationRow{}, err
	}
	if by == "" {
		by = p.Library
	}
	if err := s.store.SettleViolation(ctx, id, ill.Settlement{State: st, By: by, Note: note, At: s.clock.Now()}); err != nil {
		return ill.ViolationRow{}, err
	}
	return s.store.ViolationByID(ctx, id)
}

// Statement is a library's violations of one month (by the day they were
// recorded, Asia/Shanghai) as lender or borrower, with totals; with
// Delivery.Statement also its copy fees of the month (by the day they were
// booked) as supplier or borrower.
type Statement struct {
	Library   string // "" = every library (the centre's consortium statement)
	Month     string // YYYY-MM
	From, To  ill.Date
	Rows      []ill.ViolationRow
	ByState   []ill.ViolationTotal
	ByKind    []ill.ViolationTotal
	Total     ill.ViolationTotal
	Copies    []ill.CopyFee
	CopyTotal ill.CopyFeeTotal
}

// Statement builds p's statement of month ("YYYY-MM"; "" the current
// month) for library (see ViolationList for who sees which library).
func (s *Service) Statement(ctx context.Context, p ill.Principal, library, month string) (Statement, error) {
	if strings.TrimSpace(month) == "" {
		month = ill.MonthOf(ill.DateOf(s.clock.Now()))
	}
	from, to, err := ill.ParseMonth(month)
	if err != nil {
		return Statement{}, err
	}
	lib, err := s.moneyLibrary(ctx, p, library)
	if err != nil {
		return Statement{}, err
	}
	rows, err := s.store.ViolationList(ctx, ill.ViolationQuery{Library: lib, From: from, To: to})
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Library: lib, Month: ill.MonthOf(from), From: from, To: to, Rows: rows}
	st.ByState, st.ByKind, st.Total = ill.ViolationTotals(rows)
	return st, nil
}

// Fees is a library's current fee rules and their recent history.
type Fees struct {
	Library ill.Library
	Rules   ill.FeeRules
	History []ill.PolicyChange // newest first
	CanEdit bool               // the account may change them (ill.StaffActor.MayEditFees)
}

// FeeHistoryLimit is how many changes Fees shows.
const FeeHistoryLimit = 100

// feeLibrary is the library a's fee page is about: its own ("" or its
// code), any member for the centre (which must name one).
func feeLibrary(a ill.StaffActor, library string) (string, error) {
	lib := a.Library
	if strings.TrimSpace(library) != "" {
		code, err := ill.CanonicalCode("library", library)
		if err != nil {
			return "", err
		}
		lib = code
	}
	if a.Role == ill.StaffCentreAdmin {
		if lib == ill.CentreCode {
			return "", ill.FieldError("library", "choose a member library")
		}
		return lib, nil
	}
	if lib != a.Library {
		return "", ill.Errorf(ill.CodeForbidden, "a library sees only its own fee rules here")
	}
	return lib, nil
}

// Fees reads library's fee rules and history for console account a: its
// own library, or any member for the centre. not_found for a library
// that is not a member.
func (s *Service) Fees(ctx context.Context, a ill.StaffActor, library string) (Fees, error) {
	lib, err := feeLibrary(a, library)
	if err != nil {
		return Fees{}, err
	}
	l, err := s.store.Library(ctx, lib)
	if err != nil {
		return Fees{}, err
	}
	h, err := s.store.FeeHistory(ctx, l.Code, FeeHistoryLimit)
	if err != nil {
		return Fees{}, err
	}
	return Fees{Library: *l, Rules: l.FeeRules(), History: h, CanEdit: a.MayEditFees(l.Code) == nil}, nil
}

// SetFees changes library's fee rules for console account a (the
// library's admin, or the centre: ill.StaffActor.MayEditFees), validated
// (ill.FeeRules.Normalize), and returns the changes recorded in the
// history (none when nothing changed). Only the four fee rule columns are
// written. The rules apply to violations computed after the change: a
// return check prices with the lender's rules of the moment it runs.
func (s *Service) SetFees(ctx context.Context, a ill.StaffActor, library string, f ill.FeeRules) ([]ill.PolicyChange, error) {
	lib, err := feeLibrary(a, library)
	if err != nil {
		return nil, err
	}
	if err := a.MayEditFees(lib); err != nil {
		return nil, err
	}
	f, err = f.Normalize()
	if err != nil {
		return nil, err
	}
	return s.store.SetFeeRules(ctx, lib, f, a.Name(), s.clock.Now())
}
