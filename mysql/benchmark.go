package mysql

// The load tool's database-only ceiling: one consumer-shaped transaction
// on scratch tables, to measure what the database alone can sustain.

import (
	"context"
	"time"
)

// Ceiling statements (internal/loadtest.DBCeiling): the bare shape of a
// consumer's state change, on the load tool's scratch tables (inbox,
// requests, events, outbox of its own throwaway database). Locks, as a
// consumer's: the new inbox, event and outbox rows and the request row
// (FOR UPDATE), all until commit.
const (
	ceilingInboxSQL  = `INSERT INTO inbox (message_id, processed_at) VALUES (?, ?)`
	ceilingLockSQL   = `SELECT state FROM requests WHERE id = ? FOR UPDATE` // the row lock, until commit
	ceilingUpdateSQL = `UPDATE requests SET state = ?, updated_at = ? WHERE id = ?`
	ceilingEventSQL  = `INSERT INTO events (request_id, at, action, note) VALUES (?, ?, 'respond', 'ceiling')`
	ceilingOutboxSQL = `INSERT INTO outbox (message_id, body) VALUES (?, '{"kind":"notice"}')`
)

// CeilingTx runs one transaction of the database-only ceiling through the
// consumers' own transaction path (InTx, txConn): the inbox row and the
// transaction's start travel with the row lock's SELECT, the update, event
// and outbox rows with the COMMIT, two round trips in all, as a consumer's
// action does. For the load tool only; s must be opened on its scratch
// database.
func (s *Store) CeilingTx(ctx context.Context, messageID string, row int) error {
	return s.InTx(ctx, func(t *Tx) error {
		now := time.Now().UTC()
		t.tx.later(ceilingInboxSQL, messageID, now)
		var state string
		if err := t.tx.GetContext(ctx, &state, ceilingLockSQL, row); err != nil {
			return err
		}
		t.tx.later(ceilingUpdateSQL, "WILL_SUPPLY", now, row)
		t.tx.later(ceilingEventSQL, row, now)
		t.tx.later(ceilingOutboxSQL, messageID)
		return nil
	})
}
