package service

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/config"
	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/iso18626/intake"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
	"github.com/balis/illhub/reports"
	"github.com/balis/illhub/web"
	"github.com/prometheus/client_golang/prometheus"
)

// NewProducer wires the producer: the use cases (app) over the store and
// the broker's publisher, and the adapters that translate to them on one
// listener: the JSON API, the ISO 18626 intake (POST /iso18626) and the
// reader portal and staff console (package web). The publisher is the
// caller's to close.
func NewProducer(cfg config.Config, st *mysql.Store, clock ill.Clock, log *slog.Logger, reg *prometheus.Registry) (*httpapi.Server, *rabbitmq.Publisher) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	pub := &rabbitmq.Publisher{URL: cfg.AMQPURL, Topo: topology(cfg), Log: log}
	cal := NewCalendar(st)
	// R2's policy for the portal's scope marks: the consumers' own file
	// (they refuse to start with a bad one; the marks then fall back).
	elig, err := Eligibility(cfg)
	if err != nil {
		log.Error("policy file", "err", err)
		elig = ill.DefaultEligibility
	}
	topo := topology(cfg)
	uses := app.New(app.Config{Store: st, Publisher: pub, Clock: clock, PublishTimeout: cfg.PublishTimeout,
		Reports: &reports.Service{Store: st, Clock: clock, Calendar: cal}, Observe: httpapi.PublishMetrics(reg, log),
		Eligibility: elig, Calendar: cal,
		Backlog:       &rabbitmq.Depth{Pub: pub, Queues: []string{topo.Queue(rabbitmq.QueueRequests), topo.Queue(rabbitmq.QueueISO)}},
		IntakeBacklog: cfg.IntakeBacklog, IntakeWait: cfg.IntakeWait})
	srv := httpapi.New(&httpapi.Server{App: uses, Store: st, Pub: pub, Clock: clock, Log: log, MaxBody: cfg.MaxBodyBytes,
		Calendar: cal, RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst,
		Demo: cfg.Demo, KeyCacheTTL: cfg.KeyCacheTTL, AuthFailLimit: cfg.AuthFailLimit, MetricsToken: cfg.MetricsToken,
		ISO18626: intake.New(uses, clock, log, intake.Config{MaxBody: cfg.MaxBodyBytes,
			RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, HubSymbol: cfg.HubSymbol})}, reg)
	// Electronic delivery of copies: without its secret or store the
	// upload and download routes answer 503 (logged here), loans go on.
	if d, err := NewDelivery(context.Background(), cfg, uses, st, log); err != nil {
		log.Error("electronic delivery of copies is disabled", "err", err)
	} else {
		srv.Delivery = d
	}
	srv.UI = web.New(web.Config{App: uses, Clock: clock, Calendar: cal, Log: log, Delivery: srv.Delivery,
		DeadLetters: rabbitmq.DLQ{URL: cfg.AMQPURL, Topo: topology(cfg)}})
	return srv, pub
}

// RunProducer is the producer program: it refuses a database with active
// demo credentials outside a demo, serves the API until ctx ends, then
// drains connections.
func RunProducer(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := RefuseDemoKeys(ctx, cfg, st); err != nil {
		return err
	}
	reg := NewRegistry()
	srv, pub := NewProducer(cfg, st, ill.SystemClock{}, log, reg)
	defer pub.Close()
	// Rows the console's and the API's transactions write to the outbox
	// (notes to ISO members, …) leave at once, not at a consumers' poll.
	defer startFastRelay(st, pub, log, cfg.ShutdownTimeout)()
	hs := NewHTTPServer(cfg.HTTPAddr, srv)
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	log.Info("producer listening", "addr", cfg.HTTPAddr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Shutdown order: readiness off (/readyz 503) → optional grace for load
	// balancers (ILL_DRAIN_DELAY) → stop accepting and drain HTTP → close.
	srv.Drain()
	log.Info("producer shutting down: readiness off, draining in-flight requests", "drain_delay", cfg.DrainDelay)
	time.Sleep(cfg.DrainDelay)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	return hs.Shutdown(sctx)
}

// RefuseDemoKeys returns an error, saying how to fix it, when the
// database holds active demo dataset credentials (mysql.ActiveDemoKeys:
// demo-key-CODE for a library or the centre, demo-key-COURIER) and
// cfg.Demo is off. Their keys are public: a production installation that
// ever ran `illctl seed demo` must revoke them before the programs start.
// In a demo (ILL_DEMO=1) it returns nil.
func RefuseDemoKeys(ctx context.Context, cfg config.Config, st *mysql.Store) error {
	if cfg.Demo {
		return nil
	}
	creds, err := st.ActiveDemoKeys(ctx)
	if err != nil {
		return fmt.Errorf("checking for demo credentials: %w", err)
	}
	if len(creds) == 0 {
		return nil
	}
	owners := make([]string, 0, len(creds))
	seen := map[string]bool{}
	for _, c := range creds {
		if !seen[c.Owner] {
			seen[c.Owner] = true
			owners = append(owners, c.Owner)
		}
	}
	shown := owners
	if len(shown) > 5 {
		shown = append(shown[:5:5], "…")
	}
	return fmt.Errorf("the database holds %d active demo credential(s) (public keys demo-key-CODE of %s): "+
		"this is not a demo (ILL_DEMO is off). Revoke them with `illctl key revoke --demo` "+
		"(or one owner at a time: `illctl key revoke CODE`), or set ILL_DEMO=1 to run the demo",
		len(creds), strings.Join(shown, ", "))
}
