// Package holdings is the holdings pool: it applies the holdings batches
// libraries post (POST /v1/holdings) to the union catalogue's holdings.
package holdings

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/balis/illhub/consumers"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// Pool applies holdings batches. Its fields are read-only after
// construction.
type Pool struct {
	Store *mysql.Store
	Log   *slog.Logger
}

// Handle applies one library's holdings batch, once (the inbox, handler
// "holdings").
func (p *Pool) Handle(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := consumers.Decode(d)
	if err != nil {
		return err
	}
	var b ill.HoldingsBatch
	if err := json.Unmarshal(m.Body, &b); err != nil {
		return ill.Errorf(ill.CodeBadRequest, "holdings body: %v", err)
	}
	return consumers.Once(ctx, p.Store, "holdings", m, func(tx *mysql.Tx) error {
		res, err := tx.ApplyHoldings(ctx, m.Actor, b, m.At)
		if err != nil {
			return err
		}
		p.Log.Info("holdings batch applied", "library", m.Actor, "message_id", m.ID,
			"upserted", res.Upserted, "deleted", res.Deleted, "rejected", res.Rejected)
		return nil
	})
}
