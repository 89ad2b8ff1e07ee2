package sched_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/sched"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/robfig/cron/v3"
)

// count reads one counter of vec.
func count(t *testing.T, vec *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := vec.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func jobMetrics() *sched.Metrics {
	return &sched.Metrics{
		Runs:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "runs"}, []string{"job", "result"}),
		Changed:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rows"}, []string{"job"}),
		Duration:    prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "duration"}, []string{"job"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "last"}, []string{"job"}),
	}
}

// Two schedulers on one database fire the same ticks at the same moment:
// each tick runs exactly once, on one of them; the other counts a skip.
// The next tick is claimed anew, and its run's failure is recorded.
func TestTickRunsOnceAcrossSchedulers(t *testing.T) {
	_, st := testenv.DB(t, "ticks")
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := testenv.NewClock(time.Date(2026, 3, 2, 10, 5, 0, 0, ill.Shanghai))
	var runs atomic.Int32
	fail := atomic.Bool{}
	job := sched.Job{Name: "respond-deadline", Spec: "*/5 * * * *", Run: func(context.Context, time.Time) (int, error) {
		runs.Add(1)
		time.Sleep(20 * time.Millisecond) // overlap the other scheduler's attempt
		if fail.Load() {
			return 1, errors.New("sweep failed")
		}
		return 3, nil
	}}
	ma, mb := jobMetrics(), jobMetrics()
	a := &sched.Runner{Ticks: st, ID: "node-a/1", Clock: clock, Log: log, Metrics: ma}
	b := &sched.Runner{Ticks: st, ID: "node-b/1", Clock: clock, Log: log, Metrics: mb}

	fire := func(tick time.Time) (ranA, ranB bool) {
		var wg sync.WaitGroup
		wg.Add(2)
		start := make(chan struct{})
		go func() { defer wg.Done(); <-start; ranA = a.RunTick(ctx, job, tick) }()
		go func() { defer wg.Done(); <-start; ranB = b.RunTick(ctx, job, tick) }()
		close(start)
		wg.Wait()
		return ranA, ranB
	}
	ticks := []time.Time{
		time.Date(2026, 3, 2, 10, 5, 0, 0, ill.Shanghai),
		time.Date(2026, 3, 2, 10, 10, 0, 0, ill.Shanghai),
		time.Date(2026, 3, 2, 10, 15, 0, 0, ill.Shanghai),
	}
	for i, tick := range ticks {
		fail.Store(i == 2)
		ranA, ranB := fire(tick)
		if ranA == ranB {
			t.Fatalf("tick %s: ran on a: %v, on b: %v; want exactly one", tick, ranA, ranB)
		}
		if got := runs.Load(); got != int32(i+1) {
			t.Fatalf("after tick %d the job ran %d times", i+1, got)
		}
		// The same tick fired again later (a scheduler whose clock lags) does not run.
		if a.RunTick(ctx, job, tick) || b.RunTick(ctx, job, tick) {
			t.Fatalf("tick %s ran a second time", tick)
		}
	}

	type row struct {
		Tick     time.Time `db:"tick"`
		Runner   string    `db:"runner"`
		Result   string    `db:"result"`
		Changed  int       `db:"changed"`
		Finished bool      `db:"finished"`
	}
	var rows []row
	if err := st.DB.Select(&rows, `SELECT tick, runner, result, changed, finished_at IS NOT NULL AS finished
		FROM job_runs WHERE job = 'respond-deadline' ORDER BY tick`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("job_runs has %d rows, want one per tick: %+v", len(rows), rows)
	}
	for i, r := range rows {
		if !r.Tick.Equal(ticks[i].UTC()) || !r.Finished || (r.Runner != "node-a/1" && r.Runner != "node-b/1") {
			t.Errorf("row %d = %+v, want tick %s finished by a or b", i, r, ticks[i].UTC())
		}
	}
	if rows[0].Result != "ok" || rows[0].Changed != 3 || rows[2].Result != "sweep failed" || rows[2].Changed != 1 {
		t.Errorf("outcomes recorded: %+v", rows)
	}
	// Every attempt that did not run the job counted a skip: 3 at the same
	// moment + 6 refires = 9, split over the two schedulers.
	const name = "respond-deadline"
	skipped := count(t, ma.Runs, name, "skipped_other_runner") + count(t, mb.Runs, name, "skipped_other_runner")
	ran := count(t, ma.Runs, name, "ok") + count(t, mb.Runs, name, "ok") + count(t, ma.Runs, name, "error") + count(t, mb.Runs, name, "error")
	if skipped != 9 || ran != 3 {
		t.Errorf("metrics: %v skipped, %v ran; want 9 and 3", skipped, ran)
	}
}

