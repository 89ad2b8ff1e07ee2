package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/ill"
)

// watcher observes the states of every request a run is waiting for with
// batched reads, GET /v1/requests?ids=… under the centre's key (which may
// see every request), instead of one GET per request: the tool's own
// reads stay a small part of the server's work however many lifecycles
// are in flight.
//
// A read is made when a request is due (its first look, then Options.Poll
// after each look that did not find its state), and includes every
// request due by then; reads are at least gap apart, so waiters that fall
// due together share one. Open-loop runs, which measure latency, use a
// gap of 1 ms: a request is looked at when it is due, not at the next
// tick of a fixed clock. Closed-loop runs, which measure throughput, use
// a gap of Options.Poll (at most one read per interval).
type watcher struct {
	o     *Options
	gap   time.Duration
	kick  chan struct{} // a new waiter: recompute the next read's time
	mu    sync.Mutex
	waits map[string]*waiter
	calls atomic.Int64 // batched GETs made
}

type waiter struct {
	due   time.Time            // polled next at this time
	done  func(ill.State) bool // the states that end the wait
	polls int                  // batched GETs that included this request
	ch    chan seen            // receives once
}

// seen is what ended a wait.
type seen struct {
	State  ill.State
	Lender string
	Polls  int
	Err    error
}

func newWatcher(o *Options) *watcher {
	gap := o.Poll
	if o.Rate > 0 {
		gap = time.Millisecond
	}
	return &watcher{o: o, gap: gap, kick: make(chan struct{}, 1), waits: map[string]*waiter{}}
}

// run reads the due requests' states until ctx ends: at the earliest due
// time of the waiters, but not sooner than gap after the previous read.
func (w *watcher) run(ctx context.Context) {
	t := time.NewTimer(w.o.Poll)
	defer t.Stop()
	last := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		}
		now := time.Now()
		if next := w.next(now); !next.After(now) && now.Sub(last) >= w.gap {
			w.poll(ctx)
			last = time.Now()
		}
		now = time.Now()
		wake := w.next(now)
		if g := last.Add(w.gap); g.After(wake) {
			wake = g
		}
		t.Reset(max(wake.Sub(now), 0))
	}
}

// next is the earliest due time of the waiters (now + Poll when none).
func (w *watcher) next(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	next := now.Add(w.o.Poll)
	for _, wt := range w.waits {
		if wt.due.Before(next) {
			next = wt.due
		}
	}
	return next
}

// poll reads the due requests' states, at most ill.MaxListIDs per call,
// and ends the waits whose state has come.
func (w *watcher) poll(ctx context.Context) {
	now := time.Now()
	var ids []string
	w.mu.Lock()
	for id, wt := range w.waits {
		if !now.Before(wt.due) {
			ids = append(ids, id)
			wt.polls++
			wt.due = now.Add(w.o.Poll) // looked at again then, unless this read finds its state
		}
	}
	w.mu.Unlock()
	for len(ids) > 0 {
		n := min(len(ids), ill.MaxListIDs)
		batch := ids[:n]
		ids = ids[n:]
		w.calls.Add(1)
		status, body, _, err := w.o.call(ctx, "GET", w.pollPath(batch), ill.CentreCode, "", nil)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("GET /v1/requests?ids=: status %d %s", status, body.raw)
		}
		if err != nil {
			if ctx.Err() == nil {
				w.fail(batch, err)
			}
			continue
		}
		for _, r := range body.Results {
			id, st, lender := r.RequestID, ill.State(r.State), ""
			if r.Lender != nil {
				lender = *r.Lender
			}
			w.mu.Lock()
			if wt := w.waits[id]; wt != nil && wt.done(st) {
				delete(w.waits, id)
				wt.ch <- seen{State: st, Lender: lender, Polls: wt.polls}
			}
			w.mu.Unlock()
		}
	}
}

// pollPath is the batched read of ids' states.
func (w *watcher) pollPath(ids []string) string {
	return fmt.Sprintf("/v1/requests?per_page=%d&ids=%s", ill.MaxListIDs, strings.Join(ids, ","))
}

func (w *watcher) fail(ids []string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		if wt := w.waits[id]; wt != nil {
			delete(w.waits, id)
			wt.ch <- seen{Polls: wt.polls, Err: err}
		}
	}
}

// wait blocks until request id reaches a state done accepts (first looked
// at from due on), or until deadline.
func (w *watcher) wait(ctx context.Context, id string, due, deadline time.Time, done func(ill.State) bool) seen {
	wt := &waiter{due: due, done: done, ch: make(chan seen, 1)}
	w.mu.Lock()
	w.waits[id] = wt
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default: // a kick is pending already
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case s := <-wt.ch:
		return s
	case <-ctx.Done():
	case <-timer.C:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waits[id] == wt {
		delete(w.waits, id)
		if ctx.Err() != nil {
			return seen{Polls: wt.polls, Err: ctx.Err()}
		}
		return seen{Polls: wt.polls, Err: fmt.Errorf("%s: not applied after %v", id, w.o.StepTimeout)}
	}
	return <-wt.ch // delivered while timing out
}
