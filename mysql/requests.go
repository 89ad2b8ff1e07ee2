package mysql

// The requests aggregate: the requests row, its rota and its timeline
// (events), as the consumers lock, read and write them in their
// transactions. Reads outside a transaction: requests_read.go.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	Source          string         `db:"source"`
	ServiceType     string         `db:"service_type"`
	Citation        sql.NullString `db:"citation"`
	Rush            bool           `db:"rush"`
	DeliverBy       sql.NullTime   `db:"deliver_by"`
	DeliveryFileID  string         `db:"delivery_file_id"`
}

// requestColumns is the requests row as requestRow scans it.
const requestColumns = `id, borrower, client_request_id, patron_id, record_id, title, author, isbn,
	publisher, year, note, state, reason, lender, item_barcode, submitted_at, respond_by, ship_by,
	due_at, provisional, updated_at, source, service_type, citation, rush, deliver_by, delivery_file_id`

func (r requestRow) domain() *ill.Request {
	var c ill.Citation
	if r.Citation.Valid && r.Citation.String != "" {
		// written by citationJSON; a row that does not read keeps none
		_ = json.Unmarshal([]byte(r.Citation.String), &c)
	}
	return &ill.Request{
		ServiceType: ill.ServiceType(r.ServiceType).OrLoan(), Citation: c.CopyFields(), Rush: r.Rush,
		DeliverBy: r.DeliverBy.Time, DeliveryFileID: r.DeliveryFileID,
		ID: r.ID, Borrower: r.Borrower, ClientRequestID: r.ClientRequestID, PatronID: r.PatronID,
		RecordID: r.RecordID.Int64, Title: r.Title, Author: r.Author, ISBN: r.ISBN,
		Publisher: r.Publisher, Year: r.Year, Note: r.Note.String, State: ill.State(r.State),
		Reason: ill.Reason(r.Reason), Lender: r.Lender.String, ItemBarcode: r.ItemBarcode,
		SubmittedAt: r.SubmittedAt, RespondBy: r.RespondBy.Time, ShipBy: r.ShipBy.Time,
		DueAt: r.DueAt.Time, Provisional: r.Provisional, UpdatedAt: r.UpdatedAt, Source: r.Source,
	}
}

