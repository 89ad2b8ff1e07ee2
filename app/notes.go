package app

import (
	"context"
	"slices"

	"github.com/balis/illhub/ill"
)

// Notes between the staff of a request's two libraries (ill/notes.go).
// A note changes no state, so it is stored directly (not through the
// broker); when the library it is for speaks ISO 18626 the note is also
// written to the outbox, in the same transaction, as a message that the
// consumers hand to the ISO subscriber, which sends it as a
// Notification in order with the request's other ISO messages.

// Notes lists the notes on request id that p may read (ill.Note.
// VisibleTo), oldest first. Errors as Request: not_found, forbidden.
func (s *Service) Notes(ctx context.Context, p ill.Principal, id string) ([]ill.Note, error) {
	req, err := s.noteRequest(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.visibleNotes(ctx, p, req)
}

func (s *Service) noteRequest(ctx context.Context, p ill.Principal, id string) (*ill.Request, error) {
	req, err := s.store.RequestForAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	return visible(p, id, req)
}

func (s *Service) visibleNotes(ctx context.Context, p ill.Principal, req *ill.Request) ([]ill.Note, error) {
	all, err := s.store.RequestNotes(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(n ill.Note) bool { return !n.VisibleTo(req, p.Library, p.Centre) }), nil
}

// OpenNotes lists the notes on req that p may read, as Notes, and
// records that p's library has now read them (the console's request page:
// its unread count clears when the page is opened).
func (s *Service) OpenNotes(ctx context.Context, p ill.Principal, req *ill.Request) ([]ill.Note, error) {
	if !req.VisibleTo(p.Library, p.Centre) {
		return nil, ill.Errorf(ill.CodeForbidden, "request %s is not yours", req.ID)
	}
	notes, err := s.visibleNotes(ctx, p, req)
	if err != nil || len(notes) == 0 {
		return notes, err
	}
	return notes, s.store.MarkNotesRead(ctx, p.Library, req.ID, notes[len(notes)-1].ID)
}

// AddNote stores a note by p (author: the staff user name, "" for a
// member system; via: ill.NoteViaConsole or ill.NoteViaAPI) on request
// id, for the other party (ill.NoteRecipient). The text is trimmed and
// must be 1 to ill.MaxNoteRunes characters. When the library it is for
// speaks ISO 18626, the note is carried to it as a Notification (see
// above). Errors: bad_request (field text), not_found, forbidden (p can
// see the request but is neither party nor the centre), unavailable.
func (s *Service) AddNote(ctx context.Context, p ill.Principal, id, author, via, text string) (ill.Note, error) {
	text, err := ill.CleanNote(text)
	if err != nil {
		return ill.Note{}, err
	}
	req, err := s.noteRequest(ctx, p, id)
	if err != nil {
		return ill.Note{}, err
	}
	to, ok := ill.NoteRecipient(req, p.Library, p.Centre)
	if !ok {
		return ill.Note{}, ill.Errorf(ill.CodeForbidden, "only the borrowing library, the current lender and the centre write notes on request %s", id)
	}
	now := s.clock.Now().UTC()
	n := ill.Note{RequestID: req.ID, Library: p.Library, To: to, Author: author, Via: via, Text: text, CreatedAt: now}
	var relay *ill.Message
	if to != "" && !p.Centre {
		lib, err := s.store.Library(ctx, to)
		if err != nil && ill.ErrorCode(err) != ill.CodeNotFound {
			return ill.Note{}, err
		}
		if lib != nil && lib.ISOEndpoint != "" {
			relay = &ill.Message{ID: "note:" + ill.NewMessageID(), Type: ill.MsgAction, Actor: p.Library,
				RequestID: req.ID, At: now, ISO: &ill.ISOContext{Kind: ill.ISONoteKind, What: "Notification", Note: text}}
		}
	}
	if n.ID, err = s.store.AddNote(ctx, n, relay); err != nil {
		return ill.Note{}, err
	}
	return n, nil
}

// UnreadNotes counts, per request of reqs, the notes p's library has not
// read (ill.Notes.UnreadNotes). The centre takes part in no request, so
// nothing is unread for it.
func (s *Service) UnreadNotes(ctx context.Context, p ill.Principal, reqs []*ill.Request) (map[string]int, error) {
	if p.Centre || len(reqs) == 0 {
		return map[string]int{}, nil
	}
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		ids[i] = r.ID
	}
	return s.store.UnreadNotes(ctx, p.Library, ids)
}

// NotesInbox lists at most limit requests with notes p's library has not
// read, with the number of unread notes (none for the centre).
func (s *Service) NotesInbox(ctx context.Context, p ill.Principal, limit int) ([]ill.NoteUnread, int, error) {
	if p.Centre {
		return nil, 0, nil
	}
	return s.store.NotesInbox(ctx, p.Library, limit)
}
