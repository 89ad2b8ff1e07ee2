package mysql

// The inbox: one row per (message, handler) applied, written in the
// transaction that applies the message, so a redelivery is recognised and
// does nothing.

import (
	"context"
	"time"
)

// inboxSQL records a message as applied by a handler (0 rows: seen
// before). Locks: the new inbox row until commit; on a duplicate, a shared
// lock on the existing row, so a concurrent redelivery of the same message
// waits for the first transaction to end and then finds it applied.
const inboxSQL = `INSERT IGNORE INTO inbox (message_id, handler, processed_at) VALUES (?, ?, ?)`

// MarkProcessed records that handler applied message id. It returns false
// when the message was applied before (a redelivery): the caller must then
// do nothing else and let the transaction commit (or roll back) harmlessly.
func (t *Tx) MarkProcessed(ctx context.Context, handler, id string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, inboxSQL, id, handler, at.UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecordApplied records, queued with the transaction's next statement or
// its commit, that handler applied message id, for a message whose effects
// leave no other record that ClaimRequest looks for (a transition without
// timeline lines). The caller holds the row lock of what the message is
// about, so no concurrent delivery of it can be writing the same row.
func (t *Tx) RecordApplied(handler, id string, at time.Time) {
	t.tx.later(inboxSQL, id, handler, at.UTC())
}

// purgeInboxSQL deletes up to 10,000 rows applied before a time. Locks:
// the rows it scans, for the statement only (autocommit); processed_at has
// no index, so it walks the primary key.
const purgeInboxSQL = `DELETE FROM inbox WHERE processed_at < ? LIMIT 10000`

// PurgeInbox deletes inbox rows older than before (at most 10,000 a call).
// Keep them longer than any message can stay in a queue or dead-letter
// queue: a redelivery older than that would be applied again.
func (s *Store) PurgeInbox(ctx context.Context, before time.Time) (int64, error) {
	r, err := s.DB.ExecContext(ctx, purgeInboxSQL, before.UTC())
	if err != nil {
		return 0, classify(err)
	}
	n, err := r.RowsAffected()
	return n, classify(err)
}
