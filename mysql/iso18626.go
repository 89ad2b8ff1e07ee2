package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// ISOMember is a library as an ISO 18626 peer: its symbol, the endpoint
// its own ILL system listens on ("" for members that use the JSON API
// only), the hash of the secret it must send, and whether it may post
// without one (ClosedNetwork: reached over a closed network only).
type ISOMember struct {
	Code          string `db:"code"`
	Symbol        string `db:"iso_symbol"`
	Endpoint      string `db:"iso_endpoint"`
	SecretHash    string `db:"iso_secret_hash"`
	ClosedNetwork bool   `db:"iso_closed_network"`
}

// Speaks reports whether the member's own system speaks ISO 18626 (an
// endpoint is registered): the hub then sends it ISO messages.
func (m *ISOMember) Speaks() bool { return m != nil && m.Endpoint != "" }

const isoMemberSQL = `SELECT code, iso_symbol, iso_endpoint, iso_secret_hash, iso_closed_network FROM libraries `

func isoMember(ctx context.Context, q sqlx.QueryerContext, where string, arg any) (*ISOMember, error) {
	var m ISOMember
	err := sqlx.GetContext(ctx, q, &m, isoMemberSQL+where+` LIMIT 1`, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("library", "")
	}
	return &m, err
}

// ISOMemberBySymbol finds the member whose ISO 18626 symbol is symbol
// (agencyIdValue; case-insensitive); not_found when none.
func (s *Store) ISOMemberBySymbol(ctx context.Context, symbol string) (*ISOMember, error) {
	return isoMember(ctx, s.DB, `WHERE iso_symbol = ?`, symbol)
}

// ISOMember reads a member's ISO 18626 registration by library code (from
// the Directory when attached).
func (s *Store) ISOMember(ctx context.Context, code string) (*ISOMember, error) {
	if l, ok, err := s.dir.library(ctx, code); ok || err != nil {
		return l.isoMember(), err
	}
	return isoMember(ctx, s.DB, `WHERE code = ?`, code)
}

// ISOMember reads a member's ISO 18626 registration inside the transaction
// (from the Directory when attached).
func (t *Tx) ISOMember(ctx context.Context, code string) (*ISOMember, error) {
	if l, ok, err := t.dir.library(ctx, code); ok || err != nil {
		return l.isoMember(), err
	}
	return isoMember(ctx, t.tx, `WHERE code = ?`, code)
}

func (l *Library) isoMember() *ISOMember {
	if l == nil {
		return nil
	}
	return &ISOMember{Code: l.Code, Symbol: l.ISOSymbol, Endpoint: l.ISOEndpoint, SecretHash: l.ISOSecretHash, ClosedNetwork: l.ISOClosedNetwork}
}

// ISORegistration is what `illctl library add` sets of a member's ISO
// 18626 registration. Empty strings and a nil ClosedNetwork keep the
// stored value; the secret is stored hashed.
type ISORegistration struct {
	Code, Symbol, Endpoint, Secret string
	ClosedNetwork                  *bool
}

// SetISO registers a library's ISO 18626 symbol, endpoint, secret and
// closed-network mark. It does not check that a member with an endpoint
// can authenticate: the caller (illctl) refuses that.
func (s *Store) SetISO(ctx context.Context, reg ISORegistration) error {
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
	r, err := s.DB.ExecContext(ctx, `UPDATE libraries SET iso_symbol = IF(? = '', iso_symbol, ?),
		iso_endpoint = IF(? = '', iso_endpoint, ?), iso_secret_hash = IF(? = '', iso_secret_hash, ?),
		iso_closed_network = IF(? < 0, iso_closed_network, ?) WHERE code = ?`,
		symbol, symbol, endpoint, endpoint, hash, hash, closed, closed, code)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		if _, err := s.Library(ctx, code); err != nil {
			return err
		}
	}
	return nil
}

// ISOSpeakers lists the codes of members with an ISO 18626 endpoint.
func (t *Tx) ISOSpeakers(ctx context.Context) (map[string]bool, error) {
	var codes []string
	if err := t.tx.SelectContext(ctx, &codes, `SELECT code FROM libraries WHERE iso_endpoint <> ''`); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(codes))
	for _, c := range codes {
		out[c] = true
	}
	return out, nil
}

