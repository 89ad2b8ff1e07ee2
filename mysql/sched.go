package mysql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// Claimed is a request a scheduler job claimed, with what its notices need.
type Claimed struct {
	ID          string    `db:"id"`
	Borrower    string    `db:"borrower"`
	Lender      string    `db:"lender"`
	PatronID    string    `db:"patron_id"`
	Title       string    `db:"title"`
	State       string    `db:"state"`
	Deadline    time.Time `db:"deadline"`
	PatronEmail string    `db:"patron_email"`
	Locale      string    `db:"locale"`
	LibEmail    string    `db:"lib_email"`
}

// claimSQL selects requests in some states whose deadline column is before
// a time, oldest first. FOR UPDATE SKIP LOCKED: rows another scheduler
// instance has claimed (and holds until its transaction ends) are skipped,
// so concurrent instances work on disjoint batches. Only requests rows are
// locked (no joins: patrons and libraries are read afterwards without
// locks, so a claim never blocks a submit). %[1]s: the deadline column
// (from dueColumns); %[2]s: an extra condition.
const claimSQL = `SELECT r.id, r.borrower, COALESCE(r.lender, '') AS lender, r.patron_id, r.title, r.state,
	r.%[1]s AS deadline
FROM requests r %[3]s
WHERE r.state IN (?) AND r.%[1]s < ? %[2]s
ORDER BY r.%[1]s, r.id LIMIT ?
FOR UPDATE SKIP LOCKED`

// Claim describes one batch claim.
type Claim struct {
	States   []ill.State
	Column   string    // deadline column: respond_by, ship_by or due_at
	Before   time.Time // deadline earlier than this
	Join     string    // optional LEFT JOIN (e.g. "no notice yet" as an anti-join: a correlated eq_ref lookup, where NOT EXISTS would be materialised per batch)
	JoinArgs []any
	Where    string // optional extra condition over r (and the join)
	Args     []any
	Limit    int
}

// contactsSQL reads what notices need for claimed requests (plain read).
// STRAIGHT_JOIN keeps the optimizer from starting at the (small)
// libraries table and scanning every request of a borrower.
const contactsSQL = `SELECT STRAIGHT_JOIN r.id, COALESCE(p.email, '') AS patron_email, l.locale, l.email AS lib_email
FROM requests r
JOIN libraries l ON l.code = r.borrower
LEFT JOIN patrons p ON p.library_code = r.borrower AND p.patron_id = r.patron_id
WHERE r.id IN (?)`

// ClaimDue claims up to c.Limit requests, holding their row locks until
// the transaction ends.
func (t *Tx) ClaimDue(ctx context.Context, c Claim) ([]Claimed, error) {
	if !dueColumns[c.Column] {
		return nil, errors.New("mysql: unknown deadline column " + c.Column)
	}
	extra := ""
	if c.Where != "" {
		extra = "AND " + c.Where
	}
	args := append([]any{}, c.JoinArgs...)
	args = append(args, c.States, c.Before.UTC())
	args = append(args, c.Args...)
	args = append(args, c.Limit)
	q, qargs, err := sqlx.In(fmt.Sprintf(claimSQL, c.Column, extra, c.Join), args...)
	if err != nil {
		return nil, err
	}
	var out []Claimed
	if err := t.tx.SelectContext(ctx, &out, q, qargs...); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, len(out))
	for i, c := range out {
		ids[i] = c.ID
	}
	q, qargs, err = sqlx.In(contactsSQL, ids)
	if err != nil {
		return nil, err
	}
	var contacts []struct {
		ID          string `db:"id"`
		PatronEmail string `db:"patron_email"`
		Locale      string `db:"locale"`
		LibEmail    string `db:"lib_email"`
	}
	if err := t.tx.SelectContext(ctx, &contacts, q, qargs...); err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(out))
	for i, c := range out {
		byID[c.ID] = i
	}
	for _, c := range contacts {
		o := &out[byID[c.ID]]
		o.PatronEmail, o.Locale, o.LibEmail = c.PatronEmail, c.Locale, c.LibEmail
	}
	return out, nil
}

