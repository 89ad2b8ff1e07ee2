// Package sched holds the scheduler's jobs. Each job sweeps the requests
// whose deadline has passed in batches: one transaction claims up to
// BatchSize rows with FOR UPDATE SKIP LOCKED and applies the system action
// or notices to all of them, so several scheduler instances share the work
// without waiting on each other, and each row is handled once.
//
// Safe to run twice: system actions carry message ids derived from the
// request and the deadline they enforce (the inbox applies each once), and
// notices are unique per (request, kind, step).
package sched

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/worker"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Job is one scheduler job.
type Job struct {
	Name string
	Spec string // cron spec, Asia/Shanghai
	Run  func(ctx context.Context, now time.Time) (int, error)
}

// Specs are the cron schedules of the jobs, by job name.
type Specs map[string]string

// DefaultSpecs: deadlines every 5 minutes (they expire at 23:59:59, so a
// sweep shortly after midnight catches a whole day), notices and roll-up
// once a day.
var DefaultSpecs = Specs{
	"respond-deadline":  "*/5 * * * *",
	"ship-deadline":     "*/5 * * * *",
	"overdue":           "10 0 * * *",
	"recall-expiry":     "*/15 * * * *",
	"courtesy":          "0 8 * * *",
	"calendar-coverage": "0 7 * * *",
	"rollup":            "30 1 * * *",
	// Runs close at the latest cut-off (checked every 10 minutes);
	// exceptions fall due at 23:59:59, swept hourly.
	"courier-cutoff":     "*/10 * * * *",
	"courier-exceptions": "5 * * * *",
	// Stored ISO 18626 messages past their retention, nightly.
	"iso18626-retention": "40 1 * * *",
}

// Jobs builds the scheduler's jobs.
type Jobs struct {
	Store     *mysql.Store
	Processor *worker.Processor
	Log       *slog.Logger
	BatchSize int // rows per claim and transaction (default 1000)
	// OverdueFirst and OverdueEvery: overdue notices on day first,
	// first+every, … after the due date (default 1 and 7: days 1, 8, 15).
	OverdueFirst, OverdueEvery int
	// CalendarDaysAhead is set by calendar-coverage (metrics).
	CalendarDaysAhead prometheus.Gauge
	// MissedDeadlines (optional) counts enforced deadlines by kind:
	// respond (lender did not answer), ship (not shipped in the grace
	// period), due (loan marked overdue).
	MissedDeadlines *prometheus.CounterVec
	// ISORetention is how long stored ISO 18626 messages are kept
	// (default 90 days).
	ISORetention time.Duration
}

// counts is what one batch of a sweep did.
type counts struct {
	changed int // requests changed or notified
	missed  int // of which a deadline was enforced (no answer, not shipped, overdue)
}

func (j *Jobs) batch() int {
	if j.BatchSize <= 0 {
		return 1000
	}
	return j.BatchSize
}

// keyset continues a sweep after the last (deadline, id) handled, so rows a
// batch chose to leave alone are not claimed again in the same run.
func keyset(column string, last *mysql.Claimed) (string, []any) {
	if last == nil {
		return "", nil
	}
	// Spelled out rather than as a row comparison so that the optimizer
	// uses a range on the (state, deadline) index.
	return "(r." + column + " > ? OR (r." + column + " = ? AND r.id > ?))", []any{last.Deadline.UTC(), last.Deadline.UTC(), last.ID}
}

func and(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " AND " + b
}

