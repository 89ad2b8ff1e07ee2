package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/rabbitmq"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// A consumer that dies after its commit and before its ack: the broker
// redelivers, the request's timeline recognises the message (its line
// carries the message id), nothing happens twice.
func TestCrashAfterCommitBeforeAckHasNoDuplicateEffect(t *testing.T) {
	h := harness.New(t, 5)
	var crashes atomic.Int32
	var crashedID atomic.Value
	var respondDeliveries atomic.Int32 // handled deliveries of the respond message
	h.StartConsumers(func(c *service.Consumers) {
		c.Pools[0].CrashAfterHandle = func(d rabbitmq.Delivery) bool {
			var m ill.Message
			_ = json.Unmarshal(d.Body, &m)
			if m.Action == ill.ActRespond {
				respondDeliveries.Add(1)
			}
			if m.Action == ill.ActRespond && crashes.CompareAndSwap(0, 1) {
				crashedID.Store(d.MessageID)
				return true
			}
			return false
		}
	})
	rec := testenv.Record(t, h.St, "", "数字信号处理", "孙八", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "crash-1", "P6", rec)
	h.WaitState(id, "THU", ill.Requested)
	h.Act(id, "respond", "PKU", map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.WillSupply)
	// The hook runs after the commit: the new state can be visible a moment before it.
	for end := time.Now().Add(10 * time.Second); crashes.Load() != 1 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if crashes.Load() != 1 {
		t.Fatal("the crash hook never fired")
	}
	// Wait until the redelivery has been consumed (acked): the queue is empty.
	msgID := crashedID.Load().(string)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := queueDepth(t, h, rabbitmq.QueueRequests)
		if n == 0 && respondDeliveries.Load() == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("requests queue holds %d messages; respond delivered %d times (want 2: crash, redelivery)", n, respondDeliveries.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var evs, inbox int
	_ = h.St.DB.Get(&evs, `SELECT COUNT(*) FROM events WHERE request_id = ? AND action = 'respond'`, id)
	_ = h.St.DB.Get(&inbox, `SELECT COUNT(*) FROM inbox WHERE message_id = ?`, msgID)
	if evs != 1 || inbox != 0 {
		t.Fatalf("respond events = %d, inbox rows = %d; want 1 and 0 (the timeline line is the record)", evs, inbox)
	}
	var notices int
	_ = h.St.DB.Get(&notices, `SELECT COUNT(*) FROM events WHERE request_id = ?`, id)
	if notices != 3 { // submit, route, respond
		t.Errorf("events = %d, want 3", notices)
	}
}

// A submit redelivered after its commit (the consumer died before the
// ack) finds its request row stored: its queued insert fails the
// transaction with mysql.ErrRequestExists, which is rolled back whole and
// acked. One request, one timeline, one notice to the lender.
func TestRedeliveredSubmitIsAppliedOnce(t *testing.T) {
	h := harness.New(t, 5)
	var crashes, submits atomic.Int32
	h.StartConsumers(func(c *service.Consumers) {
		c.Pools[0].CrashAfterHandle = func(d rabbitmq.Delivery) bool {
			var m ill.Message
			_ = json.Unmarshal(d.Body, &m)
			if m.Type != ill.MsgSubmit {
				return false
			}
			submits.Add(1)
			return crashes.CompareAndSwap(0, 1)
		}
	})
	rec := testenv.Record(t, h.St, "", "数字图像处理", "冈萨雷斯", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "crash-submit-1", "P7", rec)
	h.WaitState(id, "THU", ill.Requested)
	for deadline := time.Now().Add(10 * time.Second); submits.Load() < 2 || queueDepth(t, h, rabbitmq.QueueRequests) != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("submit delivered %d times (want 2: crash, redelivery); requests queue %d", submits.Load(), queueDepth(t, h, rabbitmq.QueueRequests))
		}
		time.Sleep(20 * time.Millisecond)
	}
	count := func(q string) int {
		var n int
		if err := h.St.DB.Get(&n, q, id); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM requests WHERE id = ?`); n != 1 {
		t.Errorf("%d request rows, want 1", n)
	}
	if n := count(`SELECT COUNT(*) FROM events WHERE request_id = ?`); n != 2 { // submit, route
		t.Errorf("%d timeline lines, want 2 (submit, route)", n)
	}
	if n := count(`SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'new_request'`); n != 1 {
		t.Errorf("%d new_request notices, want 1", n)
	}
	dlq := rabbitmq.DLQ{URL: h.Cfg.AMQPURL, Topo: rabbitmq.Topology{Prefix: h.Cfg.AMQPPrefix, DeliveryLimit: 5}}
	if dead, err := dlq.List(10); err != nil || len(dead) != 0 {
		t.Errorf("dead letters %+v (%v): the repeat must be acked, not failed", dead, err)
	}
}

// The same action message delivered twice at once (a republished outbox
// row, a redelivery racing the original) to two workers: the second waits
// for the request row lock, then sees the first's timeline line and does
// nothing. Repeated to give the two deliveries many chances to overlap.
func TestSameActionMessageTwiceAtOnceAppliesOnce(t *testing.T) {
	h := harness.New(t, 5)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "并发", "王五", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	const n = 12
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.Submit("THU", fmt.Sprintf("twice-%d", i), fmt.Sprintf("PT%d", i), rec)
	}
	for _, id := range ids {
		h.WaitState(id, "THU", ill.Requested)
	}
	for i, id := range ids {
		body, _ := json.Marshal(ill.ActionBody{Decision: "will_supply"})
		m := ill.Message{ID: fmt.Sprintf("twice-respond-%d", i), Type: ill.MsgAction, Action: ill.ActRespond,
			Actor: "PKU", RequestID: id, At: h.Clock.Now(), Body: body}
		raw, _ := json.Marshal(m)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := h.Pub.Publish(context.Background(), ill.MsgAction, m.ID, raw); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	for _, id := range ids {
		h.WaitState(id, "THU", ill.WillSupply)
	}
	deadline := time.Now().Add(10 * time.Second)
	for queueDepth(t, h, rabbitmq.QueueRequests) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the last deliveries' transactions
	for i, id := range ids {
		var lines int
		_ = h.St.DB.Get(&lines, `SELECT COUNT(*) FROM events WHERE request_id = ? AND message_id = ?`, id, fmt.Sprintf("twice-respond-%d", i))
		if lines != 1 {
			var notes []string
			_ = h.St.DB.Select(&notes, `SELECT CONCAT(id, ' ', at, ' ', from_state, '→', to_state, ' ', note) FROM events WHERE request_id = ? AND message_id = ?`, id, fmt.Sprintf("twice-respond-%d", i))
			t.Errorf("%s: %d timeline lines of the respond message, want 1 (none refused, none twice): %q", id, lines, notes)
		}
	}
}

func queueDepth(t *testing.T, h *harness.Harness, q string) int {
	t.Helper()
	conn, ch := rawChannel(t, h.Cfg.AMQPURL)
	defer conn.Close()
	info, err := ch.QueueDeclarePassive(h.Cfg.AMQPPrefix+q, true, false, false, false, quorumArgs(h.Cfg.DeliveryLimit, h.Cfg.AMQPPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return info.Messages
}

// A message that fails every time (here: a field too long for its column,
// which the API would have refused) is retried DeliveryLimit times, then
// dead-lettered, and `illctl dlq list` can see it.
func TestPoisonMessageIsDeadLetteredAfterNAttempts(t *testing.T) {
	const limit = 3
	h := harness.New(t, limit)
	var requeues, dead atomic.Int32
	h.StartConsumers(func(c *service.Consumers) {
		c.Pools[0].Observe = func(q string, d ill.Disposition, _ time.Duration) {
			switch d {
			case ill.Requeue:
				requeues.Add(1)
			case ill.DeadLetter:
				dead.Add(1)
			}
		}
	})
	body, _ := json.Marshal(ill.SubmitBody{ClientRequestID: "poison", Patron: ill.Patron{ID: strings.Repeat("9", 100)}, RecordID: "1"})
	m := ill.Message{ID: "poison-1", Type: ill.MsgSubmit, Actor: "THU", RequestID: ill.RequestID("THU", "poison"),
		At: h.Clock.Now(), Body: body}
	raw, _ := json.Marshal(m)
	if err := h.Pub.Publish(context.Background(), ill.MsgSubmit, m.ID, raw); err != nil {
		t.Fatal(err)
	}
	dlq := rabbitmq.DLQ{URL: h.Cfg.AMQPURL, Topo: rabbitmq.Topology{Prefix: h.Cfg.AMQPPrefix, DeliveryLimit: limit}}
	deadline := time.Now().Add(20 * time.Second)
	var found []rabbitmq.DeadLetter
	for time.Now().Before(deadline) {
		var err error
		if found, err = dlq.List(10); err != nil {
			t.Fatal(err)
		}
		if len(found) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(found) != 1 || found[0].MessageID != "poison-1" || found[0].RoutingKey != ill.MsgSubmit {
		t.Fatalf("dead letters = %+v", found)
	}
	if requeues.Load() != limit-1 || dead.Load() != 1 {
		t.Fatalf("requeues %d, dead-lettered %d; want %d and 1", requeues.Load(), dead.Load(), limit-1)
	}
	var n int
	_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM requests`)
	if n != 0 {
		t.Fatalf("a failing message left %d rows behind", n)
	}
}

