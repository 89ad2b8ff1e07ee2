// Package sched holds the scheduler's jobs. Each deadline job sweeps the
// requests whose deadline has passed in batches: one transaction claims up
// to BatchSize rows with FOR UPDATE SKIP LOCKED (mysql.Tx.ClaimDue) and
// hands them to the processor, which asks the state table what the
// deadline does to each (ill.Expire: the system action through ill.Decide,
// the notices) and carries it out (requests.Processor.Expire). Several
// scheduler instances share the work without waiting on each other, and
// each row is handled once.
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

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
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
	"deliver-deadline":  "*/5 * * * *",
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
	// The monthly summary: checked daily; sends once per library and
	// month from the working day the centre chose (MonthlySummary).
	"monthly-summary": "20 8 * * *",
	// Delivered copies past their download period: files deleted hourly.
	"copy-expiry": "15 * * * *",
}

// Jobs builds the scheduler's jobs.
type Jobs struct {
	Store *mysql.Store
	// Processor carries out what a deadline does to the requests a job
	// claimed (requests.Processor.Expire), with the subscribers the
	// consumers use.
	Processor *requests.Processor
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
	// Files is where delivered copies are stored (copy-expiry deletes
	// them there); nil: the job has nothing to delete.
	Files ill.FileStore
}

func (j *Jobs) batch() int {
	if j.BatchSize <= 0 {
		return 1000
	}
	return j.BatchSize
}

// sweep claims batches of requests as c describes and hands each batch to
// the processor's Expire for timer inside the claiming transaction. It
// goes in (deadline, id) order with a keyset, so each claim is a range
// scan of the (state, deadline) index that stops at the batch size: no
// sort, and no row is looked at twice in a run.
//
// It returns how many requests the batches changed or notified (per
// count) and counts the missed deadlines (moved requests) under
// missedKind once each batch committed.
func (j *Jobs) sweep(ctx context.Context, c mysql.Claim, timer ill.Timer, now time.Time, missedKind string, count func(requests.Expired) int) (int, error) {
	cal, err := j.Processor.Calendar.Get(ctx)
	if err != nil {
		return 0, err
	}
	base := ill.Facts{OverdueFirst: j.OverdueFirst, OverdueEvery: j.OverdueEvery}
	c.Limit = j.batch()
	total := 0
	for {
		var rows []ill.Request
		var done requests.Expired
		err := j.Store.InTx(ctx, func(t *mysql.Tx) error {
			done = requests.Expired{} // set by the attempt that commits: InTx may retry the closure after a deadlock
			var err error
			if rows, err = t.ClaimDue(ctx, c); err != nil || len(rows) == 0 {
				return err
			}
			done, err = j.Processor.Expire(ctx, t, cal, timer, rows, now, base)
			return err
		})
		if err != nil {
			return total, err
		}
		total += count(done)
		if j.MissedDeadlines != nil && missedKind != "" && done.Moved > 0 {
			j.MissedDeadlines.WithLabelValues(missedKind).Add(float64(done.Moved))
		}
		if len(rows) < c.Limit {
			return total, nil
		}
		last := rows[len(rows)-1]
		c.AfterID, c.AfterAt = last.ID, deadlineOf(last, c.Deadline)
	}
}

func deadlineOf(r ill.Request, d ill.DeadlineField) time.Time {
	switch d {
	case ill.DeadlineRespond:
		return r.RespondBy
	case ill.DeadlineShip:
		return r.ShipBy
	case ill.DeadlineDeliver:
		return r.DeliverBy
	}
	return r.DueAt
}

