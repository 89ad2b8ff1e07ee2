package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// deadlineColumn maps the deadlines a sweep may name to their columns
// (an allow-list: the column is written into claimSQL and
// oldestDeadlineSQL).
var deadlineColumn = map[ill.DeadlineField]string{
	ill.DeadlineRespond: "respond_by", ill.DeadlineShip: "ship_by", ill.DeadlineDue: "due_at",
	ill.DeadlineDeliver: "deliver_by"}

// Claim describes one batch claim of a sweep: requests in State whose
// Deadline lies in [From, Before) (From zero: no lower bound), after the
// keyset position (AfterAt, AfterID) when AfterID is set, and, with
// Without, that have no notice of that kind and step yet.
type Claim struct {
	State        ill.State
	Deadline     ill.DeadlineField
	From, Before time.Time
	AfterAt      time.Time
	AfterID      string
	Without      *ill.NoticeKey
	Limit        int
}

// claimSQL selects requests in one state whose deadline column is before a
// time, oldest first. FOR UPDATE SKIP LOCKED: rows another scheduler
// instance has claimed (and holds until its transaction ends) are skipped,
// so concurrent instances work on disjoint batches. It locks the requests
// rows it returns and, through the anti-join, the notice rows it reads
// (skipping locked ones: see NoticesSent); patrons and libraries are read
// afterwards without locks, so a claim never blocks a submit. Each claim
// is a range scan of the (state, deadline) index that stops at the limit:
// no sort. %[1]s: the deadline column (deadlineColumn); %[2]s: the
// anti-join claimWithoutNoticeSQL or nothing; %[3]s: the further
// conditions (claimFromSQL, claimAfterSQL, claimNoNoticeSQL).
const claimSQL = `SELECT r.id, r.borrower, COALESCE(r.lender, '') AS lender, r.patron_id, r.title, r.state,
	r.%[1]s AS deadline
FROM requests r %[2]s
WHERE r.state = ? AND r.%[1]s < ? %[3]s
ORDER BY r.%[1]s, r.id LIMIT ?
FOR UPDATE SKIP LOCKED`

// claimWithoutNoticeSQL: "no such notice yet" as a LEFT JOIN anti-join (a
// correlated eq_ref lookup on uq_notice, where NOT EXISTS would be
// materialised per batch); claimNoNoticeSQL completes it.
const (
	claimWithoutNoticeSQL = `LEFT JOIN notices n ON n.request_id = r.id AND n.kind = ? AND n.step = ?`
	claimNoNoticeSQL      = ` AND n.id IS NULL`
	// claimFromSQL bounds the deadline from below (%s: the column).
	claimFromSQL = ` AND r.%s >= ?`
	// claimAfterSQL continues after the keyset position, spelled out
	// rather than as a row comparison so that the optimizer uses a range
	// on the (state, deadline) index (%[1]s: the column).
	claimAfterSQL = ` AND (r.%[1]s > ? OR (r.%[1]s = ? AND r.id > ?))`
)

