package mysql

// NCIP: the members' NCIP registrations (ncip_members) and the calls to
// their ILSs (ncip_calls), written with the transition that asks for them
// and delivered by the ncip pool (docs/ncip.md).

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// ncipMemberRow is an ncip_members row.
type ncipMemberRow struct {
	Code       string `db:"library_code"`
	Endpoint   string `db:"endpoint"`
	FromAgency string `db:"from_agency"`
	ToAgency   string `db:"to_agency"`
}

func (r ncipMemberRow) domain() *ill.NCIPMember {
	return &ill.NCIPMember{Code: r.Code, Endpoint: r.Endpoint, FromAgency: r.FromAgency, ToAgency: r.ToAgency}
}

// ncipMembersSQL reads the NCIP registrations of the libraries listed
// (sqlx.In expands the list). Locks: none.
const ncipMembersSQL = `SELECT library_code, endpoint, from_agency, to_agency FROM ncip_members WHERE library_code IN (?)`

func ncipMembers(ctx context.Context, q sqlx.QueryerContext, codes []string) (map[string]*ill.NCIPMember, error) {
	out := map[string]*ill.NCIPMember{}
	var want []string
	for _, c := range codes {
		if c != "" {
			want = append(want, strings.ToUpper(c))
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(ncipMembersSQL, want)
	if err != nil {
		return nil, err
	}
	var rows []ncipMemberRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[strings.ToUpper(r.Code)] = r.domain()
	}
	return out, nil
}

// NCIPMember reads member code's NCIP registration; nil when it has none.
func (s *Store) NCIPMember(ctx context.Context, code string) (*ill.NCIPMember, error) {
	ms, err := ncipMembers(ctx, s.DB, []string{code})
	if err != nil {
		return nil, classify(err)
	}
	return ms[strings.ToUpper(code)], nil
}

// NCIPMembers reads the NCIP registrations of codes (members without one
// are absent): from the member directory when the store has one (every
// transition asks, so no statement), else inside the transaction.
func (t *Tx) NCIPMembers(ctx context.Context, codes ...string) (map[string]*ill.NCIPMember, error) {
	if m, ok, err := t.dir.ncipMembers(ctx, codes); ok || err != nil {
		return m, err // from the directory: no statement on every transition
	}
	return ncipMembers(ctx, t.tx, codes)
}

// setNCIPSQL stores a registration: the endpoint always, the agencies
// when given. Locks: the ncip_members row, for the statement only
// (autocommit).
const setNCIPSQL = `INSERT INTO ncip_members (library_code, endpoint, from_agency, to_agency, updated_at)
	VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE endpoint = VALUES(endpoint),
	from_agency = IF(VALUES(from_agency) = '', from_agency, VALUES(from_agency)),
	to_agency = IF(VALUES(to_agency) = '', to_agency, VALUES(to_agency)), updated_at = VALUES(updated_at)`

// SetNCIP stores member reg.Code's NCIP registration (not_found when it is
// not a member).
func (s *Store) SetNCIP(ctx context.Context, reg ill.NCIPRegistration) error {
	if _, err := s.Library(ctx, reg.Code); err != nil {
		return err
	}
	_, err := s.DB.ExecContext(ctx, setNCIPSQL, strings.ToUpper(reg.Code), reg.Endpoint, reg.FromAgency, reg.ToAgency, time.Now().UTC())
	s.dir.Forget() // this process sees the change at once, others within the directory's TTL
	return classify(err)
}

// ncipCallRow is an ncip_calls row as ncipCallColumns reads it.
type ncipCallRow struct {
	ID          int64        `db:"id"`
	RequestID   string       `db:"request_id"`
	LibraryCode string       `db:"library_code"`
	Service     string       `db:"service"`
	Body        string       `db:"body"`
	Status      string       `db:"status"`
	Attempts    int          `db:"attempts"`
	LastError   string       `db:"last_error"`
	Outcome     string       `db:"outcome"`
	CreatedAt   time.Time    `db:"created_at"`
	SentAt      sql.NullTime `db:"sent_at"`
}

func (r ncipCallRow) domain() ill.NCIPCall {
	c := ill.NCIPCall{ID: r.ID, RequestID: r.RequestID, LibraryCode: r.LibraryCode, Service: ill.NCIPService(r.Service),
		Body: r.Body, Status: ill.NCIPStatus(r.Status), Attempts: r.Attempts, LastError: r.LastError, Outcome: r.Outcome,
		CreatedAt: r.CreatedAt}
	if r.SentAt.Valid {
		c.SentAt = r.SentAt.Time
	}
	return c
}

func ncipCalls(rows []ncipCallRow) []ill.NCIPCall {
	out := make([]ill.NCIPCall, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out
}

// ncipCallColumns is the ncip_calls row as ncipCallRow scans it.
const ncipCallColumns = `id, request_id, library_code, service, body, status, attempts, last_error, outcome, created_at, sent_at`

// insertNCIPCallSQL stores a pending call. Locks: the new row until
// commit.
const insertNCIPCallSQL = `INSERT INTO ncip_calls (request_id, library_code, service, body, status, created_at)
	VALUES (?, ?, ?, ?, 'pending', ?)`

// AddNCIPCall stores a pending NCIP call in the transaction and returns
// its id.
func (t *Tx) AddNCIPCall(ctx context.Context, c ill.NCIPCall) (int64, error) {
	r, err := t.tx.ExecContext(ctx, insertNCIPCallSQL, c.RequestID, c.LibraryCode, string(c.Service), c.Body, c.CreatedAt.UTC())
	if err != nil {
		return 0, err
	}
	return r.LastInsertId()
}

// lockNCIPCallSQL reads a call. Locks: its row (FOR UPDATE) until commit.
const lockNCIPCallSQL = `SELECT ` + ncipCallColumns + ` FROM ncip_calls WHERE id = ? FOR UPDATE`

// LockNCIPCall reads and locks one call (not_found when there is none).
func (t *Tx) LockNCIPCall(ctx context.Context, id int64) (*ill.NCIPCall, error) {
	var r ncipCallRow
	err := t.tx.GetContext(ctx, &r, lockNCIPCallSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("ncip call", "")
	}
	if err != nil {
		return nil, err
	}
	c := r.domain()
	return &c, nil
}

// pendingNCIPSQL lists a request's pending calls to one member, oldest
// first. Locks: none (plain read; the caller holds the named lock (a lease) of that
// request and member).
const pendingNCIPSQL = `SELECT ` + ncipCallColumns + ` FROM ncip_calls
	WHERE request_id = ? AND library_code = ? AND status = 'pending' ORDER BY id`

// PendingNCIP lists a request's pending calls to one member's ILS, oldest
// first (they are delivered in this order).
func (t *Tx) PendingNCIP(ctx context.Context, requestID, library string) ([]ill.NCIPCall, error) {
	var rows []ncipCallRow
	if err := t.tx.SelectContext(ctx, &rows, pendingNCIPSQL, requestID, library); err != nil {
		return nil, err
	}
	return ncipCalls(rows), nil
}

// recordNCIPOutcomeSQL stores an attempt's result; an empty error or
// outcome keeps the stored one. Locks: the call row until commit.
const recordNCIPOutcomeSQL = `UPDATE ncip_calls SET status = ?, attempts = attempts + 1,
	last_error = IF(? = '', last_error, ?), outcome = IF(? = '', outcome, ?), sent_at = COALESCE(?, sent_at) WHERE id = ?`

// RecordNCIPOutcome stores a delivery attempt's result: status
// ill.NCIPSent (at is the delivery time), ill.NCIPPending (to be retried)
// or ill.NCIPFailed; outcome is the ILS's answer as recorded.
func (t *Tx) RecordNCIPOutcome(ctx context.Context, id int64, status ill.NCIPStatus, lastError, outcome string, at time.Time) error {
	var sent any
	if status == ill.NCIPSent {
		sent = at.UTC()
	}
	le, oc := truncate(lastError, 1000), truncate(outcome, 500)
	_, err := t.tx.ExecContext(ctx, recordNCIPOutcomeSQL, string(status), le, le, oc, oc, sent, id)
	return err
}

// ncipCallsSQL lists a request's calls in order. Locks: none.
const ncipCallsSQL = `SELECT ` + ncipCallColumns + ` FROM ncip_calls WHERE request_id = ? ORDER BY id`

// NCIPCalls lists a request's NCIP calls in order (tests, operations).
func (s *Store) NCIPCalls(ctx context.Context, requestID string) ([]ill.NCIPCall, error) {
	var rows []ncipCallRow
	if err := s.DB.SelectContext(ctx, &rows, ncipCallsSQL, requestID); err != nil {
		return nil, classify(err)
	}
	return ncipCalls(rows), nil
}
