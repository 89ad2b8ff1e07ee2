package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/balis/illhub/ill"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Publisher publishes persistent messages and returns only after the
// broker's publisher confirm. It owns its own connection (never shared with
// consumers), reconnects lazily after a failure (to the next live node of a
// cluster, see Dial), and is safe for concurrent use: each Publish borrows
// a confirm-mode channel from a pool, so no channel is used by two
// goroutines at once.
type Publisher struct {
	URL  string // one AMQP URL or a comma-separated list of a cluster's nodes (Dial)
	Topo Topology
	Log  *slog.Logger
	// DialTimeout bounds connecting when the broker is down (default 2s).
	DialTimeout time.Duration

	mu       sync.Mutex
	conn     *amqp.Connection
	pool     chan *amqp.Channel
	lastFail time.Time
	lastErr  error
}

// ErrUnavailable is returned (inside an *ill.Error with code unavailable)
// when the broker cannot be reached or did not confirm in time.
var ErrUnavailable = errors.New("broker unavailable")

func unavailable(format string, args ...any) error {
	return &ill.Error{Code: ill.CodeUnavailable, Message: fmt.Sprintf(format, args...)}
}

// connection returns a live connection, dialling when needed. After a
// failed dial it fails fast for one second instead of dialling again for
// every caller.
func (p *Publisher) connection() (*amqp.Connection, chan *amqp.Channel, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil && !p.conn.IsClosed() {
		return p.conn, p.pool, nil
	}
	if time.Since(p.lastFail) < time.Second && p.lastErr != nil {
		return nil, nil, unavailable("message broker unavailable: %v", p.lastErr)
	}
	timeout := p.DialTimeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	conn, err := Dial(p.URL, amqp.Config{
		Dial:       amqp.DefaultDial(timeout),
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": "illhub-publisher"},
	})
	if err == nil {
		err = p.declare(conn)
		if err != nil {
			conn.Close()
		}
	}
	if err != nil {
		p.lastFail, p.lastErr = time.Now(), err
		return nil, nil, unavailable("message broker unavailable: %v", err)
	}
	p.lastErr = nil
	p.conn = conn
	p.pool = make(chan *amqp.Channel, 64)
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	blocked := conn.NotifyBlocked(make(chan amqp.Blocking, 4))
	go func() {
		for {
			select {
			case e, ok := <-closed:
				if ok && p.Log != nil {
					p.Log.Warn("publisher connection closed", "err", e)
				}
				// Drain so the library never blocks on us.
				for range blocked {
				}
				return
			case b, ok := <-blocked:
				if ok && p.Log != nil {
					p.Log.Warn("broker flow control", "active", b.Active, "reason", b.Reason)
				}
			}
		}
	}()
	if p.Log != nil {
		p.Log.Info("publisher connected", "node", node(conn))
	}
	return conn, p.pool, nil
}

func (p *Publisher) declare(conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	return p.Topo.Declare(ch)
}

func (p *Publisher) channel() (*amqp.Channel, chan *amqp.Channel, error) {
	conn, pool, err := p.connection()
	if err != nil {
		return nil, nil, err
	}
	for {
		select {
		case ch := <-pool:
			if !ch.IsClosed() {
				return ch, pool, nil
			}
		default:
			ch, err := conn.Channel()
			if err != nil {
				return nil, nil, unavailable("open channel: %v", err)
			}
			if err := ch.Confirm(false); err != nil {
				ch.Close()
				return nil, nil, unavailable("confirm mode: %v", err)
			}
			return ch, pool, nil
		}
	}
}

// Publish sends one persistent message to the command exchange with routing
// key rk and waits for the broker's confirm, or until ctx ends. It returns
// an *ill.Error with code unavailable when the broker is down, keeps
// nacking, or does not confirm in time; the caller answers 503 and the
// client retries (safe: submits are idempotent on client_request_id,
// messages on id).
//
// A nack means the broker did not take responsibility for the message (a
// quorum queue answers so while it is momentarily unavailable, e.g. during
// a leader election or when starved of CPU): the message is published again,
// with the same id, up to publishAttempts times in all. Consumers dedupe by
// message id, so a republish can never apply a command twice.
func (p *Publisher) Publish(ctx context.Context, rk, messageID string, body []byte) error {
	var err error
	for attempt := 1; attempt <= publishAttempts; attempt++ {
		var nacked bool
		nacked, err = p.publishOnce(ctx, rk, messageID, body)
		if err != nil || !nacked {
			return err
		}
		err = unavailable("broker refused the message (nack) %d times", attempt)
		if p.Log != nil {
			p.Log.Warn("publish nacked by the broker", "routing_key", rk, "message_id", messageID, "attempt", attempt)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 50 * time.Millisecond):
		}
	}
	return err
}

// publishAttempts bounds republishing after nacks (see Publish).
const publishAttempts = 3

// publishOnce publishes and waits for the confirm; nacked reports a
// negative confirm. A channel that was nacked is closed, not pooled: on
// RabbitMQ 3.10 a channel whose quorum-queue leader was killed kept
// nacking every publish to that queue until the old leader's node came
// back (48 s in the cluster drill), although the two other members had
// elected a new leader within 200 ms; a new channel finds the new leader.
func (p *Publisher) publishOnce(ctx context.Context, rk, messageID string, body []byte) (nacked bool, err error) {
	ch, pool, err := p.channel()
	if err != nil {
		return false, err
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, p.Topo.Exchange(), rk, false, false, amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    messageID,
		Timestamp:    time.Now().UTC(),
		Type:         rk,
		Body:         body,
	})
	if err != nil {
		ch.Close()
		return false, unavailable("publish: %v", err)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		// The confirm may still arrive; the channel's sequence is unknown
		// to us now, so discard it rather than reuse it.
		ch.Close()
		return false, unavailable("no publisher confirm in time: %v", err)
	}
	if !ok {
		ch.Close()
		return true, nil
	}
	select {
	case pool <- ch:
	default:
		ch.Close()
	}
	return false, nil
}

// Ready reports whether a connection to the broker is up or can be made.
func (p *Publisher) Ready() error {
	_, _, err := p.connection()
	return err
}

// Close closes the connection.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		return p.conn.Close()
	}
	return nil
}
