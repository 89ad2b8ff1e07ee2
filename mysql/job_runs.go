package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Scheduler ticks (table job_runs): one row per job and cron activation.
// The row is the tick's lease, one that never expires: the first scheduler
// to insert it runs the tick, every other one finds it and skips, on
// whichever Galera node each writes (two nodes inserting the same key
// conflict at commit, 1213, and the retry finds the winner's row). A tick
// whose runner died is not run again by another scheduler: the jobs sweep
// what is due as of their start, so the next tick does its work.
//
// claimTickSQL inserts the tick (args: job, tick, runner, started_at);
// a duplicate key means another runner has it. finishTickSQL records the
// outcome (args: finished_at, result, changed, job, tick, runner).
// Locks: the tick's row (primary key).
// tickRunnerSQL reads who has a tick that is still running (args: job,
// tick).
const (
	claimTickSQL  = `INSERT INTO job_runs (job, tick, runner, started_at) VALUES (?, ?, ?, ?)`
	tickRunnerSQL = `SELECT runner FROM job_runs WHERE job = ? AND tick = ? AND finished_at IS NULL`
	finishTickSQL = `UPDATE job_runs SET finished_at = ?, result = ?, changed = ? WHERE job = ? AND tick = ? AND runner = ?`
)

// ClaimTick records that runner runs job's activation at tick (truncated
// to the second, stored in UTC) and reports whether it got it: false when
// another runner claimed that tick first, or runner already ran it. A
// claim retried after its commit's answer was lost finds its own
// unfinished row and still gets the tick.
func (s *Store) ClaimTick(ctx context.Context, job string, tick time.Time, runner string, now time.Time) (bool, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, claimTickSQL, job, tickKey(tick), runner, now.UTC())
		return err
	})
	if isDuplicate(err) {
		var holder string
		if err := s.DB.GetContext(ctx, &holder, tickRunnerSQL, job, tickKey(tick)); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, classify(err)
		}
		return holder == runner, nil
	}
	return err == nil, err
}

// FinishTick records the outcome of runner's run of job's tick: "ok" or
// the error's text (cut to the column), and the rows it changed.
func (s *Store) FinishTick(ctx context.Context, job string, tick time.Time, runner string, now time.Time, result string, changed int) error {
	if r := []rune(result); len(r) > 400 {
		result = string(r[:400])
	}
	_, err := s.DB.ExecContext(ctx, finishTickSQL, now.UTC(), result, changed, job, tickKey(tick), runner)
	return classify(err)
}

func tickKey(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
