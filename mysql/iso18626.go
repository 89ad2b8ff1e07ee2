package mysql

// ISO 18626: the members' registration (the iso_* columns of libraries)
// and the messages exchanged with their systems (table
// iso18626_messages, inbound as logged, outbound until delivered).

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// isoMemberRow is a member's ISO 18626 registration as isoMemberSQL reads
// it.
type isoMemberRow struct {
	Code          string `db:"code"`
	Symbol        string `db:"iso_symbol"`
	Endpoint      string `db:"iso_endpoint"`
	SecretHash    string `db:"iso_secret_hash"`
	ClosedNetwork bool   `db:"iso_closed_network"`
}

// isoMemberBySymbolSQL and isoMemberByCodeSQL read a member's ISO 18626
// registration by symbol or by code (isoMemberSQL: the columns). Locks:
// none.
const (
	isoMemberSQL         = `SELECT code, iso_symbol, iso_endpoint, iso_secret_hash, iso_closed_network FROM libraries `
	isoMemberBySymbolSQL = isoMemberSQL + `WHERE iso_symbol = ? LIMIT 1`
	isoMemberByCodeSQL   = isoMemberSQL + `WHERE code = ? LIMIT 1`
)

func isoMember(ctx context.Context, q sqlx.QueryerContext, query string, arg any) (*ill.ISOMember, error) {
	var r isoMemberRow
	err := sqlx.GetContext(ctx, q, &r, query, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("library", "")
	}
	if err != nil {
		return nil, err
	}
	m := ill.ISOMember(r)
	return &m, nil
}

// ISOMemberBySymbol finds the member whose ISO 18626 symbol is symbol
// (agencyIdValue; case-insensitive); not_found when none.
func (s *Store) ISOMemberBySymbol(ctx context.Context, symbol string) (*ill.ISOMember, error) {
	m, err := isoMember(ctx, s.DB, isoMemberBySymbolSQL, symbol)
	return m, classify(err)
}

// ISOMember reads a member's ISO 18626 registration by library code (from
// the Directory when attached).
func (s *Store) ISOMember(ctx context.Context, code string) (*ill.ISOMember, error) {
	if l, ok, err := s.dir.library(ctx, code); ok || err != nil {
		return l.ISOMember(), classify(err)
	}
	m, err := isoMember(ctx, s.DB, isoMemberByCodeSQL, code)
	return m, classify(err)
}

// ISOMember reads a member's ISO 18626 registration inside the transaction
// (from the Directory when attached).
func (t *Tx) ISOMember(ctx context.Context, code string) (*ill.ISOMember, error) {
	if l, ok, err := t.dir.library(ctx, code); ok || err != nil {
		return l.ISOMember(), err
	}
	return isoMember(ctx, t.tx, isoMemberByCodeSQL, code)
}

// setISOSQL sets a library's ISO 18626 registration; each value given
// empty (the closed-network mark: negative) keeps the stored one. Locks:
// the library row, for the statement only (autocommit).
const setISOSQL = `UPDATE libraries SET iso_symbol = IF(? = '', iso_symbol, ?),
	iso_endpoint = IF(? = '', iso_endpoint, ?), iso_secret_hash = IF(? = '', iso_secret_hash, ?),
	iso_closed_network = IF(? < 0, iso_closed_network, ?) WHERE code = ?`

