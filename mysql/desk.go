package mysql

// The ILL desk (patrons.deposit_paid, reader_deposit_log, requests by
// item barcode): a reader's deposit status as a library's staff set it,
// with its audit trail, the reader's active requests (R3), and the
// requests an item's barcode belongs to.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// setDepositSQL changes a reader's deposit status when it differs. Locks:
// the patrons row (by primary key) until commit; a submit for the same
// reader (upsertPatronSQL) waits for it, so the submit sees the status
// the staff set.
const setDepositSQL = `UPDATE patrons SET deposit_paid = ?, updated_at = ?
	WHERE library_code = ? AND patron_id = ? AND deposit_paid <> ?`

// patronExistsSQL tells a reader whose status was already the one set
// from an unknown reader. Locks: none (plain read).
const patronExistsSQL = `SELECT COUNT(*) FROM patrons WHERE library_code = ? AND patron_id = ?`

// addDepositChangeSQL appends the audit row of a deposit change. Locks:
// the new row until commit.
const addDepositChangeSQL = `INSERT INTO reader_deposit_log (library_code, patron_id, deposit_paid, changed_by, changed_at)
	SELECT library_code, patron_id, ?, ?, ? FROM patrons WHERE library_code = ? AND patron_id = ?`

// SetDeposit implements ill.Desk: the change and its audit row commit
// together. The audit row takes the card number as registered (the
// patrons row's spelling), whatever case the caller typed.
func (s *Store) SetDeposit(ctx context.Context, library, id string, paid bool, by string, at time.Time) (bool, error) {
	changed := false
	err := s.InTx(ctx, func(tx *Tx) error {
		changed = false
		res, err := tx.tx.ExecContext(ctx, setDepositSQL, paid, at.UTC(), library, id, paid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var k int
			if err := tx.tx.GetContext(ctx, &k, patronExistsSQL, library, id); err != nil {
				return err
			}
			if k == 0 {
				return notFound("reader", id)
			}
			return nil
		}
		changed = true
		_, err = tx.tx.ExecContext(ctx, addDepositChangeSQL, paid, truncate(by, 64), at.UTC(), library, id)
		return err
	})
	return changed, classify(err)
}

// depositChangesSQL lists a reader's deposit changes, newest first.
// Locks: none.
const depositChangesSQL = `SELECT library_code, patron_id, deposit_paid, changed_by, changed_at
	FROM reader_deposit_log WHERE library_code = ? AND patron_id = ? ORDER BY id DESC LIMIT ?`

// DepositChanges implements ill.Desk.
func (s *Store) DepositChanges(ctx context.Context, library, id string, limit int) ([]ill.DepositChange, error) {
	var rows []struct {
		Library string    `db:"library_code"`
		Patron  string    `db:"patron_id"`
		Paid    bool      `db:"deposit_paid"`
		By      string    `db:"changed_by"`
		At      time.Time `db:"changed_at"`
	}
	if err := s.DB.SelectContext(ctx, &rows, depositChangesSQL, library, id, limit); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.DepositChange, len(rows))
	for i, r := range rows {
		out[i] = ill.DepositChange{Library: r.Library, PatronID: r.Patron, Paid: r.Paid, By: r.By, At: r.At}
	}
	return out, nil
}

// deskActiveCountSQL counts a reader's requests in the given states (an IN
// list, expanded by sqlx.In; ix_requests_patron). Locks: none.
const deskActiveCountSQL = `SELECT COUNT(*) FROM requests WHERE borrower = ? AND patron_id = ? AND state IN (?)`

// ActiveRequestCount implements ill.Desk.
func (s *Store) ActiveRequestCount(ctx context.Context, library, id string) (int, error) {
	q, args, err := sqlx.In(deskActiveCountSQL, library, id, ill.ActiveStates())
	if err != nil {
		return 0, err
	}
	var n int
	err = s.DB.GetContext(ctx, &n, q, args...)
	return n, classify(err)
}

// The requests carrying an item barcode (ix_requests_barcode), for every
// library (requestsByBarcodeAllSQL) or those a library borrows or
// currently lends (requestsByBarcodeSQL). Locks: none.
const (
	requestsByBarcodeAllSQL = `SELECT ` + requestColumns + ` FROM requests
	WHERE item_barcode = ? ORDER BY updated_at DESC, id LIMIT ?`
	requestsByBarcodeSQL = `SELECT ` + requestColumns + ` FROM requests
	WHERE item_barcode = ? AND (borrower = ? OR lender = ?) ORDER BY updated_at DESC, id LIMIT ?`
)

// RequestsByBarcode implements ill.Desk.
func (s *Store) RequestsByBarcode(ctx context.Context, barcode, library string, limit int) ([]*ill.Request, error) {
	var rows []requestRow
	var err error
	if library == "" {
		err = s.DB.SelectContext(ctx, &rows, requestsByBarcodeAllSQL, barcode, limit)
	} else {
		err = s.DB.SelectContext(ctx, &rows, requestsByBarcodeSQL, barcode, library, library, limit)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, classify(err)
	}
	return domains(rows, requestRow.domain), nil
}

// setCategorySQL sets a reader's category. Locks: the patrons row (by
// primary key), for the statement only (autocommit).
const setCategorySQL = `UPDATE patrons SET category = ? WHERE library_code = ? AND patron_id = ?`

// SetReaderCategory implements ill.Desk.
func (s *Store) SetReaderCategory(ctx context.Context, library, id string, c ill.ReaderCategory) error {
	res, err := s.DB.ExecContext(ctx, setCategorySQL, string(c), library, id)
	if err != nil {
		return classify(err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	// Nothing changed: the same category again, or no such reader.
	var k int
	if err := s.DB.GetContext(ctx, &k, patronExistsSQL, library, id); err != nil {
		return classify(err)
	}
	if k == 0 {
		return notFound("reader", id)
	}
	return nil
}
