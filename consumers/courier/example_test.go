package courier_test

import (
	"context"
	"fmt"
	"time"

	"github.com/balis/illhub/consumers/courier"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// PKU ships a book to THU: the transition orders a forward shipment. The
// subscriber creates it, named by its route, and queues its dispatch to a
// courier run (the courier pool picks the run). When PKU checks the
// returned book in, the facts are recorded and the return check (R11) is
// queued.
func ExampleSubscriber_Write() {
	st := &fakeStore{}
	at := time.Date(2026, 4, 3, 10, 0, 0, 0, ill.Shanghai)
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", ItemBarcode: "PKU-0001", State: ill.Shipped}
	shipped := requests.Change{Cause: ill.Message{ID: "m1", Actor: "PKU", At: at}, Request: r,
		Transition: ill.Transition{Shipment: &ill.ShipmentOrder{Direction: ill.DirForward, From: "PKU", To: "THU"}}}
	checkedIn := requests.Change{Cause: ill.Message{ID: "m2", Actor: "PKU", At: at.AddDate(0, 1, 0)}, Request: r,
		Transition: ill.Transition{Events: []ill.DomainEvent{ill.ItemCheckedIn{Condition: "good"}}}}

	for _, c := range []requests.Change{shipped, checkedIn} {
		if err := (courier.Subscriber{}).Write(context.Background(), st, []requests.Change{c}); err != nil {
			fmt.Println(err)
		}
	}
	for _, s := range st.shipments {
		fmt.Println(s.Direction, s.RouteCode, s.ItemBarcode)
	}
	fmt.Println(st.returns)
	for _, m := range st.outbox {
		fmt.Println(m.Type, m.ID)
	}
	// Output:
	// forward PKU-THU PKU-0001
	// [checkin good]
	// shipment.created shipment:1
	// return.check return-check:ILL-1
}
