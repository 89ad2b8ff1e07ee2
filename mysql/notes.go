package mysql

// Notes between the libraries of a request (request_notes) and how far
// each library has read them (request_note_reads). A note is no state
// change: it takes no lock on the request.

import (
	"context"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// addNoteSQL stores a note. Locks: the new row until commit.
const addNoteSQL = `INSERT INTO request_notes (request_id, library_code, to_library, author, via, body, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)`

// noteRow is a request_notes row.
type noteRow struct {
	ID        int64     `db:"id"`
	RequestID string    `db:"request_id"`
	Library   string    `db:"library_code"`
	To        string    `db:"to_library"`
	Author    string    `db:"author"`
	Via       string    `db:"via"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
}

func (r noteRow) domain() ill.Note {
	return ill.Note{ID: r.ID, RequestID: r.RequestID, Library: r.Library, To: r.To, Author: r.Author,
		Via: r.Via, Text: r.Body, CreatedAt: r.CreatedAt}
}

// AddNote stores n in the transaction (an ISO 18626 Notification a member
// sent, stored by the consumer that applies it) and returns its id. The
// text is cut to ill.MaxNoteRunes.
func (t *Tx) AddNote(ctx context.Context, n ill.Note) (int64, error) {
	return insertNote(ctx, t.tx, n)
}

func insertNote(ctx context.Context, ex sqlx.ExecerContext, n ill.Note) (int64, error) {
	text := n.Text
	if r := []rune(text); len(r) > ill.MaxNoteRunes {
		text = string(r[:ill.MaxNoteRunes])
	}
	author := n.Author
	if r := []rune(author); len(r) > 64 {
		author = string(r[:64])
	}
	res, err := ex.ExecContext(ctx, addNoteSQL, n.RequestID, n.Library, n.To, author, n.Via, text, n.CreatedAt.UTC())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// AddNote stores n and, when relay is not nil, writes relay to the outbox
// in the same transaction (ill.Notes).
func (s *Store) AddNote(ctx context.Context, n ill.Note, relay *ill.Message) (id int64, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		var err error
		if id, err = tx.AddNote(ctx, n); err != nil {
			return err
		}
		if relay != nil {
			return tx.Enqueue(ctx, *relay)
		}
		return nil
	})
	return id, err
}

// requestNotesSQL lists a request's notes in order. Locks: none.
const requestNotesSQL = `SELECT id, request_id, library_code, to_library, author, via, body, created_at
	FROM request_notes WHERE request_id = ? ORDER BY id`

// RequestNotes lists request id's notes, oldest first.
func (s *Store) RequestNotes(ctx context.Context, id string) ([]ill.Note, error) {
	var rows []noteRow
	if err := s.DB.SelectContext(ctx, &rows, requestNotesSQL, id); err != nil {
		return nil, classify(err)
	}
	return domains(rows, noteRow.domain), nil
}

// markNotesReadSQL moves a library's read mark on a request forward,
// never back. Locks: the mark's row, for the statement only (autocommit).
const markNotesReadSQL = `INSERT INTO request_note_reads (library_code, request_id, seen_note_id) VALUES (?, ?, ?)
	ON DUPLICATE KEY UPDATE seen_note_id = GREATEST(seen_note_id, VALUES(seen_note_id))`

// MarkNotesRead records that library read request id's notes up to upTo.
func (s *Store) MarkNotesRead(ctx context.Context, library, id string, upTo int64) error {
	_, err := s.DB.ExecContext(ctx, markNotesReadSQL, library, id, upTo)
	return classify(err)
}

// unreadNotesSQL counts the unread notes of library (every ? of the
// condition) on the requests of an IN list (expanded by sqlx.In); the
// condition is unreadNoteSQL. Locks: none.
const (
	unreadNoteSQL = `n.library_code <> ? AND (n.to_library = ? OR (n.to_library = '' AND (q.borrower = ? OR q.lender = ?)))
	AND n.id > COALESCE((SELECT m.seen_note_id FROM request_note_reads m
		WHERE m.library_code = ? AND m.request_id = n.request_id), 0)`
	unreadNotesSQL = `SELECT n.request_id, COUNT(*) AS n FROM request_notes n JOIN requests q ON q.id = n.request_id
	WHERE n.request_id IN (?) AND ` + unreadNoteSQL + ` GROUP BY n.request_id`
	// notesInboxSQL lists the requests with notes library has not read,
	// the most recent note first, and notesInboxTotalSQL counts those
	// notes. Locks: none.
	notesInboxSQL = `SELECT n.request_id, q.title, COUNT(*) AS n, MAX(n.id) AS last FROM request_notes n
	JOIN requests q ON q.id = n.request_id
	WHERE (q.borrower = ? OR q.lender = ? OR n.to_library = ?) AND ` + unreadNoteSQL + `
	GROUP BY n.request_id, q.title ORDER BY last DESC LIMIT ?`
	notesInboxTotalSQL = `SELECT COUNT(*) FROM request_notes n JOIN requests q ON q.id = n.request_id
	WHERE (q.borrower = ? OR q.lender = ? OR n.to_library = ?) AND ` + unreadNoteSQL
)

func unreadArgs(library string) []any { return []any{library, library, library, library, library} }

// UnreadNotes counts library's unread notes per request of ids.
func (s *Store) UnreadNotes(ctx context.Context, library string, ids []string) (map[string]int, error) {
	out := map[string]int{}
	if len(ids) == 0 || library == "" {
		return out, nil
	}
	q, args, err := sqlx.In(unreadNotesSQL, append([]any{ids}, unreadArgs(library)...)...)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		RequestID string `db:"request_id"`
		N         int    `db:"n"`
	}
	if err := s.DB.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, classify(err)
	}
	for _, r := range rows {
		out[r.RequestID] = r.N
	}
	return out, nil
}

// NotesInbox lists at most limit requests with notes library has not
// read, and the number of those notes.
func (s *Store) NotesInbox(ctx context.Context, library string, limit int) ([]ill.NoteUnread, int, error) {
	if library == "" {
		return nil, 0, nil
	}
	args := append([]any{library, library, library}, unreadArgs(library)...)
	var rows []struct {
		RequestID string `db:"request_id"`
		Title     string `db:"title"`
		N         int    `db:"n"`
		Last      int64  `db:"last"`
	}
	if err := s.DB.SelectContext(ctx, &rows, notesInboxSQL, append(args, limit)...); err != nil {
		return nil, 0, classify(err)
	}
	var total int
	if err := s.DB.GetContext(ctx, &total, notesInboxTotalSQL, args...); err != nil {
		return nil, 0, classify(err)
	}
	out := make([]ill.NoteUnread, len(rows))
	for i, r := range rows {
		out[i] = ill.NoteUnread{RequestID: r.RequestID, Title: r.Title, Count: r.N}
	}
	return out, total, nil
}
