// Command illbench is illhub's load tool. It drives N full lifecycles
// (submit → respond → ship → receive → checkout → return → ship_return →
// checkin) with concurrency C through the public HTTP API, reports
// throughput and latency percentiles per step, and measures in the same run
// the raw ceilings of the machine: broker-only publishing with confirms and
// database-only "one transaction per message". The result is stated as a
// ratio (see docs/benchmarks.md):
//
//	ratio = consumer deliveries acked per second (every one a committed
//	        message transaction) ÷ database-only transactions per second
//
// By default it runs the system under test itself, in this process: a fresh
// database with the demo dataset, the producer on a real HTTP listener and
// one or more consumers "processes" (-consumers), all dropped afterwards.
//
//	illbench -n 20000 -c 16 -report loadtest-report.md
//
// Flags: -n, -c, -consumers, -workers, -prefetch, -books, -half (lifecycles
// of the half-load phase; 0 skips it), -light and -light-rate (a phase at a
// fixed low rate, 30 lifecycles/s by default), -iso, -iso-rate and -iso-clients
// (the ISO 18626 brokering phases: requests posted as a member system to the
// hub's symbol and forwarded to a supplier endpoint the tool runs; 0 skips
// them), -broker-n, -db-n (ceiling sizes),
// -mysql (server DSN without database), -amqp, -report, -pprof (serve
// net/http/pprof on that address during the run), -keep.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // -pprof
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/demo"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/loadtest"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the tool; it returns the exit status (a -h is not a failure).
// The ILL_* variables (config.Load) configure the system under test;
// stdout receives the report, stderr progress and errors. SIGINT and
// SIGTERM end the run early, still cleaning up.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, args, stdout, stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "illbench:", err)
		return 1
	}
	return 0
}

type options struct {
	n, c, consumers, workers, prefetch, books, half, light, brokerN, dbN, iso int
	lightRate, isoRate                                                        float64
	mysqlBase, amqpURL, report, pprof, isoClients                             string
	keep                                                                      bool
}