// RecordByLocalID maps a member's own record id (supplierUniqueRecordId)
// to the union record; 0 when unknown.
func (s *Store) RecordByLocalID(ctx context.Context, library, localID string) (int64, error) {
	var id int64
	err := s.DB.GetContext(ctx, &id, `SELECT record_id FROM holdings WHERE library_code = ? AND local_id = ?`, library, localID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// MatchCitation finds the union record of a citation (ISBN, then
// title/author/publisher/year); 0 when none.
func (s *Store) MatchCitation(ctx context.Context, c ill.Citation) (int64, error) {
	return matchRecord(ctx, s.DB, c)
}

// LocalIDOf returns a lender's own id for a union record ("" when it has
// no holding of it): supplierUniqueRecordId in the request sent to it.
func (t *Tx) LocalIDOf(ctx context.Context, library string, recordID int64) (string, error) {
	var id string
	err := t.tx.GetContext(ctx, &id, `SELECT local_id FROM holdings WHERE library_code = ? AND record_id = ?
		ORDER BY available DESC, local_id LIMIT 1`, library, recordID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// ISOMessage is one row of iso18626_messages.
type ISOMessage struct {
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

// Outbound ISO message statuses.
const (
	ISOPending = "pending"
	ISOSent    = "sent"
	ISOFailed  = "failed"
)

const isoMessageColumns = `id, request_id, direction, library_code, kind, summary, body, status, attempts, last_error, created_at, sent_at`

func insertISOMessage(ctx context.Context, e sqlx.ExecerContext, m ISOMessage) (int64, error) {
	if len(m.Summary) > 200 {
		m.Summary = m.Summary[:200]
	}
	r, err := e.ExecContext(ctx, `INSERT INTO iso18626_messages (request_id, direction, library_code, kind, summary, body,
		status, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.RequestID, m.Direction, m.LibraryCode, m.Kind,
		m.Summary, m.Body, m.Status, truncate(m.LastError, 1000), m.CreatedAt.UTC())
	if err != nil {
		return 0, err
	}
	return r.LastInsertId()
}

// AddISOMessage stores an outbound (or inbound) message in the transaction.
func (t *Tx) AddISOMessage(ctx context.Context, m ISOMessage) (int64, error) {
	return insertISOMessage(ctx, t.tx, m)
}

// LogISOMessage stores an inbound message and its confirmation status.
func (s *Store) LogISOMessage(ctx context.Context, m ISOMessage) error {
	_, err := insertISOMessage(ctx, s.DB, m)
	return err
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
			return total, err
		}
		n, _ := r.RowsAffected()
		total += int(n)
		if int(n) < batch {
			return total, nil
		}
	}
}

// ISOMessages lists a request's ISO messages in order (tests, console).
func (s *Store) ISOMessages(ctx context.Context, requestID string) ([]ISOMessage, error) {
	var out []ISOMessage
	err := s.DB.SelectContext(ctx, &out, `SELECT `+isoMessageColumns+` FROM iso18626_messages WHERE request_id = ? ORDER BY id`, requestID)
	return out, err
}

// LockISOMessage reads and locks one message row.
func (t *Tx) LockISOMessage(ctx context.Context, id int64) (*ISOMessage, error) {
	var m ISOMessage
	err := t.tx.GetContext(ctx, &m, `SELECT `+isoMessageColumns+` FROM iso18626_messages WHERE id = ? FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("iso18626 message", "")
	}
	return &m, err
}

// PendingISO lists the outbound messages to one member for one request
// still pending, oldest first (they are delivered in this order).
func (t *Tx) PendingISO(ctx context.Context, requestID, library string) ([]ISOMessage, error) {
	var out []ISOMessage
	err := t.tx.SelectContext(ctx, &out, `SELECT `+isoMessageColumns+` FROM iso18626_messages
		WHERE request_id = ? AND library_code = ? AND direction = 'out' AND status = 'pending' ORDER BY id`,
		requestID, library)
	return out, err
}

// RequestState reads a request's state (no lock).
func (t *Tx) RequestState(ctx context.Context, id string) (ill.State, error) {
	var st string
	err := t.tx.GetContext(ctx, &st, `SELECT state FROM requests WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("request", id)
	}
	return ill.State(st), err
}

// NamedLock takes a server-wide named lock (GET_LOCK, scoped to this
// database) on a connection of its own, waiting at most wait. release
// frees it; the lock also ends if the connection is lost.
func (s *Store) NamedLock(ctx context.Context, name string, wait time.Duration) (release func(), err error) {
	conn, err := s.DB.Connx(ctx)
	if err != nil {
		return nil, err
	}
	const key = `SHA2(CONCAT(DATABASE(), '/', ?), 256)`
	var got sql.NullInt64
	if err := conn.GetContext(ctx, &got, `SELECT GET_LOCK(`+key+`, ?)`, name, int(wait.Seconds())); err != nil {
		conn.Close()
		return nil, err
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return nil, errors.New("mysql: lock " + name + " is busy")
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(rctx, `SELECT RELEASE_LOCK(`+key+`)`, name); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // drop the session, and its lock, from the pool
		}
		conn.Close()
	}, nil
}

// RecordISOOutcome stores a delivery attempt's result.
func (t *Tx) RecordISOOutcome(ctx context.Context, id int64, status, lastError string, at time.Time) error {
	var sent any
	if status == ISOSent {
		sent = at.UTC()
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE iso18626_messages SET status = ?, attempts = attempts + 1,
		last_error = IF(? = '', last_error, ?), sent_at = COALESCE(?, sent_at) WHERE id = ?`,
		status, lastError, truncate(lastError, 1000), sent, id)
	return err
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
