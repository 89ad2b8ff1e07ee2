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

// HandleShipment is the courier pool's handler (kept under its old name
// for the wiring in package service): see HandleCourier (courier.go).
func (p *Processor) HandleShipment(ctx context.Context, d rabbitmq.Delivery) error {
	return p.HandleCourier(ctx, d)
}