// SetISO registers a library's ISO 18626 symbol, endpoint, secret and
// closed-network mark. It does not check that a member with an endpoint
// can authenticate: the caller (illctl) refuses that.
func (s *Store) SetISO(ctx context.Context, reg ill.ISORegistration) error {
	hash := ""
	if reg.Secret != "" {
		hash = ill.HashKey(reg.Secret)
	}
	closed := -1
	if reg.ClosedNetwork != nil {
		closed = 0
		if *reg.ClosedNetwork {
			closed = 1
		}
	}
	code, symbol, endpoint := reg.Code, reg.Symbol, reg.Endpoint
	defer s.dir.Forget()
	r, err := s.DB.ExecContext(ctx, setISOSQL, symbol, symbol, endpoint, endpoint, hash, hash, closed, closed, code)
	if err != nil {
		return classify(err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		if _, err := s.Library(ctx, code); err != nil {
			return err
		}
	}
	return nil
}

// isoSpeakersSQL lists the members with an ISO 18626 endpoint. Locks:
// none.
const isoSpeakersSQL = `SELECT code FROM libraries WHERE iso_endpoint <> ''`

// ISOSpeakers lists the codes of members with an ISO 18626 endpoint.
func (t *Tx) ISOSpeakers(ctx context.Context) (map[string]bool, error) {
	var codes []string
	if err := t.tx.SelectContext(ctx, &codes, isoSpeakersSQL); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(codes))
	for _, c := range codes {
		out[c] = true
	}
	return out, nil
}

// isoMessageRow is an iso18626_messages row as isoMessageColumns reads it.
type isoMessageRow struct {
	ID          int64        `db:"id"`
	RequestID   string       `db:"request_id"`
	Direction   string       `db:"direction"`
	LibraryCode string       `db:"library_code"`
	Kind        string       `db:"kind"`
	Summary     string       `db:"summary"`
	Body        string       `db:"body"`
	Status      string       `db:"status"`
	Attempts    int          `db:"attempts"`
	LastError   string       `db:"last_error"`
	CreatedAt   time.Time    `db:"created_at"`
	SentAt      sql.NullTime `db:"sent_at"`
}

func (r isoMessageRow) domain() ill.ISOMessage {
	m := ill.ISOMessage{ID: r.ID, RequestID: r.RequestID, Direction: r.Direction, LibraryCode: r.LibraryCode,
		Kind: r.Kind, Summary: r.Summary, Body: r.Body, Status: ill.ISOStatus(r.Status), Attempts: r.Attempts,
		LastError: r.LastError, CreatedAt: r.CreatedAt}
	if r.SentAt.Valid {
		m.SentAt = r.SentAt.Time
	}
	return m
}

