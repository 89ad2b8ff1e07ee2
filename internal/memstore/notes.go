package memstore

import (
	"context"
	"slices"

	"github.com/balis/illhub/ill"
)

// notesData is the notes between libraries (ill.Notes).
type notesData struct {
	list   []ill.Note
	reads  map[[2]string]int64 // library, request → last note read
	relays []ill.Message       // the outbox rows AddNote was given
}

// AddNote implements ill.Notes; a relay is kept (NoteRelays).
func (s *Store) AddNote(_ context.Context, n ill.Note, relay *ill.Message) (int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n.ID = int64(len(s.notes.list) + 1)
	if r := []rune(n.Text); len(r) > ill.MaxNoteRunes {
		n.Text = string(r[:ill.MaxNoteRunes])
	}
	s.notes.list = append(s.notes.list, n)
	if relay != nil {
		s.notes.relays = append(s.notes.relays, *relay)
	}
	return n.ID, nil
}

// NoteRelays returns the outbox messages AddNote was given, in order.
func (s *Store) NoteRelays() []ill.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes.relays)
}

// RequestNotes implements ill.Notes.
func (s *Store) RequestNotes(_ context.Context, id string) ([]ill.Note, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.Note
	for _, n := range s.notes.list {
		if n.RequestID == id {
			out = append(out, n)
		}
	}
	return out, nil
}

// MarkNotesRead implements ill.Notes.
func (s *Store) MarkNotesRead(_ context.Context, library, id string, upTo int64) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.notes.reads == nil {
		s.notes.reads = map[[2]string]int64{}
	}
	k := [2]string{library, id}
	s.notes.reads[k] = max(s.notes.reads[k], upTo)
	return nil
}

// unread reports whether library has not read n (the caller holds the
// lock).
func (s *Store) unread(library string, n ill.Note) bool {
	if n.Library == library || n.ID <= s.notes.reads[[2]string{library, n.RequestID}] {
		return false
	}
	if n.To == library {
		return true
	}
	r, ok := s.requests[n.RequestID]
	return ok && n.To == "" && (r.Borrower == library || (r.Lender != "" && r.Lender == library))
}

// UnreadNotes implements ill.Notes.
func (s *Store) UnreadNotes(_ context.Context, library string, ids []string) (map[string]int, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	if library == "" {
		return out, nil
	}
	for _, n := range s.notes.list {
		if slices.Contains(ids, n.RequestID) && s.unread(library, n) {
			out[n.RequestID]++
		}
	}
	return out, nil
}

// NotesInbox implements ill.Notes.
func (s *Store) NotesInbox(_ context.Context, library string, limit int) ([]ill.NoteUnread, int, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil || library == "" {
		return nil, 0, err
	}
	var out []ill.NoteUnread
	total := 0
	for i := len(s.notes.list) - 1; i >= 0; i-- { // the most recent note first
		n := s.notes.list[i]
		if !s.unread(library, n) {
			continue
		}
		total++
		j := slices.IndexFunc(out, func(u ill.NoteUnread) bool { return u.RequestID == n.RequestID })
		if j < 0 {
			title := ""
			if r, ok := s.requests[n.RequestID]; ok {
				title = r.Title
			}
			out = append(out, ill.NoteUnread{RequestID: n.RequestID, Title: title})
			j = len(out) - 1
		}
		out[j].Count++
	}
	return out[:min(limit, len(out))], total, nil
}
