package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balis/illhub/ill"
)

// Mediation (ill.Mediations): the search URL templates are kept beside
// the store (per Store value, under the store's lock), so that the Store
// struct stays as it is; escalation and the mediation spells are read
// from the requests and their timelines.

var opacTemplates sync.Map // *Store → map[[2]string]ill.OPACTemplate (guarded by the store's mu)

func (s *Store) opacs() map[[2]string]ill.OPACTemplate {
	m, _ := opacTemplates.LoadOrStore(s, map[[2]string]ill.OPACTemplate{})
	return m.(map[[2]string]ill.OPACTemplate)
}

// OPACTemplates implements ill.Mediations.
func (s *Store) OPACTemplates(context.Context) ([]ill.OPACTemplate, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.OPACTemplate
	for _, t := range s.opacs() {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b ill.OPACTemplate) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out, nil
}

// PutOPACTemplate implements ill.Mediations.
func (s *Store) PutOPACTemplate(_ context.Context, t ill.OPACTemplate) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	k := [2]string{t.Kind, strings.ToUpper(t.Code)}
	if t.Kind == ill.OPACTool {
		k[1] = t.Code
	}
	if t.URL == "" {
		delete(s.opacs(), k)
		return nil
	}
	s.opacs()[k] = t
	return nil
}

// EscalatedMediations implements ill.Mediations.
func (s *Store) EscalatedMediations(_ context.Context, library string, now time.Time, limit int) ([]*ill.Request, int, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var all []*ill.Request
	for _, r := range s.requests {
		if r.State == ill.NeedsMediation && !r.RespondBy.IsZero() && r.RespondBy.Before(now) &&
			(library == "" || strings.EqualFold(r.Borrower, library)) {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b *ill.Request) int {
		if c := a.RespondBy.Compare(b.RespondBy); c != 0 {
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

// MediationSpells implements ill.Mediations: a stay begins at a timeline
// line into NEEDS_MEDIATION and ends at the next line out of it; a
// request put in NEEDS_MEDIATION without a timeline was held when
// submitted.
func (s *Store) MediationSpells(_ context.Context, library string, from, to time.Time) ([]ill.MediationSpell, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.MediationSpell
	for _, r := range s.requests {
		if library != "" && !strings.EqualFold(r.Borrower, library) {
			continue
		}
		var spells []ill.MediationSpell
		for _, e := range r.Events {
			n := len(spells)
			switch {
			case e.To == ill.NeedsMediation && e.From != ill.NeedsMediation:
				spells = append(spells, ill.MediationSpell{RequestID: r.ID, Borrower: r.Borrower, Title: r.Title, HeldAt: e.At})
			case e.From == ill.NeedsMediation && e.To != ill.NeedsMediation && n > 0 && spells[n-1].LeftAt.IsZero():
				spells[n-1].LeftAt = e.At
			}
		}
		if len(spells) == 0 && r.State == ill.NeedsMediation {
			spells = append(spells, ill.MediationSpell{RequestID: r.ID, Borrower: r.Borrower, Title: r.Title, HeldAt: r.SubmittedAt})
		}
		if n := len(spells); n > 0 && r.State == ill.NeedsMediation && spells[n-1].LeftAt.IsZero() {
			spells[n-1].Deadline = r.RespondBy
		}
		for _, sp := range spells {
			if !sp.HeldAt.Before(from) && sp.HeldAt.Before(to) {
				out = append(out, sp)
			}
		}
	}
	slices.SortFunc(out, func(a, b ill.MediationSpell) int {
		if c := a.HeldAt.Compare(b.HeldAt); c != 0 {
			return c
		}
		return strings.Compare(a.RequestID, b.RequestID)
	})
	return out, nil
}

// RoutingHoldings implements ill.Mediations.
func (s *Store) RoutingHoldings(_ context.Context, records []int64, borrower string) (map[int64]ill.RecordRouting, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := map[int64]ill.RecordRouting{}
	for _, id := range records {
		hs := s.holdings[id]
		rr := ill.RecordRouting{Candidates: ill.CandidatesOf(hs, func(code string) bool {
			l, ok := s.libraries[strings.ToUpper(code)]
			return ok && l.Lending
		})}
		for _, h := range hs {
			if borrower != "" && strings.EqualFold(h.Library, borrower) && h.Available > 0 {
				rr.HeldLocally = true
			}
		}
		out[id] = rr
	}
	return out, nil
}