// insertRequestSQL stores a new request. Locks: the new row until commit;
// uq_requests_client is checked with a shared lock on a duplicate (a
// concurrent twin of the same client id waits, then fails as duplicate).
const insertRequestSQL = `INSERT INTO requests (id, borrower, client_request_id, patron_id, record_id, title,
	author, isbn, publisher, year, note, state, reason, lender, item_barcode, submitted_at, respond_by,
	ship_by, due_at, provisional, updated_at, source, service_type, citation, rush, deliver_by, delivery_file_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// ErrRequestExists is the error of a transaction that inserted a request
// (InsertRequest) whose id is stored already: a repeated submit.
var ErrRequestExists = &ill.Error{Code: ill.CodeConflict, Message: "request already exists"}

// InsertRequest queues the insert of a new request (see txConn): it reaches
// the server with the transaction's next statement or its commit. Every
// unique key the rest of a submit's transaction writes (rota ranks, outbox
// rows by deterministic id) derives from the request id, so from here on a
// write failing on a duplicate key means the request was stored before:
// that statement, and the commit, fail with ErrRequestExists.
func (t *Tx) InsertRequest(ctx context.Context, r *ill.Request) error {
	t.tx.later(insertRequestSQL, r.ID, r.Borrower, r.ClientRequestID, r.PatronID,
		nullInt(r.RecordID), r.Title, r.Author, r.ISBN, r.Publisher, r.Year, nullStr(r.Note), string(r.State),
		string(r.Reason), nullStr(r.Lender), r.ItemBarcode, r.SubmittedAt.UTC(), nullTime(r.RespondBy),
		nullTime(r.ShipBy), nullTime(r.DueAt), r.Provisional, r.UpdatedAt.UTC(), r.Source,
		string(r.ServiceType.OrLoan()), citationJSON(r.Citation), r.Rush, nullTime(r.DeliverBy), r.DeliveryFileID)
	t.tx.onDuplicate = ErrRequestExists
	return nil
}

// citationJSON is the citation column: a copy's own fields as JSON, NULL
// when it has none (loans).
func citationJSON(c ill.Citation) sql.NullString {
	c = c.CopyFields()
	if c == (ill.Citation{}) {
		return sql.NullString{}
	}
	b, _ := json.Marshal(copyCitation{JournalTitle: c.JournalTitle, ISSN: c.ISSN, Volume: c.Volume, Issue: c.Issue,
		Pages: c.Pages, ArticleTitle: c.ArticleTitle, Authors: c.Authors, DOI: c.DOI, Chapter: c.Chapter, BookPages: c.BookPages})
	return sql.NullString{String: string(b), Valid: true}
}

// copyCitation is the JSON of the citation column: only the copy fields,
// each left out when empty.
type copyCitation struct {
	JournalTitle string `json:"journal_title,omitempty"`
	ISSN         string `json:"issn,omitempty"`
	Volume       string `json:"volume,omitempty"`
	Issue        string `json:"issue,omitempty"`
	Pages        string `json:"pages,omitempty"`
	ArticleTitle string `json:"article_title,omitempty"`
	Authors      string `json:"authors,omitempty"`
	DOI          string `json:"doi,omitempty"`
	Chapter      string `json:"chapter,omitempty"`
	BookPages    int    `json:"book_pages,omitempty"`
}

// countActiveSQL counts a reader's requests of one service type in the
// given states (an IN list, expanded by sqlx.In). Locks: none (plain
// read); it is race-free because the caller holds the reader's patrons
// row lock (upsertPatronSQL), which every submit for that reader takes
// first.
const countActiveSQL = `SELECT COUNT(*) FROM requests WHERE borrower = ? AND patron_id = ? AND service_type = ?
	AND state IN (?)`

// activeLoansSQL lists the reader's loans in the given states (an IN list,
// expanded by sqlx.In) with their records. Locks: none (plain read;
// serialised, like countActiveSQL, by the patrons row lock).
const activeLoansSQL = `SELECT id, COALESCE(record_id, 0) AS record_id FROM requests
	WHERE borrower = ? AND patron_id = ? AND service_type = 'loan' AND state IN (?)`

// ActiveLoans lists the reader's loans in states that count for R3 (copy
// requests have their own limit: CountOpenCopies), with their records, so
// one read gives the R3 count and the duplicate check
// (ill.DuplicateLoan). Call it after LockPatron in the same transaction.
func (t *Tx) ActiveLoans(ctx context.Context, library, patronID string) ([]ill.LoanRef, error) {
	q, args, err := sqlx.In(activeLoansSQL, library, patronID, ill.ActiveStates())
	if err != nil {
		return nil, err
	}
	var rows []loanRow
	if err := t.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	return loanRefs(rows), nil
}

// loanRow is a row of activeLoansSQL.
type loanRow struct {
	ID       string `db:"id"`
	RecordID int64  `db:"record_id"`
}

func loanRefs(rows []loanRow) []ill.LoanRef {
	out := make([]ill.LoanRef, len(rows))
	for i, r := range rows {
		out[i] = ill.LoanRef(r)
	}
	return out
}

// LoansAndCandidates is ActiveLoans and Candidates in one round trip: a
// loan request for a catalogue record needs both (R3 and the duplicate
// check, then its rota), and neither depends on the other. When the
// request is refused before routing, the candidates were read for
// nothing, which costs less than a round trip. Call it after LockPatron
// in the same transaction (the lock travels in front of both reads).
func (t *Tx) LoansAndCandidates(ctx context.Context, library, patronID string, recordID int64, at time.Time) (loans []ill.LoanRef, cands []ill.Candidate, local bool, err error) {
	lq, largs, err := sqlx.In(activeLoansSQL, library, patronID, ill.ActiveStates())
	if err != nil {
		return nil, nil, false, err
	}
	var rows []loanRow
	var all []candidateRow
	if err := t.tx.selectEach(ctx, []any{&rows, &all}, []string{lq, candidatesSQL}, largs, []any{library, recordID}); err != nil {
		return nil, nil, false, err
	}
	cands, local, err = t.candidates(ctx, all, library, at)
	return loanRefs(rows), cands, local, err
}

// CountOpenCopies counts the reader's open copy requests
// (ill.CopyOpenStates), for the borrower's copy limit. Call it after
// LockPatron in the same transaction.
func (t *Tx) CountOpenCopies(ctx context.Context, library, patronID string) (int, error) {
	return t.countIn(ctx, library, patronID, ill.ServiceCopy, ill.CopyOpenStates())
}

func (t *Tx) countIn(ctx context.Context, library, patronID string, st ill.ServiceType, states []ill.State) (int, error) {
	q, args, err := sqlx.In(countActiveSQL, library, patronID, string(st), states)
	if err != nil {
		return 0, err
	}
	var n int
	err = t.tx.GetContext(ctx, &n, q, args...)
	return n, err
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

// claimRequestSQL reads a request joined with its rota with a locking
// read, one row per rota entry (one row with NULL rota columns when the
// rota is empty), and whether the message was applied before: a message
// applied to a request leaves its timeline lines (events.message_id), or,
// when its transition writes none, an inbox row (RecordApplied). Both
// checks are locking reads: a consistent read could use a snapshot taken
// before a concurrent delivery of the same message committed and released
// the request row (seen in TestSameActionMessageTwiceAtOnceAppliesOnce);
// a locking read sees the latest committed rows. Locks: the request row
// and its rota rows (FOR UPDATE), shared locks on the request's events and
// on the inbox row if it exists, until commit. Every rota write holds the request
// row lock first, so locking the rota behind it adds no new lock order.
const claimRequestSQL = `SELECT (EXISTS(SELECT 1 FROM events e WHERE e.request_id = q.id AND e.message_id = ? LOCK IN SHARE MODE)
	OR EXISTS(SELECT 1 FROM inbox i WHERE i.message_id = ? AND i.handler = ? LOCK IN SHARE MODE)) AS seen, ` + requestColumns + `, ` + rotaJoinColumns + `
	FROM requests q LEFT JOIN rota ro ON ro.request_id = q.id WHERE q.id = ? ORDER BY ro.rank_no FOR UPDATE`

// rotaJoinColumns are the rota's columns in a read of requests q LEFT
// JOIN rota ro, as rotaJoin scans them (NULL: no rota entry).
const rotaJoinColumns = `ro.rank_no AS rota_rank, ro.library_code AS rota_library,
	ro.outcome AS rota_outcome, ro.reasons AS rota_reasons`

// rotaJoin is rotaJoinColumns as scanned.
type rotaJoin struct {
	Rank    sql.NullInt64  `db:"rota_rank"`
	Library sql.NullString `db:"rota_library"`
	Outcome sql.NullString `db:"rota_outcome"`
	Reasons sql.NullString `db:"rota_reasons"`
}

// add appends the entry, if the row has one, to r's rota.
func (j rotaJoin) add(r *ill.Request) {
	if !j.Rank.Valid {
		return
	}
	r.Rota = append(r.Rota, rotaRow{Rank: int(j.Rank.Int64), Library: j.Library.String,
		Outcome: j.Outcome.String, Reasons: j.Reasons.String}.entry())
}

// ClaimRequest reads and locks a request with its rota and tells whether
// handler applied message messageID to it before (first is false: the
// caller does nothing more). A message applied without writing a timeline
// line must be recorded with RecordApplied in its transaction. not_found
// when there is no such request. One statement.
func (t *Tx) ClaimRequest(ctx context.Context, handler, messageID string, id string) (first bool, r *ill.Request, err error) {
	rows, err := t.tx.QueryxContext(ctx, claimRequestSQL, messageID, messageID, handler, id)
	if err != nil {
		return false, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var row struct {
			Seen bool `db:"seen"`
			requestRow
			rotaJoin
		}
		if err := rows.StructScan(&row); err != nil {
			return false, nil, err
		}
		if r == nil {
			r = row.requestRow.domain()
			r.Rota = []ill.RotaEntry{}
			first = !row.Seen
		}
		row.rotaJoin.add(r)
	}
	if err := rows.Err(); err != nil {
		return false, nil, err
	}
	if r == nil {
		return false, nil, notFound("request", id)
	}
	return first, r, nil
}

// updateRequestSQL writes back a locked request (by primary key). Locks:
// the request row, already held (lockRequestSQL or claimRequestSQL).
const updateRequestSQL = `UPDATE requests SET record_id = ?, title = ?, author = ?, isbn = ?, publisher = ?,
	year = ?, state = ?, reason = ?, lender = ?, item_barcode = ?, respond_by = ?, ship_by = ?, due_at = ?,
	provisional = ?, updated_at = ?, deliver_by = ?, delivery_file_id = ? WHERE id = ?`

// UpdateRequest writes back a request loaded with LockRequest (queued: sent
// with the transaction's next statement or its commit, see txConn).
func (t *Tx) UpdateRequest(ctx context.Context, r *ill.Request) error {
	t.tx.later(updateRequestSQL, nullInt(r.RecordID), r.Title, r.Author, r.ISBN,
		r.Publisher, r.Year, string(r.State), string(r.Reason), nullStr(r.Lender), r.ItemBarcode,
		nullTime(r.RespondBy), nullTime(r.ShipBy), nullTime(r.DueAt), r.Provisional, r.UpdatedAt.UTC(),
		nullTime(r.DeliverBy), r.DeliveryFileID, r.ID)
	return nil
}

// requestStateSQL reads a request's state. Locks: none (plain read).
const requestStateSQL = `SELECT state FROM requests WHERE id = ?`

// RequestState reads a request's state (no lock).
func (t *Tx) RequestState(ctx context.Context, id string) (ill.State, error) {
	var st string
	err := t.tx.GetContext(ctx, &st, requestStateSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("request", id)
	}
	return ill.State(st), err
}

// requestBriefRow is a row of requestBriefSQL.
type requestBriefRow struct {
	ID       string         `db:"id"`
	Borrower string         `db:"borrower"`
	Lender   sql.NullString `db:"lender"`
	PatronID string         `db:"patron_id"`
	Title    string         `db:"title"`
	DueAt    sql.NullTime   `db:"due_at"`
	State    string         `db:"state"`
}

// requestBriefSQL reads ill.RequestBrief's columns of a request. Locks:
// none (plain read).
const requestBriefSQL = `SELECT id, borrower, lender, patron_id, title, due_at, state FROM requests WHERE id = ?`

// RequestBrief reads a request without locking it.
func (t *Tx) RequestBrief(ctx context.Context, id string) (*ill.RequestBrief, error) {
	var r requestBriefRow
	if err := t.tx.GetContext(ctx, &r, requestBriefSQL, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("request", id)
		}
		return nil, err
	}
	return &ill.RequestBrief{ID: r.ID, Borrower: r.Borrower, Lender: r.Lender.String, PatronID: r.PatronID,
		Title: r.Title, DueAt: r.DueAt.Time, State: ill.State(r.State)}, nil
}

// AddEvent appends to the request's immutable timeline (queued, see
// txConn; AddEvents writes several lines in one statement). Locks: the
// new row until commit (the request row lock orders a request's events).
func (t *Tx) AddEvent(ctx context.Context, requestID, messageID string, e ill.Event) error {
	return t.AddEvents(ctx, []ill.EventLine{{RequestID: requestID, MessageID: messageID, Event: e}})
}

type rotaRow struct {
	Rank    int    `db:"rank_no"`
	Library string `db:"library_code"`
	Outcome string `db:"outcome"`
	Reasons string `db:"reasons"`
}

// rotaSQL reads a request's rota in rank order. Locks: none (plain read;
// inside a transaction the request row lock, taken first, guards it).
const rotaSQL = `SELECT rank_no, library_code, outcome, reasons FROM rota
	WHERE request_id = ? ORDER BY rank_no`

func loadRota(ctx context.Context, q sqlx.QueryerContext, id string) ([]ill.RotaEntry, error) {
	var rows []rotaRow
	if err := sqlx.SelectContext(ctx, q, &rows, rotaSQL, id); err != nil {
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

// saveRotaSQL upserts rota entries by (request_id, rank_no): saveRotaSQL,
// then one saveRotaRowSQL per entry (comma-separated), then
// saveRotaUpdateSQL. Locks: each entry's row (by primary key) until
// commit, all under the request row lock the caller holds.
const (
	saveRotaSQL       = `INSERT INTO rota (request_id, rank_no, library_code, outcome, reasons, asked_at, answered_at) VALUES `
	saveRotaRowSQL    = "(?, ?, ?, ?, ?, ?, ?)"
	saveRotaUpdateSQL = ` ON DUPLICATE KEY UPDATE outcome = VALUES(outcome),
	asked_at = COALESCE(asked_at, VALUES(asked_at)), answered_at = COALESCE(answered_at, VALUES(answered_at))`
)

// SaveRota writes r.Rota (the request row lock must be held). Entries are
// upserted by rank: outcomes change, entries are never removed, and the
// times a lender was asked and answered are kept for lender history.
func (t *Tx) SaveRota(ctx context.Context, r *ill.Request, at time.Time) error {
	if len(r.Rota) == 0 {
		return nil
	}
	var sb strings.Builder
	args := make([]any, 0, len(r.Rota)*7)
	sb.WriteString(saveRotaSQL)
	for i, e := range r.Rota {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(saveRotaRowSQL)
		var asked, answered sql.NullTime
		if e.Outcome != ill.OutcomePending && e.Outcome != ill.OutcomeSkipped {
			asked = nullTime(at)
			if e.Outcome != ill.OutcomeAsked {
				answered = nullTime(at)
			}
		}
		args = append(args, r.ID, e.Rank, e.Library, string(e.Outcome), strings.Join(e.Reasons, ";"), asked, answered)
	}
	sb.WriteString(saveRotaUpdateSQL)
	t.tx.later(sb.String(), args...) // queued, see txConn
	return nil
}
