package httpapi

import (
	"net/http"

	"github.com/balis/illhub/ill"
)

// noteView is the JSON shape of a note between libraries.
type noteView struct {
	ID        int64   `json:"id"`
	RequestID string  `json:"request_id"`
	Library   string  `json:"library"` // the author's library (CENTRE for the centre)
	To        *string `json:"to"`      // the library it is for; null: both parties
	Author    string  `json:"author"`
	Via       string  `json:"via"` // console, api, iso18626
	Text      string  `json:"text"`
	CreatedAt string  `json:"created_at"`
}

func noteViewOf(n ill.Note) noteView {
	return noteView{ID: n.ID, RequestID: n.RequestID, Library: n.Library, To: optStr(n.To), Author: n.Author,
		Via: n.Via, Text: n.Text, CreatedAt: rfc3339(n.CreatedAt)}
}

// listNotes: GET /v1/requests/{id}/notes, the notes on a request the
// caller may read, oldest first (app.Service.Notes; scoped like the
// request: 403 forbidden, 404 not_found).
func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) error {
	notes, err := s.App.Notes(r.Context(), principalOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]noteView, len(notes))
	for i, n := range notes {
		out[i] = noteViewOf(n)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "results": out})
	return nil
}

// addNote: POST /v1/requests/{id}/notes {"text": "..."} (1 to 1000
// characters after trimming), a note for the other party
// (app.Service.AddNote): 201 with the note; 400 bad_request (field text),
// 403 forbidden, 404 not_found.
func (s *Server) addNote(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Text string `json:"text"`
	}
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	n, err := s.App.AddNote(r.Context(), principalOf(r), r.PathValue("id"), "", ill.NoteViaAPI, b.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, noteViewOf(n))
	return nil
}
