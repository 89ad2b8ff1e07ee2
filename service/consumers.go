package service

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/consumers/courier"
	"github.com/balis/illhub/consumers/holdings"
	"github.com/balis/illhub/consumers/isoout"
	"github.com/balis/illhub/consumers/ncipout"
	"github.com/balis/illhub/consumers/notices"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/iso18626/client"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/notify"
	"github.com/balis/illhub/rabbitmq"
	"github.com/prometheus/client_golang/prometheus"
)

// Subscribers are the follow-on effects of every transition, in the order
// they run: notices, courier records and shipments, ISO 18626 messages to
// members (hubSymbol: the hub's own ISO agency id, ILL_HUB_SYMBOL). A new
// integration is one more subscriber here.
func Subscribers(hubSymbol string) []requests.Subscriber { return subscribers(hubSymbol, nil) }

// subscribers is Subscribers with copyLink, the hub's signed link an ISO
// borrower gets with a delivered copy (isoout.Subscriber.CopyLink).
func subscribers(hubSymbol string, copyLink func(context.Context, *ill.Request) (string, error)) []requests.Subscriber {
	return []requests.Subscriber{notices.Subscriber{}, courier.Subscriber{},
		isoout.Subscriber{HubSymbol: hubSymbol, CopyLink: copyLink},
		isoout.Notes{HubSymbol: hubSymbol},       // notes between libraries over ISO 18626 (consumers/isoout/notes.go)
		ncipout.Subscriber{HubSymbol: hubSymbol}} // NCIP calls to members' local library systems (docs/ncip.md)
}

// NewProcessor builds the request processor every program that applies
// transitions shares (the consumers' requests pool and the scheduler's
// deadline jobs), from cfg: the eligibility policy, rota length and
// weights, the national calendar, and the hub's subscribers.
func NewProcessor(cfg config.Config, st *mysql.Store) (*requests.Processor, error) {
	elig, err := Eligibility(cfg)
	if err != nil {
		return nil, err
	}
	return &requests.Processor{Store: st, Calendar: NewCalendar(st), Eligibility: elig,
		RotaLength: cfg.RotaLength, RotaWeights: cfg.Weights(),
		// after notices.Subscriber: it adds the download link to the notice that one wrote
		Subscribers: append(subscribers(cfg.HubSymbol, CopyLink(cfg, st)), DeliverySubscriber(cfg))}, nil
}

// Consumers is a running consumers process: one pool per queue and an
// outbox relay.
type Consumers struct {
	// Notices is the notices pool's handler; its Notifier (notify.New(cfg))
	// may be replaced before Run.
	Notices *notices.Pool
	Pools   []*rabbitmq.Consumer
	Relay   *Relay
	// DrainTimeout bounds how long Run waits for in-flight deliveries on
	// shutdown (default 30 s); FlushTimeout how long it then relays the
	// outbox rows they wrote (default 10 s). Rows left over are relayed by
	// another (or the next) consumers process.
	DrainTimeout, FlushTimeout time.Duration

	draining atomic.Bool
}

// NewConsumers builds the pools, each handler from its capability's
// package, and registers the consumers' metrics on reg.
func NewConsumers(cfg config.Config, st *mysql.Store, log *slog.Logger, reg *prometheus.Registry) (*Consumers, error) {
	p, err := NewProcessor(cfg, st)
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
	notes := &notices.Pool{Store: st, Notifier: notify.New(cfg), Log: log}
	hold := &holdings.Pool{Store: st, Log: log}
	cour := &courier.Pool{Store: st, Calendar: p.Calendar}
	// The iso pool posts to member systems: ILL_ISO_WORKERS deliveries at
	// once, at most ILL_ISO_PER_MEMBER to one member, over kept-alive
	// connections (zero values: configs/illhub.env's defaults).
	isoWorkers, isoPrefetch := cmp.Or(cfg.ISOWorkers, 16), cmp.Or(cfg.ISOPrefetch, 1)
	iso := &isoout.Pool{Store: st, Client: client.NewHTTP(max(cfg.ISOTimeout, time.Second), isoWorkers),
		Backoff: cfg.ISOBackoff, Attempts: cfg.DeliveryLimit, PerMember: cmp.Or(cfg.ISOPerMember, 4), Log: log}
	isoPool := pool(rabbitmq.QueueISO, iso.Handle, isoWorkers)
	isoPool.Prefetch = isoPrefetch
	c := &Consumers{Notices: notes, Pools: []*rabbitmq.Consumer{
		grouped(pool(rabbitmq.QueueRequests, p.Handle, cfg.Workers)),
		pool(rabbitmq.QueueHoldings, hold.Handle, max(1, cfg.Workers/4)),
		pool(rabbitmq.QueueNotices, notes.Handle, max(1, cfg.Workers/4)),
		grouped(pool(rabbitmq.QueueCourier, cour.Handle, max(1, cfg.Workers/4))),
		isoPool,
		pool(rabbitmq.QueueNCIP, (&ncipout.Pool{Store: st, Client: &http.Client{Timeout: max(cfg.NCIPTimeout, time.Second)},
			Backoff: cfg.NCIPBackoff, Attempts: cfg.DeliveryLimit, Log: log}).Handle, max(1, cfg.Workers/4)),
	}}
	c.Relay = &Relay{Store: st, Pub: &rabbitmq.Publisher{URL: cfg.AMQPURL, Topo: topo, Log: log},
		Poll: cfg.OutboxPoll, Log: log}
	st.OnOutboxCommit(c.Relay.Handoff)
	relayed := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "illhub_outbox_relayed_total",
		Help: "Outbox rows relayed by this process."}, func() float64 { return float64(c.Relay.relayed.Load()) })
	dropped := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "illhub_outbox_handoff_dropped_total",
		Help: "Committed outbox rows the relay's fast path had no room for (the poll publishes them)."},
		func() float64 { return float64(c.Relay.dropped.Load()) })
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
	reg.MustRegister(relayed, dropped, backlog, oldest)
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

// RunConsumers is the consumers program: it refuses a database with active
// demo credentials outside a demo, serves the metrics port and runs the
// pools until ctx ends.
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
