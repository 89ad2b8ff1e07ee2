package memstore

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/balis/illhub/ill"
)

// PutRecord adds or replaces catalogue record r with the members'
// holdings of it (each also maps its library's local id to r).
func (s *Store) PutRecord(r ill.Record, holdings ...ill.HoldingView) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.records == nil {
		s.records, s.holdings, s.localIDs = map[int64]ill.Record{}, map[int64][]ill.HoldingView{}, map[[2]string]int64{}
	}
	s.records[r.ID] = r
	s.holdings[r.ID] = slices.Clone(holdings)
	for _, h := range holdings {
		s.localIDs[[2]string{h.Library, h.LocalID}] = r.ID
	}
}

// PutConflict adds a matching conflict.
func (s *Store) PutConflict(c ill.Conflict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conflicts = append(s.conflicts, c)
}

// SearchFull implements ill.Catalogue: every word of q (ill.SearchTerms)
// must occur in the folded title or author; the filters apply; records
// with more holdings first, then by id.
func (s *Store) SearchFull(_ context.Context, q ill.SearchQuery) (ill.SearchResults, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return ill.SearchResults{}, err
	}
	words, probes, _, truncated := ill.SearchTerms(q.Q)
	isbn, _ := ill.NormalizeISBN(q.ISBN)
	var hits []ill.SearchHit
	for id, r := range s.records {
		text := ill.Fold(r.Title) + "\x00" + ill.Fold(r.Author)
		if slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, w) }) ||
			(q.ISBN != "" && r.ISBN13 != isbn) || (q.YearFrom > 0 && r.Year < q.YearFrom) || (q.YearTo > 0 && r.Year > q.YearTo) {
			continue
		}
		h := ill.SearchHit{Record: r}
		held := false
		for _, hv := range s.holdings[id] {
			h.Holdings++
			h.Available += hv.Available
			held = held || hv.Library == q.Library
		}
		if (q.Library != "" && !held) || (q.Available && h.Available == 0) {
			continue
		}
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b ill.SearchHit) int {
		if a.Holdings != b.Holdings {
			return b.Holdings - a.Holdings
		}
		return int(a.ID - b.ID)
	})
	res := ill.SearchResults{Total: len(hits), Words: len(words), Probes: len(probes), QueryTruncated: truncated}
	from := min((q.Page-1)*q.PerPage, len(hits))
	res.Hits = hits[from:min(from+q.PerPage, len(hits))]
	return res, nil
}

// RecordWithHoldings implements ill.Catalogue.
func (s *Store) RecordWithHoldings(_ context.Context, id int64) (*ill.Record, []ill.HoldingView, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	r, ok := s.records[id]
	if !ok {
		return nil, nil, notFound("record", strconv.FormatInt(id, 10))
	}
	return &r, slices.Clone(s.holdings[id]), nil
}

// Conflicts implements ill.Catalogue.
func (s *Store) Conflicts(_ context.Context, library string, page, perPage int) ([]ill.Conflict, int, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var all []ill.Conflict
	for _, c := range slices.Backward(s.conflicts) {
		if library == "" || c.Library == library {
			all = append(all, c)
		}
	}
	from := min((page-1)*perPage, len(all))
	return all[from:min(from+perPage, len(all))], len(all), nil
}

// RecordByLocalID implements ill.Catalogue.
func (s *Store) RecordByLocalID(_ context.Context, library, localID string) (int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return s.localIDs[[2]string{library, localID}], nil
}

// MatchCitation implements ill.Catalogue: by normalised ISBN, then by
// ill.TitleKey.
func (s *Store) MatchCitation(_ context.Context, c ill.Citation) (int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	isbn, ok := ill.NormalizeISBN(c.ISBN)
	key := ill.TitleKey(c.Title, c.Author, c.Publisher, c.Year)
	var byKey int64
	for _, id := range slices.Sorted(maps.Keys(s.records)) {
		r := s.records[id]
		if ok && r.ISBN13 == isbn {
			return id, nil
		}
		if byKey == 0 && c.Title != "" && ill.TitleKey(r.Title, r.Author, r.Publisher, r.Year) == key {
			byKey = id
		}
	}
	return byKey, nil
}
