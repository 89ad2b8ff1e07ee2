package mysql

// Reads of the requests aggregate outside a transaction (the API, the
// console, metrics, the scheduler's paging): each statement is a plain
// read on its own and takes no locks.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// domains converts scanned rows to their ill values. No rows stays nil,
// as sqlx returns it: callers that write a list as JSON tell nil (null)
// from empty ([]) and replace nil themselves.
func domains[R, D any](rows []R, domain func(R) D) []D {
	if rows == nil {
		return nil
	}
	out := make([]D, len(rows))
	for i, r := range rows {
		out[i] = domain(r)
	}
	return out
}

// eventsSQL reads a request's timeline in order. Locks: none.
const eventsSQL = `SELECT at, actor, action, from_state, to_state, note FROM events
	WHERE request_id = ? ORDER BY id`

// GetRequest reads a request with its rota and timeline (no locks).
func (s *Store) GetRequest(ctx context.Context, id string) (_ *ill.Request, err error) {
	defer func() { err = classify(err) }()
	r, err := s.RequestForAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	var evs []struct {
		At     time.Time `db:"at"`
		Actor  string    `db:"actor"`
		Action string    `db:"action"`
		From   string    `db:"from_state"`
		To     string    `db:"to_state"`
		Note   string    `db:"note"`
	}
	if err := s.DB.SelectContext(ctx, &evs, eventsSQL, id); err != nil {
		return nil, err
	}
	for _, e := range evs {
		r.Events = append(r.Events, ill.Event{At: e.At, Actor: e.Actor, Action: ill.Action(e.Action),
			From: ill.State(e.From), To: ill.State(e.To), Note: e.Note})
	}
	return r, nil
}

// requestIDByClientSQL finds a request and its state by the borrower's
// own id (uq_requests_client). Locks: none.
const requestIDByClientSQL = `SELECT id, state FROM requests WHERE borrower = ? AND client_request_id = ?`

