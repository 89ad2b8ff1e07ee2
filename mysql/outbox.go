package mysql

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
)

// OutboxRow is one follow-on message waiting to be relayed.
type OutboxRow struct {
	ID         int64  `db:"id"`
	MessageID  string `db:"message_id"`
	RoutingKey string `db:"routing_key"`
	Body       []byte `db:"body"`
}

// claimOutboxSQL takes up to N unpublished rows. FOR UPDATE SKIP LOCKED lets
// every consumers process run a relay: each claims a disjoint batch, and a
// row stays claimed until the claiming transaction ends.
const claimOutboxSQL = `SELECT id, message_id, routing_key, body FROM outbox
WHERE published_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`

// RelayOutbox claims a batch of unpublished outbox rows, hands them to
// publish (which must return only after the broker confirmed each one it
// reports as sent) and marks the confirmed ones published, all in one
// transaction. It returns how many rows were published.
func (s *Store) RelayOutbox(ctx context.Context, limit int, publish func([]OutboxRow) (sent []int64, err error)) (int, error) {
	n := 0
	err := s.InTx(ctx, func(t *Tx) error {
		n = 0
		var rows []OutboxRow
		if err := t.tx.SelectContext(ctx, &rows, claimOutboxSQL, limit); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		sent, perr := publish(rows)
		if len(sent) > 0 {
			// One statement for the batch; the rows are ours (claimed above).
			q, args, err := sqlx.In(`UPDATE outbox SET published_at = ?, attempts = attempts + 1 WHERE id IN (?)`,
				time.Now().UTC(), sent)
			if err != nil {
				return err
			}
			if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		n = len(sent)
		if perr != nil && n == 0 {
			return perr
		}
		return nil
	})
	return n, err
}

// PurgeOutbox deletes rows published before cutoff.
func (s *Store) PurgeOutbox(ctx context.Context, before time.Time) (int64, error) {
	r, err := s.DB.ExecContext(ctx, `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ? LIMIT 10000`, before.UTC())
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// PurgeInbox deletes inbox rows older than before (at most 10,000 a call).
// Keep them longer than any message can stay in a queue or dead-letter
// queue: a redelivery older than that would be applied again.
func (s *Store) PurgeInbox(ctx context.Context, before time.Time) (int64, error) {
	r, err := s.DB.ExecContext(ctx, `DELETE FROM inbox WHERE processed_at < ? LIMIT 10000`, before.UTC())
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// OldestOutboxAge is how long the oldest unrelayed outbox row has waited.
func (s *Store) OldestOutboxAge(ctx context.Context) (time.Duration, error) {
	var oldest sql.NullTime
	if err := s.DB.GetContext(ctx, &oldest, `SELECT MIN(created_at) FROM outbox WHERE published_at IS NULL`); err != nil || !oldest.Valid {
		return 0, err
	}
	return max(time.Since(oldest.Time), 0), nil
}

// PendingOutbox counts rows not yet relayed (readiness detail, metrics).
func (s *Store) PendingOutbox(ctx context.Context) (int, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`)
	return n, err
}
