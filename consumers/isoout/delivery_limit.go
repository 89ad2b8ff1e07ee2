package isoout

// The per-member concurrency limit of the iso pool: one member's slow or
// unreachable system may tie up only a few of the pool's workers, so the
// other members' messages keep flowing (docs/iso18626.md).

import (
	"context"
	"sync"
)

// memberLimit bounds, per member, how many deliveries post at once
// (per) and how many more may wait for one of those slots (waiting).
// Entries exist only while a delivery holds or awaits a slot, so the map
// holds at most as many members as the process has handlers running: it
// cannot grow with the number of members or messages.
type memberLimit struct {
	per, waiting int

	mu sync.Mutex
	m  map[string]*memberSlots
}

type memberSlots struct {
	sem   chan struct{} // a token per delivery posting to the member
	users int           // deliveries holding or awaiting a token
}

func newMemberLimit(per, waiting int) *memberLimit {
	return &memberLimit{per: max(per, 1), waiting: max(waiting, 0), m: map[string]*memberSlots{}}
}

// acquire takes one of code's slots, waiting while all are in use. It
// returns ok=false at once, without waiting, when code already has per
// deliveries posting and waiting more waiting: the caller hands the
// message back rather than tie up another worker. err is ctx's when it
// ended while waiting. release must be called exactly once after ok.
func (l *memberLimit) acquire(ctx context.Context, code string) (release func(), ok bool, err error) {
	l.mu.Lock()
	s := l.m[code]
	if s == nil {
		s = &memberSlots{sem: make(chan struct{}, l.per)}
		l.m[code] = s
	}
	if s.users >= l.per+l.waiting {
		l.mu.Unlock()
		return nil, false, nil
	}
	s.users++
	l.mu.Unlock()
	leave := func() {
		l.mu.Lock()
		if s.users--; s.users == 0 {
			delete(l.m, code)
		}
		l.mu.Unlock()
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, false, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-s.sem; leave() }) }, true, nil
}

// size is the number of members with a delivery holding or awaiting a slot.
func (l *memberLimit) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
