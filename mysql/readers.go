package mysql

// Readers (table patrons): the patrons a library vouches for with each
// submit, and their portal PINs.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
)

// upsertPatronSQL registers or updates the reader a library vouches for. The
// INSERT ... ON DUPLICATE KEY UPDATE takes an exclusive lock on the patron
// row (by primary key, new or existing) that is held until commit:
// concurrent submits for one reader queue here, which is what makes the R3
// count (countActiveSQL) race-free.
const upsertPatronSQL = `INSERT INTO patrons (library_code, patron_id, name, email, deposit_paid, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE name = VALUES(name), email = VALUES(email),
	deposit_paid = VALUES(deposit_paid), updated_at = VALUES(updated_at)`

// LockPatron registers/updates the patron and holds its row lock until the
// transaction ends. The upsert is queued (see txConn): the lock is taken
// when the transaction's next statement reaches the server, in front of
// it, so the read that follows (the R3 count) runs under the lock.
func (t *Tx) LockPatron(ctx context.Context, library string, p ill.Patron, at time.Time) error {
	t.tx.later(upsertPatronSQL, library, p.ID, p.Name, p.Email, p.DepositPaid, at.UTC())
	return nil
}

// readerRow is a patrons row as readerSQL scans it.
type readerRow struct {
	Library     string `db:"library_code"`
	ID          string `db:"patron_id"`
	Name        string `db:"name"`
	Email       string `db:"email"`
	DepositPaid bool   `db:"deposit_paid"`
	PINHash     string `db:"pin_hash"`
	Category    string `db:"category"`
}

func (r readerRow) domain() ill.Reader {
	return ill.Reader{Library: r.Library, ID: r.ID, Name: r.Name, Email: r.Email, DepositPaid: r.DepositPaid,
		PINHash: r.PINHash, Category: ill.ReaderCategory(r.Category)}
}

// putReaderSQL registers or updates a reader; an empty pin_hash or
// category keeps the stored one. Locks: the patrons row (by primary key), for the statement
// only (autocommit); a submit for the same reader waits for it.
const putReaderSQL = `INSERT INTO patrons (library_code, patron_id, name, email, deposit_paid, pin_hash, category, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON DUPLICATE KEY UPDATE name = VALUES(name), email = VALUES(email), deposit_paid = VALUES(deposit_paid),
	pin_hash = IF(VALUES(pin_hash) = '', pin_hash, VALUES(pin_hash)),
	category = IF(VALUES(category) = '', category, VALUES(category)), updated_at = VALUES(updated_at)`

// PutReader registers or updates a reader with a PIN hash (POST
// /v1/readers, illctl reader add). An empty PINHash keeps the current PIN,
// an empty Category the current category.
func (s *Store) PutReader(ctx context.Context, r ill.Reader, at time.Time) error {
	_, err := s.DB.ExecContext(ctx, putReaderSQL, r.Library, r.ID, r.Name, r.Email, r.DepositPaid, r.PINHash,
		string(r.Category), at.UTC())
	return classify(err)
}

// readerSQL reads a reader with its PIN hash. Locks: none.
const readerSQL = `SELECT library_code, patron_id, name, email, deposit_paid, pin_hash, category
	FROM patrons WHERE library_code = ? AND patron_id = ?`

// Reader reads one reader; not_found when the library never registered it.
func (s *Store) Reader(ctx context.Context, library, id string) (ill.Reader, error) {
	var r readerRow
	err := s.DB.GetContext(ctx, &r, readerSQL, library, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.Reader{}, notFound("reader", id)
	}
	return r.domain(), classify(err)
}
