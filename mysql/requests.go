package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// requestRow is the requests table as scanned.
type requestRow struct {
	ID              string         `db:"id"`
	Borrower        string         `db:"borrower"`
	ClientRequestID string         `db:"client_request_id"`
	PatronID        string         `db:"patron_id"`
	RecordID        sql.NullInt64  `db:"record_id"`
	Title           string         `db:"title"`
	Author          string         `db:"author"`
	ISBN            string         `db:"isbn"`
	Publisher       string         `db:"publisher"`
	Year            int            `db:"year"`
	Note            sql.NullString `db:"note"`
	State           string         `db:"state"`
	Reason          string         `db:"reason"`
	Lender          sql.NullString `db:"lender"`
	ItemBarcode     string         `db:"item_barcode"`
	SubmittedAt     time.Time      `db:"submitted_at"`
	RespondBy       sql.NullTime   `db:"respond_by"`
	ShipBy          sql.NullTime   `db:"ship_by"`
	DueAt           sql.NullTime   `db:"due_at"`
	Provisional     bool           `db:"provisional"`
	UpdatedAt       time.Time      `db:"updated_at"`
}

const requestColumns = `id, borrower, client_request_id, patron_id, record_id, title, author, isbn,
	publisher, year, note, state, reason, lender, item_barcode, submitted_at, respond_by, ship_by,
	due_at, provisional, updated_at`

func (r requestRow) domain() *ill.Request {
	return &ill.Request{
		ID: r.ID, Borrower: r.Borrower, ClientRequestID: r.ClientRequestID, PatronID: r.PatronID,
		RecordID: r.RecordID.Int64, Title: r.Title, Author: r.Author, ISBN: r.ISBN,
		Publisher: r.Publisher, Year: r.Year, Note: r.Note.String, State: ill.State(r.State),
		Reason: ill.Reason(r.Reason), Lender: r.Lender.String, ItemBarcode: r.ItemBarcode,
		SubmittedAt: r.SubmittedAt, RespondBy: r.RespondBy.Time, ShipBy: r.ShipBy.Time,
		DueAt: r.DueAt.Time, Provisional: r.Provisional, UpdatedAt: r.UpdatedAt,
	}
}

// ErrNotFound is returned (wrapped in *ill.Error) when a row does not exist.
var ErrNotFound = errors.New("not found")

func notFound(what, id string) error {
	return &ill.Error{Code: ill.CodeNotFound, Message: fmt.Sprintf("%s %q not found", what, id)}
}

// MarkProcessed records that handler applied message id. It returns false
// when the message was applied before (a redelivery): the caller must then
// do nothing else and let the transaction commit (or roll back) harmlessly.
func (t *Tx) MarkProcessed(ctx context.Context, handler, id string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, inboxSQL, id, handler, at.UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// upsertPatronSQL registers or updates the reader a library vouches for. The
// INSERT ... ON DUPLICATE KEY UPDATE takes an exclusive lock on the patron
// row that is held until commit: concurrent submits for one reader queue
// here, which is what makes the R3 count below race-free.
const upsertPatronSQL = `INSERT INTO patrons (library_code, patron_id, name, email, deposit_paid, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE name = VALUES(name), email = VALUES(email),
	deposit_paid = VALUES(deposit_paid), updated_at = VALUES(updated_at)`

// LockPatron registers/updates the patron and holds its row lock until the
// transaction ends.
func (t *Tx) LockPatron(ctx context.Context, library string, p ill.Patron, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, upsertPatronSQL, library, p.ID, p.Name, p.Email, p.DepositPaid, at.UTC())
	return err
}

// CountActive counts the reader's requests in states that count for R3.
// Call it after LockPatron in the same transaction.
func (t *Tx) CountActive(ctx context.Context, library, patronID string) (int, error) {
	states := ill.ActiveStates()
	q, args, err := sqlx.In(`SELECT COUNT(*) FROM requests WHERE borrower = ? AND patron_id = ? AND state IN (?)`,
		library, patronID, states)
	if err != nil {
		return 0, err
	}
	var n int
	err = t.tx.GetContext(ctx, &n, q, args...)
	return n, err
}

