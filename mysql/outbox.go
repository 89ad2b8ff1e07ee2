package mysql

// The outbox: follow-on messages written in the transaction that caused
// them and relayed to the broker after commit.

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// enqueueSQL adds one outbox row; a message id already there is ignored
// (uq_outbox_message). created_at is the server's clock, not the
// message's time: the relay's poll compares it with the server's clock
// (claimOutboxSQL), whatever the clocks of the writing hosts say.
// Locks: the new row until commit; on a duplicate, a shared lock on the
// existing row.
const enqueueSQL = `INSERT IGNORE INTO outbox (message_id, routing_key, body, created_at)
	VALUES (?, ?, ?, UTC_TIMESTAMP(3))`

// Enqueue writes a follow-on message to the outbox. After the commit the
// store hands the row to the process's relay (OnOutboxCommit), which
// publishes it at once; the relay's poll publishes it if that process
// dies first. A message id already in the outbox is ignored (idempotent).
func (t *Tx) Enqueue(ctx context.Context, m ill.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	t.tx.later(enqueueSQL, m.ID, m.Type, body) // queued, see txConn
	t.tx.outbox = append(t.tx.outbox, ill.OutboxRow{MessageID: m.ID, RoutingKey: m.Type, Body: body})
	return nil
}

// outboxRow is an outbox row as claimOutboxSQL scans it.
type outboxRow struct {
	ID         int64  `db:"id"`
	MessageID  string `db:"message_id"`
	RoutingKey string `db:"routing_key"`
	Body       []byte `db:"body"`
}

// claimOutboxSQL takes up to N unpublished rows created at least the
// given number of milliseconds ago (rows younger than that are still in
// the hands of the relay of the process that wrote them). FOR UPDATE SKIP
// LOCKED lets every consumers process run a relay: each claims a disjoint
// batch, and a row stays claimed until the claiming transaction ends.
const claimOutboxSQL = `SELECT id, message_id, routing_key, body FROM outbox
WHERE published_at IS NULL AND created_at <= UTC_TIMESTAMP(3) - INTERVAL ? * 1000 MICROSECOND
ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`

// markPublishedSQL marks the rows the broker confirmed (an IN list of ids,
// expanded by sqlx.In). Locks: none new; the rows are claimed already
// (claimOutboxSQL).
const markPublishedSQL = `UPDATE outbox SET published_at = ?, attempts = attempts + 1 WHERE id IN (?)`

// RelayOutbox claims a batch of unpublished outbox rows at least minAge
// old (0: all), hands them to publish (which must return only after the
// broker confirmed each one it reports as sent) and marks the confirmed
// ones published, all in one transaction. It returns how many rows were
// published.
func (s *Store) RelayOutbox(ctx context.Context, limit int, minAge time.Duration, publish func([]ill.OutboxRow) (sent []int64, err error)) (int, error) {
	n := 0
	err := s.InTx(ctx, func(t *Tx) error {
		n = 0
		var rows []outboxRow
		if err := t.tx.SelectContext(ctx, &rows, claimOutboxSQL, minAge.Milliseconds(), limit); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		batch := make([]ill.OutboxRow, len(rows))
		for i, r := range rows {
			batch[i] = ill.OutboxRow(r)
		}
		sent, perr := publish(batch)
		if len(sent) > 0 {
			// One statement for the batch; the rows are ours (claimed above).
			q, args, err := sqlx.In(markPublishedSQL, time.Now().UTC(), sent)
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

// markPublishedByIDSQL marks rows the relay published straight after
// their commit (an IN list of message ids, expanded by sqlx.In); a row
// the poll marked meanwhile is left as it is. Locks: the listed rows, for
// the statement only (autocommit); it waits for a poll that has them
// claimed.
const markPublishedByIDSQL = `UPDATE outbox SET published_at = UTC_TIMESTAMP(3), attempts = attempts + 1
WHERE message_id IN (?) AND published_at IS NULL`

// MarkPublished records that the broker confirmed the messages with these
// ids (rows handed over by OnOutboxCommit), in one statement.
func (s *Store) MarkPublished(ctx context.Context, messageIDs []string) error {
	if len(messageIDs) == 0 {
		return nil
	}
	q, args, err := sqlx.In(markPublishedByIDSQL, messageIDs)
	if err != nil {
		return err
	}
	_, err = s.DB.ExecContext(ctx, q, args...)
	return classify(err)
}

// purgeOutboxSQL deletes up to 10,000 rows published before a time.
// Locks: the range of ix_outbox_pending it deletes from, for the statement
// only (autocommit).
const purgeOutboxSQL = `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ? LIMIT 10000`

// PurgeOutbox deletes rows published before cutoff.
func (s *Store) PurgeOutbox(ctx context.Context, before time.Time) (int64, error) {
	r, err := s.DB.ExecContext(ctx, purgeOutboxSQL, before.UTC())
	if err != nil {
		return 0, classify(err)
	}
	n, err := r.RowsAffected()
	return n, classify(err)
}

// oldestPendingOutboxSQL reads the creation time of the oldest unpublished
// row. Locks: none (plain read).
const oldestPendingOutboxSQL = `SELECT MIN(created_at) FROM outbox WHERE published_at IS NULL`

// OldestOutboxAge is how long the oldest unrelayed outbox row has waited.
func (s *Store) OldestOutboxAge(ctx context.Context) (time.Duration, error) {
	var oldest sql.NullTime
	if err := s.DB.GetContext(ctx, &oldest, oldestPendingOutboxSQL); err != nil || !oldest.Valid {
		return 0, classify(err)
	}
	return max(time.Since(oldest.Time), 0), nil
}

// countPendingOutboxSQL counts unpublished rows. Locks: none (plain read).
const countPendingOutboxSQL = `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`

// PendingOutbox counts rows not yet relayed (readiness detail, metrics).
func (s *Store) PendingOutbox(ctx context.Context) (int, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, countPendingOutboxSQL)
	return n, classify(err)
}
