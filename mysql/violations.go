package mysql

// Violations (table violations): overdue, damaged and lost loans, with
// their fines, recorded once per (request, kind).

import (
	"context"
	"time"

	"github.com/balis/illhub/ill"
)

// violationRow is a violations row as violationsSQL reads it.
type violationRow struct {
	ID        int64     `db:"id"`
	RequestID string    `db:"request_id"`
	Kind      string    `db:"kind"`
	Lender    string    `db:"lender"`
	Borrower  string    `db:"borrower"`
	PatronID  string    `db:"patron_id"`
	Days      int       `db:"days"`
	AmountFen int       `db:"amount_fen"`
	Note      string    `db:"note"`
	CreatedAt time.Time `db:"created_at"`
	Title     string    `db:"title"`
}

// addViolationSQL records a violation unless one exists for its
// (request, kind) (uq_violation). Locks: the new row until commit; on a
// duplicate, a shared lock on the existing row.
const addViolationSQL = `INSERT IGNORE INTO violations (request_id, kind, lender, borrower, patron_id, days,
	amount_fen, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AddViolation records a violation once per (request, kind); it returns
// false when it already existed.
func (t *Tx) AddViolation(ctx context.Context, v ill.ViolationRow) (bool, error) {
	res, err := t.tx.ExecContext(ctx, addViolationSQL, v.RequestID, v.Kind, v.Lender, v.Borrower,
		v.PatronID, v.Days, v.AmountFen, truncate(v.Note, 400), v.CreatedAt.UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// violationsSQL lists the violations created in a time range, for a
// library as lender or borrower and an optional lender ("": any), with the
// request's title. Locks: none.
const violationsSQL = `SELECT v.id, v.request_id, v.kind, v.lender, v.borrower, v.patron_id, v.days,
	v.amount_fen, v.note, v.created_at, COALESCE(r.title, '') AS title
	FROM violations v LEFT JOIN requests r ON r.id = v.request_id
	WHERE v.created_at >= ? AND v.created_at < ? AND (? = '' OR v.lender = ? OR v.borrower = ?) AND (? = '' OR v.lender = ?)
	ORDER BY v.created_at, v.id LIMIT 20000`

// Violations lists violations created in [From, To] (Asia/Shanghai days).
func (s *Store) Violations(ctx context.Context, f ill.ViolationFilter) ([]ill.ViolationRow, error) {
	var rows []violationRow
	if err := s.DB.SelectContext(ctx, &rows, violationsSQL,
		f.From.Start().UTC(), f.To.AddDays(1).Start().UTC(), f.Library, f.Library, f.Library, f.Lender, f.Lender); err != nil {
		return nil, Classify(err)
	}
	var out []ill.ViolationRow
	for _, r := range rows {
		out = append(out, ill.ViolationRow(r))
	}
	return out, nil
}
