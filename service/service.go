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
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/notify"
	"github.com/balis/illhub/rabbitmq"
	"github.com/balis/illhub/web"
	"github.com/balis/illhub/worker"
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
func NewProcessor(cfg config.Config, st *mysql.Store, log *slog.Logger) (*worker.Processor, error) {
	elig, err := Eligibility(cfg)
	if err != nil {
		return nil, err
	}
	return &worker.Processor{Store: st, Calendar: NewCalendar(st),
		Eligibility: elig, RotaLength: cfg.RotaLength, RotaWeights: cfg.Weights(), Log: log, Notifier: notify.New(cfg),
		ISO: worker.ISOConfig{HubSymbol: cfg.HubSymbol, Client: &http.Client{Timeout: max(cfg.ISOTimeout, time.Second)},
			Backoff: cfg.ISOBackoff, Attempts: cfg.DeliveryLimit},
		// The follow-on effects of every transition: notices, courier
		// dispatch, ISO 18626 messages to members. A new integration is
		// one more subscriber here.
		Subscribers: worker.DefaultSubscribers(cfg.HubSymbol)}, nil
}

func topology(cfg config.Config) rabbitmq.Topology {
	return rabbitmq.Topology{Prefix: cfg.AMQPPrefix, DeliveryLimit: cfg.DeliveryLimit}
}

// NewProducer builds the API server and its publisher.
func NewProducer(cfg config.Config, st *mysql.Store, clock ill.Clock, log *slog.Logger, reg *prometheus.Registry) (*httpapi.Server, *rabbitmq.Publisher) {
	pub := &rabbitmq.Publisher{URL: cfg.AMQPURL, Topo: topology(cfg), Log: log}
	srv := httpapi.New(&httpapi.Server{Store: st, Pub: pub, Clock: clock, Log: log, MaxBody: cfg.MaxBodyBytes,
		PublishTimeout: cfg.PublishTimeout, Calendar: NewCalendar(st),
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, HubSymbol: cfg.HubSymbol,
		Demo: cfg.Demo, KeyCacheTTL: cfg.KeyCacheTTL, AuthFailLimit: cfg.AuthFailLimit, MetricsToken: cfg.MetricsToken}, reg)
	// The reader portal and staff console on the same listener.
	dlq := rabbitmq.DLQ{URL: cfg.AMQPURL, Topo: topology(cfg)}
	srv.UI = web.New(web.Config{API: srv, Store: st, Clock: clock, Calendar: srv.Calendar, Log: log,
		DeadLetters: dlq.List})
	return srv, pub
}

// RunProducer serves the API until ctx ends, then drains connections.
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

// NewRegistry is a Prometheus registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Consumers is a running consumers process: one pool per queue and an
// outbox relay.
type Consumers struct {
	Processor *worker.Processor
	Pools     []*rabbitmq.Consumer
	Relay     *Relay
	// DrainTimeout bounds how long Run waits for in-flight deliveries on
	// shutdown (default 30 s); FlushTimeout how long it then relays the
	// outbox rows they wrote (default 10 s). Rows left over are relayed by
	// another (or the next) consumers process.
	DrainTimeout, FlushTimeout time.Duration

	draining atomic.Bool
}

// NewConsumers builds the pools. Observe may be nil.
func NewConsumers(cfg config.Config, st *mysql.Store, log *slog.Logger, reg *prometheus.Registry) (*Consumers, error) {
	p, err := NewProcessor(cfg, st, log)
	if err != nil {
		return nil, err
	}
	handled := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_deliveries_total",
		Help: "Deliveries by queue and outcome (ack, requeue, dead_letter)."}, []string{"queue", "outcome"})
	took := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_delivery_seconds",
		Help: "Handler time per delivery.", Buckets: prometheus.DefBuckets}, []string{"queue"})
	reg.MustRegister(handled, took)
	observe := func(q string, d ill.Disposition, dur time.Duration) {
		handled.WithLabelValues(q, [...]string{"ack", "requeue", "dead_letter"}[d]).Inc()
		took.WithLabelValues(q).Observe(dur.Seconds())
	}
	groups := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_delivery_groups_total",
		Help: "Groups of prefetched deliveries applied in one transaction, by queue and outcome (committed, split: applied one by one after a failure)."},
		[]string{"queue", "outcome"})
	groupSize := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_delivery_group_size",
		Help: "Deliveries per group.", Buckets: []float64{2, 3, 4, 6, 8, 12, 16}}, []string{"queue"})
	reg.MustRegister(groups, groupSize)
	observeGroup := func(q string, size int, committed bool) {
		groups.WithLabelValues(q, map[bool]string{true: "committed", false: "split"}[committed]).Inc()
		groupSize.WithLabelValues(q).Observe(float64(size))
	}
	topo := topology(cfg)
	pool := func(queue string, h rabbitmq.Handler, workers int) *rabbitmq.Consumer {
		return &rabbitmq.Consumer{URL: cfg.AMQPURL, Topo: topo, Queue: queue, Workers: workers,
			Prefetch: cfg.Prefetch, Handle: h, Log: log, Observe: observe}
	}
	// The requests and courier pools apply what they have prefetched in
	// groups (one transaction per group, rabbitmq.Consumer.Group); the
	// notices and ISO 18626 pools call other systems and take one message
	// at a time.
	grouped := func(c *rabbitmq.Consumer) *rabbitmq.Consumer {
		if cfg.GroupMax > 1 {
			c.Group, c.MaxGroup, c.ObserveGroup = st.Group, cfg.GroupMax, observeGroup
		}
		return c
	}
	c := &Consumers{Processor: p, Pools: []*rabbitmq.Consumer{
		grouped(pool(rabbitmq.QueueRequests, p.HandleRequests, cfg.Workers)),
		pool(rabbitmq.QueueHoldings, p.HandleHoldings, max(1, cfg.Workers/4)),
		pool(rabbitmq.QueueNotices, p.HandleNotice, max(1, cfg.Workers/4)),
		grouped(pool(rabbitmq.QueueCourier, p.HandleShipment, max(1, cfg.Workers/4))),
		pool(rabbitmq.QueueISO, p.HandleISO, max(1, cfg.Workers/4)),
	}}
	c.Relay = &Relay{Store: st, Pub: &rabbitmq.Publisher{URL: cfg.AMQPURL, Topo: topo, Log: log},
		Poll: cfg.OutboxPoll, Log: log}
	relayed := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "illhub_outbox_relayed_total",
		Help: "Outbox rows relayed by this process."}, func() float64 { return float64(c.Relay.relayed.Load()) })
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "illhub_outbox_oldest_seconds",
		Help: "Age of the oldest outbox row not yet relayed (0 when none)."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		age, err := st.OldestOutboxAge(ctx)
		if err != nil {
			return -1
		}
		return age.Seconds()
	})
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "illhub_outbox_pending",
		Help: "Outbox rows not yet relayed to the broker (all processes)."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := st.PendingOutbox(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	reg.MustRegister(relayed, backlog, oldest)
	return c, nil
}

