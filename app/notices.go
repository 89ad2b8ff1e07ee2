package app

import (
	"context"

	"github.com/balis/illhub/ill"
)

// RequestNotices lists the notices stored for request id, oldest first,
// as p sees them: the centre every notice, a member library the notices
// to it or to its readers (a lender does not see the borrower's reader's
// address, nor the borrower the lender's). With reader set (the portal),
// only the notices to that reader of p's library, and forbidden unless
// the request is theirs. Errors: forbidden when p may not see the
// request, not_found when there is none.
func (s *Service) RequestNotices(ctx context.Context, p ill.Principal, id, reader string) ([]ill.StoredNotice, error) {
	req, err := s.store.RequestForAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := visible(p, id, req); err != nil {
		return nil, err
	}
	if reader != "" && (p.Centre || req.Borrower != p.Library || ill.IdentityKey(req.PatronID) != ill.IdentityKey(reader)) {
		return nil, ill.Errorf(ill.CodeForbidden, "request %s is not this reader's", id)
	}
	ns, err := s.store.RequestNotices(ctx, id, scope(p))
	if err != nil || reader == "" {
		return ns, err
	}
	var own []ill.StoredNotice
	for _, n := range ns {
		if n.PatronID != "" && ill.IdentityKey(n.PatronID) == ill.IdentityKey(reader) {
			own = append(own, n)
		}
	}
	return own, nil
}

// ReaderNotices lists the notices sent to reader card of p's library
// (the portal's 我的消息), newest first, one page, with the total.
// Errors: forbidden for the centre.
func (s *Service) ReaderNotices(ctx context.Context, p ill.Principal, card string, page, perPage int) ([]ill.StoredNotice, int, error) {
	if err := ForReaders.Check(p); err != nil {
		return nil, 0, err
	}
	if perPage < 1 || perPage > 100 {
		perPage = 20
	}
	return s.store.ReaderNotices(ctx, p.Library, card, max(page, 1), perPage)
}
