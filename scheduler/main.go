// Command scheduler runs illhub's deadline jobs on a cron schedule in
// Asia/Shanghai, or one job at once:
//
//	scheduler                              run the cron schedule until SIGTERM
//	scheduler run-once JOB [--now RFC3339] run JOB as of that time and exit
//
// Several instances may run at once (see package sched).
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
	jobs := (&sched.Jobs{Store: st, Log: log, Processor: &worker.Processor{Store: st, Log: log, Eligibility: elig,
		RotaLength: cfg.RotaLength, Calendar: &mysql.CalendarCache{Store: st, TTL: time.Minute}}}).
		All(cfg.SchedRespondDeadline, cfg.SchedOverdue)

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
		n, err := job.Run(ctx, now)
		fmt.Fprintf(out, "%s as of %s: %d request(s) changed\n", job.Name, now.In(ill.Shanghai).Format(time.RFC3339), n)
		return err
	}

	c, err := sched.NewCron(jobs, ill.SystemClock{}, log)
	if err != nil {
		return err
	}
	c.Start()
	for _, j := range jobs {
		log.Info("job scheduled", "job", j.Name, "spec", j.Spec, "tz", "Asia/Shanghai")
	}
	<-ctx.Done()
	log.Info("scheduler stopping: waiting for running jobs")
	<-c.Stop().Done()
	return nil
}
