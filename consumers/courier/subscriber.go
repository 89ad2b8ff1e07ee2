// Package courier is the courier side of a loan: the subscriber that turns
// a transition into shipments and return-check facts, and the courier pool
// that puts shipments on courier runs, applies the courier's scans and
// settles returns (R11 violations from the lender's policy; never a
// courier fee, R10). The scheduler's courier jobs (package sched) raise
// the exceptions of late shipments through RaiseException.
package courier

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Subscriber is the subscriber that tells the courier side what a
// transition means for the item: it creates the ordered shipment and
// queues its dispatch to a courier run (shipment.created, handled by
// Pool), marks a shipment arrived when the receiving library has the item,
// and records the facts of the return check (R11): the borrower's return
// and inspection, the lender's check-in or a loss, which queue the check
// (return.check, handled by Pool).
type Subscriber struct{}

// Store is what the subscriber writes through (*mysql.Tx, in the
// transaction of the transition).
type Store interface {
	AddShipment(ctx context.Context, s ill.Shipment) (int64, error)
	ShipmentArrived(ctx context.Context, requestID string, direction ill.Direction, at time.Time) error
	RecordReturn(ctx context.Context, rc ill.ReturnCheck) error
	RecordCheckin(ctx context.Context, rc ill.ReturnCheck) error
	RecordLost(ctx context.Context, rc ill.ReturnCheck) error
	Enqueue(ctx context.Context, m ill.Message) error
}

var _ Store = (*mysql.Tx)(nil)

// Handle carries out the courier effects of cs in tx (Write).
func (s Subscriber) Handle(ctx context.Context, tx *mysql.Tx, cs []requests.Change) error {
	return s.Write(ctx, tx, cs)
}

// Write carries out the courier effects of cs through st.
func (Subscriber) Write(ctx context.Context, st Store, cs []requests.Change) error {
	for _, c := range cs {
		r, at := c.Request, c.Cause.At
		if s := c.Transition.Shipment; s != nil {
			if err := addShipment(ctx, st, r, at, s); err != nil {
				return err
			}
		}
		for _, e := range c.Transition.Events {
			var err error
			switch e := e.(type) {
			case ill.ItemArrived:
				// A book in the library's hands is not a courier
				// exception, whatever the courier has scanned.
				err = st.ShipmentArrived(ctx, r.ID, e.Direction, at)
			case ill.ItemReturned:
				err = st.RecordReturn(ctx, ill.ReturnCheck{RequestID: r.ID, Borrower: r.Borrower, Lender: r.Lender,
					ItemBarcode: r.ItemBarcode, ScannedBarcode: e.Barcode, DueAt: r.DueAt,
					ReturnedAt: at, ReturnCondition: e.Condition})
			case ill.ItemCheckedIn:
				err = st.RecordCheckin(ctx, ill.ReturnCheck{RequestID: r.ID, Borrower: r.Borrower, Lender: r.Lender,
					ItemBarcode: r.ItemBarcode, DueAt: r.DueAt, CheckinCondition: e.Condition,
					CheckedInAt: at})
				if err == nil {
					err = returnCheck(ctx, st, r.ID, at)
				}
			case ill.ItemLost:
				if r.Lender == "" {
					continue // never lent: no loss fee to settle
				}
				err = st.RecordLost(ctx, ill.ReturnCheck{RequestID: r.ID, Borrower: r.Borrower, Lender: r.Lender,
					ItemBarcode: r.ItemBarcode, DueAt: r.DueAt})
				if err == nil {
					err = returnCheck(ctx, st, r.ID, at) // charges the lender's loss fee
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// addShipment creates the request's courier shipment and queues its
// dispatch to a courier run.
func addShipment(ctx context.Context, st Store, r *ill.Request, at time.Time, s *ill.ShipmentOrder) error {
	id, err := st.AddShipment(ctx, ill.Shipment{RequestID: r.ID, Direction: s.Direction,
		ItemBarcode: r.ItemBarcode, From: s.From, To: s.To, RouteCode: s.From + "-" + s.To, CreatedAt: at})
	if err != nil {
		return err
	}
	ref, _ := json.Marshal(ill.ShipmentRef{ShipmentID: id, From: s.From, To: s.To, CreatedAt: at.UTC()})
	return st.Enqueue(ctx, ill.Message{ID: "shipment:" + strconv.FormatInt(id, 10), Type: ill.MsgShipment,
		Actor: ill.SystemActor, RequestID: r.ID, At: at, Body: ref})
}

// returnCheck queues the loan's return check (one per request).
func returnCheck(ctx context.Context, st Store, requestID string, at time.Time) error {
	return st.Enqueue(ctx, ill.Message{ID: "return-check:" + requestID, Type: ill.MsgReturnCheck,
		Actor: ill.SystemActor, RequestID: requestID, At: at})
}
