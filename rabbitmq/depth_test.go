package rabbitmq_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/rabbitmq"
	amqp "github.com/rabbitmq/amqp091-go"
)

// waitingWithin calls d.Waiting and fails the test if it has not answered
// in 5 s: Waiting must never wait for the broker.
func waitingWithin(t *testing.T, d *rabbitmq.Depth) (int, error) {
	t.Helper()
	type reading struct {
		n   int
		err error
	}
	got := make(chan reading, 1)
	go func() {
		n, err := d.Waiting(context.Background())
		got <- reading{n, err}
	}()
	select {
	case r := <-got:
		return r.n, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("Waiting blocked on the broker")
		return 0, nil
	}
}

// The depth is read in the background: the first call knows nothing yet
// (unknown: the intake admits), later calls see the queues' ready
// messages, and a reading that can no longer be refreshed expires.
func TestDepthReadsInTheBackground(t *testing.T) {
	url, topo := testenv.AMQP(t, 5)
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	// A queue of the test's own (deleted below; the topology's are left
	// for testenv's cleanup).
	q := topo.Prefix + "depth"
	if _, err := ch.QueueDeclare(q, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = ch.QueueDelete(q, false, false, false) }()
	for i := range 5 {
		if err := ch.PublishWithContext(context.Background(), "", q, false, false,
			amqp.Publishing{Body: []byte("{}"), MessageId: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	pub := &rabbitmq.Publisher{URL: url, Topo: topo}
	defer pub.Close()
	d := &rabbitmq.Depth{Pub: pub, Queues: []string{q},
		MaxAge: 5 * time.Millisecond, Expire: 300 * time.Millisecond}

	if n, err := waitingWithin(t, d); ill.ErrorCode(err) != ill.CodeUnavailable {
		t.Fatalf("first call = %d, %v; want unknown (unavailable) before any reading", n, err)
	}
	n, err := 0, error(nil)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if n, err = waitingWithin(t, d); err == nil && n == 5 {
			break
		}
	}
	if err != nil || n != 5 {
		t.Fatalf("Waiting = %d, %v; want the 5 ready messages", n, err)
	}

	// The queue goes away: every refresh fails, and the last reading
	// expires instead of holding the intake forever.
	if _, err := ch.QueueDelete(q, false, false, false); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err = waitingWithin(t, d); err != nil {
			break
		}
	}
	if ill.ErrorCode(err) != ill.CodeUnavailable {
		t.Fatalf("after the queue was deleted Waiting = %v; want the reading expired (unavailable)", err)
	}
}

// A broker that accepts the connection but never answers does not hold up
// Waiting: every call answers at once with "unknown".
func TestDepthDoesNotWaitForAHungBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // never speaks AMQP
		}
	}()
	pub := &rabbitmq.Publisher{URL: "amqp://guest:guest@" + ln.Addr().String() + "/", Topo: rabbitmq.Topology{Prefix: "hung."}}
	defer pub.Close()
	d := &rabbitmq.Depth{Pub: pub, Queues: []string{"hung.ill.requests"}, MaxAge: time.Millisecond}
	for range 3 {
		if n, err := waitingWithin(t, d); ill.ErrorCode(err) != ill.CodeUnavailable {
			t.Fatalf("Waiting = %d, %v; want unknown (unavailable) at once", n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
