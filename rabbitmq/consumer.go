package rabbitmq

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/balis/illhub/ill"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Delivery is what a handler sees of one message.
type Delivery struct {
	MessageID  string
	RoutingKey string
	Body       []byte
	Attempt    int // 1 on first delivery, +1 for each redelivery
}

// Handler processes one delivery. Its error decides the delivery's fate
// through ill.DispositionFor: nil → ack; transient/internal → requeue until
// the delivery limit, then dead-letter; permanent (bad input) → dead-letter
// at once. A handler must be idempotent: it may see a message again after a
// crash between its commit and the ack.
type Handler func(ctx context.Context, d Delivery) error

// Consumer runs Workers goroutines on one queue, each with its own channel
// and prefetch, over a connection of its own. It reconnects with backoff
// after the broker or connection goes away (to the next live node of a
// cluster, see Dial) and re-declares the topology.
type Consumer struct {
	URL      string // one AMQP URL or a comma-separated list of a cluster's nodes (Dial)
	Topo     Topology
	Queue    string // unprefixed queue name
	Workers  int
	Prefetch int
	Handle   Handler
	Log      *slog.Logger
	// HandlerTimeout bounds one handler call (default 60s).
	HandlerTimeout time.Duration
	// Observe, when set, is told the outcome of every delivery (metrics).
	Observe func(queue string, d ill.Disposition, took time.Duration)
	// CrashAfterHandle is a test hook: when it returns true for a delivery
	// the worker drops its channel after the handler succeeded and before
	// acking, as a process killed at that instant would.
	CrashAfterHandle func(Delivery) bool

	// Group, when set, lets a worker apply the deliveries it already holds
	// (prefetched, up to MaxGroup) as one unit: Group must run apply, in
	// which Handle is called for each delivery in turn, and make
	// everything apply did durable, or nothing (mysql.Store.Group: one
	// database transaction). After Group returns nil every delivery of
	// the group is acked (one multiple ack). When apply or the commit
	// fails, nothing of the group happened and the worker handles its
	// deliveries one at a time as usual, so failures, retries and
	// dead-lettering stay per message. A worker only groups what is
	// already waiting: at low load every group is one delivery.
	Group    func(ctx context.Context, apply func(ctx context.Context) error) error
	MaxGroup int // deliveries per group (default 8; 1: no grouping)
	// ObserveGroup, when set, is told each group's size and whether it
	// was committed as one unit (metrics).
	ObserveGroup func(queue string, size int, committed bool)
}

// Run consumes until ctx is cancelled. On cancellation it stops taking new
// deliveries, lets every in-flight handler finish and ack, closes its
// channels (unacked prefetched messages return to the queue) and returns.
func (c *Consumer) Run(ctx context.Context) error {
	const firstBackoff = 200 * time.Millisecond
	backoff := firstBackoff
	for ctx.Err() == nil {
		connected, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			// The connection was lost, not refused: a cluster node went
			// away and another one is most likely up, so redial soon.
			backoff = firstBackoff
		}
		c.Log.Warn("consumer session ended; reconnecting", "queue", c.Queue, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		if backoff < 10*time.Second {
			backoff *= 2
		}
	}
	return nil
}

// session is one connection's lifetime; connected reports whether the
// connection was made at all.
func (c *Consumer) session(ctx context.Context) (connected bool, err error) {
	conn, err := Dial(c.URL, amqp.Config{
		Dial:       amqp.DefaultDial(5 * time.Second),
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": "illhub-consumer-" + c.Queue},
	})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return true, err
	}
	if err := c.Topo.Declare(ch); err != nil {
		ch.Close()
		return true, err
	}
	ch.Close()
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, c.Workers)
	for i := 0; i < max(c.Workers, 1); i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := c.worker(sctx, conn, i); err != nil {
				errs <- err
				cancel()
			}
		}(i)
	}
	c.Log.Info("consuming", "queue", c.Topo.Queue(c.Queue), "node", node(conn), "workers", c.Workers, "prefetch", c.Prefetch)
	var result error
	select {
	case <-ctx.Done():
	case e := <-connClosed:
		result = fmt.Errorf("connection closed: %v", e)
		cancel()
	case e := <-errs:
		result = e
	}
	wg.Wait()
	return true, result
}

