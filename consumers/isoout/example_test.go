package isoout_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/consumers/isoout"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// THU borrows through its own ISO 18626 system; PKU, on the JSON API,
// ships the book. The subscriber tells THU with a supplyingAgencyMessage
// (StatusChange, Loaned, the barcode and the courier), stores it and
// queues its delivery (the iso pool posts it to THU's endpoint). PKU
// speaks no ISO 18626 and gets nothing.
func ExampleSubscriber_Write() {
	st := newFakeStore()
	st.members["THU"] = &ill.ISOMember{Code: "THU", Symbol: "ISIL:CN-THU", Endpoint: "https://ill.thu.example/iso18626"}
	at := time.Date(2026, 4, 3, 10, 0, 0, 0, ill.Shanghai)
	r := &ill.Request{ID: "ILL-1", ClientRequestID: "thu-42", Borrower: "THU", Lender: "PKU", ItemBarcode: "PKU-0001",
		State: ill.Shipped, UpdatedAt: at}
	shipped := requests.Change{Cause: ill.Message{ID: "m1", Actor: "PKU", At: at}, Request: r,
		Transition: ill.Transition{From: ill.WillSupply, To: ill.Shipped,
			Events: []ill.DomainEvent{ill.StateChanged{Action: ill.ActShip, From: ill.WillSupply, To: ill.Shipped}}}}

	if err := (isoout.Subscriber{HubSymbol: "BALIS"}).Write(context.Background(), st, []requests.Change{shipped}); err != nil {
		fmt.Println(err)
	}
	for _, m := range st.iso {
		fmt.Println(m.LibraryCode, m.Kind, m.Summary, m.Status)
		_, delivery, _ := strings.Cut(m.Body, "<deliveryInfo>")
		delivery, _, _ = strings.Cut(delivery, "</deliveryInfo>")
		fmt.Println(delivery)
	}
	for _, m := range st.outbox {
		fmt.Println(m.Type, m.ID)
	}
	// Output:
	// THU supplyingAgencyMessage StatusChange/Loaned pending
	// <dateSent>2026-04-03T10:00:00+08:00</dateSent><itemId>PKU-0001</itemId><sentVia>Courier</sentVia>
	// iso.outbound iso:1
}
