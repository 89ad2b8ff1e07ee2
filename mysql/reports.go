package mysql

// Report queries. Daily figures come from stats_daily (the
// scheduler's roll-up) for past days and from the same roll-up query run
// live for today. Every statement here is a plain read (locks: none); the
// optional library conditions are built in code with ? arguments, between
// each statement's constant and its ordering constant.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// dayStatsRow is a row of stats_daily, or the live equivalent for today
// (ill.DayStats's fields).
type dayStatsRow struct {
	Day            time.Time       `db:"day"`
	Library        string          `db:"library_code"`
	Service        ill.ServiceType `db:"service_type"`
	Borrowed       int             `db:"borrowed"`
	Lent           int             `db:"lent"`
	Filled         int             `db:"filled"`
	Unfilled       int             `db:"unfilled"`
	Missed         int             `db:"missed_deadlines"`
	Received       int             `db:"received"`
	TurnaroundSumS int64           `db:"turnaround_sum_s"`
	Answered       int             `db:"answered"`
	NoResponse     int             `db:"no_response"`
	TransitSumS    int64           `db:"transit_sum_s"`
}

func (r dayStatsRow) domain() ill.DayStats { return ill.DayStats(r) }

// liveStatsSQL is the roll-up's own query (rollupSQL's FROM ... GROUP BY)
// with named columns instead of its INSERT, so today's live figures are
// computed exactly as the scheduler will store them. Parameters: the day,
// then (from, to) six times.
var liveStatsSQL = `SELECT CAST(? AS DATE) AS day, lib AS library_code, st AS service_type, SUM(borrowed) AS borrowed, SUM(lent) AS lent,
	SUM(filled) AS filled, SUM(unfilled) AS unfilled, SUM(missed) AS missed_deadlines, SUM(received) AS received,
	SUM(turn) AS turnaround_sum_s, SUM(answered) AS answered, SUM(no_resp) AS no_response, SUM(transit) AS transit_sum_s
` + rollupSQL[strings.Index(rollupSQL, "\nFROM (")+1:]

// storedStatsSQL reads stored daily figures (then an optional library
// condition, then storedStatsOrderSQL); liveStatsQuerySQL wraps today's
// live roll-up (%s: liveStatsSQL) so that it can be filtered by library
// and ordered by liveStatsOrderSQL.
const (
	storedStatsSQL = `SELECT day, library_code, service_type, borrowed, lent, filled, unfilled, missed_deadlines, received, turnaround_sum_s,
	answered, no_response, transit_sum_s FROM stats_daily WHERE day >= ? AND day <= ?`
	storedStatsOrderSQL = ` ORDER BY day, library_code, service_type`
	liveStatsQuerySQL   = `SELECT * FROM (%s) live`
	liveStatsOrderSQL   = ` ORDER BY library_code, service_type`
)

// StatsRange returns the daily figures from from to to (inclusive,
// Asia/Shanghai days): stored roll-ups for days before today, live figures
// for today. library "" means every library. The scheduler's rollup job
// recomputes yesterday and today on every run, so days before today are
// final in stats_daily once it ran after midnight.
func (s *Store) StatsRange(ctx context.Context, from, to, today ill.Date, library string) ([]ill.DayStats, error) {
	var out []dayStatsRow
	stored := to
	if !to.Before(today) {
		stored = today.AddDays(-1)
	}
	if !stored.Before(from) {
		q := storedStatsSQL
		args := []any{from.String(), stored.String()}
		if library != "" {
			q += ` AND library_code = ?`
			args = append(args, library)
		}
		if err := s.DB.SelectContext(ctx, &out, q+storedStatsOrderSQL, args...); err != nil {
			return nil, classify(err)
		}
	}
	if !today.Before(from) && !to.Before(today) {
		f, t := today.Start().UTC(), today.AddDays(1).Start().UTC()
		args := []any{today.String(), f, t, f, t, f, t, f, t, f, t, f, t}
		q := fmt.Sprintf(liveStatsQuerySQL, liveStatsSQL)
		if library != "" {
			q += ` WHERE library_code = ?`
			args = append(args, library)
		}
		var live []dayStatsRow
		if err := s.DB.SelectContext(ctx, &live, q+liveStatsOrderSQL, args...); err != nil {
			return nil, classify(err)
		}
		out = append(out, live...)
	}
	return domains(out, dayStatsRow.domain), nil
}

