package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// shanghai builds a time in Asia/Shanghai.
func shanghai(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, ill.Shanghai)
}

type harness struct {
	t     *testing.T
	st    *mysql.Store
	cfg   config.Config
	clock *testenv.Clock
	api   *httptest.Server
	pub   *rabbitmq.Publisher
	log   *slog.Logger

	mu    sync.Mutex
	stops []func()
}

func logger() *slog.Logger {
	if os.Getenv("ILL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newHarness starts a producer (httptest) on a fresh database and queue
// prefix; consumers are started with startConsumers.
func newHarness(t *testing.T, deliveryLimit int) *harness {
	t.Helper()
	dsn, st := testenv.DB(t, "service")
	url, topo := testenv.AMQP(t, deliveryLimit)
	cfg := config.Config{MySQLDSN: dsn, AMQPURL: url, AMQPPrefix: topo.Prefix, Workers: 4, Prefetch: 4,
		DeliveryLimit: deliveryLimit, OutboxPoll: 50 * time.Millisecond, RotaLength: 5,
		PublishTimeout: 3 * time.Second, MaxBodyBytes: 1 << 20, ShutdownTimeout: 5 * time.Second,
		GroupMax: 8, Demo: true} // grouping on, as in production (it engages when deliveries wait); the test keys are demo keys
	h := &harness{t: t, st: st, cfg: cfg, clock: testenv.NewClock(shanghai(2026, 3, 2, 10, 0)), log: logger()}
	testenv.LoadCalendar2026(t, st)
	testenv.Libraries(t, st, "THU", "PKU", "RUC", "BNU", "BFSU*", "BUAA")
	srv, pub := service.NewProducer(cfg, st, h.clock, h.log, prometheus.NewRegistry())
	h.api, h.pub = httptest.NewServer(srv), pub
	t.Cleanup(func() {
		h.api.Close()
		pub.Close()
		h.mu.Lock()
		stops := h.stops
		h.mu.Unlock()
		for _, s := range stops {
			s()
		}
	})
	return h
}

// startConsumers runs one consumers "process" in the background and
// returns it; mutate may adjust its pools (test hooks) before start.
func (h *harness) startConsumers(mutate func(*service.Consumers)) *service.Consumers {
	h.t.Helper()
	c, err := service.NewConsumers(h.cfg, h.st, h.log, prometheus.NewRegistry())
	if err != nil {
		h.t.Fatal(err)
	}
	if mutate != nil {
		mutate(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	h.mu.Lock()
	h.stops = append(h.stops, func() { cancel(); <-done })
	h.mu.Unlock()
	return c
}

// call makes an API call as library code and decodes the JSON answer.
func (h *harness) call(method, path, code string, body any) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, h.api.URL+path, rd)
	if code != "" {
		req.Header.Set("Authorization", "Bearer "+ill.DemoKey(code))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			h.t.Fatalf("%s %s: non-JSON answer %d: %s", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, out
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// submit posts a request for a record and returns its id (202 expected).
func (h *harness) submit(borrower, clientID, patron string, recordID int64) string {
	h.t.Helper()
	code, body := h.call("POST", "/v1/requests", borrower, map[string]any{
		"client_request_id": clientID,
		"patron":            map[string]any{"id": patron, "name": "读者" + patron, "email": patron + "@example.edu.cn", "deposit_paid": false},
		"record_id":         fmt.Sprint(recordID),
	})
	if code != http.StatusAccepted {
		h.t.Fatalf("submit: want 202, got %d %v", code, body)
	}
	return body["request_id"].(string)
}

// act posts an action and expects status want.
func (h *harness) act(id, action, code string, body map[string]any, want int) map[string]any {
	h.t.Helper()
	status, out := h.call("POST", "/v1/requests/"+id+"/"+action, code, body)
	if status != want {
		h.t.Fatalf("%s by %s: want %d, got %d %v", action, code, want, status, out)
	}
	return out
}

// waitFor polls the request until cond holds (or fails after 15 s).
func (h *harness) waitFor(id, code string, what string, cond func(map[string]any) bool) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		status, body := h.call("GET", "/v1/requests/"+id, code, nil)
		if status == http.StatusOK {
			last = body
			if cond(body) {
				return body
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("request %s never reached %s; last: %v", id, what, last)
	return nil
}

func (h *harness) waitState(id, code string, state ill.State) map[string]any {
	h.t.Helper()
	return h.waitFor(id, code, string(state), func(b map[string]any) bool { return b["state"] == string(state) })
}

func events(b map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range b["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}
