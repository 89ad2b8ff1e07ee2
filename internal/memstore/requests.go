package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/balis/illhub/ill"
)

// PutRequest adds or replaces request r (with its rota and timeline).
func (s *Store) PutRequest(r ill.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.requests == nil {
		s.requests = map[string]*ill.Request{}
	}
	s.requests[r.ID] = clone(&r, true)
}

// clone copies r, with its timeline when events.
func clone(r *ill.Request, events bool) *ill.Request {
	c := *r
	c.Rota = slices.Clone(r.Rota)
	for i := range c.Rota {
		c.Rota[i].Reasons = slices.Clone(c.Rota[i].Reasons)
	}
	c.Events = nil
	if events {
		c.Events = slices.Clone(r.Events)
	}
	return &c
}

func (s *Store) request(id string) (*ill.Request, error) {
	r, ok := s.requests[id]
	if !ok {
		return nil, notFound("request", id)
	}
	return r, nil
}

// GetRequest implements ill.Requests.
func (s *Store) GetRequest(_ context.Context, id string) (*ill.Request, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	r, err := s.request(id)
	if err != nil {
		return nil, err
	}
	return clone(r, true), nil
}

// RequestForAccess implements ill.Requests.
func (s *Store) RequestForAccess(_ context.Context, id string) (*ill.Request, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	r, err := s.request(id)
	if err != nil {
		return nil, err
	}
	return clone(r, false), nil
}

// RequestForAction implements ill.Requests: like mysql, the rota is read
// only when the caller is not a party to the request.
func (s *Store) RequestForAction(_ context.Context, id, library string, centre bool) (*ill.Request, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	r, err := s.request(id)
	if err != nil {
		return nil, err
	}
	c := clone(r, false)
	if centre || library == c.Borrower || (c.Lender != "" && library == c.Lender) {
		c.Rota = nil
	}
	return c, nil
}

// RequestIDByClientID implements ill.Requests.
func (s *Store) RequestIDByClientID(_ context.Context, borrower, clientID string) (string, ill.State, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return "", "", err
	}
	for _, r := range s.requests {
		if strings.EqualFold(r.Borrower, borrower) && r.ClientRequestID == clientID {
			return r.ID, r.State, nil
		}
	}
	return "", "", nil
}

// ListRequests implements ill.Requests.
func (s *Store) ListRequests(_ context.Context, f ill.ListFilter) ([]*ill.Request, int, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var all []*ill.Request
	for _, r := range s.requests {
		if listed(r, f) && s.textMatches(r, f) {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b *ill.Request) int {
		if c := b.SubmittedAt.Compare(a.SubmittedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	from := min((f.Page-1)*f.PerPage, len(all))
	page := all[from:min(from+f.PerPage, len(all))]
	out := make([]*ill.Request, len(page))
	for i, r := range page {
		out[i] = clone(r, false)
	}
	return out, len(all), nil
}

// listed reports whether f lists r.
func listed(r *ill.Request, f ill.ListFilter) bool {
	switch {
	case f.Centre:
	case f.PatronID != "": // the caller's own readers only
		if r.Borrower != f.Caller {
			return false
		}
	case r.Borrower != f.Caller && !slices.ContainsFunc(r.Rota, func(e ill.RotaEntry) bool {
		return e.Library == f.Caller && e.Outcome != ill.OutcomePending && e.Outcome != ill.OutcomeSkipped
	}):
		return false
	}
	title := strings.ToLower(r.Title)
	switch {
	case f.PatronID != "" && !strings.EqualFold(r.PatronID, f.PatronID),
		f.State != "" && r.State != f.State,
		f.From != nil && r.SubmittedAt.Before(f.From.Start()),
		f.To != nil && !r.SubmittedAt.Before(f.To.AddDays(1).Start()),
		len(f.IDs) > 0 && !slices.Contains(f.IDs, r.ID),
		f.Barcode != "" && r.ItemBarcode != f.Barcode,
		f.ISBN != "" && r.ISBN != f.ISBN && r.ISBN != normalISBN(f.ISBN),
		f.Library != "" && r.Borrower != f.Library && r.Lender != f.Library,
		f.Service != "" && r.ServiceType != f.Service:
		return false
	}
	for _, w := range strings.Fields(f.Q) {
		if !strings.Contains(title, strings.ToLower(w)) {
			return false
		}
	}
	return true
}

func normalISBN(s string) string {
	if n, ok := ill.NormalizeISBN(s); ok {
		return n
	}
	return s
}

// textMatches applies ListFilter.Text as mysql does (the caller holds the
// lock): an identifier, the caller's own reader (card or name), or every
// word in the title.
func (s *Store) textMatches(r *ill.Request, f ill.ListFilter) bool {
	t := strings.TrimSpace(f.Text)
	if t == "" {
		return true
	}
	eq := strings.EqualFold
	if eq(r.ID, t) || r.ClientRequestID == t || (r.ItemBarcode != "" && eq(r.ItemBarcode, t)) ||
		(r.ISBN != "" && (r.ISBN == t || r.ISBN == normalISBN(t))) {
		return true
	}
	if u := strings.ToUpper(t); strings.HasPrefix(u, "ILL-") && len(u) >= 8 && strings.HasPrefix(strings.ToUpper(r.ID), u) {
		return true
	}
	if f.Centre || r.Borrower == f.Caller {
		if eq(r.PatronID, t) {
			return true
		}
		if rd, ok := s.readers[[2]string{strings.ToUpper(r.Borrower), strings.ToUpper(r.PatronID)}]; ok && rd.Name != "" &&
			strings.Contains(strings.ToLower(rd.Name), strings.ToLower(t)) {
			return true
		}
	}
	title := strings.ToLower(r.Title)
	for _, w := range strings.Fields(t) {
		if !strings.Contains(title, strings.ToLower(w)) {
			return false
		}
	}
	return true
}
