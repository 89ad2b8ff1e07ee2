// Package harness runs illhub end to end for integration tests: a producer
// (httptest) and consumers processes on a fresh database and AMQP queue
// prefix per test, against the real MariaDB and RabbitMQ (package
// internal/testenv), with helpers to call the API as a library, wait for
// states, run scheduler jobs and stand in for members' ISO 18626 systems.
// The tests of package service and of the capability packages (courier,
// notices, isoout, sched) share it; it is imported by tests only.
package harness

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

// Shanghai builds a time in Asia/Shanghai.
func Shanghai(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, ill.Shanghai)
}

// Harness is one test's installation. Its fields may be changed before the
// consumers start (Cfg) or to point the helpers at another producer (API).
type Harness struct {
	T     *testing.T
	St    *mysql.Store
	Cfg   config.Config // what StartConsumers builds the consumers from
	Clock *testenv.Clock
	API   *httptest.Server // the producer the helpers call
	Pub   *rabbitmq.Publisher
	Log   *slog.Logger // discards, unless ILL_TEST_LOG is set
	// Check, when set, sees every call Call and Raw make with its answer
	// (the body already read): the OpenAPI test validates each against
	// docs/openapi.yaml with it.
	Check func(req *http.Request, reqBody []byte, res *http.Response, resBody []byte)

	mu    sync.Mutex
	stops []func()
}

func logger() *slog.Logger {
	if os.Getenv("ILL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// New starts a producer (httptest) on a fresh database and queue prefix,
// with the 2026 calendar and the libraries THU, PKU, RUC, BNU, BFSU (which
// requires a deposit) and BUAA, at Monday 2026-03-02 10:00 on the test
// clock; consumers are started with StartConsumers. Everything stops when
// the test ends.
func New(t *testing.T, deliveryLimit int) *Harness {
	t.Helper()
	dsn, st := testenv.DB(t, "service")
	url, topo := testenv.AMQP(t, deliveryLimit)
	cfg := config.Config{MySQLDSN: dsn, AMQPURL: url, AMQPPrefix: topo.Prefix, Workers: 4, Prefetch: 4,
		DeliveryLimit: deliveryLimit, OutboxPoll: 50 * time.Millisecond, RotaLength: 5,
		PublishTimeout: 3 * time.Second, MaxBodyBytes: 1 << 20, ShutdownTimeout: 5 * time.Second,
		GroupMax: 8, Demo: true} // grouping on, as in production (it engages when deliveries wait); the test keys are demo keys
	h := &Harness{T: t, St: st, Cfg: cfg, Clock: testenv.NewClock(Shanghai(2026, 3, 2, 10, 0)), Log: logger()}
	testenv.LoadCalendar2026(t, st)
	testenv.Libraries(t, st, "THU", "PKU", "RUC", "BNU", "BFSU*", "BUAA")
	srv, pub := service.NewProducer(cfg, st, h.Clock, h.Log, prometheus.NewRegistry())
	h.API, h.Pub = httptest.NewServer(srv), pub
	t.Cleanup(func() {
		h.API.Close()
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

// StartConsumers runs one consumers "process" built from h.Cfg in the
// background and returns it; mutate may adjust its pools (test hooks)
// before start. It stops when the test ends.
func (h *Harness) StartConsumers(mutate func(*service.Consumers)) *service.Consumers {
	h.T.Helper()
	c, err := service.NewConsumers(h.Cfg, h.St, h.Log, prometheus.NewRegistry())
	if err != nil {
		h.T.Fatal(err)
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

// Call makes an API call as library code (its demo key; "": none) and
// decodes the JSON answer. body is JSON-encoded unless it is a string or
// bytes.
func (h *Harness) Call(method, path, code string, body any) (int, map[string]any) {
	h.T.Helper()
	var rd io.Reader
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		sent, _ = json.Marshal(b)
	}
	if sent != nil {
		rd = bytes.NewReader(sent)
	}
	req, _ := http.NewRequest(method, h.API.URL+path, rd)
	if code != "" {
		req.Header.Set("Authorization", "Bearer "+ill.DemoKey(code))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	if h.Check != nil {
		h.Check(req, sent, res, raw)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			h.T.Fatalf("%s %s: non-JSON answer %d: %s", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, out
}

// ErrCode is the error code of an API error answer ("" when none).
func ErrCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// Submit posts a request for a record and returns its id (202 expected).
func (h *Harness) Submit(borrower, clientID, patron string, recordID int64) string {
	h.T.Helper()
	code, body := h.Call("POST", "/v1/requests", borrower, map[string]any{
		"client_request_id": clientID,
		"patron":            map[string]any{"id": patron, "name": "读者" + patron, "email": patron + "@example.edu.cn", "deposit_paid": false},
		"record_id":         fmt.Sprint(recordID),
	})
	if code != http.StatusAccepted {
		h.T.Fatalf("submit: want 202, got %d %v", code, body)
	}
	return body["request_id"].(string)
}

// Act posts an action and expects status want.
func (h *Harness) Act(id, action, code string, body map[string]any, want int) map[string]any {
	h.T.Helper()
	status, out := h.Call("POST", "/v1/requests/"+id+"/"+action, code, body)
	if status != want {
		h.T.Fatalf("%s by %s: want %d, got %d %v", action, code, want, status, out)
	}
	return out
}

// WaitFor polls the request as library code until cond holds (or fails
// the test after 15 s) and returns it.
func (h *Harness) WaitFor(id, code string, what string, cond func(map[string]any) bool) map[string]any {
	h.T.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		status, body := h.Call("GET", "/v1/requests/"+id, code, nil)
		if status == http.StatusOK {
			last = body
			if cond(body) {
				return body
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.T.Fatalf("request %s never reached %s; last: %v", id, what, last)
	return nil
}

// WaitState waits until the request is in state (WaitFor).
func (h *Harness) WaitState(id, code string, state ill.State) map[string]any {
	h.T.Helper()
	return h.WaitFor(id, code, string(state), func(b map[string]any) bool { return b["state"] == string(state) })
}

// Events is a request's timeline as the API answers it.
func Events(b map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range b["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// Raw calls the API with a literal key ("": none) and returns the raw
// answer.
func (h *Harness) Raw(method, path, key string, body any) (int, []byte, http.Header) {
	h.T.Helper()
	var rd io.Reader
	var sent []byte
	if body != nil {
		sent, _ = json.Marshal(body)
		rd = bytes.NewReader(sent)
	}
	req, _ := http.NewRequest(method, h.API.URL+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if h.Check != nil {
		h.Check(req, sent, res, b)
	}
	return res.StatusCode, b, res.Header
}

// AdvanceToOnLoan takes a request from REQUESTED to ON_LOAN through the
// API (lender answers and ships, borrower receives and checks out).
func (h *Harness) AdvanceToOnLoan(id, lender, borrower string) map[string]any {
	h.T.Helper()
	h.Act(id, "respond", lender, map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	h.WaitState(id, borrower, ill.WillSupply)
	h.Act(id, "ship", lender, map[string]any{"item_barcode": "B-" + id}, http.StatusAccepted)
	h.WaitState(id, borrower, ill.Shipped)
	h.Act(id, "receive", borrower, nil, http.StatusAccepted)
	h.WaitState(id, borrower, ill.Received)
	h.Act(id, "checkout", borrower, nil, http.StatusAccepted)
	return h.WaitState(id, borrower, ill.OnLoan)
}
