package sched

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/robfig/cron/v3"
)

// Several schedulers may run at once (one per node, for availability). The
// jobs themselves are safe to run twice (package comment), but each cron
// activation (a tick: the job's scheduled time, not the moment a scheduler
// got round to it) should run once, so that work is not done twice over
// and "each job ran once per tick" can be checked. Before running a tick a
// scheduler claims it in the database (Ticks, table job_runs): a row per
// job and tick, whose primary key lets exactly one scheduler in. This is
// an ordinary replicated write, so it holds with the schedulers connected
// to different nodes of a Galera cluster, where GET_LOCK would not.

// Ticks records which scheduler runs each job's tick (mysql.Store).
type Ticks interface {
	// ClaimTick reports whether runner got job's tick (false: another
	// runner claimed it first).
	ClaimTick(ctx context.Context, job string, tick time.Time, runner string, now time.Time) (bool, error)
	// FinishTick records the outcome of runner's run of the tick.
	FinishTick(ctx context.Context, job string, tick time.Time, runner string, now time.Time, result string, changed int) error
}

// Runner runs job ticks, each at most once across the schedulers sharing
// Ticks.
type Runner struct {
	Ticks   Ticks
	ID      string // this scheduler in job_runs.runner (DefaultRunnerID)
	Clock   ill.Clock
	Log     *slog.Logger
	Metrics *Metrics // may be nil
	// Patience is how long a tick's claim is retried while the database
	// is unavailable (default 30s): a Galera writer failing over takes a
	// few seconds, after which the tick runs late rather than not at all.
	Patience time.Duration
}

// DefaultRunnerID names this scheduler process: host and process id.
func DefaultRunnerID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// RunTick runs j for its activation at tick unless another scheduler
// claimed that tick; it reports whether this one ran it. A tick that
// cannot be claimed (database unavailable past Patience, or another error)
// is not run: the job could not have done its work either, and the next
// tick catches up.
func (r *Runner) RunTick(ctx context.Context, j Job, tick time.Time) bool {
	start := time.Now()
	mine, err := r.claim(ctx, j.Name, tick)
	if err != nil {
		r.Log.Error("job tick not claimed", "job", j.Name, "tick", tick, "err", err)
		r.Metrics.Observe(j.Name, 0, err, time.Since(start))
		return false
	}
	if !mine {
		r.Log.Info("job tick run by another scheduler", "job", j.Name, "tick", tick)
		r.Metrics.skipped(j.Name)
		return false
	}
	n, err := j.Run(ctx, r.Clock.Now())
	result := "ok"
	if err != nil {
		result = err.Error()
		r.Log.Error("job failed", "job", j.Name, "tick", tick, "done", n, "err", err)
	} else {
		r.Log.Info("job done", "job", j.Name, "tick", tick, "result", n, "took", time.Since(start))
	}
	if ferr := r.Ticks.FinishTick(context.WithoutCancel(ctx), j.Name, tick, r.ID, r.Clock.Now(), result, n); ferr != nil {
		r.Log.Warn("job outcome not recorded", "job", j.Name, "tick", tick, "err", ferr)
	}
	r.Metrics.Observe(j.Name, n, err, time.Since(start))
	return true
}

// claim claims the tick, retrying with backoff while the database is
// unavailable, for at most Patience.
func (r *Runner) claim(ctx context.Context, job string, tick time.Time) (bool, error) {
	patience := r.Patience
	if patience <= 0 {
		patience = 30 * time.Second
	}
	deadline := time.Now().Add(patience)
	wait := 250 * time.Millisecond
	for {
		mine, err := r.Ticks.ClaimTick(ctx, job, tick, r.ID, r.Clock.Now())
		if err == nil || ill.ErrorCode(err) != ill.CodeUnavailable || time.Now().Add(wait).After(deadline) {
			return mine, err
		}
		r.Log.Warn("job tick not claimed yet: database unavailable", "job", job, "tick", tick, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return false, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 4*time.Second)
	}
}

// activationLookback bounds how far back Activation looks for the
// activation a run belongs to.
const activationLookback = 24 * time.Hour

// Activation returns the latest activation of s at or before now: the tick
// a run started at now belongs to. Every scheduler computes the same tick
// for the same activation, even with clocks a little apart (less than the
// schedule's interval). Specs are read in Asia/Shanghai, as NewCron runs
// them. For a schedule without a fixed grid (@every) or without an
// activation in the past day, it is now to the second.
func Activation(s cron.Schedule, now time.Time) time.Time {
	now = now.In(ill.Shanghai)
	if _, ok := s.(cron.ConstantDelaySchedule); ok {
		return now.Truncate(time.Second)
	}
	prev := s.Next(now.Add(-activationLookback))
	if prev.IsZero() || prev.After(now) {
		return now.Truncate(time.Second)
	}
	for {
		next := s.Next(prev)
		if next.IsZero() || next.After(now) {
			return prev
		}
		prev = next
	}
}
