package service

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// Relay moves outbox rows to the broker with publisher confirms, on two
// paths:
//
//   - at once: the store hands it the rows of each committed transaction
//     (Handoff, wired with mysql.Store.OnOutboxCommit); a few publishers
//     send them and a marker records the confirmed ones in one UPDATE per
//     batch, without reading them back;
//   - the poll (every Poll, all rows at least Grace old): the safety net
//     for rows whose process died between commit and publish, or that the
//     fast path could not take or publish. SKIP LOCKED claims keep relays
//     from publishing the same row twice at once.
//
// A row is marked published only after its confirm, so a crash in between
// republishes it, as does a poll that overtakes a slow fast path:
// consumers dedupe by message id (at-least-once, effectively-once).
type Relay struct {
	Store *mysql.Store
	Pub   *rabbitmq.Publisher
	// Poll is the safety-net poll's interval; negative: no poll (the
	// producer, whose rows the consumers' polls cover).
	Poll time.Duration
	// Grace is how old a row must be before the poll takes it (default
	// 2 s): younger ones are still with the fast path of their process.
	Grace time.Duration
	Log   *slog.Logger

	relayed atomic.Int64
	dropped atomic.Int64 // rows the fast path had no room for (left to the poll)
	once    sync.Once
	fresh   chan []ill.OutboxRow // Handoff → publishers
	marks   chan string          // publishers → marker: confirmed message ids
}

// fastPublishers publish handed-over rows concurrently; freshBacklog
// bounds the transactions waiting for them (beyond it rows wait for the
// poll); markBatch bounds the ids of one marking UPDATE, and markWindow
// how long confirmed ids gather for it (the rows are published already:
// marking them later only delays the poll's view of them).
const (
	fastPublishers = 4
	freshBacklog   = 4096
	markBatch      = 500
	markWindow     = 25 * time.Millisecond
)

func (r *Relay) init() {
	r.once.Do(func() {
		r.fresh = make(chan []ill.OutboxRow, freshBacklog)
		r.marks = make(chan string, freshBacklog)
	})
}

// Handoff takes the outbox rows of a committed transaction for publishing
// at once (mysql.Store.OnOutboxCommit). It never blocks: when the fast
// path is full the rows are left to the poll.
func (r *Relay) Handoff(rows []ill.OutboxRow) {
	r.init()
	select {
	case r.fresh <- rows:
	default:
		r.dropped.Add(int64(len(rows)))
	}
}

// Run relays until ctx ends: the fast path's publishers and marker, and
// the poll every Poll (unless negative). Rows still in the fast path when
// ctx ends are left for Flush.
func (r *Relay) Run(ctx context.Context) {
	r.init()
	var wg sync.WaitGroup
	for range fastPublishers {
		wg.Add(1)
		go func() { defer wg.Done(); r.publishFresh(ctx) }()
	}
	markDone := make(chan struct{})
	mctx, stopMarks := context.WithCancel(context.WithoutCancel(ctx))
	go func() { defer close(markDone); r.mark(mctx) }()
	defer func() {
		wg.Wait()
		stopMarks() // after the publishers: their last confirms get marked
		<-markDone
	}()
	if r.Poll < 0 {
		<-ctx.Done()
		return
	}
	poll := r.Poll
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	lastPurge := time.Now()
	for {
		n, err := r.Once(ctx, r.grace())
		if err != nil && ctx.Err() == nil {
			r.Log.Warn("outbox relay", "err", err)
		}
		if time.Since(lastPurge) > time.Hour { // housekeeping: relayed outbox rows after 7 days, inbox after 90
			_, _ = r.Store.PurgeOutbox(ctx, time.Now().Add(-7*24*time.Hour))
			_, _ = r.Store.PurgeInbox(ctx, time.Now().Add(-90*24*time.Hour))
			lastPurge = time.Now()
		}
		if n == 100 && err == nil {
			continue // more waiting: do not sleep
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (r *Relay) grace() time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return 2 * time.Second
}

// publishFresh publishes handed-over rows until ctx ends. A row that
// fails is left to the poll (logged); a confirmed one goes to the marker.
func (r *Relay) publishFresh(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case rows := <-r.fresh:
			r.publishRows(ctx, rows)
		}
	}
}