// flowRow is a row of flowsSQL (ill.Flow's fields).
type flowRow struct {
	Lender   string `db:"lender"`
	Borrower string `db:"borrower"`
	Items    int    `db:"items"`
}

func (r flowRow) domain() ill.Flow { return ill.Flow(r) }

// flowsSQL counts the items shipped per lender and borrower in a time
// range (then an optional library condition, then flowsOrderSQL).
const (
	flowsSQL = `SELECT q.lender, q.borrower, COUNT(*) AS items FROM events e JOIN requests q ON q.id = e.request_id
	WHERE e.action = 'ship' AND e.to_state = 'SHIPPED' AND e.at >= ? AND e.at < ?`
	flowsOrderSQL = ` GROUP BY q.lender, q.borrower ORDER BY items DESC, q.lender, q.borrower`
)

// Flows counts items shipped (forward) per lender → borrower pair in
// [from, to) (live from the timeline). library "" = every pair; otherwise
// the pairs where library is lender or borrower.
func (s *Store) Flows(ctx context.Context, from, to time.Time, library string) ([]ill.Flow, error) {
	q := flowsSQL
	args := []any{from.UTC(), to.UTC()}
	if library != "" {
		q += ` AND (q.lender = ? OR q.borrower = ?)`
		args = append(args, library, library)
	}
	var rows []flowRow
	if err := s.DB.SelectContext(ctx, &rows, q+flowsOrderSQL, args...); err != nil {
		return nil, classify(err)
	}
	return domains(rows, flowRow.domain), nil
}

// overdueRow is a row of overdueLoansSQL (ill.OverdueRow's fields).
type overdueRow struct {
	ID       string    `db:"id"`
	Borrower string    `db:"borrower"`
	Lender   string    `db:"lender"`
	PatronID string    `db:"patron_id"`
	Title    string    `db:"title"`
	DueAt    time.Time `db:"due_at"`
}

func (r overdueRow) domain() ill.OverdueRow { return ill.OverdueRow(r) }

// overdueLoansSQL lists the loans in state OVERDUE (then an optional
// library condition, then overdueLoansOrderSQL).
const (
	overdueLoansSQL = `SELECT id, borrower, COALESCE(lender, '') AS lender, patron_id, title, due_at FROM requests
	WHERE state = 'OVERDUE' AND due_at IS NOT NULL`
	overdueLoansOrderSQL = ` ORDER BY due_at, id LIMIT ?`
)

// OverdueLoans lists requests in state OVERDUE (library "" = all; else as
// borrower or lender), longest overdue first.
func (s *Store) OverdueLoans(ctx context.Context, library string, limit int) ([]ill.OverdueRow, error) {
	q := overdueLoansSQL
	args := []any{}
	if library != "" {
		q += ` AND (borrower = ? OR lender = ?)`
		args = append(args, library, library)
	}
	var rows []overdueRow
	if err := s.DB.SelectContext(ctx, &rows, q+overdueLoansOrderSQL, append(args, limit)...); err != nil {
		return nil, classify(err)
	}
	return domains(rows, overdueRow.domain), nil
}

// titleCountRow is a row of topTitlesSQL (ill.TitleCount's fields).
type titleCountRow struct {
	RecordID int64  `db:"record_id"`
	Title    string `db:"title"`
	Author   string `db:"author"`
	Requests int    `db:"requests"`
}

func (r titleCountRow) domain() ill.TitleCount { return ill.TitleCount(r) }

// topTitlesSQL counts the requests submitted in a time range per title
// (then an optional borrower condition, then topTitlesOrderSQL).
const (
	topTitlesSQL = `SELECT COALESCE(MAX(record_id), 0) AS record_id, title, MAX(author) AS author, COUNT(*) AS requests FROM requests
	WHERE submitted_at >= ? AND submitted_at < ?`
	topTitlesOrderSQL = ` GROUP BY COALESCE(record_id, 0), title ORDER BY requests DESC, title LIMIT ?`
)

