package mysql

// Notices to readers and libraries (table notices): stored once per
// (request, kind, step) in the transaction that causes them, then
// delivered by the notices consumer. The scheduler's batch insert of many
// notices is AddNotices (sched.go).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
)

// addNoticeSQL stores a pending notice unless one exists for its
// (request, kind, step) (uq_notice). Locks: the new row until commit; on a
// duplicate, a shared lock on the existing row.
const addNoticeSQL = `INSERT IGNORE INTO notices (request_id, kind, step, library_code,
	patron_id, recipient, locale, subject, body, status, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`

// addReaderNoticeSQL is addNoticeSQL for a notice to a reader whose
// address is the one registered in patrons (empty when none), read in the
// same statement. Locks: addNoticeSQL's; the patrons row is read without
// a lock.
const addReaderNoticeSQL = `INSERT IGNORE INTO notices (request_id, kind, step, library_code,
	patron_id, recipient, locale, subject, body, status, created_at)
	SELECT ?, ?, ?, ?, ?, COALESCE((SELECT p.email FROM patrons p WHERE p.library_code = ? AND p.patron_id = ?), ''),
	?, ?, ?, 'pending', ?`

// noticeInsert is the statement that stores n (addNoticeSQL, or
// addReaderNoticeSQL for a reader's notice whose address the store reads)
// with its arguments.
func noticeInsert(n ill.Notice) (string, []any) {
	if n.PatronID != "" && n.Recipient == "" && n.ReaderOf != "" {
		return addReaderNoticeSQL, []any{n.RequestID, n.Kind, n.Step, n.Library, n.PatronID,
			n.ReaderOf, n.PatronID, n.Locale, n.Subject, n.Body, n.At.UTC()}
	}
	return addNoticeSQL, []any{n.RequestID, n.Kind, n.Step, n.Library, n.PatronID,
		n.Recipient, n.Locale, n.Subject, n.Body, n.At.UTC()}
}

// AddNotice stores a notice once per (request, kind, step). It returns the
// new id and true, or 0 and false when that notice already exists. A
// notice to a reader with ReaderOf set and no Recipient gets the reader's
// registered address.
func (t *Tx) AddNotice(ctx context.Context, n ill.Notice) (int64, bool, error) {
	q, args := noticeInsert(n)
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, false, err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return 0, false, nil
	}
	id, err := res.LastInsertId()
	return id, true, err
}

// QueueNotice queues a notice's insert (see txConn; stored once per
// (request, kind, step), like AddNotice) and the outbox message that has
// it delivered, which names it by that key (ill.NoticeRef): no round trip
// of its own. Its delivery is queued whether or not the notice was new; a
// delivery of a settled notice is acked without effect, and the message id
// is the key's, so the outbox keeps one.
func (t *Tx) QueueNotice(ctx context.Context, n ill.Notice) error {
	q, args := noticeInsert(n)
	t.tx.later(q, args...)
	ref := ill.NoticeRef{RequestID: n.RequestID, Kind: n.Kind, Step: n.Step}
	body, _ := json.Marshal(ref)
	return t.Enqueue(ctx, ill.Message{ID: ref.MessageID(), Type: ill.MsgNotice, Actor: ill.SystemActor,
		RequestID: n.RequestID, At: n.At, Body: body})
}

// noticeRow is a notices row as noticeColumns scans it.
type noticeRow struct {
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
	DeliveredVia string       `db:"delivered_via"`
	LastError    string       `db:"last_error"`
	CreatedAt    time.Time    `db:"created_at"`
	SentAt       sql.NullTime `db:"sent_at"`
}

// domain returns the row as the notices consumer reads it (a NULL sent_at
// as the zero time).
func (r noticeRow) domain() *ill.StoredNotice {
	return &ill.StoredNotice{ID: r.ID, RequestID: r.RequestID, Kind: r.Kind, Step: r.Step, Library: r.Library,
		PatronID: r.PatronID, Recipient: r.Recipient, Locale: r.Locale, Subject: r.Subject, Body: r.Body,
		Status: ill.NoticeStatus(r.Status), Attempts: r.Attempts, DeliveredVia: r.DeliveredVia,
		LastError: r.LastError, CreatedAt: r.CreatedAt, SentAt: r.SentAt.Time}
}

