package rabbitmq

import (
	"cmp"
	"context"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Depth reads how many messages are ready in some of the hub's queues
// (a passive declare each), for the intake's admission check
// (app.Config.Backlog). Safe for concurrent use.
//
// Waiting never waits for the broker: it answers with the latest reading
// and, when that is older than MaxAge, starts one refresh in the
// background (at most one at a time, on the publisher's connection and a
// channel only that refresh uses), which later calls see. A passive
// declare of a quorum queue asks the queue's leader, and on a busy broker
// that round trip has a tail of tens of milliseconds: no submit pays it.
// Until a first reading arrives, and when the last one is older than
// Expire (the refreshes fail or hang), the backlog is unknown and Waiting
// says so with an error; the intake then admits (it holds nothing on a
// backlog it cannot see).
type Depth struct {
	Pub    *Publisher
	Queues []string      // full queue names (Topology.Queue)
	MaxAge time.Duration // refresh a reading older than this (default 20 ms)
	Expire time.Duration // stop trusting a reading older than this (default 1 s)

	mu      sync.Mutex
	ch      *amqp.Channel // the refresh's; only the one running refresh uses it
	at      time.Time     // when last was read
	last    int
	reading bool // a refresh is running
}

// errNoReading is Waiting's answer while no recent reading is known.
var errNoReading = unavailable("queue depth not read yet or not recently")

// Waiting returns the ready messages of the queues, summed, as last read.
// Messages a consumer has prefetched but not acked are not counted (the
// broker's passive declare does not report them). It does not block on
// the broker.
func (d *Depth) Waiting(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	age := time.Since(d.at)
	if age >= cmp.Or(d.MaxAge, 20*time.Millisecond) && !d.reading {
		d.reading = true
		go d.refresh()
	}
	if d.at.IsZero() || age >= cmp.Or(d.Expire, time.Second) {
		return 0, errNoReading
	}
	return d.last, nil
}

// refresh reads the queues once and stores the sum; on failure the
// reading keeps its age, so it expires unless a later refresh succeeds.
func (d *Depth) refresh() {
	n, err := d.read()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reading = false
	if err == nil {
		d.at, d.last = time.Now(), n
	}
}

// read makes the passive declares. Only refresh calls it, one at a time,
// so d.ch needs no lock of its own while it runs.
func (d *Depth) read() (int, error) {
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
			// A failed passive declare closes the channel; the next
			// refresh opens another.
			d.ch = nil
			return 0, unavailable("queue %s: %v", q, err)
		}
		n += st.Messages
	}
	return n, nil
}
