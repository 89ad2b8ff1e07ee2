package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

type searchResult struct {
	RecordID  string `json:"record_id"`
	Title     string `json:"title"`
	Author    string `json:"author"`
	Publisher string `json:"publisher"`
	Year      int    `json:"year"`
	ISBN      string `json:"isbn"`
	CLC       string `json:"clc"`
	Holdings  int    `json:"holdings"`
	Available int    `json:"available"`
}

func resultOf(r ill.Record, holdings, available int) searchResult {
	return searchResult{RecordID: strconv.FormatInt(r.ID, 10), Title: r.Title, Author: r.Author,
		Publisher: r.Publisher, Year: r.Year, ISBN: r.ISBN13, CLC: r.CLC, Holdings: holdings, Available: available}
}

// search: GET /v1/catalog/search?q=&isbn=&library=&available=&page=&per_page=
// The work is bounded by ill.SearchTerms: at most 32 distinct words of q
// are used (query_truncated tells the caller when more were given).
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, perPage, err := pageParams(r)
	if err != nil {
		return err
	}
	sq := ill.SearchQuery{Q: q.Get("q"), ISBN: q.Get("isbn"), Page: page, PerPage: perPage}
	if v := q.Get("library"); v != "" {
		if sq.Library, err = ill.CanonicalCode("library", v); err != nil {
			return err
		}
	}
	if strings.TrimSpace(sq.Q) == "" && strings.TrimSpace(sq.ISBN) == "" {
		return ill.FieldError("q", "give q (title/author words) or isbn")
	}
	for _, f := range []struct {
		name string
		to   *int
	}{{"year_from", &sq.YearFrom}, {"year_to", &sq.YearTo}} {
		if v := q.Get(f.name); v != "" {
			y, err := strconv.Atoi(v)
			if err != nil || y < 0 || y > 9999 {
				return ill.FieldError(f.name, "%s must be a year", f.name)
			}
			*f.to = y
		}
	}
	if v := q.Get("available"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return ill.FieldError("available", "available must be true or false")
		}
		sq.Available = b
	}
	res, err := s.App.Search(r.Context(), sq)
	if err != nil {
		return err
	}
	out := make([]searchResult, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = resultOf(h.Record, h.Holdings, h.Available)
	}
	// query_truncated: the search used only the first ill.MaxSearchWords
	// distinct words of q (see ill.SearchTerms).
	writeJSON(w, http.StatusOK, map[string]any{"total": res.Total, "total_capped": res.TotalCapped,
		"query_truncated": res.QueryTruncated, "page": page, "per_page": perPage, "results": out})
	return nil
}

// getRecord: GET /v1/catalog/records/{id} with every member's holdings.
func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return ill.Errorf(ill.CodeNotFound, "no record %q", r.PathValue("id"))
	}
	rec, hs, err := s.App.Record(r.Context(), id)
	if err != nil {
		return err
	}
	avail := 0
	for _, h := range hs {
		avail += h.Available
	}
	if hs == nil {
		hs = []ill.HoldingView{}
	}
	writeJSON(w, http.StatusOK, struct {
		searchResult
		Language    string            `json:"language"`
		Material    string            `json:"material"`
		HoldingList []ill.HoldingView `json:"holding_libraries"`
	}{resultOf(*rec, len(hs), avail), rec.Language, rec.Material, hs})
	return nil
}

// MaxHoldingsBody is the body limit of POST /v1/holdings: a batch of
// ill.MaxHoldingsBatch rows is several MiB of JSON (other bodies: 1 MiB).
const MaxHoldingsBody = 8 << 20

// holdings: POST /v1/holdings — the caller's own holdings batch
// (app.Service.ImportHoldings), applied by the holdings consumer. An
// Idempotency-Key header makes retries publish the same batch id.
func (s *Server) holdings(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if err := app.ForHoldings.Check(p); err != nil {
		return err
	}
	var b ill.HoldingsBatch
	if err := s.decodeJSONLimit(w, r, &b, false, MaxHoldingsBody); err != nil {
		return err
	}
	id, err := s.App.ImportHoldings(r.Context(), p, b, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"batch_id": id, "upserts": len(b.Upserts), "deletes": len(b.Deletes)})
	return nil
}

func (s *Server) libraries(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.App.Libraries(r.Context())
	if err != nil {
		return err
	}
	if ls == nil {
		ls = []ill.Library{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(ls), "results": ls})
	return nil
}

func (s *Server) library(w http.ResponseWriter, r *http.Request) error {
	l, err := s.App.Library(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// conflicts: GET /v1/catalog/conflicts — matching conflicts reported by
// holdings ingestion (app.Service.Conflicts): a library sees its own, the
// centre every library's (or one, with ?library=).
func (s *Server) conflicts(w http.ResponseWriter, r *http.Request) error {
	page, perPage, err := pageParams(r)
	if err != nil {
		return err
	}
	cs, total, err := s.App.Conflicts(r.Context(), principalOf(r), r.URL.Query().Get("library"), page, perPage)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []ill.Conflict{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "page": page, "per_page": perPage, "results": cs})
	return nil
}