// sweepStates sweeps the requests of each of states whose deadline for
// timer has passed.
func (j *Jobs) sweepStates(ctx context.Context, timer ill.Timer, states []ill.State, now time.Time, missedKind string, count func(requests.Expired) int) (int, error) {
	total := 0
	for _, state := range states {
		n, err := j.sweep(ctx, mysql.Claim{State: state, Deadline: timer.Deadline(), Before: now}, timer, now, missedKind, count)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func moved(e requests.Expired) int    { return e.Moved }
func changed(e requests.Expired) int  { return e.Changed }
func notified(e requests.Expired) int { return e.Notified }

// RespondDeadline is R9's first half: a lender that let respond_by pass is
// recorded as no_response and the request moves to the next lender (with a
// fresh 1-working-day window) or ends UNFILLED.
func (j *Jobs) RespondDeadline(ctx context.Context, now time.Time) (int, error) {
	return j.sweepStates(ctx, ill.TimerRespond, ill.TimerRespond.States(), now, "respond", moved)
}

// ShipDeadline is R9's second half: past ship_by the lender gets a notice;
// 2 further working days (its own calendar) later the request moves on as
// not_shipped. It counts the requests moved on.
func (j *Jobs) ShipDeadline(ctx context.Context, now time.Time) (int, error) {
	return j.sweepStates(ctx, ill.TimerShip, ill.TimerShip.States(), now, "ship", moved)
}

// DeliverDeadline moves a copy request whose deliver_by passed at its
// lender (answered or not) to the next lender as not_delivered, or ends it
// UNFILLED; it counts the requests moved on.
func (j *Jobs) DeliverDeadline(ctx context.Context, now time.Time) (int, error) {
	return j.sweepStates(ctx, ill.TimerDeliver, ill.TimerDeliver.States(), now, "deliver", moved)
}

// Overdue marks loans past due_at OVERDUE and sends the overdue notices
// (reader and borrowing library) of the step reached: day 1, 8, 15, … A
// loan already notified for the current step is not claimed at all.
func (j *Jobs) Overdue(ctx context.Context, now time.Time) (int, error) {
	return j.overdue(ctx, now, ill.TimerOverdue.States())
}

// RecallExpiry applies the overdue rule to recalled loans only, more often
// than the daily overdue job: a recall's shortened due date is enforced the
// same night.
func (j *Jobs) RecallExpiry(ctx context.Context, now time.Time) (int, error) {
	return j.overdue(ctx, now, []ill.State{ill.Recalled})
}

// overdue sweeps the loans of each state one notice step at a time
// (ill.OverdueWindows): the loans due in the step's window of due dates
// that have no overdue notice of that step yet. The database compares due
// dates with the window's bounds; the steps are computed in Go only.
func (j *Jobs) overdue(ctx context.Context, now time.Time, states []ill.State) (int, error) {
	total := 0
	for _, state := range states {
		oldest, err := j.Store.OldestDeadline(ctx, state, ill.TimerOverdue.Deadline())
		if err != nil {
			return total, err
		}
		for _, w := range ill.OverdueWindows(now, oldest, j.OverdueFirst, j.OverdueEvery) {
			n, err := j.sweep(ctx, mysql.Claim{State: state, Deadline: ill.TimerOverdue.Deadline(), From: w.From, Before: w.To,
				Without: &ill.NoticeKey{Kind: ill.NoticeOverdue, Step: w.Step}}, ill.TimerOverdue, now, "due", changed)
			total += n
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// Courtesy reminds readers 3 days before due_at (once per loan).
func (j *Jobs) Courtesy(ctx context.Context, now time.Time) (int, error) {
	total := 0
	from, to := ill.CourtesyWindow(now)
	for _, state := range ill.TimerCourtesy.States() {
		n, err := j.sweep(ctx, mysql.Claim{State: state, Deadline: ill.TimerCourtesy.Deadline(), From: from, Before: to,
			Without: &ill.NoticeKey{Kind: ill.NoticeCourtesy}}, ill.TimerCourtesy, now, "", notified)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
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
		{"deliver-deadline", spec("deliver-deadline"), j.DeliverDeadline},
		{"overdue", spec("overdue"), j.Overdue},
		{"recall-expiry", spec("recall-expiry"), j.RecallExpiry},
		{"courtesy", spec("courtesy"), j.Courtesy},
		{"calendar-coverage", spec("calendar-coverage"), j.CalendarCoverage},
		{"rollup", spec("rollup"), j.Rollup},
		{"courier-cutoff", spec("courier-cutoff"), j.CourierCutoff},
		{"courier-exceptions", spec("courier-exceptions"), j.CourierExceptions},
		{"iso18626-retention", spec("iso18626-retention"), j.ISORetentionSweep},
		{"monthly-summary", spec("monthly-summary"), j.MonthlySummary},
		{"copy-expiry", spec("copy-expiry"), j.CopyExpiry},
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
	Runs        *prometheus.CounterVec   // job, result: ok, error, skipped_other_runner
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

// skipped counts a tick that another scheduler ran (m may be nil).
func (m *Metrics) skipped(job string) {
	if m != nil {
		m.Runs.WithLabelValues(job, "skipped_other_runner").Inc()
	}
}

// NewCron schedules jobs in Asia/Shanghai, each wrapped with Recover and
// SkipIfStillRunning (robfig/cron adds neither by default) and run through
// r, so that each activation runs on one scheduler only (Runner.RunTick).
func NewCron(jobs []Job, r *Runner) (*cron.Cron, error) {
	cl := cronLogger{r.Log}
	c := cron.New(cron.WithLocation(ill.Shanghai), cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	for _, j := range jobs {
		j := j
		schedule, err := cron.ParseStandard(j.Spec)
		if err != nil {
			return nil, fmt.Errorf("job %s: bad schedule %q: %w", j.Name, j.Spec, err)
		}
		c.Schedule(schedule, cron.FuncJob(func() {
			r.RunTick(context.Background(), j, Activation(schedule, time.Now()))
		}))
	}
	return c, nil
}