// TopTitles counts requests submitted in [from, to) per title (catalogue
// record, or title for manual requests), most requested first.
func (s *Store) TopTitles(ctx context.Context, from, to time.Time, library string, limit int) ([]ill.TitleCount, error) {
	q := topTitlesSQL
	args := []any{from.UTC(), to.UTC()}
	if library != "" {
		q += ` AND borrower = ?`
		args = append(args, library)
	}
	var rows []titleCountRow
	if err := s.DB.SelectContext(ctx, &rows, q+topTitlesOrderSQL, append(args, limit)...); err != nil {
		return nil, classify(err)
	}
	return domains(rows, titleCountRow.domain), nil
}

// lenderStepRow is a row of lenderStepsSQL (ill.LenderStep's fields).
type lenderStepRow struct {
	RequestID  string       `db:"request_id"`
	Lender     string       `db:"lender"`
	Borrower   string       `db:"borrower"`
	Service    string       `db:"service_type"`
	Outcome    string       `db:"outcome"`
	Reasons    string       `db:"reasons"`
	AskedAt    time.Time    `db:"asked_at"`
	AnsweredAt sql.NullTime `db:"answered_at"`
	AcceptedAt sql.NullTime `db:"accepted_at"`
	ShippedAt  sql.NullTime `db:"shipped_at"`
}

func (r lenderStepRow) domain() ill.LenderStep {
	reason, _, _ := strings.Cut(r.Reasons, ";")
	return ill.LenderStep{RequestID: r.RequestID, Lender: r.Lender, Borrower: r.Borrower,
		ServiceType: ill.ServiceType(r.Service).OrLoan(), Outcome: ill.Outcome(r.Outcome), Reason: strings.TrimSpace(reason), AskedAt: r.AskedAt,
		AnsweredAt: r.AnsweredAt.Time, AcceptedAt: r.AcceptedAt.Time, ShippedAt: r.ShippedAt.Time}
}

// lenderStepsSQL lists the rota entries asked in a time range (ix_rota_asked)
// with their request's borrower and service type, the time the lender
// accepted (its respond → WILL_SUPPLY event inside its turn) and, for the
// lender that supplied, the supply: a loan's forward shipment (ship →
// SHIPPED) or a copy's delivery (deliver → DELIVERED) (then an optional
// lender condition, then lenderStepsOrderSQL). Locks: none (a plain read).
const (
	lenderStepsSQL = `SELECT r.request_id, r.library_code AS lender, q.borrower, q.service_type, r.outcome, r.reasons, r.asked_at, r.answered_at,
	CASE WHEN r.outcome = 'will_supply' THEN r.answered_at ELSE (SELECT MIN(e.at) FROM events e
		WHERE e.request_id = r.request_id AND e.action = 'respond' AND e.to_state = 'WILL_SUPPLY'
		AND e.at >= r.asked_at AND (r.answered_at IS NULL OR e.at <= r.answered_at)) END AS accepted_at,
	CASE WHEN r.outcome = 'will_supply' AND q.lender = r.library_code THEN (SELECT MIN(s.at) FROM events s
		WHERE s.request_id = r.request_id AND ((s.action = 'ship' AND s.to_state = 'SHIPPED')
			OR (s.action = 'deliver' AND s.to_state = 'DELIVERED')) AND s.at >= r.asked_at) END AS shipped_at
	FROM rota r JOIN requests q ON q.id = r.request_id
	WHERE r.asked_at >= ? AND r.asked_at < ?`
	lenderStepsOrderSQL = ` ORDER BY r.asked_at, r.request_id, r.rank_no`
)

// LenderSteps returns the lender turns that began (the request reached the
// lender) in [from, to): library "" = every lender's, else that lender's.
func (s *Store) LenderSteps(ctx context.Context, from, to time.Time, library string) ([]ill.LenderStep, error) {
	q := lenderStepsSQL
	args := []any{from.UTC(), to.UTC()}
	if library != "" {
		q += ` AND r.library_code = ?`
		args = append(args, library)
	}
	var rows []lenderStepRow
	if err := s.DB.SelectContext(ctx, &rows, q+lenderStepsOrderSQL, args...); err != nil {
		return nil, classify(err)
	}
	return domains(rows, lenderStepRow.domain), nil
}
