package mysql

// Return checks (table return_checks): a loan's return facts, as the
// borrowing library returned and the lender checked the item in.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
)

// returnCheckRow is a return_checks row as scanned.
type returnCheckRow struct {
	RequestID        string                `db:"request_id"`
	Borrower         string                `db:"borrower"`
	Lender           string                `db:"lender"`
	ItemBarcode      string                `db:"item_barcode"`
	ScannedBarcode   string                `db:"scanned_barcode"`
	DueAt            sql.NullTime          `db:"due_at"`
	ReturnedAt       sql.NullTime          `db:"returned_at"`
	ReturnCondition  string                `db:"return_condition"`
	CheckinCondition string                `db:"checkin_condition"`
	CheckedInAt      sql.NullTime          `db:"checked_in_at"`
	Lost             bool                  `db:"lost"`
	Status           ill.ReturnCheckStatus `db:"status"`
	PatronID         sql.NullString        `db:"patron_id"`
	BarcodeLoan      sql.NullString        `db:"barcode_loan"`
}

func (r returnCheckRow) domain() ill.ReturnCheck {
	return ill.ReturnCheck{RequestID: r.RequestID, Borrower: r.Borrower, Lender: r.Lender, ItemBarcode: r.ItemBarcode,
		ScannedBarcode: r.ScannedBarcode, DueAt: r.DueAt.Time, ReturnedAt: r.ReturnedAt.Time,
		ReturnCondition: r.ReturnCondition, CheckinCondition: r.CheckinCondition, CheckedInAt: r.CheckedInAt.Time,
		Lost: r.Lost, Status: r.Status, PatronID: r.PatronID.String, BarcodeLoan: r.BarcodeLoan.String}
}

// The upserts of a loan's return_checks row (by request_id): the
// borrower's return, the lender's check-in, a loss. Locks: the row (by
// primary key) until commit.
const (
	recordReturnSQL = `INSERT INTO return_checks (request_id, borrower, lender, item_barcode, scanned_barcode,
	due_at, returned_at, return_condition) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON DUPLICATE KEY UPDATE scanned_barcode = VALUES(scanned_barcode), due_at = VALUES(due_at),
	returned_at = VALUES(returned_at), return_condition = VALUES(return_condition)`
	recordCheckinSQL = `INSERT INTO return_checks (request_id, borrower, lender, item_barcode, due_at,
	checkin_condition, checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?)
	ON DUPLICATE KEY UPDATE checkin_condition = VALUES(checkin_condition), checked_in_at = VALUES(checked_in_at)`
	recordLostSQL = `INSERT INTO return_checks (request_id, borrower, lender, item_barcode, due_at, lost)
	VALUES (?, ?, ?, ?, ?, 1) ON DUPLICATE KEY UPDATE lost = 1`
)

// RecordReturn stores the borrowing library's return and inspection
// (zero times as NULL); the check stays pending.
func (t *Tx) RecordReturn(ctx context.Context, rc ill.ReturnCheck) error {
	_, err := t.tx.ExecContext(ctx, recordReturnSQL, rc.RequestID, rc.Borrower, rc.Lender, rc.ItemBarcode,
		rc.ScannedBarcode, nullTime(rc.DueAt), nullTime(rc.ReturnedAt), rc.ReturnCondition)
	return err
}

// RecordCheckin stores the lender's check-in condition (zero times as
// NULL).
func (t *Tx) RecordCheckin(ctx context.Context, rc ill.ReturnCheck) error {
	_, err := t.tx.ExecContext(ctx, recordCheckinSQL, rc.RequestID, rc.Borrower, rc.Lender, rc.ItemBarcode,
		nullTime(rc.DueAt), rc.CheckinCondition, nullTime(rc.CheckedInAt))
	return err
}

// RecordLost marks the loan lost (a zero DueAt as NULL).
func (t *Tx) RecordLost(ctx context.Context, rc ill.ReturnCheck) error {
	_, err := t.tx.ExecContext(ctx, recordLostSQL, rc.RequestID, rc.Borrower, rc.Lender, rc.ItemBarcode, nullTime(rc.DueAt))
	return err
}

// lockReturnCheckSQL reads a loan's return facts with the check's row lock
// (FOR UPDATE, until commit), and by plain subqueries (a locking clause
// applies to the outer table only, so no request row is locked) its
// request's reader, which never changes, and the lender's newest request
// with the barcode to match (as loansByBarcodeSQL).
const lockReturnCheckSQL = `SELECT c.request_id, c.borrower, c.lender, c.item_barcode, c.scanned_barcode, c.due_at, c.returned_at,
	c.return_condition, c.checkin_condition, c.checked_in_at, c.lost, c.status,
	(SELECT q.patron_id FROM requests q WHERE q.id = c.request_id) AS patron_id,
	(SELECT b.id FROM requests b WHERE b.lender = c.lender
		AND b.item_barcode = COALESCE(NULLIF(c.scanned_barcode, ''), c.item_barcode)
		ORDER BY b.updated_at DESC LIMIT 1) AS barcode_loan
	FROM return_checks c WHERE c.request_id = ? FOR UPDATE`

// LockReturnCheck reads a loan's return facts and its reader with the
// check's row lock.
func (t *Tx) LockReturnCheck(ctx context.Context, requestID string) (*ill.ReturnCheck, error) {
	var r returnCheckRow
	err := t.tx.GetContext(ctx, &r, lockReturnCheckSQL, requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("return check", requestID)
	}
	if err != nil {
		return nil, err
	}
	rc := r.domain()
	return &rc, nil
}

// setReturnCheckStatusSQL records a check's outcome. Locks: the row,
// already held (lockReturnCheckSQL).
const setReturnCheckStatusSQL = `UPDATE return_checks SET status = ?, checked_at = ? WHERE request_id = ?`

// SetReturnCheckStatus records the outcome of a return check.
func (t *Tx) SetReturnCheckStatus(ctx context.Context, requestID string, status ill.ReturnCheckStatus, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, setReturnCheckStatusSQL, string(status), at.UTC(), requestID)
	return err
}
