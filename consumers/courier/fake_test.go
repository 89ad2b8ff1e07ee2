package courier_test

import (
	"context"
	"time"

	"github.com/balis/illhub/consumers/courier"
	"github.com/balis/illhub/ill"
)

// fakeStore is an in-memory stand-in for the transaction the subscriber
// writes through: it records what is written.
type fakeStore struct {
	shipments []ill.Shipment
	arrived   []string // request/direction
	returns   []string // the return-check facts, in words
	outbox    []ill.Message
}

var _ courier.Store = (*fakeStore)(nil)

func (f *fakeStore) AddShipment(_ context.Context, s ill.Shipment) (int64, error) {
	f.shipments = append(f.shipments, s)
	return int64(len(f.shipments)), nil
}

func (f *fakeStore) ShipmentArrived(_ context.Context, requestID string, direction ill.Direction, _ time.Time) error {
	f.arrived = append(f.arrived, requestID+"/"+string(direction))
	return nil
}

func (f *fakeStore) RecordReturn(_ context.Context, rc ill.ReturnCheck) error {
	f.returns = append(f.returns, "return "+rc.ReturnCondition+" "+rc.ScannedBarcode)
	return nil
}

func (f *fakeStore) RecordCheckin(_ context.Context, rc ill.ReturnCheck) error {
	f.returns = append(f.returns, "checkin "+rc.CheckinCondition)
	return nil
}

func (f *fakeStore) RecordLost(_ context.Context, rc ill.ReturnCheck) error {
	f.returns = append(f.returns, "lost "+rc.Lender)
	return nil
}

func (f *fakeStore) Enqueue(_ context.Context, m ill.Message) error {
	f.outbox = append(f.outbox, m)
	return nil
}
