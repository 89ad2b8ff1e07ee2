// Package sched holds the scheduler's jobs: sweeps that find requests whose
// deadline has passed and apply the matching system action through the
// same worker and state table as every other change.
//
// Safe with several scheduler instances and when run twice: each action
// carries a message id derived from the request and the deadline it
// enforces, so the inbox applies it once; the request row lock serialises
// it with people's actions, and a deadline that moved in between is left
// alone.
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
	"github.com/robfig/cron/v3"
)

// Job is one scheduler job.
type Job struct {
	Name string
	Spec string // cron spec, Asia/Shanghai
	Run  func(ctx context.Context, now time.Time) (int, error)
}

// Jobs builds the scheduler's jobs.
type Jobs struct {
	Store     *mysql.Store
	Processor *worker.Processor
	Log       *slog.Logger
	BatchSize int
}

// sweep applies action to every request in state whose deadline column is
// before now, in batches of BatchSize ids (keyset paging).
func (j *Jobs) sweep(ctx context.Context, now time.Time, state ill.State, column string, action ill.Action) (int, error) {
	batch := j.BatchSize
	if batch <= 0 {
		batch = 1000
	}
	done, after := 0, ""
	for {
		due, err := j.Store.DueRequests(ctx, state, column, now, after, batch)
		if err != nil {
			return done, err
		}
		for _, d := range due {
			m := ill.Message{ID: fmt.Sprintf("timer:%s:%s:%d", action, d.ID, d.Deadline.Unix()), Type: ill.MsgAction,
				Actor: ill.SystemActor, RequestID: d.ID, Action: action, At: now.UTC()}
			if err := j.Processor.Act(ctx, m); err != nil {
				return done, fmt.Errorf("%s %s: %w", action, d.ID, err)
			}
			done++
		}
		if len(due) < batch {
			return done, nil
		}
		after = due[len(due)-1].ID
	}
}

// All returns the jobs with their schedules.
func (j *Jobs) All(respondSpec, overdueSpec string) []Job {
	return []Job{
		{Name: "respond-deadline", Spec: respondSpec, Run: func(ctx context.Context, now time.Time) (int, error) {
			return j.sweep(ctx, now, ill.Requested, "respond_by", ill.ActRespondTimeout)
		}},
		{Name: "overdue", Spec: overdueSpec, Run: func(ctx context.Context, now time.Time) (int, error) {
			n, err := j.sweep(ctx, now, ill.OnLoan, "due_at", ill.ActMarkOverdue)
			if err != nil {
				return n, err
			}
			m, err := j.sweep(ctx, now, ill.Recalled, "due_at", ill.ActMarkOverdue)
			return n + m, err
		}},
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

// NewCron schedules jobs in Asia/Shanghai, each wrapped with Recover and
// SkipIfStillRunning (robfig/cron adds neither by default).
func NewCron(jobs []Job, clock ill.Clock, log *slog.Logger) (*cron.Cron, error) {
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
				return
			}
			log.Info("job done", "job", j.Name, "applied", n, "took", time.Since(start))
		}); err != nil {
			return nil, fmt.Errorf("job %s: bad schedule %q: %w", j.Name, j.Spec, err)
		}
	}
	return c, nil
}
