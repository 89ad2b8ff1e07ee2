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

// topology is the broker topology of cfg (prefix, delivery limit).
func topology(cfg config.Config) rabbitmq.Topology {
	return rabbitmq.Topology{Prefix: cfg.AMQPPrefix, DeliveryLimit: cfg.DeliveryLimit}
}

// NewRegistry is a Prometheus registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
