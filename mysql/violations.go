package mysql

// Violations (table violations): overdue, damaged and lost loans, with
// their fines, recorded once per (request, kind), and their settlement
// (pending → paid or waived, once, with who, when and a note).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// violationRow is a violations row as violationColumns read it.
type violationRow struct {
	ID         int64        `db:"id"`
	RequestID  string       `db:"request_id"`
	Kind       string       `db:"kind"`
	Lender     string       `db:"lender"`
	Borrower   string       `db:"borrower"`
	PatronID   string       `db:"patron_id"`
	Days       int          `db:"days"`
	AmountFen  int          `db:"amount_fen"`
	Note       string       `db:"note"`
	CreatedAt  time.Time    `db:"created_at"`
	Title      string       `db:"title"`
	State      string       `db:"state"`
	SettledBy  string       `db:"settled_by"`
	SettledAt  sql.NullTime `db:"settled_at"`
	SettleNote string       `db:"settle_note"`
}

func (r violationRow) domain() ill.ViolationRow {
	v := ill.ViolationRow{ID: r.ID, RequestID: r.RequestID, Kind: r.Kind, Lender: r.Lender, Borrower: r.Borrower,
		PatronID: r.PatronID, Days: r.Days, AmountFen: r.AmountFen, Note: r.Note, CreatedAt: r.CreatedAt, Title: r.Title,
		State: ill.SettlementState(r.State), SettledBy: r.SettledBy, SettleNote: r.SettleNote}
	if r.SettledAt.Valid {
		v.SettledAt = r.SettledAt.Time
	}
	return v
}

// violationColumns is a violations row with its request's title (v: the
// violation, r: the request, LEFT JOINed).
const violationColumns = `v.id, v.request_id, v.kind, v.lender, v.borrower, v.patron_id, v.days,
	v.amount_fen, v.note, v.created_at, COALESCE(r.title, '') AS title, v.state, v.settled_by, v.settled_at, v.settle_note`

// addViolationSQL records a violation unless one exists for its
// (request, kind) (uq_violation); it starts pending (the column default).
// Locks: the new row until commit; on a duplicate, a shared lock on the
// existing row.
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
const violationsSQL = `SELECT ` + violationColumns + `
	FROM violations v LEFT JOIN requests r ON r.id = v.request_id
	WHERE v.created_at >= ? AND v.created_at < ? AND (? = '' OR v.lender = ? OR v.borrower = ?) AND (? = '' OR v.lender = ?)
	ORDER BY v.created_at, v.id LIMIT 20000`

// Violations lists violations created in [From, To] (Asia/Shanghai days).
func (s *Store) Violations(ctx context.Context, f ill.ViolationFilter) ([]ill.ViolationRow, error) {
	var rows []violationRow
	if err := s.DB.SelectContext(ctx, &rows, violationsSQL,
		f.From.Start().UTC(), f.To.AddDays(1).Start().UTC(), f.Library, f.Library, f.Library, f.Lender, f.Lender); err != nil {
		return nil, classify(err)
	}
	return violationRows(rows), nil
}

func violationRows(rows []violationRow) []ill.ViolationRow {
	var out []ill.ViolationRow
	for _, r := range rows {
		out = append(out, r.domain())
	}
	return out
}

// violationListSQL lists violations for the console, the statement and
// the API; %s is the WHERE clause violationList builds from
// violationConds (each condition's values as ? arguments). Locks: none.
const violationListSQL = `SELECT ` + violationColumns + `
	FROM violations v LEFT JOIN requests r ON r.id = v.request_id
	WHERE %s ORDER BY v.created_at, v.id LIMIT ?`

// The conditions of violationListSQL, one per filter given.
const (
	violationCondAny      = `1 = 1`
	violationCondParty    = `(v.lender = ? OR v.borrower = ?)`
	violationCondLender   = `v.lender = ?`
	violationCondBorrower = `v.borrower = ?`
	violationCondState    = `v.state = ?`
	violationCondKind     = `v.kind = ?`
	violationCondRequest  = `v.request_id = ?`
	violationCondFrom     = `v.created_at >= ?`
	violationCondTo       = `v.created_at < ?`
)

// ViolationList implements ill.ViolationLedger.
func (s *Store) ViolationList(ctx context.Context, q ill.ViolationQuery) ([]ill.ViolationRow, error) {
	conds := []string{violationCondAny}
	var args []any
	add := func(cond string, vals ...any) {
		conds = append(conds, cond)
		args = append(args, vals...)
	}
	switch {
	case q.Library == "":
	case q.Role == ill.ViolationAsLender:
		add(violationCondLender, q.Library)
	case q.Role == ill.ViolationAsBorrower:
		add(violationCondBorrower, q.Library)
	default:
		add(violationCondParty, q.Library, q.Library)
	}
	if q.State != "" {
		add(violationCondState, string(q.State))
	}
	if q.Kind != "" {
		add(violationCondKind, q.Kind)
	}
	if q.RequestID != "" {
		add(violationCondRequest, q.RequestID)
	}
	if q.From != (ill.Date{}) {
		add(violationCondFrom, q.From.Start().UTC())
	}
	if q.To != (ill.Date{}) {
		add(violationCondTo, q.To.AddDays(1).Start().UTC())
	}
	limit := q.Limit
	if limit <= 0 || limit > ill.MaxViolationRows {
		limit = ill.MaxViolationRows
	}
	args = append(args, limit)
	var rows []violationRow
	if err := s.DB.SelectContext(ctx, &rows, fmt.Sprintf(violationListSQL, strings.Join(conds, " AND ")), args...); err != nil {
		return nil, classify(err)
	}
	return violationRows(rows), nil
}

// violationByIDSQL reads one violation with its title. Locks: none.
const violationByIDSQL = `SELECT ` + violationColumns + `
	FROM violations v LEFT JOIN requests r ON r.id = v.request_id WHERE v.id = ?`

// ViolationByID implements ill.ViolationLedger.
func (s *Store) ViolationByID(ctx context.Context, id int64) (ill.ViolationRow, error) {
	var r violationRow
	err := s.DB.GetContext(ctx, &r, violationByIDSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.ViolationRow{}, notFound("violation", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return ill.ViolationRow{}, classify(err)
	}
	return r.domain(), nil
}

// settleViolationSQL settles a violation that is still pending (the state
// condition makes the first of two concurrent settlements win). Locks: the
// violation row, for the statement only (autocommit).
const settleViolationSQL = `UPDATE violations SET state = ?, settled_by = ?, settled_at = ?, settle_note = ?
	WHERE id = ? AND state = 'pending'`

// SettleViolation implements ill.ViolationLedger.
func (s *Store) SettleViolation(ctx context.Context, id int64, st ill.Settlement) error {
	res, err := s.DB.ExecContext(ctx, settleViolationSQL, string(st.State), truncate(st.By, 100), st.At.UTC(),
		truncate(st.Note, ill.MaxSettleNote), id)
	if err != nil {
		return classify(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return classify(err)
	} else if n == 1 {
		return nil
	}
	v, err := s.ViolationByID(ctx, id)
	if err != nil {
		return err // not_found
	}
	return ill.Errorf(ill.CodeConflict, "violation %d was settled already: %s by %s", id, v.Status(), v.SettledBy)
}
