package rabbitmq

import (
	"context"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Depth reads how many messages are ready in some of the hub's queues
// (a passive declare each), for the intake's admission check
// (app.Config.Backlog). It uses the publisher's connection and one channel
// of its own, used by one caller at a time; a reading is reused for
// MaxAge (default 20 ms), so a burst of intake asks the broker once. Safe
// for concurrent use.
type Depth struct {
	Pub    *Publisher
	Queues []string // full queue names (Topology.Queue)
	MaxAge time.Duration

	mu   sync.Mutex
	ch   *amqp.Channel
	at   time.Time
	last int
}

// Waiting returns the ready messages of the queues, summed. Messages a
// consumer has prefetched but not acked are not counted (the broker's
// passive declare does not report them).
func (d *Depth) Waiting(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	age := d.MaxAge
	if age <= 0 {
		age = 20 * time.Millisecond
	}
	if time.Since(d.at) < age {
		return d.last, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d.ch == nil || d.ch.IsClosed() {
		conn, _, err := d.Pub.connection()
		if err != nil {
			return 0, err
		}
		if d.ch, err = conn.Channel(); err != nil {
			d.ch = nil
			return 0, unavailable("open channel: %v", err)
		}
	}
	n := 0
	for _, q := range d.Queues {
		st, err := d.ch.QueueDeclarePassive(q, true, false, false, false, nil)
		if err != nil {
			// A failed passive declare closes the channel; the next call
			// opens another.
			d.ch = nil
			return 0, unavailable("queue %s: %v", q, err)
		}
		n += st.Messages
	}
	d.at, d.last = time.Now(), n
	return n, nil
}
