// Command consumers runs illhub's consumer pools (requests, holdings,
// notices, courier) and the outbox relay. Run as many processes as load
// needs: they coordinate through row locks and SKIP LOCKED claims.
// ILL_WORKERS and ILL_PREFETCH size each process; SIGTERM drains in-flight
// deliveries before exit.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "consumers:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("consumers takes no arguments; configure it with ILL_* environment variables (see configs/illhub.env)")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return service.RunConsumers(ctx, cfg, cfg.Logger("consumers"), cfg.ConsumersMetricsAddr)
}
