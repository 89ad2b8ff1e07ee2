package rabbitmq_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/rabbitmq"
)

// With a node list whose first address is dead (nothing listens on port 1),
// the publisher and the consumer still connect, whichever node a dial
// starts at, and a message goes through.
func TestDialSkipsDeadNodes(t *testing.T) {
	url, topo := testenv.AMQP(t, 5)
	list := "amqp://guest:guest@127.0.0.1:1/," + url + ",amqp://guest:guest@127.0.0.1:2/"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Several publishers: their dials start at successive offsets, so one
	// of them certainly starts at a dead address.
	for i := range 3 {
		pub := &rabbitmq.Publisher{URL: list, Topo: topo, Log: log}
		if err := pub.Publish(ctx, ill.MsgAction, "m-"+string(rune('a'+i)), []byte(`{}`)); err != nil {
			t.Fatalf("publisher %d: %v", i, err)
		}
		pub.Close()
	}

	got := make(chan string, 3)
	c := &rabbitmq.Consumer{URL: list, Topo: topo, Queue: rabbitmq.QueueRequests, Workers: 1, Prefetch: 1, Log: log,
		Handle: func(_ context.Context, d rabbitmq.Delivery) error { got <- d.MessageID; return nil }}
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(cctx) }()
	seen := map[string]bool{}
	for len(seen) < 3 {
		select {
		case id := <-got:
			seen[id] = true
		case <-ctx.Done():
			t.Fatalf("consumer received %v of 3 messages", seen)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
