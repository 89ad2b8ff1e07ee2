package ill

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Notes between the staff of the two libraries of a request (the
// borrower and its current lender; the centre may join in). A note is no
// state change: it never goes through the state table. When the other
// library's own system speaks ISO 18626, the note is carried to it as an
// ISO 18626 Notification, and a Notification a member sends becomes a
// note.

// MaxNoteRunes bounds a note's text (after trimming).
const MaxNoteRunes = 1000

// Where a note came from (Note.Via).
const (
	NoteViaConsole = "console"  // a staff member in the console
	NoteViaAPI     = "api"      // a member system, POST /v1/requests/{id}/notes
	NoteViaISO     = "iso18626" // an ISO 18626 Notification the member sent
)

// ISONoteKind is the ISOContext.Kind of the message that carries a staff
// note to an ISO 18626 member: a message without an action (Informs) that
// the hub writes to its outbox with the note, so that the ISO subscriber
// sends it as a Notification in order with the request's other ISO
// messages. Unlike the other kinds it did not come in as ISO 18626.
const ISONoteKind = "note"

// Note is one note on a request.
type Note struct {
	ID        int64
	RequestID string
	// Library is the author's library (CentreCode for the centre).
	Library string
	// To is the library the note is for: the other party when it was
	// written ("" when there was none, e.g. a borrower's note before a
	// lender was found, or the centre's note to both parties).
	To        string
	Author    string // the staff user name, or "" (a member system)
	Via       string // NoteViaConsole, NoteViaAPI or NoteViaISO
	Text      string
	CreatedAt time.Time
}

// VisibleTo reports whether library code (centre: the centre) may read n
// on request r: the centre, the author's library, the library it is for,
// and for a note for nobody in particular the request's borrower and
// current lender.
func (n Note) VisibleTo(r *Request, code string, centre bool) bool {
	switch {
	case centre, code == n.Library, code == n.To:
		return true
	case n.To == "":
		return code == r.Borrower || (r.Lender != "" && code == r.Lender)
	}
	return false
}

// NoteRecipient is who a note by library code (centre: the centre) on r
// is for: the borrower writes to the current lender, the current lender
// to the borrower, the centre to both (""). ok is false when code may not
// write on r (it is neither of the two parties nor the centre).
func NoteRecipient(r *Request, code string, centre bool) (to string, ok bool) {
	switch {
	case centre:
		return "", true
	case code == r.Borrower:
		return r.Lender, true
	case r.Lender != "" && code == r.Lender:
		return r.Borrower, true
	}
	return "", false
}

// CleanNote trims a note's text and checks it: not empty, at most
// MaxNoteRunes characters, valid UTF-8 (bad_request naming field "text").
func CleanNote(text string) (string, error) {
	t := strings.TrimSpace(text)
	switch {
	case !utf8.ValidString(t):
		return "", FieldError("text", "text is not valid UTF-8")
	case t == "":
		return "", FieldError("text", "text is required")
	case utf8.RuneCountInString(t) > MaxNoteRunes:
		return "", FieldError("text", "text is longer than %d characters", MaxNoteRunes)
	}
	return t, nil
}

// NoteUnread is how many notes on one request a library has not read.
type NoteUnread struct {
	RequestID string
	Title     string
	Count     int
}

// Notes stores the notes between libraries and what each library has
// read of them. No locks beyond the statements' own.
type Notes interface {
	// AddNote stores n (its ID is ignored) and returns its id. When relay
	// is not nil it is written to the outbox in the same transaction (the
	// ISO 18626 Notification that carries the note to the other party),
	// so the note is never stored without it nor sent without being
	// stored.
	AddNote(ctx context.Context, n Note, relay *Message) (int64, error)
	// RequestNotes lists every note on request id, oldest first (the
	// caller filters by Note.VisibleTo).
	RequestNotes(ctx context.Context, id string) ([]Note, error)
	// MarkNotesRead records that library has read request id's notes up
	// to note upTo (a mark never moves back).
	MarkNotesRead(ctx context.Context, library, id string, upTo int64) error
	// UnreadNotes counts, per request of ids, the notes library has not
	// read: written by another library, for library (or for nobody in
	// particular on a request where library is the borrower or the
	// current lender), after the last note it read there. Requests
	// without unread notes are absent.
	UnreadNotes(ctx context.Context, library string, ids []string) (map[string]int, error)
	// NotesInbox lists at most limit requests with notes library has not
	// read (as UnreadNotes), the most recent note first, with the total
	// number of unread notes.
	NotesInbox(ctx context.Context, library string, limit int) ([]NoteUnread, int, error)
}
