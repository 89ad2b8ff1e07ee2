// Command producer is illhub's intake: the JSON API (SPEC 5.1). It answers
// 202 only after RabbitMQ confirmed the message, 503 with Retry-After when
// the broker is down. Configuration: ILL_* environment variables.
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

// run is the program: it serves until ctx ends or SIGINT/SIGTERM arrives,
// then drains, and returns the exit status. The ILL_*
// variables come from the environment (config.Load).
func run(ctx context.Context, args []string, _, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, args, stderr); err != nil {
		fmt.Fprintln(stderr, "producer:", err)
		return 1
	}
	return 0
}

// serve is the producer; its error is what run prints.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("producer takes no arguments; configure it with ILL_* environment variables (see configs/illhub.env)")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return service.RunProducer(ctx, cfg, cfg.Logger(stderr, "producer"))
}
