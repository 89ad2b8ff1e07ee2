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

// Relay moves outbox rows to the broker with publisher confirms. Every
// consumers process runs one; SKIP LOCKED claims keep them from publishing
// the same row twice at once. A row is marked published only after its
// confirm, so a crash in between republishes it: consumers dedupe by
// message id (at-least-once, effectively-once).
type Relay struct {
	Store *mysql.Store
	Pub   *rabbitmq.Publisher
	Poll  time.Duration
	Log   *slog.Logger

	relayed atomic.Int64
	once    sync.Once
	wake    chan struct{} // Kick's signal; one pending wake-up is enough
}

// Kick wakes the relay now: a transaction of this process committed
// outbox rows (mysql.Store.OnOutboxCommit). It never blocks; kicks while
// the relay is busy coalesce into one more pass.
func (r *Relay) Kick() {
	select {
	case r.wakeC() <- struct{}{}:
	default:
	}
}

func (r *Relay) wakeC() chan struct{} {
	r.once.Do(func() { r.wake = make(chan struct{}, 1) })
	return r.wake
}

// Run relays until ctx ends: at once when kicked (Kick), otherwise every
// Poll (the safety net for rows another process committed, or one that
// died before publishing them).
func (r *Relay) Run(ctx context.Context) {
	wake := r.wakeC()
	poll := r.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	lastPurge := time.Now()
	for {
		n, err := r.Once(ctx)
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
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush relays until the outbox is empty or ctx ends (shutdown: the rows
// the last deliveries wrote leave with this process). It returns how many
// rows it relayed.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.Once(ctx)
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

// Once relays one batch of up to 100 rows and returns how many were sent.
func (r *Relay) Once(ctx context.Context) (int, error) {
	n, err := r.Store.RelayOutbox(ctx, 100, func(rows []ill.OutboxRow) ([]int64, error) {
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
