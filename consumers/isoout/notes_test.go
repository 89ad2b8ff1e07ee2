package isoout_test

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/consumers/isoout"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// noteStore is the fake store with the notes Notes stores.
type noteStore struct {
	*fakeStore
	notes []ill.Note
}

func (s *noteStore) AddNote(_ context.Context, n ill.Note) (int64, error) {
	s.notes = append(s.notes, n)
	return int64(len(s.notes)), nil
}

// informChange is a message without an action from actor on THU's request
// lent by PKU.
func informChange(actor string, iso *ill.ISOContext) requests.Change {
	r := &ill.Request{ID: "ILL-1", ClientRequestID: "c-1", Borrower: "THU", Lender: "PKU", State: ill.WillSupply}
	m := ill.Message{ID: "m1", Type: ill.MsgAction, Actor: actor, RequestID: r.ID, At: subNow, ISO: iso}
	at := ill.Attempt{From: r.State, Actor: actor, Request: r, At: subNow}
	return requests.Change{Cause: m, Request: r, Transition: ill.Inform(at)}
}

// A staff note for an ISO member goes out as a Notification in the
// direction of its author's role; a Notification an ISO member sends with
// a note becomes a note for the other party; nothing else is stored or
// sent.
func TestNotesOverISO(t *testing.T) {
	speaks := func(codes ...string) *noteStore {
		st := &noteStore{fakeStore: newFakeStore()}
		for _, c := range codes {
			st.members[c] = &ill.ISOMember{Code: c, Symbol: c, Endpoint: "http://" + c + ".example/iso"}
		}
		return st
	}
	note := func(text string) *ill.ISOContext {
		return &ill.ISOContext{Kind: ill.ISONoteKind, What: "Notification", Note: text}
	}
	for _, c := range []struct {
		name      string
		st        *noteStore
		ch        requests.Change
		to, kind  string
		contains  string
		wantNotes int
	}{
		{"borrower's note to an ISO lender", speaks("PKU"), informChange("THU", note("请尽快寄出")),
			"PKU", "requestingAgencyMessage", "<action>Notification</action>", 0},
		{"lender's note to an ISO borrower", speaks("THU"), informChange("PKU", note("明天寄出")),
			"THU", "supplyingAgencyMessage", "<reasonForMessage>Notification</reasonForMessage>", 0},
		{"note to a JSON member", speaks(), informChange("THU", note("x")), "", "", "", 0},
		{"an ISO borrower's Notification", speaks("THU"), informChange("THU",
			&ill.ISOContext{Kind: "requestingAgencyMessage", What: "Notification", Note: "patron asks"}), "", "", "", 1},
		{"an ISO lender's Notification", speaks("PKU"), informChange("PKU",
			&ill.ISOContext{Kind: "supplyingAgencyMessage", What: "Notification/WillSupply", Note: "shipping Monday"}), "", "", "", 1},
		{"a StatusRequest", speaks("THU"), informChange("THU",
			&ill.ISOContext{Kind: "requestingAgencyMessage", What: "StatusRequest", Note: "where is it?"}), "", "", "", 0},
		{"an empty Notification", speaks("THU"), informChange("THU",
			&ill.ISOContext{Kind: "requestingAgencyMessage", What: "Notification"}), "", "", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := (isoout.Notes{}).Write(context.Background(), c.st, []requests.Change{c.ch}); err != nil {
				t.Fatal(err)
			}
			if c.to == "" {
				if len(c.st.iso) != 0 {
					t.Fatalf("sent %+v", c.st.iso)
				}
			} else {
				if len(c.st.iso) != 1 || c.st.iso[0].LibraryCode != c.to || c.st.iso[0].Kind != c.kind ||
					!strings.Contains(c.st.iso[0].Body, c.contains) || !strings.Contains(c.st.iso[0].Body, c.ch.Cause.ISO.Note) {
					t.Fatalf("sent %+v", c.st.iso)
				}
				if len(c.st.outbox) != 1 || c.st.outbox[0].Type != ill.MsgISO {
					t.Fatalf("outbox %+v", c.st.outbox)
				}
			}
			if len(c.st.notes) != c.wantNotes {
				t.Fatalf("notes %+v, want %d", c.st.notes, c.wantNotes)
			}
			if c.wantNotes == 1 {
				n := c.st.notes[0]
				other := "PKU"
				if c.ch.Cause.Actor == "PKU" {
					other = "THU"
				}
				if n.Library != c.ch.Cause.Actor || n.To != other || n.Via != ill.NoteViaISO || n.Text != c.ch.Cause.ISO.Note {
					t.Fatalf("note %+v", n)
				}
			}
		})
	}
}
