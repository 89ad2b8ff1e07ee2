// Command consumers runs illhub's consumer pools (requests, holdings,
// notices, courier, ISO 18626) and the outbox relay. Run as many processes
// as load needs: they coordinate through row locks and SKIP LOCKED claims.
// ILL_WORKERS and ILL_PREFETCH size each process; SIGTERM drains in-flight
// deliveries before exit.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/service"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the program: it consumes until ctx ends or SIGINT/SIGTERM
// arrives, then drains, and returns the exit status. The ILL_*
// variables come from the environment (config.Load).
func run(ctx context.Context, args []string, _, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := consume(ctx, args, stderr); err != nil {
		fmt.Fprintln(stderr, "consumers:", err)
		return 1
	}
	return 0
}

// consume is the consumers program; its error is what run prints.
func consume(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("consumers takes no arguments; configure it with ILL_* environment variables (see configs/illhub.env)")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return service.RunConsumers(ctx, cfg, cfg.Logger(stderr, "consumers"), cfg.ConsumersMetricsAddr)
}
