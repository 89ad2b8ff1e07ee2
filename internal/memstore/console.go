package memstore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// AddSession implements ill.Sessions (expired sessions are dropped, as
// mysql does).
func (s *Store) AddSession(_ context.Context, ss ill.Session) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.sessions == nil {
		s.sessions = map[string]ill.Session{}
	}
	for h, old := range s.sessions {
		if old.ExpiresAt.Before(ss.CreatedAt) {
			delete(s.sessions, h)
		}
	}
	s.sessions[ss.IDHash] = ss
	return nil
}

// SessionByHash implements ill.Sessions.
func (s *Store) SessionByHash(_ context.Context, hash string, now time.Time) (ill.Session, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return ill.Session{}, err
	}
	ss, ok := s.sessions[hash]
	if !ok || !ss.ExpiresAt.After(now) {
		return ill.Session{}, notFound("session", "")
	}
	if ss.Kind == "staff" {
		u, ok := s.staff[[2]string{strings.ToUpper(ss.Library), strings.ToUpper(ss.Subject)}]
		if !ok || u.Disabled {
			return ill.Session{}, notFound("session", "")
		}
	}
	return ss, nil
}

// DeleteSession implements ill.Sessions.
func (s *Store) DeleteSession(_ context.Context, hash string) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	delete(s.sessions, hash)
	return nil
}

// DeleteSessionsOf implements ill.Sessions.
func (s *Store) DeleteSessionsOf(_ context.Context, kind, library, subject string) (int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	var n int64
	for h, ss := range s.sessions {
		if ss.Kind == kind && strings.EqualFold(ss.Library, library) && strings.EqualFold(ss.Subject, subject) {
			delete(s.sessions, h)
			n++
		}
	}
	return n, nil
}

// Sessions returns the stored sessions (live or not), in no order.
func (s *Store) Sessions() []ill.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ill.Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss)
	}
	return out
}

// queueTime is the request time a queue is ordered by (ill.Queue.Order);
// false for an order mysql does not know either.
func queueTime(order string) (func(*ill.Request) time.Time, bool) {
	switch order {
	case "respond_by":
		return func(r *ill.Request) time.Time { return r.RespondBy }, true
	case "ship_by":
		return func(r *ill.Request) time.Time { return r.ShipBy }, true
	case "due_at":
		return func(r *ill.Request) time.Time { return r.DueAt }, true
	case "deliver_by":
		return func(r *ill.Request) time.Time { return r.DeliverBy }, true
	case "updated_at":
		return func(r *ill.Request) time.Time { return r.UpdatedAt }, true
	case "submitted_at":
		return func(r *ill.Request) time.Time { return r.SubmittedAt }, true
	}
	return nil, false
}

// QueueRequests implements ill.Worklists.
func (s *Store) QueueRequests(_ context.Context, q ill.Queue, library string, limit int) ([]*ill.Request, int, error) {
	at, ok := queueTime(q.Order)
	if !ok || (q.Side != ill.RoleLender && q.Side != ill.RoleBorrower) {
		return nil, 0, errors.New("memstore: bad queue " + q.Key)
	}
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var all []*ill.Request
	for _, r := range s.requests {
		side := r.Lender
		if q.Side == ill.RoleBorrower {
			side = r.Borrower
		}
		if slices.Contains(q.States, r.State) && (library == "" || strings.EqualFold(side, library)) &&
			(q.Service == "" || r.ServiceType.OrLoan() == q.Service) {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b *ill.Request) int {
		ta, tb := at(a), at(b)
		if c := cmp.Compare(boolInt(ta.IsZero()), boolInt(tb.IsZero())); c != 0 {
			return c
		}
		if c := ta.Compare(tb); c != 0 {
			if q.Desc {
				return -c
			}
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]*ill.Request, 0, min(limit, len(all)))
	for _, r := range all[:min(limit, len(all))] {
		out = append(out, clone(r, false))
	}
	return out, len(all), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// OpenShipments implements ill.Worklists.
func (s *Store) OpenShipments(_ context.Context, library string, limit int) ([]ill.ShipmentRow, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.ShipmentRow
	for _, sh := range s.shipments {
		if sh.Status == ill.ShipDelivered || sh.Status == "cancelled" || !touches(library, sh.From, sh.To) {
			continue
		}
		row := ill.ShipmentRow{ID: sh.ID, RequestID: sh.RequestID, Direction: sh.Direction, ItemBarcode: sh.ItemBarcode,
			From: sh.From, To: sh.To, Route: sh.RouteCode, Status: sh.Status, RunDate: sh.RunDate}
		if r, ok := s.requests[sh.RequestID]; ok {
			row.Title = r.Title
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b ill.ShipmentRow) int {
		if c := cmp.Compare(boolInt(a.RunDate.IsZero()), boolInt(b.RunDate.IsZero())); c != 0 {
			return c
		}
		if c := b.RunDate.Compare(a.RunDate); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out[:min(limit, len(out))], nil
}

// MissedDeadlines implements ill.Worklists. The rota here keeps no answer
// time: At is the request's UpdatedAt.
func (s *Store) MissedDeadlines(_ context.Context, library string, limit int) ([]ill.MissedDeadline, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.MissedDeadline
	for _, r := range s.requests {
		for _, e := range r.Rota {
			if (e.Outcome == ill.OutcomeNoResponse || e.Outcome == ill.OutcomeNotShipped) &&
				(library == "" || strings.EqualFold(e.Library, library)) {
				out = append(out, ill.MissedDeadline{RequestID: r.ID, Library: e.Library, Outcome: e.Outcome,
					At: r.UpdatedAt, Title: r.Title})
			}
		}
	}
	slices.SortFunc(out, func(a, b ill.MissedDeadline) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(a.RequestID, b.RequestID)
	})
	return out[:min(limit, len(out))], nil
}