// MarkOverdue moves claimed loans to OVERDUE with one UPDATE and one
// multi-row event INSERT (the rows must be claimed in this transaction).
func (t *Tx) MarkOverdue(ctx context.Context, rows []Claimed, at time.Time) (int, error) {
	var ids []string
	var sb strings.Builder
	var args []any
	for _, r := range rows {
		if r.State == string(ill.Overdue) {
			continue
		}
		ids = append(ids, r.ID)
		if sb.Len() > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, r.ID, at.UTC(), ill.SystemActor, string(ill.ActMarkOverdue), r.State, string(ill.Overdue),
			"past due "+r.Deadline.In(ill.Shanghai).Format(time.RFC3339), "timer:overdue:"+r.ID)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	q, qargs, err := sqlx.In(`UPDATE requests SET state = ?, updated_at = ? WHERE id IN (?)`, string(ill.Overdue), at.UTC(), ids)
	if err != nil {
		return 0, err
	}
	if _, err := t.tx.ExecContext(ctx, q, qargs...); err != nil {
		return 0, err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO events (request_id, at, actor, action, from_state, to_state, note, message_id)
		VALUES `+sb.String(), args...)
	return len(ids), err
}

// AddNotices stores many notices (each once per request, kind and step)
// and queues delivery of the new ones through the outbox, with three
// multi-row statements. It returns how many were new.
func (t *Tx) AddNotices(ctx context.Context, ns []Notice) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	var before int64
	if err := t.tx.GetContext(ctx, &before, `SELECT COALESCE(MAX(id), 0) FROM notices`); err != nil {
		return 0, err
	}
	var sb strings.Builder
	args := make([]any, 0, len(ns)*11)
	for i, n := range ns {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)")
		args = append(args, n.RequestID, n.Kind, n.Step, n.Library, n.PatronID, n.Recipient, n.Locale, n.Subject, n.Body, n.At.UTC())
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT IGNORE INTO notices (request_id, kind, step, library_code, patron_id,
		recipient, locale, subject, body, status, created_at) VALUES `+sb.String(), args...); err != nil {
		return 0, err
	}
	// Rows with our keys and a higher id than before were created by this
	// statement: the unique key allows one creator per (request, kind,
	// step). Plain IN lists (binary-searched), the step checked here.
	want := make(map[string]bool, len(ns))
	var reqIDs, kinds []string
	for _, n := range ns {
		want[n.RequestID+"\x00"+n.Kind+"\x00"+strconv.Itoa(n.Step)] = true
		reqIDs = append(reqIDs, n.RequestID)
		kinds = append(kinds, n.Kind)
	}
	q, qargs, err := sqlx.In(`SELECT id, request_id, kind, step FROM notices WHERE id > ? AND request_id IN (?) AND kind IN (?)`,
		before, reqIDs, kinds)
	if err != nil {
		return 0, err
	}
	var rows []struct {
		ID        int64  `db:"id"`
		RequestID string `db:"request_id"`
		Kind      string `db:"kind"`
		Step      int    `db:"step"`
	}
	if err := t.tx.SelectContext(ctx, &rows, q, qargs...); err != nil {
		return 0, err
	}
	var created []struct {
		ID        int64
		RequestID string
	}
	for _, r := range rows {
		if want[r.RequestID+"\x00"+r.Kind+"\x00"+strconv.Itoa(r.Step)] {
			created = append(created, struct {
				ID        int64
				RequestID string
			}{r.ID, r.RequestID})
		}
	}
	if len(created) == 0 {
		return 0, nil
	}
	var ob strings.Builder
	oargs := make([]any, 0, len(created)*4)
	at := ns[0].At.UTC()
	for i, c := range created {
		if i > 0 {
			ob.WriteString(",")
		}
		id := "notice:" + strconv.FormatInt(c.ID, 10)
		body := fmt.Sprintf(`{"id":%q,"type":%q,"actor":%q,"is_centre":false,"request_id":%q,"at":%q,"body":{"notice_id":%d}}`,
			id, ill.MsgNotice, ill.SystemActor, c.RequestID, at.Format(time.RFC3339Nano), c.ID)
		ob.WriteString("(?, ?, ?, ?)")
		oargs = append(oargs, id, ill.MsgNotice, body, at)
	}
	_, err = t.tx.ExecContext(ctx, `INSERT IGNORE INTO outbox (message_id, routing_key, body, created_at) VALUES `+ob.String(), oargs...)
	return len(created), err
}

