package demo

import (
	"context"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// CourierKey is the demo courier credential (POST /v1/courier/scans), like
// the libraries' demo keys a development key only the demo loader creates.
var CourierKey = ill.DemoKey("COURIER")

// upsertCourierKey stores the demo courier credential's hash.
func upsertCourierKey(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO courier_keys (key_hash, label) VALUES (?, 'demo courier key')
		ON DUPLICATE KEY UPDATE revoked_at = NULL`, ill.HashKey(CourierKey))
	return err
}