// bench is the load tool; its error is what run prints.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("illbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 1000, "full lifecycles to drive")
	fs.IntVar(&o.c, "c", 16, "concurrent lifecycles")
	fs.IntVar(&o.consumers, "consumers", 1, "consumers processes (in this process, each with its own connections and relay)")
	fs.IntVar(&o.workers, "workers", 0, "ILL_WORKERS per consumers process (0: the configured default)")
	fs.IntVar(&o.prefetch, "prefetch", 0, "ILL_PREFETCH (0: the configured default)")
	fs.IntVar(&o.books, "books", 12000, "catalogue size of the demo dataset")
	fs.IntVar(&o.half, "half", -1, "lifecycles of the half-load phase (-1: N/10, at least 200; 0: skip)")
	fs.IntVar(&o.light, "light", -1, "lifecycles of the light-load phase at -light-rate (-1: N/20, at least 200; 0: skip)")
	fs.Float64Var(&o.lightRate, "light-rate", 30, "lifecycles started per second in the light-load phase (open loop)")
	fs.IntVar(&o.iso, "iso", -1, "ISO 18626 requests per brokering phase (-1: N/5, at least 200; 0: skip)")
	fs.Float64Var(&o.isoRate, "iso-rate", 30, "ISO 18626 requests posted per second in the fixed-rate brokering phase (open loop)")
	fs.StringVar(&o.isoClients, "iso-clients", "8,32", "closed-loop clients of the further brokering phases, comma-separated")
	fs.IntVar(&o.brokerN, "broker-n", 20000, "messages for the broker-only ceiling")
	fs.IntVar(&o.dbN, "db-n", 10000, "transactions for the database-only ceiling")
	fs.StringVar(&o.mysqlBase, "mysql", "root:@tcp(127.0.0.1:3306)/", "MySQL/MariaDB server DSN, without a database name")
	fs.StringVar(&o.amqpURL, "amqp", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ URL")
	fs.StringVar(&o.report, "report", "", "also write the Markdown report to this file")
	fs.StringVar(&o.pprof, "pprof", "", "serve net/http/pprof on this address during the run (e.g. 127.0.0.1:6060)")
	fs.BoolVar(&o.keep, "keep", false, "keep the database and queues afterwards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.n < 1 || o.c < 1 || o.consumers < 1 {
		return fmt.Errorf("-n, -c and -consumers must be at least 1")
	}
	if o.half < 0 {
		o.half = max(o.n/10, 200)
	}
	if o.light < 0 {
		o.light = max(o.n/20, 200)
	}
	if o.lightRate <= 0 {
		return fmt.Errorf("-light-rate must be positive")
	}
	if o.iso < 0 {
		o.iso = max(o.n/5, 200)
	}
	isoClients, err := parseClients(o.isoClients)
	if err != nil || o.isoRate <= 0 {
		return fmt.Errorf("-iso-rate must be positive and -iso-clients a list of positive numbers")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "illbench: "+format+"\n", a...) }
	if o.pprof != "" {
		go func() { logf("pprof: %v", http.ListenAndServe(o.pprof, nil)) }()
	}

	// The system under test: a fresh database and queue prefix.
	suffix := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)
	dsn := o.mysqlBase + "illbench_" + suffix
	logf("database %s: schema and demo dataset (%d books)", "illbench_"+suffix, o.books)
	if err := mysql.Migrate(ctx, dsn); err != nil {
		return err
	}
	st, err := mysql.Open(dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if !o.keep {
		defer func() { _, _ = st.DB.Exec("DROP DATABASE IF EXISTS `illbench_" + suffix + "`") }()
	}
	if _, err := demo.Load(ctx, st, demo.Options{Books: o.books}); err != nil {
		return err
	}
	var isoSetup *isoMembers
	if o.iso > 0 {
		if isoSetup, err = setupISO(ctx, st); err != nil {
			return err
		}
		defer isoSetup.supplier.Close()
		logf("ISO 18626: %s requests from the hub (%s), %s supplies %d books alone", isoSetup.requester, cfg.HubSymbol,
			isoSetup.supplierCode, len(isoSetup.isbns))
	}
	cfg.MySQLDSN, cfg.AMQPURL, cfg.AMQPPrefix = dsn, o.amqpURL, "illbench-"+suffix+"."
	cfg.RateLimit = 0                 // the load generator is one client with 40 libraries' keys
	cfg.Demo = true                   // ... the demo dataset's keys
	st.UseDirectory(cfg.DirectoryTTL) // as service.OpenStore does for the real programs
	if o.workers > 0 {
		cfg.Workers = o.workers
	}
	if o.prefetch > 0 {
		cfg.Prefetch = o.prefetch
	}
	topo := rabbitmq.Topology{Prefix: cfg.AMQPPrefix, DeliveryLimit: cfg.DeliveryLimit}
	if !o.keep {
		defer deleteTopology(o.amqpURL, topo)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	regs := make([]*prometheus.Registry, o.consumers)
	cctx, stopConsumers := context.WithCancel(context.WithoutCancel(ctx))
	var cwg sync.WaitGroup
	defer func() { stopConsumers(); cwg.Wait() }()
	for i := range regs {
		regs[i] = prometheus.NewRegistry()
		c, err := service.NewConsumers(cfg, st, log, regs[i])
		if err != nil {
			return err
		}
		cwg.Add(1)
		go func() { defer cwg.Done(); _ = c.Run(cctx) }()
	}
	srv, pub := service.NewProducer(cfg, st, ill.SystemClock{}, log, prometheus.NewRegistry())
	defer pub.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := service.NewHTTPServer("", srv)
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	pairs, err := loadtest.DemoPairs(ctx, st, false)
	if err != nil {
		return err
	}
	rp := &loadtest.Report{Date: time.Now().UTC(), Machine: loadtest.Machine(),
		Setup: fmt.Sprintf("producer and %d consumers process(es) in the illbench process (ILL_WORKERS=%d requests workers, ILL_PREFETCH=%d, outbox poll %v); %d books, %d work pairs",
			o.consumers, cfg.Workers, cfg.Prefetch, cfg.OutboxPoll, o.books, len(pairs))}
	rp.Versions = versions(ctx, st, o.amqpURL)

	// Warm-up: caches, connections, the first quorum queue writes.
	if _, err := loadtest.Run(ctx, loadtest.Options{BaseURL: base, Pairs: pairs, N: min(o.c, o.n), C: o.c, RunID: suffix + "w"}); err != nil {
		return err
	}
	before := acked(regs)
	stBefore := serverStatus(ctx, st)
	// CPU over the main run: this process (load driver, producer,
	// consumers, relays), the database and the broker.
	cpuOf := map[string][]int{"illbench": {os.Getpid()}, "MariaDB": loadtest.PIDsNamed("mariadbd", "mysqld"),
		"RabbitMQ": loadtest.PIDsNamed("beam.smp")}
	cpuBefore := map[string]int64{}
	for k, pids := range cpuOf {
		cpuBefore[k] = loadtest.CPUTicks(pids, false)
	}
	logf("main run: %d lifecycles, concurrency %d", o.n, o.c)
	rp.Main, err = loadtest.Run(ctx, loadtest.Options{BaseURL: base, Pairs: pairs, N: o.n, C: o.c, RunID: suffix + "m"})
	if err != nil {
		return err
	}
	// Deliveries still in flight (the last notices) finish within a moment:
	// count those that belong to the main run's lifecycles.
	time.Sleep(500 * time.Millisecond)
	rp.Deliveries = int(acked(regs) - before)
	rp.Notes = append(rp.Notes, handlerTimes(regs), groupStats(regs))
	if rp.Deliveries > 0 {
		// Every MariaDB and RabbitMQ process on the host is counted,
		// whoever else uses them: on a shared host an upper bound.
		ms := func(k string) float64 {
			return float64(loadtest.CPUTicks(cpuOf[k], false)-cpuBefore[k]) * 1000 / loadtest.ClockTicks / float64(rp.Deliveries)
		}
		db, mq, own := ms("MariaDB"), ms("RabbitMQ"), ms("illbench")
		rp.Notes = append(rp.Notes, fmt.Sprintf("CPU per delivery over the main run (/proc utime + stime): %.2f ms in all; "+
			"MariaDB %.2f, RabbitMQ %.2f, the illbench process (load driver, producer, consumers) %.2f", db+mq+own, db, mq, own))
	}
	if n := rp.Main.Completed; n > 0 && stBefore != nil {
		// The whole server's statements (the load tool's reads included),
		// per completed lifecycle: where the database's work goes.
		after := serverStatus(ctx, st)
		per := func(k string) float64 { return float64(after[k]-stBefore[k]) / float64(n) }
		rp.Notes = append(rp.Notes, fmt.Sprintf("database statements per lifecycle (server counters, everything included): "+
			"%.1f in all; %.0f SELECT, %.0f INSERT, %.0f UPDATE, %.0f DELETE, %.1f COMMIT",
			per("Questions"), per("Com_select"), per("Com_insert"), per("Com_update"), per("Com_delete"), per("Com_commit")))
		// The tool's own observation: its batched polls, each costing
		// what pollCost measures now (one read, and a key look-up when
		// the producer's key cache has let the centre's key go).
		if cost, err := pollCost(ctx, st, base); err == nil {
			own := cost * float64(rp.Main.Polls) / float64(n)
			rp.Notes = append(rp.Notes, fmt.Sprintf("of which the load tool's own polls: %.1f per lifecycle (%d batched GETs × %.2f statements, measured "+
				"by 200 GETs after the run); the hub's work: %.1f statements per lifecycle", own, rp.Main.Polls, cost, per("Questions")-own))
		}
	}
	logf("main run: %.1f lifecycles/s, %.1f deliveries/s", rp.Main.LifecyclesPerSecond(), rp.DeliveriesPerSecond())
	if o.half > 0 && rp.Main.LifecyclesPerSecond() > 0 {
		rate := rp.Main.LifecyclesPerSecond() / 2
		settle(ctx, regs)
		logf("half load: %d lifecycles at %.1f/s", o.half, rate)
		rp.Half, err = loadtest.Run(ctx, loadtest.Options{BaseURL: base, Pairs: pairs, N: o.half, C: o.c, Rate: rate, RunID: suffix + "h"})
		if err != nil {
			return err
		}
	}
	// A fixed low rate, the same whatever the machine: how long a step
	// takes when nothing queues (the relay, the polls, one transaction).
	if o.light > 0 {
		settle(ctx, regs)
		logf("light load: %d lifecycles at %.1f/s", o.light, o.lightRate)
		rp.Light, err = loadtest.Run(ctx, loadtest.Options{BaseURL: base, Pairs: pairs, N: o.light, C: o.c, Rate: o.lightRate, RunID: suffix + "l"})
		if err != nil {
			return err
		}
	}
	// ISO 18626 brokering: a fixed low rate first (latency), then closed
	// loops (does forwarding keep up with intake?).
	if isoSetup != nil {
		phases := []loadtest.ISOOptions{{C: 8, Rate: o.isoRate}}
		for _, c := range isoClients {
			phases = append(phases, loadtest.ISOOptions{C: c})
		}
		for i, ph := range phases {
			ph.HubURL, ph.HubSymbol, ph.Requester, ph.Secret = base, cfg.HubSymbol, isoSetup.requester, isoSetup.secret
			ph.ISBNs, ph.Supplier, ph.N, ph.RunID = isoSetup.isbns, isoSetup.supplier, o.iso, fmt.Sprintf("%s%d", suffix, i)
			if ph.Rate > 0 {
				settle(ctx, regs)
			}
			logf("ISO 18626 brokering: %d requests, C=%d, rate %.1f/s", ph.N, ph.C, ph.Rate)
			r, err := loadtest.RunISO(ctx, ph)
			if err != nil {
				return fmt.Errorf("ISO 18626 brokering: %w", err)
			}
			logf("ISO 18626 brokering: %.1f accepted/s, %.1f forwarded/s", r.AcceptedPerSecond(), r.ForwardedPerSecond())
			rp.ISO = append(rp.ISO, r)
		}
	}
	// Ceilings, with the system under test idle.
	stopConsumers()
	cwg.Wait()
	logf("broker ceiling: %d messages", o.brokerN)
	if rp.Broker, err = loadtest.BrokerCeiling(ctx, o.amqpURL, o.brokerN, o.c); err != nil {
		return fmt.Errorf("broker ceiling: %w", err)
	}
	// The database ceiling is the best of several: illhub's transaction
	// path at 16 and 32 clients and at the run's concurrency, and a plain
	// database/sql transaction at the run's concurrency; the ratio divides
	// by the highest.
	for _, v := range dbCeilingVariants(o.c) {
		logf("database ceiling: %d transactions, C=%d, pipelined %v", o.dbN, v.c, v.pipelined)
		cl, err := loadtest.DBCeiling(ctx, o.mysqlBase, o.dbN, v.c, v.pipelined)
		if err != nil {
			return fmt.Errorf("database ceiling: %w", err)
		}
		rp.DBs = append(rp.DBs, cl)
		if cl.PerSecond() > rp.DB.PerSecond() {
			rp.DB = cl
		}
	}
	rp.Markdown(stdout)
	if o.report != "" {
		f, err := os.Create(o.report)
		if err != nil {
			return err
		}
		rp.Markdown(f)
		if err := f.Close(); err != nil {
			return err
		}
	}
	if rp.Main.Failed > 0 {
		return fmt.Errorf("%d of %d lifecycles failed (see the report)", rp.Main.Failed, rp.Main.N)
	}
	return nil
}

// parseClients reads -iso-clients: positive numbers, comma-separated.
func parseClients(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("not a positive number: %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// isoMembers is the brokering phases' setting: the requesting member
// (its symbol and secret), the supplying member and the books it alone
// holds, and the tool's server playing both members' systems.
type isoMembers struct {
	requester, secret, supplierCode string
	isbns                           []string
	supplier                        *loadtest.Supplier
}

// setupISO picks, in the demo dataset, the member that alone holds the
// most lendable, available Chinese books with an ISBN (the hub can route
// those to it only) and another member without a deposit rule, registers
// both as ISO 18626 members whose systems are a server this tool runs,
// and lists the ISBNs.
func setupISO(ctx context.Context, st *mysql.Store) (*isoMembers, error) {
	var rows []struct {
		Lib  string `db:"library_code"`
		ISBN string `db:"isbn13"`
	}
	if err := st.DB.SelectContext(ctx, &rows, `SELECT h.library_code, r.isbn13 FROM records r
		JOIN holdings h ON h.record_id = r.id JOIN libraries l ON l.code = h.library_code
		WHERE r.material = 'book' AND r.language = 'chi' AND r.isbn13 IS NOT NULL AND r.isbn13 <> ''
		AND h.lendable AND h.available > 0 AND l.lending
		AND NOT EXISTS (SELECT 1 FROM holdings o WHERE o.record_id = r.id AND o.library_code <> h.library_code)
		AND (SELECT COUNT(*) FROM records d WHERE d.isbn13 = r.isbn13) = 1
		ORDER BY r.id`); err != nil {
		return nil, err
	}
	by := map[string][]string{}
	best := ""
	for _, r := range rows {
		by[r.Lib] = append(by[r.Lib], r.ISBN)
		if best == "" || len(by[r.Lib]) > len(by[best]) || (len(by[r.Lib]) == len(by[best]) && r.Lib < best) {
			best = r.Lib
		}
	}
	if best == "" {
		return nil, fmt.Errorf("ISO 18626 brokering: no book in the demo dataset has one lending holder")
	}
	var requester string
	if err := st.DB.GetContext(ctx, &requester, `SELECT code FROM libraries WHERE deposit_required = 0 AND code <> ?
		ORDER BY code LIMIT 1`, best); err != nil {
		return nil, fmt.Errorf("ISO 18626 brokering: no requesting member: %w", err)
	}
	sup, err := loadtest.StartSupplier()
	if err != nil {
		return nil, err
	}
	secret := ill.NewMessageID()
	closed := false
	for _, reg := range []ill.ISORegistration{
		{Code: requester, Symbol: requester, Endpoint: sup.URL() + "/requester", Secret: secret, ClosedNetwork: &closed},
		{Code: best, Symbol: best, Endpoint: sup.URL() + "/supplier", Secret: ill.NewMessageID(), ClosedNetwork: &closed},
	} {
		if err := st.SetISO(ctx, reg); err != nil {
			sup.Close()
			return nil, err
		}
	}
	return &isoMembers{requester: requester, secret: secret, supplierCode: best, isbns: by[best], supplier: sup}, nil
}

// pollCost measures the statements one batched poll of the load tool costs
// the server: the Questions counter over 200 polls of 100 ids (the
// watcher's largest batch), made one after the other.
func pollCost(ctx context.Context, st *mysql.Store, base string) (float64, error) {
	ids := make([]string, ill.MaxListIDs)
	for i := range ids {
		ids[i] = fmt.Sprintf("ILL-%016X", i)
	}
	before := serverStatus(ctx, st)
	const n = 200
	for range n {
		if err := loadtest.PollOnce(ctx, loadtest.Options{BaseURL: base}, ids); err != nil {
			return 0, err
		}
	}
	after := serverStatus(ctx, st)
	if before == nil || after == nil {
		return 0, errors.New("no server counters")
	}
	// the two reads of the counters themselves are not the polls'
	return float64(after["Questions"]-before["Questions"]-1) / n, nil
}

// serverStatus reads the server's statement counters (nil if it cannot).
func serverStatus(ctx context.Context, st *mysql.Store) map[string]int64 {
	var rows []struct {
		Name  string `db:"Variable_name"`
		Value int64  `db:"Value"`
	}
	if err := st.DB.SelectContext(ctx, &rows, `SHOW GLOBAL STATUS WHERE Variable_name IN
		('Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_commit')`); err != nil {
		return nil
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Name] = r.Value
	}
	return out
}

// settle waits until the consumers have acked nothing for 2 s (at most
// 30 s), so that an open-loop phase measures its own load from rest, not
// the drain of the saturated phase before it (its last notices and
// courier messages, the database flushing the pages it dirtied): those
// showed as the slowest requests of a half-load phase, all in its first
// seconds.
func settle(ctx context.Context, regs []*prometheus.Registry) {
	const quiet = 2 * time.Second
	last, since := acked(regs), time.Now()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(100 * time.Millisecond)
		if n := acked(regs); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}

// acked sums illhub_deliveries_total{outcome="ack"} over the registries.
func acked(regs []*prometheus.Registry) float64 {
	total := 0.0
	for _, reg := range regs {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() != "illhub_deliveries_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "outcome" && l.GetValue() == "ack" {
						total += m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	return total
}

func versions(ctx context.Context, st *mysql.Store, url string) string {
	var db string
	_ = st.DB.GetContext(ctx, &db, `SELECT VERSION()`)
	var flush string
	_ = st.DB.GetContext(ctx, &flush, `SELECT @@innodb_flush_log_at_trx_commit`)
	broker := "RabbitMQ ?"
	if conn, err := amqp.Dial(url); err == nil {
		broker = fmt.Sprintf("%v %v", conn.Properties["product"], conn.Properties["version"])
		conn.Close()
	}
	kind := "MySQL"
	if strings.Contains(strings.ToLower(db), "mariadb") {
		kind = "MariaDB"
	}
	return fmt.Sprintf("%s %s (innodb_flush_log_at_trx_commit=%s), %s", kind, db, flush, broker)
}

func deleteTopology(url string, topo rabbitmq.Topology) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return
	}
	defer conn.Close()
	if ch, err := conn.Channel(); err == nil {
		topo.Delete(ch)
	}
}

// handlerTimes summarises illhub_delivery_seconds per queue (whole process
// lifetime: warm-up included).
func handlerTimes(regs []*prometheus.Registry) string {
	type agg struct {
		n   uint64
		sum float64
	}
	by := map[string]*agg{}
	var names []string
	for _, reg := range regs {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() != "illhub_delivery_seconds" {
				continue
			}
			for _, m := range mf.GetMetric() {
				q := m.GetLabel()[0].GetValue()
				if by[q] == nil {
					by[q] = &agg{}
					names = append(names, q)
				}
				by[q].n += m.GetHistogram().GetSampleCount()
				by[q].sum += m.GetHistogram().GetSampleSum()
			}
		}
	}
	slices.Sort(names)
	parts := []string{}
	for _, q := range names {
		a := by[q]
		parts = append(parts, fmt.Sprintf("%s %d deliveries, mean %.1f ms", q, a.n, a.sum/float64(max(a.n, 1))*1000))
	}
	return "consumer handler time per queue (all runs): " + strings.Join(parts, "; ")
}

