package mysql

// Notices to readers and libraries (table notices): stored once per
// (request, kind, step) in the transaction that causes them, then
// delivered by the notices consumer. The scheduler's batch insert of many
// notices is AddNotices (sched.go).

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

// Notice is a message to a reader or library.
type Notice struct {
	ID        int64
	RequestID string
	Kind      string
	Step      int
	Library   string
	PatronID  string
	Recipient string
	Locale    string
	Subject   string
	Body      string
	At        time.Time
}

// addNoticeSQL stores a pending notice unless one exists for its
// (request, kind, step) (uq_notice). Locks: the new row until commit; on a
// duplicate, a shared lock on the existing row.
const addNoticeSQL = `INSERT IGNORE INTO notices (request_id, kind, step, library_code,
	patron_id, recipient, locale, subject, body, status, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`

// AddNotice stores a notice once per (request, kind, step). It returns the
// new id and true, or 0 and false when that notice already exists.
func (t *Tx) AddNotice(ctx context.Context, n Notice) (int64, bool, error) {
	res, err := t.tx.ExecContext(ctx, addNoticeSQL, n.RequestID, n.Kind, n.Step, n.Library, n.PatronID,
		n.Recipient, n.Locale, n.Subject, n.Body, n.At.UTC())
	if err != nil {
		return 0, false, err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return 0, false, nil
	}
	id, err := res.LastInsertId()
	return id, true, err
}

// setNoticeStatusSQL records one delivery attempt of a notice. Locks: the
// notice row until commit.
const setNoticeStatusSQL = `UPDATE notices SET status = ?, attempts = attempts + 1, sent_at = ? WHERE id = ?`

// SetNoticeStatus records a delivery attempt's outcome.
func (t *Tx) SetNoticeStatus(ctx context.Context, id int64, status string, at time.Time) error {
	var sent sql.NullTime
	if status == "sent" {
		sent = nullTime(at)
	}
	_, err := t.tx.ExecContext(ctx, setNoticeStatusSQL, status, sent, id)
	return err
}

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

// noticeColumns is the notices row as StoredNotice scans it.
const noticeColumns = `id, request_id, kind, step, library_code, patron_id, recipient, locale, subject, body,
	status, attempts, delivered_via, last_error, created_at, sent_at`

// lockNoticeSQL reads a notice and locks its row until commit;
// lockNoticeRowSQL is the same read from its column list on, for
// claimRowSQL. Locks: the notice row (FOR UPDATE): one delivery of a
// notice at a time.
const (
	lockNoticeRowSQL = noticeColumns + ` FROM notices WHERE id = ? FOR UPDATE`
	lockNoticeSQL    = `SELECT ` + lockNoticeRowSQL
)

// LockNotice reads a notice and locks its row until the transaction ends.
func (t *Tx) LockNotice(ctx context.Context, id int64) (*StoredNotice, error) {
	var n StoredNotice
	err := t.tx.GetContext(ctx, &n, lockNoticeSQL, id)
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
	err = t.claimRow(ctx, handler, messageID, at, &row, lockNoticeRowSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil, notFound("notice", fmt.Sprint(id))
	}
	if err != nil {
		return false, nil, err
	}
	return row.First == 1, &row.StoredNotice, nil
}

// noticeSQL reads one notice. Locks: none.
const noticeSQL = `SELECT ` + noticeColumns + ` FROM notices WHERE id = ?`

// Notice reads one notice (staff views, tests).
func (s *Store) Notice(ctx context.Context, id int64) (*StoredNotice, error) {
	var n StoredNotice
	err := s.DB.GetContext(ctx, &n, noticeSQL, id)
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

// recordNoticeOutcomeSQL stores a delivery round's outcome. Locks: the
// notice row, already held (lockNoticeSQL).
const recordNoticeOutcomeSQL = `UPDATE notices SET status = ?, attempts = attempts + ?, delivered_via = ?,
	last_error = ?, sent_at = COALESCE(?, sent_at) WHERE id = ?`

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
		o.LastError = truncate(o.LastError, 400)
	}
	t.tx.later(recordNoticeOutcomeSQL, o.Status, inc, o.DeliveredVia, o.LastError, sent, id)
	return nil // queued: sent with the COMMIT (txConn)
}