// Rollup replaces one day's statistics for every library (Asia/Shanghai
// day). The whole day is recomputed from requests, rota and events in one
// transaction, so a rerun replaces the figures.
func (s *Store) Rollup(ctx context.Context, day ill.Date, at time.Time) (int, error) {
	from, to := day.Start().UTC(), day.AddDays(1).Start().UTC()
	n := 0
	err := s.InTx(ctx, func(t *Tx) error {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM stats_daily WHERE day = ?`, day.String()); err != nil {
			return err
		}
		res, err := t.tx.ExecContext(ctx, rollupSQL, day.String(), at.UTC(),
			from, to, // borrowed
			from, to, // lent
			from, to, // filled
			from, to, // unfilled
			from, to, // missed
			from, to) // received
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n = int(k)
		return nil
	})
	return n, err
}

// rollupSQL computes one day's figures per library; libraries with no
// activity get no row. Reads only (no locks beyond the DELETE above).
const rollupSQL = `INSERT INTO stats_daily (day, library_code, borrowed, lent, filled, unfilled, missed_deadlines,
	received, turnaround_sum_s, answered, no_response, transit_sum_s, computed_at)
SELECT ?, lib, SUM(borrowed), SUM(lent), SUM(filled), SUM(unfilled), SUM(missed), SUM(received), SUM(turn),
	SUM(answered), SUM(no_resp), SUM(transit), ?
FROM (
	SELECT borrower AS lib, 1 AS borrowed, 0 AS lent, 0 AS filled, 0 AS unfilled, 0 AS missed, 0 AS received, 0 AS turn,
		0 AS answered, 0 AS no_resp, 0 AS transit
	FROM requests WHERE submitted_at >= ? AND submitted_at < ?
	UNION ALL
	SELECT library_code, 0, IF(outcome = 'will_supply', 1, 0), 0, 0, 0, 0, 0, 1, 0, 0 FROM rota
	WHERE outcome IN ('will_supply', 'unfilled') AND answered_at >= ? AND answered_at < ?
	UNION ALL
	SELECT q.lender, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 FROM events e JOIN requests q ON q.id = e.request_id
	WHERE e.action = 'ship' AND e.to_state = 'SHIPPED' AND e.at >= ? AND e.at < ?
	UNION ALL
	SELECT q.borrower, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 FROM events e JOIN requests q ON q.id = e.request_id
	WHERE e.to_state = 'UNFILLED' AND e.from_state <> 'UNFILLED' AND e.at >= ? AND e.at < ?
	UNION ALL
	SELECT library_code, 0, 0, 0, 0, 1, 0, 0, 0, IF(outcome = 'no_response', 1, 0), 0 FROM rota
	WHERE outcome IN ('no_response', 'not_shipped') AND answered_at >= ? AND answered_at < ?
	UNION ALL
	SELECT q.borrower, 0, 0, 0, 0, 0, 1, TIMESTAMPDIFF(SECOND, q.submitted_at, e.at), 0, 0,
		COALESCE(TIMESTAMPDIFF(SECOND, (SELECT MAX(s.at) FROM events s WHERE s.request_id = q.id
			AND s.action = 'ship' AND s.to_state = 'SHIPPED' AND s.at <= e.at), e.at), 0)
	FROM events e JOIN requests q ON q.id = e.request_id
	WHERE e.action = 'receive' AND e.to_state = 'RECEIVED' AND e.at >= ? AND e.at < ?
) x GROUP BY lib`