// Run runs every pool and the relay until ctx ends, then shuts down in
// order: readiness off → stop taking deliveries and let in-flight handlers
// commit and ack (up to DrainTimeout) → stop the relay loop and flush the
// outbox rows those handlers wrote, each with its publisher confirm (up to
// FlushTimeout) → close the relay's broker connection.
func (c *Consumers) Run(ctx context.Context) error {
	var pools sync.WaitGroup
	for _, p := range c.Pools {
		pools.Add(1)
		go func(p *rabbitmq.Consumer) { defer pools.Done(); _ = p.Run(ctx) }(p)
	}
	rctx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRelay()
	relayDone := make(chan struct{})
	go func() { defer close(relayDone); c.Relay.Run(rctx) }()

	<-ctx.Done()
	c.draining.Store(true)
	drain := c.DrainTimeout
	if drain <= 0 {
		drain = 30 * time.Second
	}
	poolsDone := make(chan struct{})
	go func() { pools.Wait(); close(poolsDone) }()
	select {
	case <-poolsDone:
	case <-time.After(drain):
		c.Relay.Log.Warn("in-flight deliveries did not finish in time; unacked ones return to the queue", "drain_timeout", drain)
	}
	stopRelay()
	<-relayDone
	flush := c.FlushTimeout
	if flush <= 0 {
		flush = 10 * time.Second
	}
	fctx, cancel := context.WithTimeout(context.Background(), flush)
	defer cancel()
	if n, err := c.Relay.Flush(fctx); err != nil {
		c.Relay.Log.Warn("outbox not fully flushed on shutdown; another consumers process relays the rest", "relayed", n, "err", err)
	} else if n > 0 {
		c.Relay.Log.Info("outbox flushed on shutdown", "relayed", n)
	}
	return c.Relay.Pub.Close()
}

// Ready is the consumers' readiness: not shutting down, database and broker
// reachable.
func (c *Consumers) Ready(ctx context.Context) (bool, map[string]string) {
	checks := map[string]string{}
	ok := true
	if c.draining.Load() {
		checks["shutdown"], ok = "shutting down", false
	}
	if err := c.Relay.Store.Ping(ctx); err != nil {
		// The driver's text stays in the log, out of the answer.
		c.Relay.Log.Warn("readiness: database unreachable", "err", err)
		checks["mysql"], ok = "down", false
	} else {
		checks["mysql"] = "ok"
	}
	if err := c.Relay.Pub.Ready(); err != nil {
		checks["rabbitmq"], ok = "down", false
	} else {
		checks["rabbitmq"] = "ok"
	}
	return ok, checks
}

// RunConsumers is the consumers program.
func RunConsumers(ctx context.Context, cfg config.Config, log *slog.Logger, metricsAddr string) error {
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := RefuseDemoKeys(ctx, cfg, st); err != nil {
		return err
	}
	reg := NewRegistry()
	c, err := NewConsumers(cfg, st, log, reg)
	if err != nil {
		return err
	}
	c.DrainTimeout, c.FlushTimeout = cfg.ShutdownTimeout, cfg.ShutdownTimeout/2
	stop := ServeOps(metricsAddr, reg, c.Ready, log)
	defer stop()
	log.Info("consumers started", "workers", cfg.Workers, "prefetch", cfg.Prefetch, "delivery_limit", cfg.DeliveryLimit)
	err = c.Run(ctx)
	log.Info("consumers stopped")
	return err
}

// requestStates is a collector of the number of requests in each state,
// read with one GROUP BY at most once a minute (scrapes in between reuse
// the last figures). Registered by the scheduler (one process is enough).
type requestStates struct {
	st   *mysql.Store
	desc *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	counts map[string]int
}

// RequestStates returns the illhub_requests{state} collector.
func RequestStates(st *mysql.Store) prometheus.Collector {
	return &requestStates{st: st, desc: prometheus.NewDesc("illhub_requests",
		"Requests by state (refreshed at most once a minute).", []string{"state"}, nil)}
}

func (c *requestStates) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *requestStates) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > time.Minute {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		counts, err := c.st.CountByState(ctx)
		cancel()
		if err == nil {
			c.counts, c.at = counts, time.Now()
		}
	}
	for _, s := range ill.States {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.counts[string(s)]), string(s))
	}
}
