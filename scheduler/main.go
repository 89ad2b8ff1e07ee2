// Command scheduler runs illhub's deadline, notice and statistics jobs on
// a cron schedule in Asia/Shanghai, or one job at once:
//
//	scheduler                              run the cron schedule until SIGTERM
//	scheduler run-once JOB [--now RFC3339] run JOB as of that time and exit
//
// Jobs: respond-deadline, ship-deadline, overdue, recall-expiry, courtesy,
// calendar-coverage, rollup, courier-cutoff, courier-exceptions. Several instances may run at once (see
// package sched).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/service"
	"github.com/balis/illhub/worker"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := cfg.Logger("scheduler")
	if len(args) > 0 && args[0] != "run-once" {
		return fmt.Errorf("usage: scheduler [run-once JOB [--now RFC3339]]")
	}
	st, err := service.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	elig, err := service.Eligibility(cfg)
	if err != nil {
		return err
	}
	reg := service.NewRegistry()
	sm := service.NewSchedulerMetrics(reg, st)
	daysAhead, missed, m := sm.DaysAhead, sm.Missed, sm.Jobs
	j := &sched.Jobs{Store: st, Log: log, BatchSize: cfg.SchedBatch, OverdueFirst: cfg.OverdueNoticeFirst,
		OverdueEvery: cfg.OverdueNoticeEvery, CalendarDaysAhead: daysAhead, MissedDeadlines: missed,
		Processor: &worker.Processor{Store: st, Log: log, Eligibility: elig, RotaLength: cfg.RotaLength, RotaWeights: cfg.Weights(),
			ISO:      worker.ISOConfig{HubSymbol: cfg.HubSymbol},
			Calendar: &mysql.CalendarCache{Store: st, TTL: time.Minute}}}
	jobs := j.All(cfg.SchedSpecs())

	if len(args) > 0 { // run-once
		fs := flag.NewFlagSet("run-once", flag.ContinueOnError)
		fs.SetOutput(out)
		nowFlag := fs.String("now", "", "run as of this time (RFC 3339, e.g. 2026-02-24T09:00:00+08:00); default: now")
		if len(args) < 2 {
			return fmt.Errorf("usage: scheduler run-once JOB [--now RFC3339]")
		}
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		job, err := sched.Find(jobs, args[1])
		if err != nil {
			return err
		}
		now := time.Now()
		if *nowFlag != "" {
			if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
				return fmt.Errorf("--now: %w", err)
			}
		}
		start := time.Now()
		n, err := job.Run(ctx, now)
		fmt.Fprintf(out, "%s as of %s: %d (%v)\n", job.Name, now.In(ill.Shanghai).Format(time.RFC3339), n, time.Since(start).Round(time.Millisecond))
		return err
	}

	// The daemon, like the producer and the consumers, refuses to run on a
	// database with active demo credentials outside a demo; run-once is an
	// operator's catch-up command and is left alone.
	if err := service.RefuseDemoKeys(ctx, cfg, st); err != nil {
		return err
	}
	c, err := sched.NewCron(jobs, ill.SystemClock{}, log, m)
	if err != nil {
		return err
	}
	var stopping atomic.Bool
	stopOps := service.ServeOps(cfg.SchedulerMetricsAddr, reg, func(ctx context.Context) (bool, map[string]string) {
		checks, ok := map[string]string{"mysql": "ok"}, true
		if stopping.Load() {
			checks["shutdown"], ok = "shutting down", false
		}
		if err := st.Ping(ctx); err != nil {
			log.Warn("readiness: database unreachable", "err", err) // the text stays out of the answer
			checks["mysql"], ok = "down", false
		}
		if days := gaugeValue(daysAhead); days < sched.MinCalendarDays {
			checks["calendar"] = fmt.Sprintf("warning: national calendar covers only %.0f days ahead; import next year's", days)
		} else {
			checks["calendar"] = "ok"
		}
		return ok, checks
	}, log)
	defer stopOps()
	if _, err := j.CalendarCoverage(ctx, time.Now()); err != nil {
		log.Warn("calendar coverage check", "err", err)
	}
	c.Start()
	for _, job := range jobs {
		log.Info("job scheduled", "job", job.Name, "spec", job.Spec, "tz", "Asia/Shanghai")
	}
	<-ctx.Done()
	// Shutdown order: readiness off → stop cron and wait for running jobs
	// (each batch is its own transaction: an interrupted job resumes on its
	// next run) → close the database (deferred).
	stopping.Store(true)
	log.Info("scheduler stopping: waiting for running jobs")
	<-c.Stop().Done()
	return nil
}

// gaugeValue reads a gauge's current value.
func gaugeValue(g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil || m.Gauge == nil {
		return 0
	}
	return m.Gauge.GetValue()
}