// RequestIDByClientID finds a submitted request by the borrower's own id.
func (s *Store) RequestIDByClientID(ctx context.Context, borrower, clientID string) (string, ill.State, error) {
	var row struct {
		ID    string `db:"id"`
		State string `db:"state"`
	}
	err := s.DB.GetContext(ctx, &row, requestIDByClientSQL, borrower, clientID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return row.ID, ill.State(row.State), classify(err)
}

// listRequestsSQL and countRequestsSQL are the history list and its total,
// each followed by the conditions ListRequests builds (every value a ?
// argument), and for the list by listRequestsOrderSQL: the page of
// requests (the inner select) joined with their rotas, one row per rota
// entry, in one statement. callerPartySQL is the condition "the caller is
// the borrower or a lender the rota asked". Locks: none.
const (
	listRequestsSQL      = `SELECT q.*, ` + rotaJoinColumns + ` FROM (SELECT ` + requestColumns + ` FROM requests q WHERE `
	listRequestsOrderSQL = `
	ORDER BY q.submitted_at DESC, q.id DESC LIMIT ? OFFSET ?) q
	LEFT JOIN rota ro ON ro.request_id = q.id ORDER BY q.submitted_at DESC, q.id DESC, ro.rank_no`
	countRequestsSQL = `SELECT COUNT(*) FROM requests q WHERE `
	callerPartySQL   = `(q.borrower = ? OR q.id IN (SELECT request_id FROM rota
	WHERE library_code = ? AND outcome NOT IN ('pending','skipped')))`
)

// textIdentitySQL is ListFilter.Text's match on a request's identifiers
// (id, the borrower's client id, barcode, ISBN as sent or normalised);
// textReaderSQL its match on the reader (card number, or a name
// containing the value), on the caller's own readers only (%s: the
// condition "the caller is the borrower", or 1=1 for the centre);
// textIDPrefixSQL the request id prefix. They are parts of the conditions
// of listRequestsSQL and countRequestsSQL. Locks: none.
const (
	textIdentitySQL = `q.id = ? OR q.client_request_id = ? OR q.item_barcode = ? OR q.isbn IN (?, ?)`
	textReaderSQL   = `(%s AND (q.patron_id = ? OR EXISTS (SELECT 1 FROM patrons p
	WHERE p.library_code = q.borrower AND p.patron_id = q.patron_id AND p.name LIKE ?)))`
	textIDPrefixSQL = `q.id LIKE ?`
)

// textCondition is ListFilter.Text's condition and its arguments: any of
// the identifiers, the reader, or every word in the title.
func textCondition(t string, f ill.ListFilter) (string, []any) {
	parts := []string{textIdentitySQL}
	args := []any{t, t, t, t, normalISBN(t)}
	if u := strings.ToUpper(t); strings.HasPrefix(u, "ILL-") && len(u) >= 8 && len(u) < 20 {
		parts = append(parts, textIDPrefixSQL)
		args = append(args, escapeLike(u)+"%")
	}
	own := "1=1"
	if !f.Centre {
		own = "q.borrower = ?"
		args = append(args, f.Caller)
	}
	parts = append(parts, fmt.Sprintf(textReaderSQL, own))
	args = append(args, t, "%"+escapeLike(t)+"%")
	var words []string
	for _, w := range strings.Fields(t) {
		words = append(words, "q.title LIKE ?")
		args = append(args, "%"+escapeLike(w)+"%")
	}
	if len(words) > 0 {
		parts = append(parts, "("+strings.Join(words, " AND ")+")")
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// normalISBN is s as an ISBN-13 when it is a valid ISBN, else s itself
// (requests keep the ISBN their citation gave).
func normalISBN(s string) string {
	if n, ok := ill.NormalizeISBN(s); ok {
		return n
	}
	return s
}

// ListRequests returns the requests the caller is a party to, newest first,
// with the total count. A patron filter applies to the caller's own readers
// only: another library filtering by your reader's id gets nothing.
func (s *Store) ListRequests(ctx context.Context, f ill.ListFilter) (_ []*ill.Request, _ int, err error) {
	defer func() { err = classify(err) }()
	var where []string
	var args []any
	if !f.Centre {
		if f.PatronID != "" {
			where = append(where, "q.borrower = ?")
			args = append(args, f.Caller)
		} else {
			where = append(where, callerPartySQL)
			args = append(args, f.Caller, f.Caller)
		}
	}
	if f.PatronID != "" {
		where = append(where, "q.patron_id = ?")
		args = append(args, f.PatronID)
	}
	if f.State != "" {
		where = append(where, "q.state = ?")
		args = append(args, string(f.State))
	}
	if f.From != nil {
		where = append(where, "q.submitted_at >= ?")
		args = append(args, f.From.Start().UTC())
	}
	if f.To != nil {
		where = append(where, "q.submitted_at < ?")
		args = append(args, f.To.AddDays(1).Start().UTC())
	}
	for _, w := range strings.Fields(f.Q) {
		where = append(where, "q.title LIKE ?")
		args = append(args, "%"+escapeLike(w)+"%")
	}
	if f.Barcode != "" {
		where = append(where, "q.item_barcode = ?")
		args = append(args, f.Barcode)
	}
	if f.ISBN != "" {
		where = append(where, "q.isbn IN (?, ?)")
		args = append(args, f.ISBN, normalISBN(f.ISBN))
	}
	if f.Library != "" {
		where = append(where, "(q.borrower = ? OR q.lender = ?)")
		args = append(args, f.Library, f.Library)
	}
	if f.Service != "" {
		where = append(where, "q.service_type = ?")
		args = append(args, string(f.Service))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		cond, targs := textCondition(t, f)
		where = append(where, cond)
		args = append(args, targs...)
	}
	if len(f.IDs) > 0 {
		where = append(where, "q.id IN (?"+strings.Repeat(", ?", len(f.IDs)-1)+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	cond := "1=1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	var rows []struct {
		requestRow
		rotaJoin
	}
	if err := s.DB.SelectContext(ctx, &rows, listRequestsSQL+cond+listRequestsOrderSQL, append(slices.Clip(args), f.PerPage, (f.Page-1)*f.PerPage)...); err != nil {
		return nil, 0, err
	}
	var out []*ill.Request
	for _, row := range rows { // rows of one request are adjacent (ordered by id within the page order)
		if len(out) == 0 || out[len(out)-1].ID != row.ID {
			out = append(out, row.requestRow.domain())
		}
		row.rotaJoin.add(out[len(out)-1])
	}
	if out == nil {
		out = []*ill.Request{}
	}
	// A page that is not full is the last one: the total follows without
	// counting (a member system's refresh by ids is one query, not two).
	total := (f.Page-1)*f.PerPage + len(out)
	if len(out) == f.PerPage || (len(out) == 0 && f.Page > 1) {
		if err := s.DB.GetContext(ctx, &total, countRequestsSQL+cond, args...); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// RequestForAccess loads what the API needs to authorise a read or an
// action: the request and its rota (no events).
func (s *Store) RequestForAccess(ctx context.Context, id string) (*ill.Request, error) {
	r, err := s.requestOnly(ctx, id)
	if err != nil {
		return nil, classify(err)
	}
	r.Rota, err = loadRota(ctx, s.DB, id)
	return r, classify(err)
}

// RequestForAction loads what the API needs to check an action by library
// (centre: a centre key): the request, and its rota only when the caller
// is neither its borrower, its current lender nor the centre, the one case
// where the rota decides whether the caller may see it (ill.VisibleTo).
// One query for the parties' own actions.
func (s *Store) RequestForAction(ctx context.Context, id, library string, centre bool) (*ill.Request, error) {
	r, err := s.requestOnly(ctx, id)
	if err != nil || centre || library == r.Borrower || (r.Lender != "" && library == r.Lender) {
		return r, classify(err)
	}
	r.Rota, err = loadRota(ctx, s.DB, id)
	return r, classify(err)
}

// requestSQL reads one request row. Locks: none.
const requestSQL = `SELECT ` + requestColumns + ` FROM requests WHERE id = ?`

func (s *Store) requestOnly(ctx context.Context, id string) (*ill.Request, error) {
	var row requestRow
	if err := s.DB.GetContext(ctx, &row, requestSQL, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("request", id)
		}
		return nil, err
	}
	return row.domain(), nil
}

// countByStateSQL counts requests per state. Locks: none.
const countByStateSQL = `SELECT state, COUNT(*) AS n FROM requests GROUP BY state`

// CountByState counts requests per state (metrics).
func (s *Store) CountByState(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := s.DB.SelectContext(ctx, &rows, countByStateSQL); err != nil {
		return nil, classify(err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// queueOrders are the columns a queue may sort by (ill.Queue.Order, an
// allow-list: the column is written into queueSQL).
var queueOrders = map[string]bool{"respond_by": true, "ship_by": true, "due_at": true, "deliver_by": true,
	"updated_at": true, "submitted_at": true}

// countQueueSQL and queueSQL are a console queue's total and page: %[1]s
// is the condition QueueRequests builds (states as an IN list expanded by
// sqlx.In, the library and the service type as ? arguments), %[2]s the sort column (one of
// queueOrders), %[3]s ASC or DESC. Locks: none.
const (
	countQueueSQL = `SELECT COUNT(*) FROM requests WHERE %[1]s`
	queueSQL      = `SELECT ` + requestColumns + ` FROM requests WHERE %[1]s
	ORDER BY %[2]s IS NULL, %[2]s %[3]s, id LIMIT ?`
)

// QueueRequests lists a queue's requests for library (every library's when
// library is ""), at most limit, with the total.
func (s *Store) QueueRequests(ctx context.Context, q ill.Queue, library string, limit int) (_ []*ill.Request, _ int, err error) {
	if !queueOrders[q.Order] || (q.Side != ill.RoleLender && q.Side != ill.RoleBorrower) {
		return nil, 0, errors.New("mysql: bad queue " + q.Key)
	}
	defer func() { err = classify(err) }()
	cond := "state IN (?)"
	args := []any{q.States}
	if library != "" {
		cond += " AND " + string(q.Side) + " = ?"
		args = append(args, library)
	}
	if q.Service != "" {
		cond += " AND service_type = ?"
		args = append(args, string(q.Service))
	}
	query, qargs, err := sqlx.In(fmt.Sprintf(countQueueSQL, cond), args...)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.DB.GetContext(ctx, &total, query, qargs...); err != nil {
		return nil, 0, err
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	query, qargs, err = sqlx.In(fmt.Sprintf(queueSQL, cond, q.Order, dir), append(args, limit)...)
	if err != nil {
		return nil, 0, err
	}
	var rows []requestRow
	if err := s.DB.SelectContext(ctx, &rows, query, qargs...); err != nil {
		return nil, 0, err
	}
	out := make([]*ill.Request, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// missedDeadlineRow is a row of missedDeadlinesSQL.
type missedDeadlineRow struct {
	RequestID string       `db:"request_id"`
	Library   string       `db:"library_code"`
	Outcome   string       `db:"outcome"`
	At        sql.NullTime `db:"answered_at"`
	Title     string       `db:"title"`
}

func (r missedDeadlineRow) domain() ill.MissedDeadline {
	return ill.MissedDeadline{RequestID: r.RequestID, Library: r.Library, Outcome: ill.Outcome(r.Outcome),
		At: r.At.Time, Title: r.Title}
}

// missedDeadlinesSQL lists lenders' missed deadlines (rota outcomes; an
// ISO 18626 lender whose system could not be reached counts with them) with
// the request's title, newest first; %s is "" or a library condition with
// a ? argument. Locks: none.
const missedDeadlinesSQL = `SELECT r.request_id, r.library_code, r.outcome, r.answered_at, q.title
	FROM rota r JOIN requests q ON q.id = r.request_id
	WHERE r.outcome IN ('no_response','not_shipped','unreachable') %s ORDER BY r.answered_at DESC LIMIT ?`

// MissedDeadlines lists the most recent missed deadlines (library "" for all).
func (s *Store) MissedDeadlines(ctx context.Context, library string, limit int) ([]ill.MissedDeadline, error) {
	cond, args := "", []any{}
	if library != "" {
		cond, args = "AND r.library_code = ?", []any{library}
	}
	var rows []missedDeadlineRow
	if err := s.DB.SelectContext(ctx, &rows, fmt.Sprintf(missedDeadlinesSQL, cond), append(args, limit)...); err != nil {
		return nil, classify(err)
	}
	return domains(rows, missedDeadlineRow.domain), nil
}

// pullSlipRow is a row of pullSlipSQL.
type pullSlipRow struct {
	RequestID  string       `db:"id"`
	Borrower   string       `db:"borrower"`
	Title      string       `db:"title"`
	Author     string       `db:"author"`
	ISBN       string       `db:"isbn"`
	CallNumber string       `db:"call_number"`
	LocalID    string       `db:"local_id"`
	ShipBy     sql.NullTime `db:"ship_by"`
}

func (r pullSlipRow) domain() ill.PullSlipItem {
	return ill.PullSlipItem{RequestID: r.RequestID, Borrower: r.Borrower, Title: r.Title, Author: r.Author,
		ISBN: r.ISBN, CallNumber: r.CallNumber, LocalID: r.LocalID, ShipBy: r.ShipBy.Time}
}

// pullSlipSQL lists a lender's WILL_SUPPLY requests with the call number
// and local id of its first available copy. Locks: none.
const pullSlipSQL = `SELECT r.id, r.borrower, r.title, r.author, r.isbn, r.ship_by,
	COALESCE(h.call_number, '') AS call_number, COALESCE(h.local_id, '') AS local_id
	FROM requests r
	LEFT JOIN holdings h ON h.library_code = r.lender AND h.record_id = r.record_id
		AND h.local_id = (SELECT h2.local_id FROM holdings h2 WHERE h2.library_code = r.lender AND h2.record_id = r.record_id
			ORDER BY h2.available DESC, h2.local_id LIMIT 1)
	WHERE r.lender = ? AND r.state = 'WILL_SUPPLY' LIMIT 10000`

// PullSlip lists the lender's WILL_SUPPLY requests with the call number
// of its copy (the first available one). Not sorted: callers sort in shelf
// order (ill.SortShelf).
func (s *Store) PullSlip(ctx context.Context, lender string) ([]ill.PullSlipItem, error) {
	var rows []pullSlipRow
	if err := s.DB.SelectContext(ctx, &rows, pullSlipSQL, lender); err != nil {
		return nil, classify(err)
	}
	return domains(rows, pullSlipRow.domain), nil
}