// With the broker unreachable the intake answers 503 with Retry-After
// promptly and loses nothing: the client's retry after recovery works.
func TestBrokerDownGives503WithRetryAfter(t *testing.T) {
	h := harness.New(t, 3)
	cfg := h.Cfg
	cfg.AMQPURL = "amqp://guest:guest@127.0.0.1:1/" // nothing listens there
	srv, pub := service.NewProducer(cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub.Close()
	down := httptest.NewServer(srv)
	defer down.Close()
	rec := testenv.Record(t, h.St, "", "离散数学", "周九", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	body := fmt.Sprintf(`{"client_request_id":"down-1","patron":{"id":"P7"},"record_id":"%d"}`, rec)
	req, _ := http.NewRequest("POST", down.URL+"/v1/requests", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ill.DemoKey("THU"))
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the 503 took %v; SPEC: within 5 s", took)
	}
	// readyz says not ready; healthz stays up.
	if r, _ := http.Get(down.URL + "/readyz"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz = %d", r.StatusCode)
	}
	// The client retries against a healthy intake: one request.
	h.StartConsumers(nil)
	id := h.Submit("THU", "down-1", "P7", rec)
	h.WaitState(id, "THU", ill.Requested)
}

// While the database is unreachable a consumer holds its delivery and
// retries; the message is neither requeued nor dead-lettered, and it is
// applied once the database answers again.
func TestDatabaseOutageHoldsDeliveries(t *testing.T) {
	h := harness.New(t, 2)
	var failures atomic.Int32
	var outcomes []ill.Disposition
	var mu sync.Mutex
	h.StartConsumers(func(c *service.Consumers) {
		real := c.Pools[0].Handle
		c.Pools[0].Handle = func(ctx context.Context, d rabbitmq.Delivery) error {
			if failures.Add(1) <= 2 { // two attempts see the database "down"
				return &ill.Error{Code: ill.CodeUnavailable, Message: "database unavailable: connection refused"}
			}
			return real(ctx, d)
		}
		c.Pools[0].Observe = func(_ string, d ill.Disposition, _ time.Duration) {
			mu.Lock()
			outcomes = append(outcomes, d)
			mu.Unlock()
		}
	})
	rec := testenv.Record(t, h.St, "", "大学物理", "张三慧", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "outage-1", "O1", rec)
	h.WaitState(id, "THU", ill.Requested)
	// The consumer acks (and observes) after the commit that waitState saw.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(outcomes)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(outcomes) != 1 || outcomes[0] != ill.Ack {
		t.Fatalf("outcomes %v: want a single ack after the outage (delivery limit is 2)", outcomes)
	}
}