// noticeColumns is the notices row as noticeRow scans it.
const noticeColumns = `id, request_id, kind, step, library_code, patron_id, recipient, locale, subject, body,
	status, attempts, delivered_via, last_error, created_at, sent_at`

// lockNoticeSQL reads a notice and locks its row until commit. Locks: the
// notice row (FOR UPDATE): one delivery of a notice at a time.
const lockNoticeSQL = `SELECT ` + noticeColumns + ` FROM notices WHERE id = ? FOR UPDATE`

// LockNotice reads a notice and locks its row until the transaction ends.
func (t *Tx) LockNotice(ctx context.Context, id int64) (*ill.StoredNotice, error) {
	var n noticeRow
	err := t.tx.GetContext(ctx, &n, lockNoticeSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("notice", fmt.Sprint(id))
	}
	if err != nil {
		return nil, err
	}
	return n.domain(), nil
}

// noticeSQL reads one notice. Locks: none.
const noticeSQL = `SELECT ` + noticeColumns + ` FROM notices WHERE id = ?`

// Notice reads one notice (staff views, tests).
func (s *Store) Notice(ctx context.Context, id int64) (*ill.StoredNotice, error) {
	var n noticeRow
	err := s.DB.GetContext(ctx, &n, noticeSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("notice", fmt.Sprint(id))
	}
	if err != nil {
		return nil, classify(err)
	}
	return n.domain(), nil
}

// noticeByKeySQL reads the notice of a (request, kind, step). Locks: none.
const noticeByKeySQL = `SELECT ` + noticeColumns + ` FROM notices WHERE request_id = ? AND kind = ? AND step = ?`

// NoticeByKey reads the notice ref names (QueueNotice's messages).
func (s *Store) NoticeByKey(ctx context.Context, ref ill.NoticeRef) (*ill.StoredNotice, error) {
	var n noticeRow
	err := s.DB.GetContext(ctx, &n, noticeByKeySQL, ref.RequestID, ref.Kind, ref.Step)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("notice", fmt.Sprintf("%s/%s/%d", ref.RequestID, ref.Kind, ref.Step))
	}
	if err != nil {
		return nil, classify(err)
	}
	return n.domain(), nil
}

// recordNoticeOutcomeSQL stores a delivery round's outcome. Locks: the
// notice row, already held (lockNoticeSQL).
const recordNoticeOutcomeSQL = `UPDATE notices SET status = ?, attempts = attempts + ?, delivered_via = ?,
	last_error = ?, sent_at = COALESCE(?, sent_at) WHERE id = ?`

// RecordNoticeOutcome stores a delivery round's outcome; sent_at is set
// when the status is sent.
func (t *Tx) RecordNoticeOutcome(ctx context.Context, id int64, o ill.NoticeOutcome, at time.Time) error {
	t.tx.later(recordNoticeOutcomeSQL, noticeOutcomeArgs(id, o, at)...)
	return nil // queued: sent with the COMMIT (txConn)
}

func noticeOutcomeArgs(id int64, o ill.NoticeOutcome, at time.Time) []any {
	var sent sql.NullTime
	if o.Status == ill.NoticeSent {
		sent = nullTime(at)
	}
	inc := 0
	if o.Attempted {
		inc = 1
	}
	if len(o.LastError) > 400 {
		o.LastError = truncate(o.LastError, 400)
	}
	return []any{string(o.Status), inc, o.DeliveredVia, o.LastError, sent, id}
}

// settleNoticeSQL is recordNoticeOutcomeSQL for a notice still pending
// (args as recordNoticeOutcomeSQL's). Locks: the notice row, for the
// statement only (autocommit).
const settleNoticeSQL = recordNoticeOutcomeSQL + ` AND status = 'pending'`

// SettleNotice records a final outcome (sent, not configured) of a notice
// still pending, in one statement; a notice settled meanwhile (by a
// duplicate delivery) is left as it is. o.DeliveredVia must already hold
// the channels the row said were delivered.
func (s *Store) SettleNotice(ctx context.Context, id int64, o ill.NoticeOutcome, at time.Time) error {
	_, err := s.DB.ExecContext(ctx, settleNoticeSQL, noticeOutcomeArgs(id, o, at)...)
	return classify(err)
}
