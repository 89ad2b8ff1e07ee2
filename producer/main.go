// Command producer is illhub's intake: the JSON API (SPEC 5.1). It answers
// 202 only after RabbitMQ confirmed the message, 503 with Retry-After when
// the broker is down. Configuration: ILL_* environment variables.
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
		fmt.Fprintln(os.Stderr, "producer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("producer takes no arguments; configure it with ILL_* environment variables (see configs/illhub.env)")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return service.RunProducer(ctx, cfg, cfg.Logger("producer"))
}