// A message that failed until the dead letters, replayed after the fix, is
// applied once: `illctl dlq replay` (rabbitmq.DLQ.Replay).
func TestDeadLetterReplayAfterFix(t *testing.T) {
	h := harness.New(t, 2)
	var broken atomic.Bool
	broken.Store(true)
	h.StartConsumers(func(c *service.Consumers) {
		real := c.Pools[0].Handle
		c.Pools[0].Handle = func(ctx context.Context, d rabbitmq.Delivery) error {
			if broken.Load() {
				return &ill.Error{Code: ill.CodeInternal, Message: "bug: cannot route (fixed in the next release)"}
			}
			return real(ctx, d)
		}
	})
	rec := testenv.Record(t, h.St, "", "复变函数", "西安交大", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "replay-1", "R1", rec)
	dlq := rabbitmq.DLQ{URL: h.Cfg.AMQPURL, Topo: rabbitmq.Topology{Prefix: h.Cfg.AMQPPrefix, DeliveryLimit: 2}}
	var dead []rabbitmq.DeadLetter
	for deadline := time.Now().Add(15 * time.Second); len(dead) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the failing submit never reached the dead letters")
		}
		var err error
		if dead, err = dlq.List(10); err != nil {
			t.Fatal(err)
		}
	}
	if dead[0].MessageID != ill.SubmitMessageID(id) {
		t.Fatalf("dead letter %+v", dead[0])
	}
	broken.Store(false) // the fix is deployed
	n, err := dlq.Replay(context.Background(), dead[0].MessageID, 10)
	if err != nil || n != 1 {
		t.Fatalf("replayed %d: %v", n, err)
	}
	h.WaitState(id, "THU", ill.Requested)
	if left, _ := dlq.List(10); len(left) != 0 {
		t.Fatalf("still dead: %v", left)
	}
	// The same message once more (an operator replaying a copy twice):
	// the inbox recognises it, nothing changes.
	if err := h.Pub.Publish(context.Background(), ill.MsgSubmit, dead[0].MessageID, dead[0].Body); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); queueDepth(t, h, rabbitmq.QueueRequests) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the repeated message was not consumed")
		}
	}
	time.Sleep(200 * time.Millisecond) // let its (empty) transaction commit
	var events int
	_ = h.St.DB.Get(&events, `SELECT COUNT(*) FROM events WHERE request_id = ?`, id)
	if events != 2 {
		t.Fatalf("events %d, want 2 (submit, route)", events)
	}
}