// ClaimDue claims up to c.Limit requests, holding their row locks until
// the transaction ends. It returns what the claim read of each: id,
// parties, patron, title, state and the deadline (in its field).
func (t *Tx) ClaimDue(ctx context.Context, c Claim) ([]ill.Request, error) {
	col, ok := deadlineColumn[c.Deadline]
	if !ok {
		return nil, errors.New("mysql: unknown deadline " + string(c.Deadline))
	}
	var join string
	var args []any
	if c.Without != nil {
		join = claimWithoutNoticeSQL
		args = append(args, c.Without.Kind, c.Without.Step)
	}
	args = append(args, string(c.State), c.Before.UTC())
	var extra strings.Builder
	if !c.From.IsZero() {
		fmt.Fprintf(&extra, claimFromSQL, col)
		args = append(args, c.From.UTC())
	}
	if c.AfterID != "" {
		fmt.Fprintf(&extra, claimAfterSQL, col)
		args = append(args, c.AfterAt.UTC(), c.AfterAt.UTC(), c.AfterID)
	}
	if c.Without != nil {
		extra.WriteString(claimNoNoticeSQL)
	}
	args = append(args, c.Limit)
	var rows []struct {
		ID       string    `db:"id"`
		Borrower string    `db:"borrower"`
		Lender   string    `db:"lender"`
		PatronID string    `db:"patron_id"`
		Title    string    `db:"title"`
		State    string    `db:"state"`
		Deadline time.Time `db:"deadline"`
	}
	if err := t.tx.SelectContext(ctx, &rows, fmt.Sprintf(claimSQL, col, join, extra.String()), args...); err != nil {
		return nil, err
	}
	out := make([]ill.Request, len(rows))
	for i, r := range rows {
		out[i] = ill.Request{ID: r.ID, Borrower: r.Borrower, Lender: r.Lender, PatronID: r.PatronID, Title: r.Title,
			State: ill.State(r.State)}
		switch c.Deadline {
		case ill.DeadlineRespond:
			out[i].RespondBy = r.Deadline
		case ill.DeadlineShip:
			out[i].ShipBy = r.Deadline
		case ill.DeadlineDeliver:
			out[i].DeliverBy = r.Deadline
		default:
			out[i].DueAt = r.Deadline
		}
	}
	return out, nil
}

// oldestDeadlineSQL reads the earliest deadline in a state from the
// (state, deadline) index; a plain read, no locks (%s: the column).
const oldestDeadlineSQL = `SELECT MIN(%s) FROM requests WHERE state = ?`

// OldestDeadline is the earliest deadline of requests in state (zero when
// there is none): where a sweep's windows end.
func (s *Store) OldestDeadline(ctx context.Context, state ill.State, d ill.DeadlineField) (time.Time, error) {
	col, ok := deadlineColumn[d]
	if !ok {
		return time.Time{}, errors.New("mysql: unknown deadline " + string(d))
	}
	var oldest sql.NullTime
	err := s.DB.GetContext(ctx, &oldest, fmt.Sprintf(oldestDeadlineSQL, col), string(state))
	return oldest.Time, classify(err)
}

// noticesSentSQL reads the notices of some kinds of some requests (IN
// lists expanded by sqlx.In). A plain read: it takes no locks and sees a
// notice row another transaction holds locked (the notices pool recording
// a delivery), which the claim's locking anti-join skips.
const noticesSentSQL = `SELECT request_id, kind, step FROM notices WHERE request_id IN (?) AND kind IN (?)`

// NoticesSent returns, per request, the notices of the given kinds it has.
func (t *Tx) NoticesSent(ctx context.Context, ids []string, kinds []string) (map[string][]ill.NoticeKey, error) {
	out := map[string][]ill.NoticeKey{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(noticesSentSQL, ids, kinds)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		RequestID string `db:"request_id"`
		Kind      string `db:"kind"`
		Step      int    `db:"step"`
	}
	if err := t.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.RequestID] = append(out[r.RequestID], ill.NoticeKey{Kind: r.Kind, Step: r.Step})
	}
	return out, nil
}

// setStatesSQL moves requests (the IN list expanded by sqlx.In) to one
// state; it writes and locks their rows, which the sweep holds locked
// already.
const setStatesSQL = `UPDATE requests SET state = ?, updated_at = ? WHERE id IN (?)`

// SetStates moves the claimed requests ids (locked in this transaction) to
// state to with one UPDATE; their timeline lines are AddEvents'.
func (t *Tx) SetStates(ctx context.Context, ids []string, to ill.State, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	q, args, err := sqlx.In(setStatesSQL, string(to), at.UTC(), ids)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, q, args...)
	return err
}

// insertEventsSQL is the prefix of a multi-row INSERT of timeline lines
// (AddEvents appends the value rows); it writes new rows only.
const insertEventsSQL = `INSERT INTO events (request_id, at, actor, action, from_state, to_state, note, message_id) VALUES `

// eventsPerStatement bounds a multi-row event INSERT.
const eventsPerStatement = 1000

