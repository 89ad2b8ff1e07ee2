package httpapi

import (
	"net/http"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// putReader: POST /v1/readers (member library keys only;
// app.Service.RegisterReader). 200 with the reader as registered, without
// the PIN.
func (s *Server) putReader(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if err := app.ForReaders.Check(p); err != nil {
		return err
	}
	var b app.ReaderBody
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	rd, err := s.App.RegisterReader(r.Context(), p, b)
	if err != nil {
		return err
	}
	cat := rd.Category
	if cat == "" {
		cat = ill.CategoryOther
	}
	writeJSON(w, http.StatusOK, map[string]any{"library": rd.Library, "id": rd.ID, "name": rd.Name, "email": rd.Email,
		"deposit_paid": rd.DepositPaid, "category": cat, "portal": true})
	return nil
}
