package app_test

import (
	"context"
	"fmt"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
)

// A member library submits a request for a catalogue record: it is
// validated, published (after the broker's confirm) and answered with the
// derived request id; the consumers route it. A repeat of a processed
// client_request_id publishes nothing and names the request already there.
func ExampleService_Submit() {
	st, pub := &memstore.Store{}, &memstore.Publisher{}
	uses := app.New(app.Config{Store: st, Publisher: pub})
	thu := ill.Principal{Library: "THU"}

	res, err := uses.Submit(context.Background(), thu, ill.SubmitBody{
		ClientRequestID: "thu-2026-0001", Patron: ill.Patron{ID: "２０２６００１"}, RecordID: "42"})
	fmt.Println(res.RequestID == ill.RequestID("THU", "thu-2026-0001"), res.State, err)
	m := pub.Messages()[0]
	fmt.Println(m.Type, m.ID == ill.SubmitMessageID(res.RequestID))

	// Once the consumers have stored it, a retry is a duplicate.
	st.PutRequest(ill.Request{ID: res.RequestID, Borrower: "THU", ClientRequestID: "thu-2026-0001", State: ill.Requested})
	again, _ := uses.Submit(context.Background(), thu, ill.SubmitBody{
		ClientRequestID: "thu-2026-0001", Patron: ill.Patron{ID: "2026001"}, RecordID: "42"})
	fmt.Println(again.Duplicate, again.State, len(pub.Messages()))

	// The centre does not borrow.
	_, err = uses.Submit(context.Background(), ill.Principal{Library: ill.CentreCode, Centre: true}, ill.SubmitBody{})
	fmt.Println(ill.ErrorCode(err))
	// Output:
	// true SUBMITTED <nil>
	// request.submit true
	// true REQUESTED 1
	// forbidden
}

// A courier's scan is matched to the shipment its barcode moves; a
// barcode no shipment carries is refused and put on the staff review list.
func ExampleService_Scan() {
	st, pub := &memstore.Store{}, &memstore.Publisher{}
	st.PutShipment(ill.Shipment{ID: 7, RequestID: "ILL-1", ItemBarcode: "PKU-0042", From: "PKU", To: "THU",
		RouteCode: "PKU-THU", Status: ill.ShipAwaitingPickup})
	uses := app.New(app.Config{Store: st, Publisher: pub})

	res, err := uses.Scan(context.Background(), ill.CourierScanBody{Barcode: "PKU-0042", Event: ill.ScanPickedUp, Stop: "PKU"}, "")
	fmt.Println(res.Shipment.ID, res.Shipment.RouteCode, err)

	_, err = uses.Scan(context.Background(), ill.CourierScanBody{Barcode: "PKU-9999", Event: ill.ScanPickedUp}, "")
	fmt.Println(ill.ErrorCode(err), st.Reviews()[0].Barcode)
	// Output:
	// 7 PKU-THU <nil>
	// unknown_barcode PKU-9999
}