func (c *Consumer) worker(ctx context.Context, conn *amqp.Connection, n int) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.Qos(max(c.Prefetch, 1), 0, false); err != nil {
		return err
	}
	tag := fmt.Sprintf("%s-%d-%d", c.Queue, n, time.Now().UnixNano())
	deliveries, err := ch.Consume(c.Topo.Queue(c.Queue), tag, false, false, false, false, nil)
	if err != nil {
		return err
	}
	cancelled := ch.NotifyCancel(make(chan string, 1))
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	for {
		select {
		case <-ctx.Done():
			// Stop taking work. The handler of the current delivery (if
			// any) has already returned and acked: we only get here
			// between deliveries.
			_ = ch.Cancel(tag, false)
			return nil
		case q := <-cancelled:
			return fmt.Errorf("broker cancelled consumer %s (queue deleted?)", q)
		case e := <-chClosed:
			return fmt.Errorf("channel closed: %v", e)
		case d, ok := <-deliveries:
			if !ok {
				return fmt.Errorf("delivery channel closed")
			}
			group := c.gather(d, deliveries)
			crashed := false
			if len(group) == 1 {
				crashed = c.deliver(ctx, ch, d)
			} else {
				crashed = c.deliverGroup(ctx, ch, group)
			}
			if crashed {
				return fmt.Errorf("simulated crash before ack")
			}
		}
	}
}

// gather returns d and the deliveries already waiting behind it, at most
// MaxGroup in all (only d without a Group). It never waits.
func (c *Consumer) gather(d amqp.Delivery, deliveries <-chan amqp.Delivery) []amqp.Delivery {
	group := []amqp.Delivery{d}
	limit := c.MaxGroup
	if limit == 0 {
		limit = 8
	}
	if c.Group == nil {
		return group
	}
	for len(group) < limit {
		// amqp091-go hands deliveries over an unbuffered channel from a
		// goroutine that holds the prefetched ones: let it run before
		// looking, or a waiting delivery is missed.
		runtime.Gosched()
		select {
		case next, ok := <-deliveries:
			if !ok {
				return group // the caller sees the closed channel next
			}
			group = append(group, next)
		default:
			return group
		}
	}
	return group
}

// deliverGroup applies ds as one unit through Group and acks them all, or,
// when that fails, delivers them one at a time.
func (c *Consumer) deliverGroup(ctx context.Context, ch *amqp.Channel, ds []amqp.Delivery) (crashed bool) {
	start := time.Now()
	dels := make([]Delivery, len(ds))
	for i, d := range ds {
		dels[i] = Delivery{MessageID: d.MessageId, RoutingKey: d.RoutingKey, Body: d.Body, Attempt: attempt(d)}
	}
	timeout := c.HandlerTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	err := c.Group(hctx, func(gctx context.Context) error {
		for _, del := range dels {
			if err := c.safeHandle(gctx, del); err != nil {
				return err
			}
		}
		return nil
	})
	cancel()
	if c.ObserveGroup != nil {
		c.ObserveGroup(c.Queue, len(ds), err == nil)
	}
	if err != nil {
		// Nothing of the group was applied: one at a time, each with its
		// own outcome (a poison message no longer holds the others back).
		c.Log.Debug("group not applied; delivering one at a time", "queue", c.Queue, "size", len(ds), "err", err)
		for _, d := range ds {
			if c.deliver(ctx, ch, d) {
				return true
			}
		}
		return false
	}
	for _, del := range dels {
		if c.CrashAfterHandle != nil && c.CrashAfterHandle(del) {
			return true
		}
	}
	// Every earlier delivery on this channel is settled already (the
	// worker handles its deliveries in order), so a multiple ack of the
	// last one acks exactly this group.
	if err := ch.Ack(ds[len(ds)-1].DeliveryTag, true); err != nil {
		c.Log.Warn("ack failed; the group will be redelivered and deduplicated", "queue", c.Queue, "size", len(ds), "err", err)
	}
	if c.Observe != nil {
		per := time.Since(start) / time.Duration(len(ds))
		for range ds {
			c.Observe(c.Queue, ill.Ack, per)
		}
	}
	return false
}

