// Command scheduler runs illhub's deadline, notice and statistics jobs on
// a cron schedule in Asia/Shanghai, or one job at once:
//
//	scheduler                              run the cron schedule until SIGTERM
//	scheduler run-once JOB [--now RFC3339] run JOB as of that time and exit
//
// Jobs: respond-deadline, ship-deadline, deliver-deadline, overdue, recall-expiry, courtesy,
// calendar-coverage, rollup, courier-cutoff, courier-exceptions,
// iso18626-retention, monthly-summary. Several instances may run at once (see package
// sched).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/service"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the program; it returns the exit status (a --help is not a
// failure). The ILL_* variables come from the environment; stdout receives run-once's
// result line. SIGINT and SIGTERM end the daemon, or cancel run-once's job.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := schedule(ctx, args, stdout, stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "scheduler:", err)
		return 1
	}
	return 0
}

// schedule is the scheduler (the daemon or run-once); its error is what
// run prints.
func schedule(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, "scheduler")
	switch {
	case len(args) == 0:
		return service.RunScheduler(ctx, cfg, log)
	case args[0] != "run-once":
		return fmt.Errorf("usage: scheduler [run-once JOB [--now RFC3339]]")
	}
	return runOnce(ctx, cfg, log, args[1:], stdout)
}

// runOnce is `scheduler run-once JOB [--now RFC3339]`, an operator's
// catch-up command: unlike the daemon it also runs on a database with
// active demo credentials.
func runOnce(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run-once", flag.ContinueOnError)
	fs.SetOutput(out)
	nowFlag := fs.String("now", "", "run as of this time (RFC 3339, e.g. 2026-02-24T09:00:00+08:00); default: now")
	if len(args) < 1 {
		return fmt.Errorf("usage: scheduler run-once JOB [--now RFC3339]")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	now := time.Now()
	if *nowFlag != "" {
		var err error
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return fmt.Errorf("--now: %w", err)
		}
	}
	st, err := service.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := service.NewScheduler(cfg, st, log, service.NewRegistry())
	if err != nil {
		return err
	}
	job, err := s.Job(args[0])
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := job.Run(ctx, now)
	fmt.Fprintf(out, "%s as of %s: %d (%v)\n", job.Name, now.In(ill.Shanghai).Format(time.RFC3339), n, time.Since(start).Round(time.Millisecond))
	return err
}