// ActiveDuplicate returns the id of another active request by the same
// reader for the same record, or "".
func (t *Tx) ActiveDuplicate(ctx context.Context, r *ill.Request) (string, error) {
	if r.RecordID == 0 {
		return "", nil
	}
	q, args, err := sqlx.In(`SELECT id FROM requests WHERE borrower = ? AND patron_id = ? AND record_id = ?
		AND id <> ? AND state IN (?) LIMIT 1`, r.Borrower, r.PatronID, r.RecordID, r.ID, ill.ActiveStates())
	if err != nil {
		return "", err
	}
	var id string
	err = t.tx.GetContext(ctx, &id, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// RequestIDByClientID finds an earlier submit with the same client id.
func (t *Tx) RequestIDByClientID(ctx context.Context, borrower, clientID string) (string, error) {
	var id string
	err := t.tx.GetContext(ctx, &id, `SELECT id FROM requests WHERE borrower = ? AND client_request_id = ?`, borrower, clientID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

const insertRequestSQL = `INSERT INTO requests (id, borrower, client_request_id, patron_id, record_id, title,
	author, isbn, publisher, year, note, state, reason, lender, item_barcode, submitted_at, respond_by,
	ship_by, due_at, provisional, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// InsertRequest stores a new request.
func (t *Tx) InsertRequest(ctx context.Context, r *ill.Request) error {
	_, err := t.tx.ExecContext(ctx, insertRequestSQL, r.ID, r.Borrower, r.ClientRequestID, r.PatronID,
		nullInt(r.RecordID), r.Title, r.Author, r.ISBN, r.Publisher, r.Year, nullStr(r.Note), string(r.State),
		string(r.Reason), nullStr(r.Lender), r.ItemBarcode, r.SubmittedAt.UTC(), nullTime(r.RespondBy),
		nullTime(r.ShipBy), nullTime(r.DueAt), r.Provisional, r.UpdatedAt.UTC())
	if isDuplicate(err) {
		return &ill.Error{Code: ill.CodeConflict, Message: "request already exists"}
	}
	return err
}

// lockRequestSQL reads a request and takes its row lock until commit: every
// transition of one request is serialised here, whichever consumer process
// or scheduler instance applies it.
const lockRequestSQL = `SELECT ` + requestColumns + ` FROM requests WHERE id = ? FOR UPDATE`

// LockRequest loads a request with its rota, holding the request row lock.
func (t *Tx) LockRequest(ctx context.Context, id string) (*ill.Request, error) {
	var row requestRow
	if err := t.tx.GetContext(ctx, &row, lockRequestSQL, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("request", id)
		}
		return nil, err
	}
	r := row.domain()
	rota, err := loadRota(ctx, t.tx, id)
	if err != nil {
		return nil, err
	}
	r.Rota = rota
	return r, nil
}

// inboxSQL records a message as applied by a handler (0 rows: seen before).
const inboxSQL = `INSERT IGNORE INTO inbox (message_id, handler, processed_at) VALUES (?, ?, ?)`

// claimRowSQL records a message in the inbox and, in the same round trip,
// reads the row it is about with a locking read that the caller appends
// (from the column list on): ROW_COUNT() is the INSERT IGNORE's, 1 the
// first time, 0 for a message seen before.
const claimRowSQL = inboxSQL + ";\nSELECT ROW_COUNT() AS first_time, "

// claimRow is MarkProcessed and a one-row locking read in one round trip;
// dest embeds the row's struct beside First. sql.ErrNoRows when no row.
func (t *Tx) claimRow(ctx context.Context, handler, messageID string, at time.Time, dest any, rest string, args ...any) error {
	return t.tx.GetContext(ctx, dest, claimRowSQL+rest, append([]any{messageID, handler, at.UTC()}, args...)...)
}

// claimRequestSQL is claimRowSQL for a request, followed by its rota.
const claimRequestSQL = claimRowSQL + requestColumns + ` FROM requests WHERE id = ? FOR UPDATE;
SELECT rank_no, library_code, outcome, reasons FROM rota WHERE request_id = ? ORDER BY rank_no`

// ClaimRequest is MarkProcessed followed by LockRequest in one round trip:
// first is false for a message seen before (then r is still read and
// locked, and the caller does nothing more). not_found when there is no
// such request.
func (t *Tx) ClaimRequest(ctx context.Context, handler, messageID string, at time.Time, id string) (first bool, r *ill.Request, err error) {
	rows, err := t.tx.QueryxContext(ctx, claimRequestSQL, messageID, handler, at.UTC(), id, id)
	if err != nil {
		return false, nil, err
	}
	defer rows.Close()
	var row struct {
		First int64 `db:"first_time"`
		requestRow
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return false, nil, err
		}
		return false, nil, notFound("request", id)
	}
	if err := rows.StructScan(&row); err != nil {
		return false, nil, err
	}
	r = row.requestRow.domain()
	r.Rota = []ill.RotaEntry{}
	if !rows.NextResultSet() {
		if err := rows.Err(); err != nil {
			return false, nil, err
		}
		return false, nil, fmt.Errorf("mysql: claim of %s: no rota result", id)
	}
	for rows.Next() {
		var rr rotaRow // plain Scan: sqlx keeps the first result set's field map
		if err := rows.Scan(&rr.Rank, &rr.Library, &rr.Outcome, &rr.Reasons); err != nil {
			return false, nil, err
		}
		r.Rota = append(r.Rota, rr.entry())
	}
	if err := rows.Err(); err != nil {
		return false, nil, err
	}
	return row.First == 1, r, nil
}

const updateRequestSQL = `UPDATE requests SET record_id = ?, title = ?, author = ?, isbn = ?, publisher = ?,
	year = ?, state = ?, reason = ?, lender = ?, item_barcode = ?, respond_by = ?, ship_by = ?, due_at = ?,
	provisional = ?, updated_at = ? WHERE id = ?`

// UpdateRequest writes back a request loaded with LockRequest (queued: sent
// with the transaction's next statement or its commit, see txConn).
func (t *Tx) UpdateRequest(ctx context.Context, r *ill.Request) error {
	t.tx.later(updateRequestSQL, nullInt(r.RecordID), r.Title, r.Author, r.ISBN,
		r.Publisher, r.Year, string(r.State), string(r.Reason), nullStr(r.Lender), r.ItemBarcode,
		nullTime(r.RespondBy), nullTime(r.ShipBy), nullTime(r.DueAt), r.Provisional, r.UpdatedAt.UTC(), r.ID)
	return nil
}

// AddEvent appends to the request's immutable timeline (queued, see
// txConn).
func (t *Tx) AddEvent(ctx context.Context, requestID, messageID string, e ill.Event) error {
	note := e.Note
	if r := []rune(note); len(r) > 2000 {
		note = string(r[:2000])
	}
	t.tx.later(`INSERT INTO events (request_id, at, actor, action, from_state, to_state, note, message_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, requestID, e.At.UTC(), e.Actor, string(e.Action), string(e.From),
		string(e.To), note, messageID)
	return nil
}

type rotaRow struct {
	Rank    int    `db:"rank_no"`
	Library string `db:"library_code"`
	Outcome string `db:"outcome"`
	Reasons string `db:"reasons"`
}

func loadRota(ctx context.Context, q sqlx.QueryerContext, id string) ([]ill.RotaEntry, error) {
	var rows []rotaRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT rank_no, library_code, outcome, reasons FROM rota
		WHERE request_id = ? ORDER BY rank_no`, id); err != nil {
		return nil, err
	}
	out := make([]ill.RotaEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}

func (r rotaRow) entry() ill.RotaEntry {
	var reasons []string
	if r.Reasons != "" {
		reasons = strings.Split(r.Reasons, ";")
	}
	return ill.RotaEntry{Library: r.Library, Rank: r.Rank, Outcome: ill.Outcome(r.Outcome), Reasons: reasons}
}

// SaveRota writes r.Rota (the request row lock must be held). Entries are
// upserted by rank: outcomes change, entries are never removed, and the
// times a lender was asked and answered are kept for lender history.
func (t *Tx) SaveRota(ctx context.Context, r *ill.Request, at time.Time) error {
	if len(r.Rota) == 0 {
		return nil
	}
	var sb strings.Builder
	args := make([]any, 0, len(r.Rota)*7)
	sb.WriteString(`INSERT INTO rota (request_id, rank_no, library_code, outcome, reasons, asked_at, answered_at) VALUES `)
	for i, e := range r.Rota {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		var asked, answered sql.NullTime
		if e.Outcome != ill.OutcomePending && e.Outcome != ill.OutcomeSkipped {
			asked = nullTime(at)
			if e.Outcome != ill.OutcomeAsked {
				answered = nullTime(at)
			}
		}
		args = append(args, r.ID, e.Rank, e.Library, string(e.Outcome), strings.Join(e.Reasons, ";"), asked, answered)
	}
	sb.WriteString(` ON DUPLICATE KEY UPDATE outcome = VALUES(outcome),
		asked_at = COALESCE(asked_at, VALUES(asked_at)), answered_at = COALESCE(answered_at, VALUES(answered_at))`)
	t.tx.later(sb.String(), args...) // queued, see txConn
	return nil
}

// Enqueue writes a follow-on message to the outbox, to be relayed after
// commit. A message id already in the outbox is ignored (idempotent).
func (t *Tx) Enqueue(ctx context.Context, m ill.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	t.tx.later(`INSERT IGNORE INTO outbox (message_id, routing_key, body, created_at)
		VALUES (?, ?, ?, ?)`, m.ID, m.Type, body, m.At.UTC()) // queued, see txConn
	return nil
}

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

// AddNotice stores a notice once per (request, kind, step). It returns the
// new id and true, or 0 and false when that notice already exists.
func (t *Tx) AddNotice(ctx context.Context, n Notice) (int64, bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT IGNORE INTO notices (request_id, kind, step, library_code,
		patron_id, recipient, locale, subject, body, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`, n.RequestID, n.Kind, n.Step, n.Library, n.PatronID,
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

// SetNoticeStatus records a delivery attempt's outcome.
func (t *Tx) SetNoticeStatus(ctx context.Context, id int64, status string, at time.Time) error {
	var sent sql.NullTime
	if status == "sent" {
		sent = nullTime(at)
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE notices SET status = ?, attempts = attempts + 1, sent_at = ? WHERE id = ?`,
		status, sent, id)
	return err
}

// Patron reads a registered reader.
func (t *Tx) Patron(ctx context.Context, library, id string) (ill.Patron, error) {
	var p struct {
		ID          string `db:"patron_id"`
		Name        string `db:"name"`
		Email       string `db:"email"`
		DepositPaid bool   `db:"deposit_paid"`
	}
	err := t.tx.GetContext(ctx, &p, `SELECT patron_id, name, email, deposit_paid FROM patrons
		WHERE library_code = ? AND patron_id = ?`, library, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.Patron{ID: id}, nil
	}
	return ill.Patron{ID: p.ID, Name: p.Name, Email: p.Email, DepositPaid: p.DepositPaid}, err
}

// Shipment is a courier movement of one item.
type Shipment struct {
	ID          int64        `db:"id"`
	RequestID   string       `db:"request_id"`
	Direction   string       `db:"direction"`
	ItemBarcode string       `db:"item_barcode"`
	From        string       `db:"from_lib"`
	To          string       `db:"to_lib"`
	RouteCode   string       `db:"route_code"`
	Status      string       `db:"status"`
	RunDate     sql.NullTime `db:"run_date"`
	CreatedAt   time.Time    `db:"created_at"`
}

// AddShipment creates the request's shipment in one direction, once.
func (t *Tx) AddShipment(ctx context.Context, s Shipment) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO shipments (request_id, direction, item_barcode, from_lib, to_lib,
		route_code, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'awaiting_pickup', ?)
		ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)`, s.RequestID, s.Direction, s.ItemBarcode, s.From, s.To,
		s.RouteCode, s.CreatedAt.UTC())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// AssignShipmentRun puts a shipment on the courier run of day (once).
func (t *Tx) AssignShipmentRun(ctx context.Context, id int64, day ill.Date) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE shipments SET run_date = ? WHERE id = ? AND run_date IS NULL`, day.String(), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ShipmentByID reads a shipment with its row lock.
func (t *Tx) ShipmentByID(ctx context.Context, id int64) (*Shipment, error) {
	var s Shipment
	err := t.tx.GetContext(ctx, &s, `SELECT id, request_id, direction, item_barcode, from_lib, to_lib, route_code,
		status, run_date, created_at FROM shipments WHERE id = ? FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("shipment", fmt.Sprint(id))
	}
	return &s, err
}