// AddEvents writes timeline lines, in order, with multi-row INSERTs
// (eventsPerStatement rows each), queued (see txConn): they reach the
// server with the transaction's next statement or its commit.
func (t *Tx) AddEvents(ctx context.Context, lines []ill.EventLine) error {
	for lo := 0; lo < len(lines); lo += eventsPerStatement {
		chunk := lines[lo:min(lo+eventsPerStatement, len(lines))]
		var q strings.Builder
		q.WriteString(insertEventsSQL)
		args := make([]any, 0, 8*len(chunk))
		for i, l := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			e := l.Event
			note := e.Note
			if r := []rune(note); len(r) > 2000 {
				note = string(r[:2000])
			}
			args = append(args, l.RequestID, e.At.UTC(), e.Actor, string(e.Action), string(e.From), string(e.To), note, l.MessageID)
		}
		t.tx.later(q.String(), args...)
	}
	return nil
}

// patronEmailsSQL reads some of a library's patrons (the IN list expanded
// by sqlx.In) by primary key; a plain read, no locks.
const patronEmailsSQL = `SELECT patron_id, email FROM patrons WHERE library_code = ? AND patron_id IN (?)`

// PatronEmails returns the e-mail address of each of library's patrons
// ids that exists.
func (t *Tx) PatronEmails(ctx context.Context, library string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(patronEmailsSQL, library, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID    string `db:"patron_id"`
		Email string `db:"email"`
	}
	if err := t.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Email
	}
	return out, nil
}

// The statements of AddNotices. maxNoticeIDSQL reads the highest notice id
// (a plain read); insertNoticesSQL is the prefix of a multi-row INSERT
// IGNORE (one row per notice, a duplicate (request, kind, step) is skipped
// with a shared lock on the existing row); createdNoticesSQL reads the
// notices created since (IN lists expanded by sqlx.In; a plain read);
// insertNoticeOutboxSQL is the prefix of the multi-row outbox INSERT
// IGNORE of their deliveries.
const (
	maxNoticeIDSQL   = `SELECT COALESCE(MAX(id), 0) FROM notices`
	insertNoticesSQL = `INSERT IGNORE INTO notices (request_id, kind, step, library_code, patron_id,
		recipient, locale, subject, body, status, created_at) VALUES `
	createdNoticesSQL     = `SELECT id, request_id, kind, step FROM notices WHERE id > ? AND request_id IN (?) AND kind IN (?)`
	insertNoticeOutboxSQL = `INSERT IGNORE INTO outbox (message_id, routing_key, body, created_at) VALUES `
)