// sweep claims batches of requests in states with column < before (plus
// extra) and hands each batch to apply inside the claiming transaction.
// States are swept one at a time, in (deadline, id) order with a keyset,
// so each claim is a range scan of the (state, deadline) index that stops
// at the batch size: no sort, and no row is looked at twice in a run.
//
// apply returns how many requests it changed or notified and how many of
// them missed a deadline (metrics: counted once the batch committed, under
// missedKind).
func (j *Jobs) sweep(ctx context.Context, c mysql.Claim, missedKind string, apply func(t *mysql.Tx, cal *ill.Calendar, rows []mysql.Claimed) (counts, error)) (int, error) {
	cal, err := j.Processor.Calendar.Get(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, state := range c.States {
		var last *mysql.Claimed
		for {
			var rows []mysql.Claimed
			var batch counts
			err := j.Store.InTx(ctx, func(t *mysql.Tx) error {
				batch = counts{} // set by the attempt that commits: InTx may retry the closure after a deadlock
				ks, ksArgs := keyset(c.Column, last)
				one := c
				one.States, one.Where, one.Args, one.Limit = []ill.State{state}, and(c.Where, ks), append(append([]any{}, c.Args...), ksArgs...), j.batch()
				var err error
				rows, err = t.ClaimDue(ctx, one)
				if err != nil || len(rows) == 0 {
					return err
				}
				batch, err = apply(t, cal, rows)
				return err
			})
			if err != nil {
				return total, err
			}
			total += batch.changed
			if j.MissedDeadlines != nil && missedKind != "" && batch.missed > 0 {
				j.MissedDeadlines.WithLabelValues(missedKind).Add(float64(batch.missed))
			}
			if len(rows) < j.batch() {
				break
			}
			last = &rows[len(rows)-1]
		}
	}
	return total, nil
}

func timerMessage(action ill.Action, c mysql.Claimed, now time.Time) ill.Message {
	return ill.Message{ID: fmt.Sprintf("timer:%s:%s:%d", action, c.ID, c.Deadline.Unix()), Type: ill.MsgAction,
		Actor: ill.SystemActor, RequestID: c.ID, Action: action, At: now.UTC()}
}

// RespondDeadline is R9's first half: a lender that let respond_by pass is
// recorded as no_response and the request moves to the next lender (with a
// fresh 1-working-day window) or ends UNFILLED.
func (j *Jobs) RespondDeadline(ctx context.Context, now time.Time) (int, error) {
	return j.sweep(ctx, mysql.Claim{States: []ill.State{ill.Requested}, Column: "respond_by", Before: now}, "respond",
		func(t *mysql.Tx, cal *ill.Calendar, rows []mysql.Claimed) (counts, error) {
			for _, c := range rows {
				if err := j.Processor.ActTx(ctx, t, cal, timerMessage(ill.ActRespondTimeout, c, now)); err != nil {
					return counts{}, fmt.Errorf("request %s: %w", c.ID, err)
				}
			}
			return counts{len(rows), len(rows)}, nil
		})
}

// ShipDeadline is R9's second half: past ship_by the lender gets a notice;
// 2 further working days (its own calendar) later the request moves on as
// not_shipped.
func (j *Jobs) ShipDeadline(ctx context.Context, now time.Time) (int, error) {
	return j.sweep(ctx, mysql.Claim{States: []ill.State{ill.WillSupply}, Column: "ship_by", Before: now}, "ship",
		func(t *mysql.Tx, cal *ill.Calendar, rows []mysql.Claimed) (counts, error) {
			n := 0
			for _, c := range rows {
				closures, err := t.Closures(ctx, c.Lender)
				if err != nil {
					return counts{}, err
				}
				grace, _ := cal.ScheduleFor(closures).AddWorkingDays(c.Deadline, 2)
				if now.After(grace) {
					if err := j.Processor.ActTx(ctx, t, cal, timerMessage(ill.ActShipTimeout, c, now)); err != nil {
						return counts{}, fmt.Errorf("request %s: %w", c.ID, err)
					}
					n++
					continue
				}
				r := &ill.Request{ID: c.ID, Title: c.Title, Borrower: c.Borrower, Lender: c.Lender, PatronID: c.PatronID}
				if err := j.Processor.NoticeTx(ctx, t, r, now, ill.NoticeShipLate, 0, c.Lender, "", c.Deadline); err != nil {
					return counts{}, err
				}
			}
			return counts{n, n}, nil
		})
}

// overdueStepSQL is ill.OverdueStep in SQL: due_at is stored in UTC and
// Asia/Shanghai is UTC+8 all year, so the due day is DATE(due_at + 8 h).
const overdueStepSQL = `(? + ? * FLOOR((DATEDIFF(?, DATE(r.due_at + INTERVAL 8 HOUR)) - ?) / ?))`

// Overdue marks loans past due_at OVERDUE and sends the overdue notices
// (reader and borrowing library) of the step reached: day 1, 8, 15, … A
// loan already notified for the current step is not claimed at all.
func (j *Jobs) Overdue(ctx context.Context, now time.Time) (int, error) {
	return j.overdue(ctx, now, []ill.State{ill.OnLoan, ill.Recalled, ill.Overdue})
}

// RecallExpiry applies the overdue rule to recalled loans only, more often
// than the daily overdue job: a recall's shortened due date is enforced the
// same night.
func (j *Jobs) RecallExpiry(ctx context.Context, now time.Time) (int, error) {
	return j.overdue(ctx, now, []ill.State{ill.Recalled})
}

func (j *Jobs) overdue(ctx context.Context, now time.Time, states []ill.State) (int, error) {
	first, every := j.OverdueFirst, j.OverdueEvery
	if first < 1 {
		first = 1
	}
	if every < 1 {
		every = 7
	}
	today := ill.DateOf(now).String()
	c := mysql.Claim{States: states, Column: "due_at", Before: now,
		// Loans without the current step's notice (anti-join).
		Join:     `LEFT JOIN notices n ON n.request_id = r.id AND n.kind = 'overdue' AND n.step = ` + overdueStepSQL,
		JoinArgs: []any{first, every, today, first, every},
		Where:    `n.id IS NULL AND DATEDIFF(?, DATE(r.due_at + INTERVAL 8 HOUR)) >= ?`,
		Args:     []any{today, first}}
	return j.sweep(ctx, c, "due",
		func(t *mysql.Tx, _ *ill.Calendar, rows []mysql.Claimed) (counts, error) {
			marked, err := t.MarkOverdue(ctx, rows, now)
			if err != nil {
				return counts{}, err
			}
			if err := j.Processor.OverdueISOTx(ctx, t, rows, now); err != nil { // ISO 18626 borrowers hear Overdue
				return counts{}, err
			}
			ns := make([]mysql.Notice, 0, 2*len(rows))
			for _, c := range rows {
				step := ill.OverdueStep(c.Deadline, now, first, every)
				d := ill.NoticeData{RequestID: c.ID, Title: c.Title, Borrower: c.Borrower, Lender: c.Lender, Deadline: c.Deadline}
				subj, body := ill.NoticeText(ill.NoticeOverdue, c.Locale, d)
				ns = append(ns, mysql.Notice{RequestID: c.ID, Kind: ill.NoticeOverdue, Step: step, Library: c.Borrower,
					PatronID: c.PatronID, Recipient: c.PatronEmail, Locale: c.Locale, Subject: subj, Body: body, At: now},
					mysql.Notice{RequestID: c.ID, Kind: ill.NoticeOverdueLibrary, Step: step, Library: c.Borrower,
						Recipient: c.LibEmail, Locale: c.Locale, Subject: subj, Body: body, At: now})
			}
			added, err := t.AddNotices(ctx, ns)
			if err != nil {
				return counts{}, err
			}
			// Changed or notified: every marked loan, or (already OVERDUE)
			// a loan that got its next step's pair of notices. Not simply
			// len(rows): the anti-join's locking read skips a notice row
			// another transaction holds locked (the notices consumer
			// updating its status), so a loan already notified for this
			// step can be claimed again; INSERT IGNORE then adds nothing.
			return counts{max(marked, (added+1)/2), marked}, nil
		})
}

// Courtesy reminds readers 3 days before due_at (once per loan).
func (j *Jobs) Courtesy(ctx context.Context, now time.Time) (int, error) {
	c := mysql.Claim{States: []ill.State{ill.OnLoan, ill.Recalled}, Column: "due_at",
		Before: ill.DateOf(now).AddDays(4).Start(), // due on or before today+3
		Join:   `LEFT JOIN notices n ON n.request_id = r.id AND n.kind = 'courtesy' AND n.step = 0`,
		Where:  `n.id IS NULL AND r.due_at >= ?`, Args: []any{now.UTC()}}
	return j.sweep(ctx, c, "",
		func(t *mysql.Tx, _ *ill.Calendar, rows []mysql.Claimed) (counts, error) {
			ns := make([]mysql.Notice, 0, len(rows))
			for _, c := range rows {
				subj, body := ill.NoticeText(ill.NoticeCourtesy, c.Locale, ill.NoticeData{RequestID: c.ID, Title: c.Title,
					Borrower: c.Borrower, Deadline: c.Deadline})
				ns = append(ns, mysql.Notice{RequestID: c.ID, Kind: ill.NoticeCourtesy, Library: c.Borrower,
					PatronID: c.PatronID, Recipient: c.PatronEmail, Locale: c.Locale, Subject: subj, Body: body, At: now})
			}
			added, err := t.AddNotices(ctx, ns)
			return counts{changed: added}, err
		})
}

// MinCalendarDays is how far ahead the national calendar must be loaded.
const MinCalendarDays = 60

// CalendarCoverage warns when fewer than 60 days ahead are loaded; it
// returns the days covered.
func (j *Jobs) CalendarCoverage(ctx context.Context, now time.Time) (int, error) {
	cal, err := j.Store.LoadCalendar(ctx)
	if err != nil {
		return 0, err
	}
	today := ill.DateOf(now)
	until := cal.CoveredUntil(today)
	days := ill.DaysBetween(today, until)
	if j.CalendarDaysAhead != nil {
		j.CalendarDaysAhead.Set(float64(days))
	}
	if days < MinCalendarDays {
		j.Log.Warn("national calendar coverage is short: import next year's calendar (illctl calendar import FILE); deadlines beyond it are provisional",
			"covered_until", until.String(), "days_ahead", days, "want_at_least", MinCalendarDays)
	}
	return days, nil
}

// Rollup recomputes yesterday's and today's statistics (Asia/Shanghai
// days); a rerun replaces them.
func (j *Jobs) Rollup(ctx context.Context, now time.Time) (int, error) {
	today := ill.DateOf(now)
	n, err := j.Store.Rollup(ctx, today.AddDays(-1), now)
	if err != nil {
		return n, err
	}
	m, err := j.Store.Rollup(ctx, today, now)
	return n + m, err
}

// ISORetentionSweep deletes stored ISO 18626 messages older than the
// retention (the requests' events keep what happened).
func (j *Jobs) ISORetentionSweep(ctx context.Context, now time.Time) (int, error) {
	keep := j.ISORetention
	if keep <= 0 {
		keep = 90 * 24 * time.Hour
	}
	return j.Store.PurgeISOMessages(ctx, now.Add(-keep), j.batch())
}

// All returns every job with its schedule (DefaultSpecs overridden by specs).
func (j *Jobs) All(specs Specs) []Job {
	spec := func(name string) string {
		if s, ok := specs[name]; ok && s != "" {
			return s
		}
		return DefaultSpecs[name]
	}
	return []Job{
		{"respond-deadline", spec("respond-deadline"), j.RespondDeadline},
		{"ship-deadline", spec("ship-deadline"), j.ShipDeadline},
		{"overdue", spec("overdue"), j.Overdue},
		{"recall-expiry", spec("recall-expiry"), j.RecallExpiry},
		{"courtesy", spec("courtesy"), j.Courtesy},
		{"calendar-coverage", spec("calendar-coverage"), j.CalendarCoverage},
		{"rollup", spec("rollup"), j.Rollup},
		{"courier-cutoff", spec("courier-cutoff"), j.CourierCutoff},
		{"courier-exceptions", spec("courier-exceptions"), j.CourierExceptions},
		{"iso18626-retention", spec("iso18626-retention"), j.ISORetentionSweep},
	}
}

// Find returns the job called name.
func Find(jobs []Job, name string) (Job, error) {
	var names []string
	for _, j := range jobs {
		if j.Name == name {
			return j, nil
		}
		names = append(names, j.Name)
	}
	sort.Strings(names)
	return Job{}, fmt.Errorf("unknown job %q; jobs are %v", name, names)
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// Metrics counts job runs.
type Metrics struct {
	Runs        *prometheus.CounterVec   // job, result
	Changed     *prometheus.CounterVec   // job
	Duration    *prometheus.HistogramVec // job
	LastSuccess *prometheus.GaugeVec     // job: unix time of the last successful run
}

// Observe records one run of job (m may be nil): changed requests, result,
// duration and, on success, the time of the last success.
func (m *Metrics) Observe(job string, changed int, err error, took time.Duration) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.Runs.WithLabelValues(job, result).Inc()
	m.Changed.WithLabelValues(job).Add(float64(changed))
	m.Duration.WithLabelValues(job).Observe(took.Seconds())
	if err == nil {
		m.LastSuccess.WithLabelValues(job).SetToCurrentTime()
	}
}

// NewCron schedules jobs in Asia/Shanghai, each wrapped with Recover and
// SkipIfStillRunning (robfig/cron adds neither by default). m may be nil.
func NewCron(jobs []Job, clock ill.Clock, log *slog.Logger, m *Metrics) (*cron.Cron, error) {
	cl := cronLogger{log}
	c := cron.New(cron.WithLocation(ill.Shanghai), cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	for _, j := range jobs {
		j := j
		if _, err := c.AddFunc(j.Spec, func() {
			start := time.Now()
			n, err := j.Run(context.Background(), clock.Now())
			if err != nil {
				log.Error("job failed", "job", j.Name, "done", n, "err", err)
			} else {
				log.Info("job done", "job", j.Name, "result", n, "took", time.Since(start))
			}
			m.Observe(j.Name, n, err, time.Since(start))
		}); err != nil {
			return nil, fmt.Errorf("job %s: bad schedule %q: %w", j.Name, j.Spec, err)
		}
	}
	return c, nil
}
