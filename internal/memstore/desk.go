package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// deskData is what the ILL desk and the notice log keep beyond the other
// ports: the deposit audit trail and the stored notices.
type deskData struct {
	deposits []ill.DepositChange
	notices  []ill.StoredNotice
}

// PutNotice stores notice n (its ID is given the next number when 0) and
// returns its id.
func (s *Store) PutNotice(n ill.StoredNotice) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.ID == 0 {
		n.ID = int64(len(s.desk.notices) + 1)
	}
	s.desk.notices = append(s.desk.notices, n)
	return n.ID
}

// SetDeposit implements ill.Desk.
func (s *Store) SetDeposit(_ context.Context, library, id string, paid bool, by string, at time.Time) (bool, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return false, err
	}
	k := [2]string{strings.ToUpper(library), strings.ToUpper(id)}
	r, ok := s.readers[k]
	if !ok {
		return false, notFound("reader", id)
	}
	if r.DepositPaid == paid {
		return false, nil
	}
	r.DepositPaid = paid
	s.readers[k] = r
	s.desk.deposits = append(s.desk.deposits, ill.DepositChange{Library: r.Library, PatronID: r.ID, Paid: paid, By: by, At: at})
	return true, nil
}

// DepositChanges implements ill.Desk.
func (s *Store) DepositChanges(_ context.Context, library, id string, limit int) ([]ill.DepositChange, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.DepositChange
	for i := len(s.desk.deposits) - 1; i >= 0 && len(out) < limit; i-- {
		if c := s.desk.deposits[i]; strings.EqualFold(c.Library, library) && strings.EqualFold(c.PatronID, id) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ActiveRequestCount implements ill.Desk.
func (s *Store) ActiveRequestCount(_ context.Context, library, id string) (int, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range s.requests {
		if strings.EqualFold(r.Borrower, library) && strings.EqualFold(r.PatronID, id) && r.State.Active() {
			n++
		}
	}
	return n, nil
}

// RequestsByBarcode implements ill.Desk.
func (s *Store) RequestsByBarcode(_ context.Context, barcode, library string, limit int) ([]*ill.Request, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []*ill.Request
	for _, r := range s.requests {
		if !strings.EqualFold(r.ItemBarcode, barcode) || barcode == "" {
			continue
		}
		if library != "" && r.Borrower != library && r.Lender != library {
			continue
		}
		out = append(out, clone(r, false))
	}
	slices.SortFunc(out, func(a, b *ill.Request) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// RequestNotices implements ill.NoticeLog.
func (s *Store) RequestNotices(_ context.Context, id, library string) ([]ill.StoredNotice, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.StoredNotice
	for _, n := range s.desk.notices {
		if n.RequestID == id && (library == "" || n.Library == library) {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b ill.StoredNotice) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// ReaderNotices implements ill.NoticeLog.
func (s *Store) ReaderNotices(_ context.Context, library, patronID string, page, perPage int) ([]ill.StoredNotice, int, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	if patronID == "" {
		return nil, 0, nil
	}
	var all []ill.StoredNotice
	for i := len(s.desk.notices) - 1; i >= 0; i-- {
		if n := s.desk.notices[i]; strings.EqualFold(n.Library, library) && strings.EqualFold(n.PatronID, patronID) {
			all = append(all, n)
		}
	}
	page = max(page, 1)
	from := min((page-1)*perPage, len(all))
	to := min(from+perPage, len(all))
	return slices.Clone(all[from:to]), len(all), nil
}

var (
	_ ill.Desk      = (*Store)(nil)
	_ ill.NoticeLog = (*Store)(nil)
)

// SetReaderCategory implements ill.Desk.
func (s *Store) SetReaderCategory(_ context.Context, library, id string, c ill.ReaderCategory) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	k := [2]string{strings.ToUpper(library), strings.ToUpper(id)}
	r, ok := s.readers[k]
	if !ok {
		return notFound("reader", id)
	}
	r.Category = c
	s.readers[k] = r
	return nil
}
