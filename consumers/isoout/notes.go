package isoout

import (
	"context"
	"strings"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/mysql"
)

// Notes is the subscriber that carries notes between libraries (ill/notes.go)
// over ISO 18626, both ways:
//
//   - a staff note for an ISO member reaches the consumers as a message
//     without an action whose ISO context has kind ill.ISONoteKind (the
//     hub wrote it to the outbox with the note); the note is sent as a
//     requestingAgencyMessage Notification when its author is the
//     borrower (to the lender), a supplyingAgencyMessage with
//     reasonForMessage Notification when its author is the lender (to the
//     borrower);
//   - a Notification an ISO member sends (requestingAgencyMessage action
//     Notification, supplyingAgencyMessage reasonForMessage Notification)
//     with a note becomes a note on the request, for the other party.
//     (Subscriber passes it on to the other party too when that one speaks
//     ISO 18626.)
//
// Register it after Subscriber.
type Notes struct {
	HubSymbol string // the hub's own agency id (ILL_HUB_SYMBOL); "": BALIS
}

// NotesStore is what Notes writes through (*mysql.Tx).
type NotesStore interface {
	Store
	AddNote(ctx context.Context, n ill.Note) (int64, error)
}

var _ NotesStore = (*mysql.Tx)(nil)

// Handle implements requests.Subscriber.
func (s Notes) Handle(ctx context.Context, tx *mysql.Tx, cs []requests.Change) error {
	return s.Write(ctx, tx, cs)
}

// Write sends or stores the notes cs carry, through st.
func (s Notes) Write(ctx context.Context, st NotesStore, cs []requests.Change) error {
	for _, c := range cs {
		iso := c.Cause.ISO
		if c.Brief || iso == nil || !informed(c.Transition) {
			continue
		}
		r := c.Request
		text := strings.TrimSpace(iso.Note)
		if text == "" {
			continue
		}
		actor := c.Cause.Actor
		switch {
		case iso.Kind == ill.ISONoteKind:
			x := &isoTxn{ctx: ctx, st: st, m: c.Cause, r: r, hub: s.HubSymbol}
			var err error
			switch {
			case actor == r.Borrower && r.Lender != "":
				err = x.toLender(r.Lender, iso18626.ActionNotification, text)
			case r.Lender != "" && actor == r.Lender:
				err = x.toBorrower(iso18626.ReasonNotification, "", text)
			}
			if err != nil {
				return err
			}
		case iso.Kind == "requestingAgencyMessage" && iso.What == string(iso18626.ActionNotification),
			iso.Kind == "supplyingAgencyMessage" && strings.HasPrefix(iso.What, string(iso18626.ReasonNotification)+"/"):
			to, ok := ill.NoteRecipient(r, actor, false)
			if !ok {
				continue // a member no longer party to the request: the timeline keeps it
			}
			if _, err := st.AddNote(ctx, ill.Note{RequestID: r.ID, Library: actor, To: to, Via: ill.NoteViaISO,
				Text: text, CreatedAt: c.Cause.At}); err != nil {
				return err
			}
		}
	}
	return nil
}

// informed reports whether t is a message without an action.
func informed(t ill.Transition) bool {
	for _, e := range t.Events {
		if _, ok := e.(ill.Informed); ok {
			return true
		}
	}
	return false
}
