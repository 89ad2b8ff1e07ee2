package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// scrape GETs url and returns the metric family names of the text exposition.
func scrape(t *testing.T, url string) map[string]bool {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d %s", url, res.StatusCode, b)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			names[strings.Fields(f)[0]] = true
		}
	}
	return names
}

// Every process exposes the metric families the operations issue requires
// on /metrics, after one request went through it.
func TestEveryProcessExposesRequiredMetrics(t *testing.T) {
	h := harness.New(t, 3)
	prodReg, consReg, schedReg := service.NewRegistry(), service.NewRegistry(), service.NewRegistry()

	cons, err := service.NewConsumers(h.Cfg, h.St, h.Log, consReg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = cons.Run(ctx) }()
	defer func() { cancel(); <-done }()
	consOps := httptest.NewServer(service.OpsHandler(consReg, cons.Ready))
	defer consOps.Close()

	srv, pub := service.NewProducer(h.Cfg, h.St, h.Clock, h.Log, prodReg)
	defer pub.Close()
	api := httptest.NewServer(srv)
	defer api.Close()
	h.API.Close()
	h.API = api // the harness helpers now call this producer

	rec := testenv.Record(t, h.St, "", "概率论", "盛骤", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "scrape-1", "S1", rec)
	h.WaitState(id, "THU", ill.Requested)

	sm := service.NewSchedulerMetrics(schedReg, h.St)
	p, err := service.NewProcessor(h.Cfg, h.St)
	if err != nil {
		t.Fatal(err)
	}
	jobs := (&sched.Jobs{Store: h.St, Log: h.Log, MissedDeadlines: sm.Missed, CalendarDaysAhead: sm.DaysAhead,
		Processor: p}).All(nil)
	job, _ := sched.Find(jobs, "respond-deadline")
	// PKU was asked on Monday 2026-03-02: by Wednesday it has missed its deadline.
	n, err := job.Run(context.Background(), harness.Shanghai(2026, 3, 4, 9, 0))
	sm.Jobs.Observe(job.Name, n, err, time.Millisecond)
	if n != 1 || err != nil {
		t.Fatalf("respond-deadline: %d, %v", n, err)
	}
	schedOps := httptest.NewServer(service.OpsHandler(schedReg, nil))
	defer schedOps.Close()

	want := map[string][]string{
		api.URL + "/metrics": {"illhub_http_requests_total", "illhub_http_request_seconds",
			"illhub_publish_total", "illhub_publish_confirm_seconds", "go_goroutines", "process_cpu_seconds_total"},
		consOps.URL + "/metrics": {"illhub_deliveries_total", "illhub_delivery_seconds", "illhub_outbox_pending",
			"illhub_outbox_oldest_seconds", "illhub_outbox_relayed_total", "go_goroutines"},
		schedOps.URL + "/metrics": {"illhub_job_runs_total", "illhub_job_rows_total", "illhub_job_duration_seconds",
			"illhub_job_last_success_timestamp_seconds", "illhub_missed_deadlines_total", "illhub_requests",
			"illhub_calendar_days_ahead", "go_goroutines"},
	}
	for url, families := range want {
		got := scrape(t, url)
		for _, f := range families {
			if !got[f] {
				t.Errorf("%s lacks %s", url, f)
			}
		}
	}
	for _, url := range []string{consOps.URL + "/readyz", consOps.URL + "/healthz", schedOps.URL + "/readyz", api.URL + "/readyz"} {
		if res, err := http.Get(url); err != nil || res.StatusCode != 200 {
			t.Errorf("%s: %v %v", url, res, err)
		} else {
			res.Body.Close()
		}
	}
	mfs, _ := schedReg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "illhub_missed_deadlines_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == "respond" && m.GetCounter().GetValue() != 1 {
				t.Errorf("missed respond deadlines = %v, want 1", m.GetCounter().GetValue())
			}
		}
	}
}

// A transaction's outbox rows leave at its commit, not at a poll: with the
// poll an hour away, a request's follow-on messages (its notice to the
// lender) are published and marked within moments.
func TestOutboxRowsLeaveAtCommit(t *testing.T) {
	h := harness.New(t, 3)
	cfg := h.Cfg
	cfg.OutboxPoll = time.Hour
	cons, err := service.NewConsumers(cfg, h.St, h.Log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	defer func() { cancel(); <-done }()
	go func() { defer close(done); _ = cons.Run(ctx) }()
	rec := testenv.Record(t, h.St, "", "概率论", "同济", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "fast-1", "F2", rec)
	h.WaitState(id, "THU", ill.Requested)
	deadline := time.Now().Add(time.Second) // well inside the poll's 2 s grace: only the fast path can have done it
	for {
		pending, err := h.St.PendingOutbox(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox rows still unpublished a second after the commit", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Consumers shutting down relay the outbox rows their last deliveries
// wrote before closing, and the rows another process committed but never
// published (it died between commit and publish), which their poll takes
// only once they are past its grace.
func TestConsumersShutdownFlushesOutbox(t *testing.T) {
	h := harness.New(t, 3)
	cfg := h.Cfg
	cfg.OutboxPoll = time.Hour // the relay loop never polls on its own after its first pass
	cons, err := service.NewConsumers(cfg, h.St, h.Log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// A second handle on the database whose commits nobody relays: the
	// process that died.
	dead, err := mysql.Open(cfg.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = cons.Run(ctx) }()
	rec := testenv.Record(t, h.St, "", "线性代数", "同济", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "flush-1", "F1", rec)
	h.WaitState(id, "THU", ill.Requested)
	orphan := ill.Message{ID: "orphan-1", Type: ill.MsgNotice, Actor: ill.SystemActor, RequestID: id, At: time.Now().UTC(),
		Body: json.RawMessage(`{"notice_id":0}`)}
	if err := dead.InTx(ctx, func(tx *mysql.Tx) error { return tx.Enqueue(ctx, orphan) }); err != nil {
		t.Fatal(err)
	}
	var pending int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if pending, err = h.St.PendingOutbox(context.Background()); err != nil {
			t.Fatal(err)
		}
		if pending == 1 || time.Now().After(deadline) {
			break
		}
	}
	if pending != 1 {
		t.Fatalf("before shutdown: %d pending outbox rows; want only the orphan (the request's own rows leave at commit)", pending)
	}
	cancel()
	<-done
	if pending, err = h.St.PendingOutbox(context.Background()); err != nil || pending != 0 {
		t.Fatalf("after shutdown: %d outbox rows not relayed (%v)", pending, err)
	}
}
