package isoout_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/balis/illhub/consumers/isoout"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// A sweep's batch reads who speaks ISO 18626 once and reads in full only
// the requests of members that do.
func TestSubscriberBatch(t *testing.T) {
	st := newFakeStore()
	st.members["THU"] = &ill.ISOMember{Code: "THU", Symbol: "ISIL:THU", Endpoint: "http://thu.example/iso"}
	cs := []requests.Change{overdueChange("ILL-1", "P1"), overdueChange("ILL-2", "P2")}
	cs[1].Request.Borrower = "RUC" // not an ISO member
	full := *cs[0].Request
	full.State, full.ClientRequestID = ill.Overdue, "c-1"
	st.requests["ILL-1"] = &full
	// Already overdue: the next step's notices only, nothing to tell.
	again := overdueChange("ILL-3", "P3")
	again.Transition = ill.Transition{From: ill.Overdue, To: ill.Overdue, Notices: again.Transition.Notices}
	cs = append(cs, again)
	if err := (isoout.Subscriber{}).Write(context.Background(), st, cs); err != nil {
		t.Fatal(err)
	}
	if st.calls["ISOSpeakers"] != 1 || st.calls["LockRequest"] != 1 {
		t.Errorf("calls %v, want one ISOSpeakers and one LockRequest", st.calls)
	}
	if len(st.iso) != 1 || st.iso[0].LibraryCode != "THU" || st.iso[0].Summary != "StatusChange/Overdue" {
		t.Fatalf("messages %+v", st.iso)
	}
	if !strings.Contains(st.iso[0].Body, "<requestingAgencyRequestId>c-1</requestingAgencyRequestId>") {
		t.Errorf("the message is not written from the request read in full: %s", st.iso[0].Body)
	}
	if len(st.outbox) != 1 || st.outbox[0].Type != ill.MsgISO {
		t.Errorf("outbox %+v", st.outbox)
	}
}

// An ISO message that meets the request before the state it needs is
// retried (the transaction rolls back, the handler pauses) for its first
// deliveries, then refused and answered.
func TestSubscriberAheadIsRetriedThenAnswered(t *testing.T) {
	r := &ill.Request{ID: "ILL-1", ClientRequestID: "c-1", Borrower: "THU", Lender: "PKU", State: ill.Requested}
	err := &ill.Error{Code: ill.CodeInvalidTransition, State: ill.Requested, Message: "cannot ship a request in state REQUESTED"}
	at := ill.Attempt{Action: ill.ActShip, From: ill.Requested, Actor: "PKU"}
	for _, c := range []struct {
		attempt int
		retried bool
	}{{1, true}, {2, true}, {3, false}} {
		st := newFakeStore()
		st.members["PKU"] = &ill.ISOMember{Code: "PKU", Endpoint: "http://pku.example/iso"}
		m := ill.Message{ID: "m1", Actor: "PKU", Action: ill.ActShip, Attempt: c.attempt,
			ISO: &ill.ISOContext{Kind: "supplyingAgencyMessage", What: "StatusChange/Loaned"}}
		got := (isoout.Subscriber{}).Write(context.Background(), st, []requests.Change{{Cause: m, Request: r, Transition: ill.Refuse(at, err)}})
		var rl requests.RetryLater
		if errors.As(got, &rl) != c.retried {
			t.Errorf("attempt %d: %v, retried want %v", c.attempt, got, c.retried)
		}
		if c.retried {
			if ill.ErrorCode(got) != ill.CodeTransient || len(st.iso) != 0 {
				t.Errorf("attempt %d: %v, %d messages", c.attempt, got, len(st.iso))
			}
			continue
		}
		if got != nil || len(st.iso) != 1 || st.iso[0].LibraryCode != "PKU" || st.iso[0].Summary != "Notification" {
			t.Errorf("attempt %d: %v, messages %+v", c.attempt, got, st.iso)
		}
	}
}

// The second hub action of one ISO step follows a change the ISO message
// caused, not a refusal.
func TestSubscriberThen(t *testing.T) {
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", State: ill.Received}
	m := ill.Message{ID: "m1", Actor: "THU", At: subNow,
		ISO: &ill.ISOContext{Kind: "requestingAgencyMessage", What: "Received", Then: ill.ActCheckout}}
	st := newFakeStore()
	moved := ill.Transition{Rule: ill.Rule{Action: ill.ActReceive}, From: ill.Shipped, To: ill.Received,
		Events: []ill.DomainEvent{ill.StateChanged{Action: ill.ActReceive, From: ill.Shipped, To: ill.Received}}}
	if err := (isoout.Subscriber{}).Write(context.Background(), st, []requests.Change{{Cause: m, Request: r, Transition: moved}}); err != nil {
		t.Fatal(err)
	}
	if len(st.outbox) != 1 || st.outbox[0].ID != "m1:then" || st.outbox[0].Action != ill.ActCheckout || st.outbox[0].Actor != "THU" {
		t.Errorf("then: %+v", st.outbox)
	}
	st = newFakeStore()
	refused := ill.Refuse(ill.Attempt{Action: ill.ActReceive, From: ill.Received, Actor: "THU"}, errors.New("no"))
	if err := (isoout.Subscriber{}).Write(context.Background(), st, []requests.Change{{Cause: m, Request: r, Transition: refused}}); err != nil {
		t.Fatal(err)
	}
	if len(st.outbox) != 0 {
		t.Errorf("then after a refusal: %+v", st.outbox)
	}
}
