package web

// Notes between the staff of a request's two libraries: a panel on the
// console's request page (opening the page marks them read), the form to
// write one, and the unread counts on the queues and the console home.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/balis/illhub/ill"
)

func init() {
	addRequestPanel(requestPanel{Template: "notes_panel", Load: loadNotesPanel})
	flashKeys["notes.added"] = true
}

func (h *Handler) routeNotes(m *http.ServeMux) {
	m.HandleFunc("POST /console/requests/{id}/notes", h.staff(h.addNote))
}

// notesPanel is the notes panel's data.
type notesPanel struct {
	Notes []ill.Note
	// CanWrite: the signed-in library is a party to the request (or the
	// centre); To is whom a new note goes to ("" both parties).
	CanWrite bool
	To       string
	Max      int
}

func loadNotesPanel(ctx context.Context, h *Handler, p *Page, req *ill.Request) (any, error) {
	pr := principal(p.Sess)
	notes, err := h.cfg.App.OpenNotes(ctx, pr, req)
	if err != nil {
		return nil, err
	}
	to, ok := ill.NoteRecipient(req, pr.Library, pr.Centre)
	return notesPanel{Notes: notes, CanWrite: ok, To: to, Max: ill.MaxNoteRunes}, nil
}

// addNote: POST /console/requests/{id}/notes (field text): a note for the
// other library (app.Service.AddNote), then back to the request page.
func (h *Handler) addNote(w http.ResponseWriter, r *http.Request, p *Page) error {
	id := r.PathValue("id")
	n, err := h.cfg.App.AddNote(r.Context(), principal(p.Sess), id, p.Sess.Subject, ill.NoteViaConsole, r.PostFormValue("text"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/requests/"+url.PathEscape(id)+"?msg=notes.added#note-"+strconv.FormatInt(n.ID, 10), http.StatusSeeOther)
	return nil
}

// NoteFrom describes a note's author for the panel: the library, and the
// staff member or the channel.
func (p *Page) NoteFrom(n ill.Note) string {
	who := p.Lib(n.Library)
	if n.Library == ill.CentreCode {
		who = p.T("notes.centre")
	}
	switch {
	case n.Author != "":
		return who + " · " + n.Author
	case n.Via == ill.NoteViaISO:
		return who + " · ISO 18626"
	case n.Via == ill.NoteViaAPI:
		return who + " · " + p.T("notes.via_api")
	}
	return who
}
