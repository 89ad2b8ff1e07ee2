package memstore

// The money ports: violations' settlement (ill.ViolationLedger) and the
// lenders' fee rules with their history (ill.LibraryFees).

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

type moneyState struct {
	history []ill.PolicyChange
	nextID  int64
}

// withTitle is v with its request's title, as mysql's LEFT JOIN reads it.
func (s *Store) withTitle(v ill.ViolationRow) ill.ViolationRow {
	if r, ok := s.requests[v.RequestID]; ok {
		v.Title = r.Title
	}
	if v.State == "" {
		v.State = ill.SettlementPending // the column's default
	}
	return v
}

// ViolationList implements ill.ViolationLedger.
func (s *Store) ViolationList(_ context.Context, q ill.ViolationQuery) ([]ill.ViolationRow, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 || limit > ill.MaxViolationRows {
		limit = ill.MaxViolationRows
	}
	var out []ill.ViolationRow
	for _, v := range s.violations {
		if q.Matches(v) {
			out = append(out, s.withTitle(v))
		}
	}
	slices.SortStableFunc(out, func(a, b ill.ViolationRow) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ViolationByID implements ill.ViolationLedger.
func (s *Store) ViolationByID(_ context.Context, id int64) (ill.ViolationRow, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return ill.ViolationRow{}, err
	}
	for _, v := range s.violations {
		if v.ID == id {
			return s.withTitle(v), nil
		}
	}
	return ill.ViolationRow{}, notFound("violation", strconv.FormatInt(id, 10))
}

// SettleViolation implements ill.ViolationLedger.
func (s *Store) SettleViolation(_ context.Context, id int64, st ill.Settlement) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	for i, v := range s.violations {
		if v.ID != id {
			continue
		}
		if v.Settled() {
			return ill.Errorf(ill.CodeConflict, "violation %d was settled already: %s by %s", id, v.Status(), v.SettledBy)
		}
		s.violations[i].State, s.violations[i].SettledBy, s.violations[i].SettledAt = st.State, st.By, st.At.UTC()
		s.violations[i].SettleNote = st.Note
		return nil
	}
	return notFound("violation", strconv.FormatInt(id, 10))
}

// SetFeeRules implements ill.LibraryFees.
func (s *Store) SetFeeRules(_ context.Context, library string, f ill.FeeRules, by string, at time.Time) ([]ill.PolicyChange, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	key := strings.ToUpper(library)
	l, ok := s.libraries[key]
	if !ok {
		return nil, notFound("library", library)
	}
	changes := l.FeeRules().Changes(f)
	l.FinePerDayFen, l.DamageFeeFen, l.LossFeeFen, l.CourierCutoff = f.FinePerDayFen, f.DamageFeeFen, f.LossFeeFen, f.CourierCutoff
	s.libraries[key] = l
	for i := range changes {
		s.money.nextID++
		changes[i].ID, changes[i].Library, changes[i].By, changes[i].At = s.money.nextID, l.Code, by, at.UTC()
		s.money.history = append(s.money.history, changes[i])
	}
	return changes, nil
}

// FeeHistory implements ill.LibraryFees.
func (s *Store) FeeHistory(_ context.Context, library string, limit int) ([]ill.PolicyChange, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.PolicyChange
	for i := len(s.money.history) - 1; i >= 0 && len(out) < limit; i-- {
		if c := s.money.history[i]; library == "" || strings.EqualFold(c.Library, library) {
			out = append(out, c)
		}
	}
	return out, nil
}