func isoMessages(rows []isoMessageRow) []ill.ISOMessage {
	if rows == nil {
		return nil
	}
	out := make([]ill.ISOMessage, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out
}

// isoMessageColumns is the iso18626_messages row as isoMessageRow scans it.
const isoMessageColumns = `id, request_id, direction, library_code, kind, summary, body, status, attempts, last_error, created_at, sent_at`

// insertISOMessageSQL stores a message. Locks: the new row (until commit
// inside a transaction, for the statement only outside one).
const insertISOMessageSQL = `INSERT INTO iso18626_messages (request_id, direction, library_code, kind, summary, body,
	status, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

func insertISOMessage(ctx context.Context, e sqlx.ExecerContext, m ill.ISOMessage) (int64, error) {
	if len(m.Summary) > 200 {
		m.Summary = m.Summary[:200]
	}
	r, err := e.ExecContext(ctx, insertISOMessageSQL, m.RequestID, m.Direction, m.LibraryCode, m.Kind,
		m.Summary, m.Body, string(m.Status), truncate(m.LastError, 1000), m.CreatedAt.UTC())
	if err != nil {
		return 0, err
	}
	return r.LastInsertId()
}

// AddISOMessage stores an outbound (or inbound) message in the transaction.
func (t *Tx) AddISOMessage(ctx context.Context, m ill.ISOMessage) (int64, error) {
	return insertISOMessage(ctx, t.tx, m)
}

// LogISOMessage stores an inbound message and its confirmation status.
func (s *Store) LogISOMessage(ctx context.Context, m ill.ISOMessage) error {
	_, err := insertISOMessage(ctx, s.DB, m)
	return classify(err)
}

// purgeISOMessagesSQL deletes one batch of messages created before the
// cut-off, oldest first, leaving outbound messages that still wait for
// delivery. It walks the primary key (ids grow with created_at), so each
// batch locks only the rows it deletes.
const purgeISOMessagesSQL = `DELETE FROM iso18626_messages
	WHERE created_at < ? AND NOT (direction = 'out' AND status = 'pending')
	ORDER BY id LIMIT ?`

// PurgeISOMessages deletes the stored ISO 18626 messages older than
// before, in batches of batch rows (one short transaction each), and
// returns how many it deleted. Safe to run concurrently and repeatedly.
func (s *Store) PurgeISOMessages(ctx context.Context, before time.Time, batch int) (int, error) {
	total := 0
	for {
		r, err := s.DB.ExecContext(ctx, purgeISOMessagesSQL, before.UTC(), batch)
		if err != nil {
			return total, classify(err)
		}
		n, _ := r.RowsAffected()
		total += int(n)
		if int(n) < batch {
			return total, nil
		}
	}
}

// isoMessagesSQL lists a request's messages in order. Locks: none.
const isoMessagesSQL = `SELECT ` + isoMessageColumns + ` FROM iso18626_messages WHERE request_id = ? ORDER BY id`

// ISOMessages lists a request's ISO messages in order (tests, console).
func (s *Store) ISOMessages(ctx context.Context, requestID string) ([]ill.ISOMessage, error) {
	var rows []isoMessageRow
	if err := s.DB.SelectContext(ctx, &rows, isoMessagesSQL, requestID); err != nil {
		return nil, classify(err)
	}
	return isoMessages(rows), nil
}

// isoMessageSQL reads a message. Locks: none (plain read).
const isoMessageSQL = `SELECT ` + isoMessageColumns + ` FROM iso18626_messages WHERE id = ?`

// ISOMessage reads one message row.
func (s *Store) ISOMessage(ctx context.Context, id int64) (*ill.ISOMessage, error) {
	var r isoMessageRow
	err := s.DB.GetContext(ctx, &r, isoMessageSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("iso18626 message", "")
	}
	if err != nil {
		return nil, classify(err)
	}
	m := r.domain()
	return &m, nil
}

// lockPendingISOSQL lists the outbound messages to a member for a request
// still pending, oldest first. Locks: those rows (FOR UPDATE, through
// ix_iso_request) until commit: a second delivery of the same request and
// member waits here until the first has sent them and committed, then
// finds only what is still pending. At READ COMMITTED the rows of the
// range that are no longer pending are not kept locked.
const lockPendingISOSQL = `SELECT ` + isoMessageColumns + ` FROM iso18626_messages
	WHERE request_id = ? AND library_code = ? AND direction = 'out' AND status = 'pending' ORDER BY id FOR UPDATE`

// LockPendingISO lists and locks the outbound messages to one member for
// one request still pending, oldest first (they are delivered in this
// order, by the holder of the locks).
func (t *Tx) LockPendingISO(ctx context.Context, requestID, library string) ([]ill.ISOMessage, error) {
	var rows []isoMessageRow
	if err := t.tx.SelectContext(ctx, &rows, lockPendingISOSQL, requestID, library); err != nil {
		return nil, err
	}
	return isoMessages(rows), nil
}

// recordISOOutcomeSQL stores a delivery attempt's result; an empty error
// keeps the last one. Locks: the message row until commit.
const recordISOOutcomeSQL = `UPDATE iso18626_messages SET status = ?, attempts = attempts + 1,
	last_error = IF(? = '', last_error, ?), sent_at = COALESCE(?, sent_at) WHERE id = ?`

// RecordISOOutcome stores a delivery attempt's result: status is
// ill.ISOSent (at is then the delivery time), ill.ISOPending (to be
// retried) or ill.ISOFailed. The write travels with the transaction's
// next statement or its commit.
func (t *Tx) RecordISOOutcome(ctx context.Context, id int64, status ill.ISOStatus, lastError string, at time.Time) error {
	var sent any
	if status == ill.ISOSent {
		sent = at.UTC()
	}
	t.tx.later(recordISOOutcomeSQL, string(status), lastError, truncate(lastError, 1000), sent, id) // queued, see txConn
	return nil
}