// AddNotices stores many notices (each once per request, kind and step)
// and queues delivery of the new ones through the outbox, with three
// multi-row statements (all the notices are written at the time of the
// first). It returns how many were new.
func (t *Tx) AddNotices(ctx context.Context, ns []ill.Notice) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	var before int64
	if err := t.tx.GetContext(ctx, &before, maxNoticeIDSQL); err != nil {
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
	if _, err := t.tx.ExecContext(ctx, insertNoticesSQL+sb.String(), args...); err != nil {
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
	q, qargs, err := sqlx.In(createdNoticesSQL, before, reqIDs, kinds)
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
	oargs := make([]any, 0, len(created)*3)
	at := ns[0].At.UTC()
	for i, c := range created {
		if i > 0 {
			ob.WriteString(",")
		}
		id := "notice:" + strconv.FormatInt(c.ID, 10)
		body := fmt.Sprintf(`{"id":%q,"type":%q,"actor":%q,"is_centre":false,"request_id":%q,"at":%q,"body":{"notice_id":%d}}`,
			id, ill.MsgNotice, ill.SystemActor, c.RequestID, at.Format(time.RFC3339Nano), c.ID)
		ob.WriteString("(?, ?, ?, UTC_TIMESTAMP(3))")
		oargs = append(oargs, id, ill.MsgNotice, body)
		t.tx.outbox = append(t.tx.outbox, ill.OutboxRow{MessageID: id, RoutingKey: ill.MsgNotice, Body: []byte(body)})
	}
	_, err = t.tx.ExecContext(ctx, insertNoticeOutboxSQL+ob.String(), oargs...)
	return len(created), err
}

// deleteDaySQL removes one day's statistics before Rollup recomputes
// them; it locks the day's rows.
const deleteDaySQL = `DELETE FROM stats_daily WHERE day = ?`

// Rollup replaces one day's statistics for every library (Asia/Shanghai
// day). The whole day is recomputed from requests, rota and events in one
// transaction, so a rerun replaces the figures.
func (s *Store) Rollup(ctx context.Context, day ill.Date, at time.Time) (int, error) {
	from, to := day.Start().UTC(), day.AddDays(1).Start().UTC()
	n := 0
	err := s.InTx(ctx, func(t *Tx) error {
		if _, err := t.tx.ExecContext(ctx, deleteDaySQL, day.String()); err != nil {
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

// rollupSQL computes one day's figures per library and service type;
// a library gets no row for a service type without activity. A copy's
// deliver event (→ DELIVERED) is both its lender's fill and its borrower's
// receipt (no transit); a copy's missed deliver deadline (not_delivered)
// is a missed deadline like not_shipped. Reads only (no locks beyond the
// DELETE above).
const rollupSQL = `INSERT INTO stats_daily (day, library_code, service_type, borrowed, lent, filled, unfilled, missed_deadlines,
	received, turnaround_sum_s, answered, no_response, transit_sum_s, computed_at)
SELECT ?, lib, st, SUM(borrowed), SUM(lent), SUM(filled), SUM(unfilled), SUM(missed), SUM(received), SUM(turn),
	SUM(answered), SUM(no_resp), SUM(transit), ?
FROM (
	SELECT borrower AS lib, service_type AS st, 1 AS borrowed, 0 AS lent, 0 AS filled, 0 AS unfilled, 0 AS missed,
		0 AS received, 0 AS turn, 0 AS answered, 0 AS no_resp, 0 AS transit
	FROM requests WHERE submitted_at >= ? AND submitted_at < ?
	UNION ALL
	SELECT r.library_code, q.service_type, 0, IF(r.outcome = 'will_supply', 1, 0), 0, 0, 0, 0, 0, 1, 0, 0
	FROM rota r JOIN requests q ON q.id = r.request_id
	WHERE r.outcome IN ('will_supply', 'unfilled') AND r.answered_at >= ? AND r.answered_at < ?
	UNION ALL
	SELECT q.lender, q.service_type, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 FROM events e JOIN requests q ON q.id = e.request_id
	WHERE ((e.action = 'ship' AND e.to_state = 'SHIPPED') OR (e.action = 'deliver' AND e.to_state = 'DELIVERED'))
		AND e.at >= ? AND e.at < ?
	UNION ALL
	SELECT q.borrower, q.service_type, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 FROM events e JOIN requests q ON q.id = e.request_id
	WHERE e.to_state = 'UNFILLED' AND e.from_state <> 'UNFILLED' AND e.at >= ? AND e.at < ?
	UNION ALL
	SELECT r.library_code, q.service_type, 0, 0, 0, 0, 1, 0, 0, 0, IF(r.outcome = 'no_response', 1, 0), 0
	FROM rota r JOIN requests q ON q.id = r.request_id
	WHERE r.outcome IN ('no_response', 'not_shipped', 'not_delivered') AND r.answered_at >= ? AND r.answered_at < ?
	UNION ALL
	SELECT q.borrower, q.service_type, 0, 0, 0, 0, 0, 1, TIMESTAMPDIFF(SECOND, q.submitted_at, e.at), 0, 0,
		COALESCE(TIMESTAMPDIFF(SECOND, (SELECT MAX(s.at) FROM events s WHERE s.request_id = q.id
			AND s.action = 'ship' AND s.to_state = 'SHIPPED' AND s.at <= e.at), e.at), 0)
	FROM events e JOIN requests q ON q.id = e.request_id
	WHERE ((e.action = 'receive' AND e.to_state = 'RECEIVED') OR (e.action = 'deliver' AND e.to_state = 'DELIVERED'))
		AND e.at >= ? AND e.at < ?
) x GROUP BY lib, st`
