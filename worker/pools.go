package worker

import (
	"context"
	"encoding/json"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/rabbitmq"
)

// HandleHoldings applies a library's holdings batch (POST /v1/holdings).
func (p *Processor) HandleHoldings(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := decode(d)
	if err != nil {
		return err
	}
	var b ill.HoldingsBatch
	if err := json.Unmarshal(m.Body, &b); err != nil {
		return ill.Errorf(ill.CodeBadRequest, "holdings body: %v", err)
	}
	return p.begin(ctx, m, "holdings", func(t *txn) error {
		res, err := t.tx.ApplyHoldings(ctx, m.Actor, b, m.At)
		if err != nil {
			return err
		}
		p.Log.Info("holdings batch applied", "library", m.Actor, "message_id", m.ID,
			"upserted", res.Upserted, "deleted", res.Deleted, "rejected", res.Rejected)
		return nil
	})
}

// HandleShipment assigns a new shipment to its courier run: the first run
// at or after its creation that is a working day for both ends and before
// the sending library's daily cut-off.
func (p *Processor) HandleShipment(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := decode(d)
	if err != nil {
		return err
	}
	var ref struct {
		ShipmentID int64 `json:"shipment_id"`
	}
	if err := json.Unmarshal(m.Body, &ref); err != nil || ref.ShipmentID == 0 {
		return ill.Errorf(ill.CodeBadRequest, "shipment message lacks shipment_id")
	}
	return p.begin(ctx, m, "courier", func(t *txn) error {
		s, err := t.tx.ShipmentByID(ctx, ref.ShipmentID)
		if err != nil {
			return err
		}
		from, err := t.tx.Library(ctx, s.From)
		if err != nil {
			return err
		}
		fromSched, err := t.schedule(s.From)
		if err != nil {
			return err
		}
		toSched, err := t.schedule(s.To)
		if err != nil {
			return err
		}
		day := ill.CourierRunDay(s.CreatedAt, from.CourierCutoff, fromSched, toSched)
		_, err = t.tx.AssignShipmentRun(ctx, s.ID, day)
		return err
	})
}
