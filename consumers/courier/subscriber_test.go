package courier_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/balis/illhub/consumers/courier"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

var subNow = time.Date(2026, 4, 3, 0, 10, 0, 0, ill.Shanghai)

func TestSubscriber(t *testing.T) {
	due := time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", ItemBarcode: "B1", DueAt: due}
	st := &fakeStore{}
	changes := []ill.Transition{
		{Shipment: &ill.ShipmentOrder{Direction: ill.DirForward, From: "PKU", To: "THU"}},
		{Events: []ill.DomainEvent{ill.StateChanged{}, ill.ItemArrived{Direction: ill.DirForward}}},
		{Events: []ill.DomainEvent{ill.ItemReturned{Condition: "good", Barcode: "B1"}}},
		{Events: []ill.DomainEvent{ill.ItemArrived{Direction: ill.DirReturn}, ill.ItemCheckedIn{Condition: "damaged"}}},
	}
	for _, tr := range changes {
		if err := (courier.Subscriber{}).Write(context.Background(), st, []requests.Change{{Cause: ill.Message{At: subNow}, Request: r, Transition: tr}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(st.shipments) != 1 || st.shipments[0].RouteCode != "PKU-THU" || st.shipments[0].ItemBarcode != "B1" || st.shipments[0].Direction != "forward" {
		t.Errorf("shipments %+v", st.shipments)
	}
	if !slices.Equal(st.arrived, []string{"ILL-1/forward", "ILL-1/return"}) {
		t.Errorf("arrived %v", st.arrived)
	}
	if !slices.Equal(st.returns, []string{"return good B1", "checkin damaged"}) {
		t.Errorf("return facts %v", st.returns)
	}
	var ids []string
	for _, m := range st.outbox {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []string{"shipment:1", "return-check:ILL-1"}) {
		t.Errorf("queued %v", ids)
	}
	// A loss is settled only when there was a lender.
	st = &fakeStore{}
	lost := ill.Transition{Events: []ill.DomainEvent{ill.ItemLost{}}}
	never := &ill.Request{ID: "ILL-2", Borrower: "THU"}
	if err := (courier.Subscriber{}).Write(context.Background(), st, []requests.Change{{Request: never, Transition: lost}, {Request: r, Transition: lost}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.returns, []string{"lost PKU"}) || len(st.outbox) != 1 {
		t.Errorf("lost: %v, queued %v", st.returns, st.outbox)
	}
}