// deliver runs the handler and acks, requeues or dead-letters. The handler
// runs on a context that is not cancelled by shutdown, so an in-flight
// transaction finishes and is acked.
func (c *Consumer) deliver(ctx context.Context, ch *amqp.Channel, d amqp.Delivery) (crashed bool) {
	start := time.Now()
	del := Delivery{MessageID: d.MessageId, RoutingKey: d.RoutingKey, Body: d.Body, Attempt: attempt(d)}
	timeout := c.HandlerTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	var err error
	for backoff := time.Second; ; backoff = min(2*backoff, 30*time.Second) {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		err = c.safeHandle(hctx, del)
		cancel()
		// A dependency (the database) is down: keep the delivery and try
		// again, rather than spending its attempts and dead-lettering a
		// whole backlog during an outage. On shutdown it is requeued.
		if ill.ErrorCode(err) != ill.CodeUnavailable || ctx.Err() != nil {
			break
		}
		c.Log.Warn("dependency unavailable; holding the delivery", "queue", c.Queue, "message_id", del.MessageID, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
	disp := ill.DispositionFor(err)
	if ill.ErrorCode(err) == ill.CodeUnavailable {
		disp = ill.Requeue // shutting down during an outage: back to the queue, not to the dead letters
		_ = d.Nack(false, true)
		if c.Observe != nil {
			c.Observe(c.Queue, disp, time.Since(start))
		}
		return false
	}
	limit := max(c.Topo.DeliveryLimit, 1)
	if disp == ill.Requeue && del.Attempt >= limit {
		disp = ill.DeadLetter
	}
	log := c.Log.With("queue", c.Queue, "message_id", del.MessageID, "routing_key", del.RoutingKey, "attempt", del.Attempt)
	if disp != ill.Ack {
		// Failures are logged with the ILL request id when the envelope has one.
		var env struct {
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal(del.Body, &env) == nil && env.RequestID != "" {
			log = log.With("request_id", env.RequestID)
		}
	}
	if disp == ill.Ack && c.CrashAfterHandle != nil && c.CrashAfterHandle(del) {
		return true
	}
	switch disp {
	case ill.Ack:
		if err := d.Ack(false); err != nil {
			log.Warn("ack failed; the message will be redelivered and deduplicated", "err", err)
		}
	case ill.Requeue:
		// Back off before requeueing (0.1 s, 0.4 s, 1.6 s, 6.4 s, then
		// 10 s): a poison message does not spin the CPU, and a brief
		// failure elsewhere (SMTP, a webhook) has time to pass.
		delay := min(100*time.Millisecond<<(2*(del.Attempt-1)), 10*time.Second)
		log.Warn("handler failed; requeueing", "err", err, "in", delay)
		time.Sleep(delay)
		_ = d.Nack(false, true)
	case ill.DeadLetter:
		log.Error("dead-lettering message", "err", err)
		_ = d.Nack(false, false)
	}
	if c.Observe != nil {
		c.Observe(c.Queue, disp, time.Since(start))
	}
	return false
}

func (c *Consumer) safeHandle(ctx context.Context, d Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &ill.Error{Code: ill.CodeInternal, Message: fmt.Sprintf("handler panic: %v", p)}
		}
	}()
	return c.Handle(ctx, d)
}

// attempt derives the attempt number from the quorum queue's
// x-delivery-count header (absent on the first delivery).
func attempt(d amqp.Delivery) int {
	switch v := d.Headers["x-delivery-count"].(type) {
	case int64:
		return int(v) + 1
	case int32:
		return int(v) + 1
	case int:
		return v + 1
	}
	if d.Redelivered {
		return 2
	}
	return 1
}
