package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Notice delivery statuses (notices.status).
const (
	NoticePending       = "pending"        // not yet delivered on every channel; will be retried
	NoticeSent          = "sent"           // delivered on every configured channel
	NoticeNotConfigured = "not_configured" // no channel configured: stored for staff, not delivered
	NoticeFailed        = "failed"         // gave up after ILL_NOTICE_ATTEMPTS (or a permanent error)
)

// StoredNotice is a notices row as the notifier reads it.
type StoredNotice struct {
	ID           int64        `db:"id"`
	RequestID    string       `db:"request_id"`
	Kind         string       `db:"kind"`
	Step         int          `db:"step"`
	Library      string       `db:"library_code"`
	PatronID     string       `db:"patron_id"`
	Recipient    string       `db:"recipient"`
	Locale       string       `db:"locale"`
	Subject      string       `db:"subject"`
	Body         string       `db:"body"`
	Status       string       `db:"status"`
	Attempts     int          `db:"attempts"`
	DeliveredVia string       `db:"delivered_via"` // comma-separated channels that delivered it
	LastError    string       `db:"last_error"`
	CreatedAt    time.Time    `db:"created_at"`
	SentAt       sql.NullTime `db:"sent_at"`
}

const noticeColumns = `id, request_id, kind, step, library_code, patron_id, recipient, locale, subject, body,
	status, attempts, delivered_via, last_error, created_at, sent_at`

// LockNotice reads a notice and locks its row until the transaction ends.
func (t *Tx) LockNotice(ctx context.Context, id int64) (*StoredNotice, error) {
	var n StoredNotice
	err := t.tx.GetContext(ctx, &n, `SELECT `+noticeColumns+` FROM notices WHERE id = ? FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("notice", fmt.Sprint(id))
	}
	return &n, err
}

// ClaimNotice is MarkProcessed followed by LockNotice, in one round trip:
// first is false for a message seen before.
func (t *Tx) ClaimNotice(ctx context.Context, handler, messageID string, at time.Time, id int64) (first bool, n *StoredNotice, err error) {
	var row struct {
		First int64 `db:"first_time"`
		StoredNotice
	}
	err = t.claimRow(ctx, handler, messageID, at, &row, noticeColumns+` FROM notices WHERE id = ? FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil, notFound("notice", fmt.Sprint(id))
	}
	if err != nil {
		return false, nil, err
	}
	return row.First == 1, &row.StoredNotice, nil
}

// Notice reads one notice (staff views, tests).
func (s *Store) Notice(ctx context.Context, id int64) (*StoredNotice, error) {
	var n StoredNotice
	err := s.DB.GetContext(ctx, &n, `SELECT `+noticeColumns+` FROM notices WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("notice", fmt.Sprint(id))
	}
	return &n, err
}

// NoticeOutcome is the result of one delivery round of a notice.
type NoticeOutcome struct {
	Status       string // one of the Notice* statuses
	Attempted    bool   // a delivery was tried: attempts is incremented
	DeliveredVia string // channels delivered so far (replaces the stored list)
	LastError    string // "" clears it
}

// RecordNoticeOutcome stores a delivery round's outcome; sent_at is set
// when the status is sent.
func (t *Tx) RecordNoticeOutcome(ctx context.Context, id int64, o NoticeOutcome, at time.Time) error {
	var sent sql.NullTime
	if o.Status == NoticeSent {
		sent = nullTime(at)
	}
	inc := 0
	if o.Attempted {
		inc = 1
	}
	if len(o.LastError) > 400 {
		o.LastError = truncateUTF8(o.LastError, 400)
	}
	t.tx.later(`UPDATE notices SET status = ?, attempts = attempts + ?, delivered_via = ?,
		last_error = ?, sent_at = COALESCE(?, sent_at) WHERE id = ?`, o.Status, inc, o.DeliveredVia, o.LastError, sent, id)
	return nil // queued: sent with the COMMIT (txConn)
}

// truncateUTF8 cuts s to at most n characters.
func truncateUTF8(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
