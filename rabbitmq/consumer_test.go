package rabbitmq_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/rabbitmq"
)

// stagedKey carries a group's staging area through the handler's context.
type stagedKey struct{}

// A worker applies the deliveries waiting in its prefetch buffer as groups
// (Consumer.Group): a group's effects become visible together and its
// deliveries are acked together. A poison message in a group makes the
// group split: the others are applied one by one, exactly once each, and
// the poison message alone is dead-lettered.
func TestConsumerGroupsPrefetchedDeliveries(t *testing.T) {
	url, topo := testenv.AMQP(t, 2)
	pub := &rabbitmq.Publisher{URL: url, Topo: topo}
	t.Cleanup(func() { _ = pub.Close() })
	const n = 40
	poison := "m-17"
	for i := range n {
		id := fmt.Sprintf("m-%02d", i)
		if err := pub.Publish(context.Background(), ill.MsgAction, id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	applied := map[string]int{} // committed effects per message
	var sizes []int
	split := 0
	poisonGrouped := false // the poison message was handled inside a group at least once
	handle := func(ctx context.Context, d rabbitmq.Delivery) error {
		if d.MessageID == poison {
			if _, ok := ctx.Value(stagedKey{}).(*[]string); ok {
				mu.Lock()
				poisonGrouped = true
				mu.Unlock()
			}
			return ill.Errorf(ill.CodeBadRequest, "poison")
		}
		if st, ok := ctx.Value(stagedKey{}).(*[]string); ok {
			*st = append(*st, d.MessageID) // inside a group: staged until it commits
			return nil
		}
		mu.Lock()
		applied[d.MessageID]++
		mu.Unlock()
		return nil
	}
	group := func(ctx context.Context, apply func(context.Context) error) error {
		var staged []string
		if err := apply(context.WithValue(ctx, stagedKey{}, &staged)); err != nil {
			return err // nothing staged is kept
		}
		mu.Lock()
		for _, id := range staged {
			applied[id]++
		}
		mu.Unlock()
		return nil
	}
	c := &rabbitmq.Consumer{URL: url, Topo: topo, Queue: rabbitmq.QueueRequests, Workers: 1, Prefetch: 16,
		Handle: handle, Group: group, MaxGroup: 8, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ObserveGroup: func(_ string, size int, committed bool) {
			mu.Lock()
			defer mu.Unlock()
			sizes = append(sizes, size)
			if !committed {
				split++
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()

	dlq := rabbitmq.DLQ{URL: url, Topo: topo}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		got := len(applied)
		mu.Unlock()
		dead, err := dlq.List(5)
		if err != nil {
			t.Fatal(err)
		}
		if got == n-1 && len(dead) == 1 {
			if dead[0].MessageID != poison {
				t.Fatalf("dead letter %q, want %q", dead[0].MessageID, poison)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %d of %d applied, dead letters %v", got, n-1, dead)
		}
	}
	time.Sleep(200 * time.Millisecond) // nothing more may arrive
	mu.Lock()
	defer mu.Unlock()
	for id, k := range applied {
		if k != 1 {
			t.Errorf("%s applied %d times", id, k)
		}
	}
	if applied[poison] != 0 {
		t.Errorf("the poison message was applied")
	}
	if len(sizes) == 0 || slices.Max(sizes) < 2 || slices.Max(sizes) > 8 {
		t.Errorf("group sizes %v: want groups of 2..8 from 40 waiting deliveries", sizes)
	}
	if poisonGrouped && split == 0 {
		t.Errorf("the poison message was grouped with others, yet no group split (sizes %v)", sizes)
	}
	t.Logf("groups %v, %d split, poison grouped %v", sizes, split, poisonGrouped)
}
