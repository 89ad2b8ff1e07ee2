package mysql

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// GetRequest reads a request with its rota and timeline (no locks).
func (s *Store) GetRequest(ctx context.Context, id string) (*ill.Request, error) {
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
	if err := s.DB.SelectContext(ctx, &evs, `SELECT at, actor, action, from_state, to_state, note FROM events
		WHERE request_id = ? ORDER BY id`, id); err != nil {
		return nil, err
	}
	for _, e := range evs {
		r.Events = append(r.Events, ill.Event{At: e.At, Actor: e.Actor, Action: ill.Action(e.Action),
			From: ill.State(e.From), To: ill.State(e.To), Note: e.Note})
	}
	return r, nil
}

// RequestIDByClientID finds a submitted request by the borrower's own id.
func (s *Store) RequestIDByClientID(ctx context.Context, borrower, clientID string) (string, ill.State, error) {
	var row struct {
		ID    string `db:"id"`
		State string `db:"state"`
	}
	err := s.DB.GetContext(ctx, &row, `SELECT id, state FROM requests WHERE borrower = ? AND client_request_id = ?`,
		borrower, clientID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return row.ID, ill.State(row.State), err
}

// MaxListIDs bounds ListFilter.IDs (GET /v1/requests?ids=).
const MaxListIDs = 100

// ListFilter is the history query of R13 / GET /v1/requests.
type ListFilter struct {
	Caller   string // library code of the caller
	Centre   bool   // centre keys see every request
	PatronID string
	State    ill.State
	From, To *ill.Date // Asia/Shanghai dates, inclusive
	Q        string    // words that must all occur in the title
	// IDs, when not empty, restricts the list to these requests (at most
	// MaxListIDs; those the caller may not see are simply absent): a
	// member system refreshes the states of many requests in one call.
	IDs     []string
	Page    int
	PerPage int
}

// ListRequests returns the requests the caller is a party to, newest first,
// with the total count. A patron filter applies to the caller's own readers
// only: another library filtering by your reader's id gets nothing.
func (s *Store) ListRequests(ctx context.Context, f ListFilter) ([]*ill.Request, int, error) {
	var where []string
	var args []any
	if !f.Centre {
		if f.PatronID != "" {
			where = append(where, "q.borrower = ?")
			args = append(args, f.Caller)
		} else {
			where = append(where, `(q.borrower = ? OR q.id IN (SELECT request_id FROM rota
				WHERE library_code = ? AND outcome NOT IN ('pending','skipped')))`)
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
	var rows []requestRow
	if err := s.DB.SelectContext(ctx, &rows, `SELECT `+requestColumns+` FROM requests q WHERE `+cond+`
		ORDER BY q.submitted_at DESC, q.id DESC LIMIT ? OFFSET ?`, append(slices.Clip(args), f.PerPage, (f.Page-1)*f.PerPage)...); err != nil {
		return nil, 0, err
	}
	// A page that is not full is the last one: the total follows without
	// counting (a member system's refresh by ids is one query, not two).
	total := (f.Page-1)*f.PerPage + len(rows)
	if len(rows) == f.PerPage || (len(rows) == 0 && f.Page > 1) {
		if err := s.DB.GetContext(ctx, &total, `SELECT COUNT(*) FROM requests q WHERE `+cond, args...); err != nil {
			return nil, 0, err
		}
	}
	out := make([]*ill.Request, len(rows))
	byID := make(map[string]*ill.Request, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
		byID[r.ID], ids[i] = out[i], r.ID
	}
	if len(ids) > 0 { // every listed request's rota in one query
		q, args, err := sqlx.In(`SELECT request_id, rank_no, library_code, outcome, reasons FROM rota
			WHERE request_id IN (?) ORDER BY request_id, rank_no`, ids)
		if err != nil {
			return nil, 0, err
		}
		var rr []struct {
			RequestID string `db:"request_id"`
			rotaRow
		}
		if err := s.DB.SelectContext(ctx, &rr, q, args...); err != nil {
			return nil, 0, err
		}
		for _, r := range rr {
			req := byID[r.RequestID]
			req.Rota = append(req.Rota, r.rotaRow.entry())
		}
	}
	return out, total, nil
}

// RequestForAccess loads what the API needs to authorise a read or an
// action: the request and its rota (no events).
func (s *Store) RequestForAccess(ctx context.Context, id string) (*ill.Request, error) {
	r, err := s.requestOnly(ctx, id)
	if err != nil {
		return nil, err
	}
	r.Rota, err = loadRota(ctx, s.DB, id)
	return r, err
}

// RequestForAction loads what the API needs to check an action by library
// (centre: a centre key): the request, and its rota only when the caller
// is neither its borrower, its current lender nor the centre, the one case
// where the rota decides whether the caller may see it (ill.VisibleTo).
// One query for the parties' own actions.
func (s *Store) RequestForAction(ctx context.Context, id, library string, centre bool) (*ill.Request, error) {
	r, err := s.requestOnly(ctx, id)
	if err != nil || centre || library == r.Borrower || (r.Lender != "" && library == r.Lender) {
		return r, err
	}
	r.Rota, err = loadRota(ctx, s.DB, id)
	return r, err
}

func (s *Store) requestOnly(ctx context.Context, id string) (*ill.Request, error) {
	var row requestRow
	if err := s.DB.GetContext(ctx, &row, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("request", id)
		}
		return nil, err
	}
	return row.domain(), nil
}

// Due is a request whose deadline has passed.
type Due struct {
	ID       string    `db:"id"`
	Deadline time.Time `db:"deadline"`
}

// dueColumns are the deadline columns a sweep may name (never user input).
var dueColumns = map[string]bool{"respond_by": true, "ship_by": true, "due_at": true}

// DueRequests pages through requests in state whose deadline column is
// before now, ordered by id after the given id. Plain reads: the action
// applied to each takes the row lock and re-checks.
func (s *Store) DueRequests(ctx context.Context, state ill.State, column string, now time.Time, after string, limit int) ([]Due, error) {
	if !dueColumns[column] {
		return nil, errors.New("mysql: unknown deadline column " + column)
	}
	var out []Due
	err := s.DB.SelectContext(ctx, &out, `SELECT id, `+column+` AS deadline FROM requests
		WHERE state = ? AND `+column+` < ? AND id > ? ORDER BY id LIMIT ?`, string(state), now.UTC(), after, limit)
	return out, err
}

// CountByState counts requests per state (metrics).
func (s *Store) CountByState(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT state, COUNT(*) AS n FROM requests GROUP BY state`); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}