func (r *Relay) publishRows(ctx context.Context, rows []ill.OutboxRow) {
	for _, row := range rows {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := r.Pub.Publish(pctx, row.RoutingKey, row.MessageID, row.Body)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Warn("outbox: publish after commit failed; the poll retries it", "message_id", row.MessageID, "err", err)
			}
			continue
		}
		r.relayed.Add(1)
		r.marks <- row.MessageID
	}
}

// mark records confirmed messages as published: one UPDATE for what
// gathers within markWindow of the first (up to markBatch ids). A failed
// UPDATE leaves the rows to the poll, which publishes them again
// (harmless: consumers dedupe).
func (r *Relay) mark(ctx context.Context) {
	ids := make([]string, 0, markBatch)
	for {
		select {
		case <-ctx.Done():
			ids = r.drainMarks(ids[:0])
			if len(ids) > 0 {
				r.markIDs(context.Background(), ids)
			}
			return
		case id := <-r.marks:
			ids = append(ids[:0], id)
			window := time.NewTimer(markWindow)
		gather:
			for len(ids) < markBatch {
				select {
				case id := <-r.marks:
					ids = append(ids, id)
				case <-window.C:
					break gather
				case <-ctx.Done():
					break gather
				}
			}
			window.Stop()
			r.markIDs(ctx, ids)
		}
	}
}

func (r *Relay) drainMarks(ids []string) []string {
	for len(ids) < markBatch {
		select {
		case id := <-r.marks:
			ids = append(ids, id)
		default:
			return ids
		}
	}
	return ids
}

func (r *Relay) markIDs(ctx context.Context, ids []string) {
	mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.Store.MarkPublished(mctx, ids); err != nil {
		r.Log.Warn("outbox: marking published rows failed; the poll publishes them again", "rows", len(ids), "err", err)
	}
}

// Flush publishes what the fast path still holds, then relays until the
// outbox is empty or ctx ends (shutdown, after Run returned: the rows the
// last deliveries wrote leave with this process). It returns how many
// rows it relayed.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	total, _ := r.flushFresh(ctx)
	for {
		n, err := r.Once(ctx, 0)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// flushFresh publishes and marks the rows still waiting in the fast path
// (after Run returned) and returns how many it published.
func (r *Relay) flushFresh(ctx context.Context) (int, error) {
	r.init()
	before := r.relayed.Load()
	var ids []string
	markAll := func() {
		for {
			if ids = r.drainMarks(ids); len(ids) < markBatch {
				return
			}
			r.markIDs(ctx, ids)
			ids = ids[:0]
		}
	}
fresh:
	for {
		select {
		case rows := <-r.fresh:
			r.publishRows(ctx, rows)
			markAll()
		default:
			break fresh
		}
	}
	markAll()
	if len(ids) > 0 {
		r.markIDs(ctx, ids)
	}
	return int(r.relayed.Load() - before), ctx.Err()
}

// Once relays one batch of up to 100 rows at least minAge old and returns
// how many were sent.
func (r *Relay) Once(ctx context.Context, minAge time.Duration) (int, error) {
	n, err := r.Store.RelayOutbox(ctx, 100, minAge, func(rows []ill.OutboxRow) ([]int64, error) {
		var sent []int64
		for _, row := range rows {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := r.Pub.Publish(pctx, row.RoutingKey, row.MessageID, row.Body)
			cancel()
			if err != nil {
				return sent, err
			}
			sent = append(sent, row.ID)
		}
		return sent, nil
	})
	r.relayed.Add(int64(n))
	return n, err
}

// startFastRelay gives a process that writes outbox rows but runs no
// poll (the producer, the scheduler) a relay for its own rows: the store
// hands them over at each commit and they leave at once. The returned
// stop ends it and flushes what it still holds (bounded by timeout); rows
// it could not publish wait for the consumers' poll.
func startFastRelay(st *mysql.Store, pub *rabbitmq.Publisher, log *slog.Logger, timeout time.Duration) (stop func()) {
	r := &Relay{Store: st, Pub: pub, Poll: -1, Log: log}
	st.OnOutboxCommit(r.Handoff)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	return func() {
		cancel()
		<-done
		fctx, fcancel := context.WithTimeout(context.Background(), timeout)
		defer fcancel()
		if _, err := r.flushFresh(fctx); err != nil {
			log.Warn("outbox rows left for the consumers' relay", "err", err)
		}
	}
}
