package isoout

import (
	"context"
	"testing"
	"time"
)

// The per-member limit: per slots, as many waiting places, then refusal;
// other members are unaffected; entries vanish when unused.
func TestMemberLimit(t *testing.T) {
	l := newMemberLimit(2, 1)
	ctx := context.Background()
	var held []func()
	for i := 0; i < 2; i++ {
		rel, ok, err := l.acquire(ctx, "SLOW")
		if !ok || err != nil {
			t.Fatalf("slot %d: ok %v, err %v", i, ok, err)
		}
		held = append(held, rel)
	}
	got := make(chan func(), 1)
	go func() {
		rel, ok, _ := l.acquire(ctx, "SLOW") // the one waiting place
		if !ok {
			rel = nil
		}
		got <- rel
	}()
	deadline := time.Now().Add(2 * time.Second)
	for { // wait until the waiter is counted
		l.mu.Lock()
		n := l.m["SLOW"].users
		l.mu.Unlock()
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiter never counted: %d users", n)
		}
		time.Sleep(time.Millisecond)
	}
	if _, ok, err := l.acquire(ctx, "SLOW"); ok || err != nil {
		t.Fatalf("beyond slots and waiting places: ok %v, err %v; want refused", ok, err)
	}
	fast, ok, err := l.acquire(ctx, "FAST")
	if !ok || err != nil {
		t.Fatalf("another member is held up: ok %v, err %v", ok, err)
	}
	fast()
	select {
	case <-got:
		t.Fatal("the waiter got a slot while both were held")
	case <-time.After(20 * time.Millisecond):
	}
	held[0]()
	held[0]() // release is idempotent
	waiter := <-got
	if waiter == nil {
		t.Fatal("the waiter was refused")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, ok, err := l.acquire(cctx, "SLOW"); ok || err == nil {
		t.Fatalf("a wait that outlives its context: ok %v, err %v", ok, err)
	}
	waiter()
	held[1]()
	if n := l.size(); n != 0 {
		t.Fatalf("%d members left in the map after every slot was released", n)
	}
}
