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
	"syscall"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/service"
	"github.com/balis/illhub/worker"
	"github.com/prometheus/client_golang/prometheus"
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
	daysAhead := prometheus.NewGauge(prometheus.GaugeOpts{Name: "illhub_calendar_days_ahead",
		Help: "Days ahead covered by the loaded national calendar (warning below 60)."})
	m := &sched.Metrics{
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_job_runs_total",
			Help: "Scheduler job runs by result."}, []string{"job", "result"}),
		Changed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_job_rows_total",
			Help: "Requests a job changed or notified."}, []string{"job"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_job_duration_seconds",
			Help: "Scheduler job run time.", Buckets: []float64{.01, .1, .5, 1, 5, 15, 60, 300}}, []string{"job"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "illhub_job_last_success_timestamp_seconds",
			Help: "Unix time of each job's last successful run."}, []string{"job"}),
	}
	reg.MustRegister(daysAhead, m.Runs, m.Changed, m.Duration, m.LastSuccess, service.RequestStates(st))
	j := &sched.Jobs{Store: st, Log: log, BatchSize: cfg.SchedBatch, OverdueFirst: cfg.OverdueNoticeFirst,
		OverdueEvery: cfg.OverdueNoticeEvery, CalendarDaysAhead: daysAhead,
		Processor: &worker.Processor{Store: st, Log: log, Eligibility: elig, RotaLength: cfg.RotaLength,
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

	c, err := sched.NewCron(jobs, ill.SystemClock{}, log, m)
	if err != nil {
		return err
	}
	service.ServeMetrics(ctx, cfg.SchedulerMetricsAddr, reg, log)
	if _, err := j.CalendarCoverage(ctx, time.Now()); err != nil {
		log.Warn("calendar coverage check", "err", err)
	}
	c.Start()
	for _, job := range jobs {
		log.Info("job scheduled", "job", job.Name, "spec", job.Spec, "tz", "Asia/Shanghai")
	}
	<-ctx.Done()
	log.Info("scheduler stopping: waiting for running jobs")
	<-c.Stop().Done()
	return nil
}
