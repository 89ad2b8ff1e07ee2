// Package service wires the adapters into the three daemons (producer,
// consumers, scheduler): one place builds the store, the calendar cache,
// the request processor and the metrics for every program. The main
// packages under cmd/ only parse arguments, configuration and signals and
// call these functions, which the integration tests call too.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// OpenStore opens the database and waits (up to ctx) until it answers, so
// processes started together with MariaDB/MySQL come up on their own.
func OpenStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*mysql.Store, error) {
	st, err := mysql.Open(cfg.MySQLDSN)
	if err != nil {
		return nil, err
	}
	st.UseDirectory(cfg.DirectoryTTL)
	for delay := 200 * time.Millisecond; ; delay = min(delay*2, 5*time.Second) {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = st.Ping(pctx)
		cancel()
		if err == nil {
			return st, nil
		}
		log.Warn("database not reachable yet", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			st.Close()
			return nil, fmt.Errorf("database not reachable: %w", err)
		case <-time.After(delay):
		}
	}
}

// Eligibility loads R2's policy from ILL_POLICY_FILE, or the default.
func Eligibility(cfg config.Config) (ill.Eligibility, error) {
	if cfg.PolicyFile == "" {
		return ill.DefaultEligibility, nil
	}
	b, err := os.ReadFile(cfg.PolicyFile)
	if err != nil {
		return ill.Eligibility{}, err
	}
	return ill.ParseEligibility(b)
}

// CalendarTTL is how long a process keeps the national calendar before
// reloading it: a year imported with illctl reaches running processes
// within it.
const CalendarTTL = time.Minute

// NewCalendar is the national calendar cache every program reads
// deadlines from.
func NewCalendar(st *mysql.Store) *mysql.CalendarCache {
	return &mysql.CalendarCache{Store: st, TTL: CalendarTTL}
}

// NewProcessor builds the request processor every program that applies
// messages shares (the consumers' pools and the scheduler's jobs), from
// cfg: the eligibility policy, rota length and weights, the national
// calendar, notice delivery and ISO 18626 delivery to member systems.
// The scheduler never delivers notices or ISO messages itself (it writes
// outbox rows), so the delivery settings matter only to the consumers.
func topology(cfg config.Config) rabbitmq.Topology {
	return rabbitmq.Topology{Prefix: cfg.AMQPPrefix, DeliveryLimit: cfg.DeliveryLimit}
}

// NewProducer builds the API server and its publisher.
// RunProducer serves the API until ctx ends, then drains connections.
// RefuseDemoKeys returns an error, saying how to fix it, when the
// database holds active demo dataset credentials (mysql.ActiveDemoKeys:
// demo-key-CODE for a library or the centre, demo-key-COURIER) and
// cfg.Demo is off. Their keys are public: a production installation that
// ever ran `illctl seed demo` must revoke them before the programs start.
// In a demo (ILL_DEMO=1) it returns nil.
// NewRegistry is a Prometheus registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Consumers is a running consumers process: one pool per queue and an
// outbox relay.
// NewConsumers builds the pools. Observe may be nil.
// Run runs every pool and the relay until ctx ends, then shuts down in
// order: readiness off → stop taking deliveries and let in-flight handlers
// commit and ack (up to DrainTimeout) → stop the relay loop and flush the
// outbox rows those handlers wrote, each with its publisher confirm (up to
// FlushTimeout) → close the relay's broker connection.
// Ready is the consumers' readiness: not shutting down, database and broker
// reachable.
// RunConsumers is the consumers program.
// requestStates is a collector of the number of requests in each state,
// read with one GROUP BY at most once a minute (scrapes in between reuse
// the last figures). Registered by the scheduler (one process is enough).
// RequestStates returns the illhub_requests{state} collector.