// A claim whose commit went through but whose answer was lost is retried
// by the same runner: it finds its own unfinished row and keeps the tick.
// Once the run finished, the same runner does not get the tick again.
func TestClaimTickRetryKeepsOwnTick(t *testing.T) {
	_, st := testenv.DB(t, "tickretry")
	ctx := context.Background()
	tick := time.Date(2026, 3, 2, 10, 5, 0, 0, ill.Shanghai)
	now := tick.Add(time.Second)
	claim := func(runner string) bool {
		t.Helper()
		ok, err := st.ClaimTick(ctx, "rollup", tick, runner, now)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim("a") {
		t.Fatal("a could not claim a new tick")
	}
	if !claim("a") { // the retry after a lost commit answer
		t.Fatal("a lost its own unfinished tick on a retry")
	}
	if claim("b") {
		t.Fatal("b got a's tick")
	}
	if err := st.FinishTick(ctx, "rollup", tick, "a", now, "ok", 0); err != nil {
		t.Fatal(err)
	}
	if claim("a") || claim("b") {
		t.Fatal("a finished tick was claimed again")
	}
}

// flakyTicks answers unavailable to the first fails claims.
type flakyTicks struct {
	fails, calls int
	err          error
}

func (f *flakyTicks) ClaimTick(context.Context, string, time.Time, string, time.Time) (bool, error) {
	f.calls++
	if f.calls <= f.fails {
		return false, f.err
	}
	return true, nil
}
func (f *flakyTicks) FinishTick(context.Context, string, time.Time, string, time.Time, string, int) error {
	return nil
}

// While the database fails over, a tick's claim is retried for Patience:
// the tick runs late rather than not at all. Other errors are not retried.
func TestTickClaimWaitsForTheDatabase(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tick := time.Date(2026, 3, 2, 10, 5, 0, 0, ill.Shanghai)
	unavailable := ill.Errorf(ill.CodeUnavailable, "database unavailable: invalid connection")
	cases := []struct {
		name     string
		ticks    *flakyTicks
		patience time.Duration
		ran      bool
		calls    int
	}{
		{"back within patience", &flakyTicks{fails: 2, err: unavailable}, 5 * time.Second, true, 3},
		{"down past patience", &flakyTicks{fails: 100, err: unavailable}, 600 * time.Millisecond, false, 2},
		{"other error", &flakyTicks{fails: 1, err: errors.New("syntax")}, 5 * time.Second, false, 1},
	}
	for _, c := range cases {
		var runs int
		job := sched.Job{Name: "overdue", Run: func(context.Context, time.Time) (int, error) { runs++; return 0, nil }}
		r := &sched.Runner{Ticks: c.ticks, ID: "a", Clock: testenv.NewClock(tick), Log: log, Patience: c.patience}
		if ran := r.RunTick(context.Background(), job, tick); ran != c.ran || (runs == 1) != c.ran || c.ticks.calls != c.calls {
			t.Errorf("%s: ran %v (job runs %d) after %d claims, want ran %v after %d", c.name, ran, runs, c.ticks.calls, c.ran, c.calls)
		}
	}
}

// A run belongs to the latest activation at or before its start.
func TestActivation(t *testing.T) {
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, ill.Shanghai) }
	cases := []struct {
		spec string
		now  time.Time
		want time.Time
	}{
		{"*/5 * * * *", at(10, 5, 0), at(10, 5, 0)},
		{"*/5 * * * *", at(10, 5, 0).Add(300 * time.Millisecond), at(10, 5, 0)},
		{"*/5 * * * *", at(10, 9, 59), at(10, 5, 0)},
		{"30 1 * * *", at(1, 30, 2), at(1, 30, 0)},
		{"30 1 * * *", at(0, 10, 0), at(1, 30, 0).AddDate(0, 0, -1)},
		{"0 8 1 * *", at(8, 0, 0).AddDate(0, 0, -1).Add(time.Second), at(8, 0, 0).AddDate(0, 0, -1)}, // 1 March
		{"0 8 1 * *", at(10, 0, 0).Add(time.Millisecond), at(10, 0, 0)},                              // none in the past day: now
		{"@every 90s", at(10, 5, 7).Add(400 * time.Millisecond), at(10, 5, 7)},
	}
	for _, c := range cases {
		s, err := cron.ParseStandard(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := sched.Activation(s, c.now.In(time.UTC)); !got.Equal(c.want) {
			t.Errorf("Activation(%q, %s) = %s, want %s", c.spec, c.now, got, c.want)
		}
	}
}