// groupStats summarises illhub_delivery_group_size and
// illhub_delivery_groups_total: how many deliveries were applied in groups
// of more than one (rabbitmq.Consumer.Group) and how large they were.
func groupStats(regs []*prometheus.Registry) string {
	var groups uint64
	var grouped float64
	split := 0.0
	for _, reg := range regs {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch mf.GetName() {
				case "illhub_delivery_group_size":
					groups += m.GetHistogram().GetSampleCount()
					grouped += m.GetHistogram().GetSampleSum()
				case "illhub_delivery_groups_total":
					for _, l := range m.GetLabel() {
						if l.GetName() == "outcome" && l.GetValue() == "split" {
							split += m.GetCounter().GetValue()
						}
					}
				}
			}
		}
	}
	return fmt.Sprintf("groups (all runs): %d groups of 2 or more deliveries, %.0f deliveries in them (mean %.1f per group), %.0f split after a failure",
		groups, grouped, grouped/float64(max(groups, 1)), split)
}

type dbVariant struct {
	c         int
	pipelined bool
}

// dbCeilingVariants lists the database ceilings to measure for a run at
// concurrency c (see run).
func dbCeilingVariants(c int) []dbVariant {
	vs := []dbVariant{{16, true}, {32, true}}
	if c != 16 && c != 32 {
		vs = append(vs, dbVariant{c, true})
	}
	return append(vs, dbVariant{c, false})
}
