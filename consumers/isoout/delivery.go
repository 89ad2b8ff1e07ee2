package isoout

// ISO 18626 delivery: the iso pool sends the messages the subscriber
// stored to the members' endpoints, in order per request and member, with
// retries (docs/iso18626.md).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/balis/illhub/consumers"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/iso18626/client"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// Pool is the iso pool. Its fields are read-only after construction.
type Pool struct {
	Store    *mysql.Store
	Client   *http.Client  // posts to member endpoints (keep-alive; its timeout bounds a post); nil: a shared client with a 10 s timeout
	Backoff  time.Duration // first retry delay, doubled per attempt up to 1 min (ILL_ISO_BACKOFF)
	Attempts int           // delivery attempts before a message is failed and dead-lettered (ILL_DELIVERY_LIMIT)
	// PerMember bounds the deliveries posting to one member at once
	// (ILL_ISO_PER_MEMBER; 0: 4); as many more may wait for a slot, and
	// deliveries beyond those are handed back (see Handle). It holds per
	// process: n consumers processes post at most n×PerMember at once.
	PerMember int
	Log       *slog.Logger

	limitOnce sync.Once
	limits    *memberLimit
}

// handBackPause is how long a delivery to a member whose slots and
// waiting places are all taken pauses before it is handed back to the
// queue: it bounds how often a message cycles while its member is slow.
const handBackPause = 250 * time.Millisecond

func (p *Pool) limit() *memberLimit {
	p.limitOnce.Do(func() {
		per := p.PerMember
		if per <= 0 {
			per = 4
		}
		p.limits = newMemberLimit(per, per)
	})
	return p.limits
}

// Handle delivers the stored outbound message (body {"iso_message_id": N,
// "library": CODE}) to the member's endpoint, with every earlier pending
// message of the same request to the same member (a member sees a
// request's messages in order).
//
// One transaction per delivery holds the pending messages of that request
// and member (row locks, mysql.Tx.LockPendingISO) while it posts them,
// oldest first, and records each outcome with its commit: a second
// delivery of the same request and member waits for the first and then
// finds what is left. It is never retried on its own (InTxOnce: a retry
// would post again); a failure is redelivered by the broker.
//
// At most PerMember deliveries post to one member at once, and PerMember
// more wait for a slot; a delivery beyond those (a slow member with a
// backlog) is handed back instead of tying up one more of the pool's
// workers: after a short pause the message goes to the end of the queue
// again (a new outbox row, in its own transaction; no delivery attempt is
// counted), and the message is acked. Messages of one request to one
// member still arrive in order: whichever delivery runs first sends every
// pending one of them, oldest first.
//
// An attempt fails when the endpoint is unreachable, answers an HTTP error,
// or answers anything but an OK confirmation; the failure is kept in the
// message row and on the request's timeline. The handler then waits
// (Backoff, doubled per attempt) and returns a transient error, so the
// broker redelivers; after Attempts attempts the message is failed and
// dead-lettered (illctl dlq list). Delivery is at least once: a crash
// between a member's OK and the commit sends the message again.
func (p *Pool) Handle(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := consumers.Decode(d)
	if err != nil {
		return err
	}
	var ref deliveryRef
	if err := json.Unmarshal(m.Body, &ref); err != nil || ref.ID == 0 {
		return ill.Errorf(ill.CodeBadRequest, "iso message lacks iso_message_id")
	}
	if ref.Library == "" { // queued before the reference named the member
		self, err := p.Store.ISOMessage(ctx, ref.ID)
		if err != nil {
			return err
		}
		ref.Library = self.LibraryCode
	}
	member := ref.Library
	if c, err := ill.CanonicalCode("library", member); err == nil {
		member = c
	}
	slot, ok, err := p.limit().acquire(ctx, member)
	if err != nil {
		return ill.Errorf(ill.CodeTransient, "iso message %d: waiting for a delivery slot to %s: %v", ref.ID, member, err)
	}
	if !ok {
		return p.handBack(ctx, m, ref.ID)
	}
	var wait time.Duration
	var failed error // the delivery's outcome, returned once it is committed
	err = p.Store.InTxOnce(ctx, func(tx *mysql.Tx) error {
		var err error
		wait, failed, err = p.deliverPending(ctx, tx, m.RequestID, ref)
		return err
	})
	slot() // the backoff below waits without holding the member's slot
	if err != nil {
		return err
	}
	if wait > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return failed
}

// deliveryRef is the body of an iso.outbound message.
type deliveryRef struct {
	ID      int64  `json:"iso_message_id"`
	Library string `json:"library,omitempty"`
}

// handBack queues the delivery of message id again, at the end of the
// queue, after handBackPause: its member's slots are all taken (Handle).
func (p *Pool) handBack(ctx context.Context, m ill.Message, id int64) error {
	select {
	case <-ctx.Done():
		return ill.Errorf(ill.CodeTransient, "iso message %d: %v", id, ctx.Err())
	case <-time.After(handBackPause):
	}
	again := ill.Message{ID: fmt.Sprintf("iso:%d:later:%d", id, time.Now().UnixNano()), Type: ill.MsgISO,
		Actor: ill.SystemActor, RequestID: m.RequestID, At: m.At, Body: m.Body}
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error { return tx.Enqueue(ctx, again) })
}

// deliverPending sends the pending messages of the request to ref's
// member, oldest first, in tx (which holds them; see Handle), and records
// each outcome in tx. It stops at the first failure of a message that is
// not yet failed for good, and returns, for ref's own message, the
// delivery's failure (for after the commit) and how long to wait before
// it is retried; err is a database error (tx must roll back). A request
// id that is empty (an old reference) is taken from ref's row.
func (p *Pool) deliverPending(ctx context.Context, tx *mysql.Tx, requestID string, ref deliveryRef) (wait time.Duration, failed, err error) {
	if requestID == "" {
		self, err := p.Store.ISOMessage(ctx, ref.ID)
		if err != nil {
			return 0, nil, err
		}
		requestID = self.RequestID
	}
	rows, err := tx.LockPendingISO(ctx, requestID, ref.Library)
	if err != nil || len(rows) == 0 {
		return 0, nil, err // nothing pending: sent by an earlier delivery, or failed
	}
	mem, err := tx.ISOMember(ctx, ref.Library)
	if err != nil {
		return 0, nil, err
	}
	attempts := max(p.Attempts, 1)
	members := client.Client{HTTP: p.Client}
	for _, row := range rows {
		_, sendErr := members.Send(ctx, mem.Endpoint, []byte(row.Body))
		if sendErr == nil {
			if err := p.isoOutcome(ctx, tx, &row, ill.ISOSent, ""); err != nil {
				return 0, nil, err
			}
			continue
		}
		n := row.Attempts + 1
		status := ill.ISOPending
		if n >= attempts || refusedRequest(&row, sendErr) {
			status = ill.ISOFailed
		}
		p.Log.Warn("iso18626 delivery failed", "iso_message_id", row.ID, "request_id", row.RequestID, "library", row.LibraryCode,
			"attempt", n, "of", attempts, "err", sendErr)
		if err := p.isoOutcome(ctx, tx, &row, status, fmt.Sprintf("attempt %d of %d: %v", n, attempts, sendErr)); err != nil {
			return 0, nil, err
		}
		switch {
		case status == ill.ISOFailed && row.ID == ref.ID:
			return 0, ill.Errorf(ill.CodeUndeliverable, "iso message %d to %s failed after %d attempts: %v", row.ID, row.LibraryCode, n, sendErr), nil
		case status == ill.ISOFailed:
			continue // a message failed for good does not hold back the later ones
		case row.ID == ref.ID:
			return p.backoff(n), ill.Errorf(ill.CodeTransient, "iso message %d to %s: attempt %d of %d: %v", row.ID, row.LibraryCode, n, attempts, sendErr), nil
		}
		return 0, nil, nil // an earlier message is retried by its own delivery, which then sends this one
	}
	return 0, nil, nil
}

func (p *Pool) backoff(attempt int) time.Duration {
	b := p.Backoff
	if b <= 0 {
		b = 2 * time.Second
	}
	for i := 1; i < attempt && b < time.Minute; i++ {
		b *= 2
	}
	return min(b, time.Minute)
}

// refusedRequest reports whether the member refused a request outright
// (an ERROR confirmation): retrying the same request cannot succeed, so
// delivery is given up at once and the next lender asked.
func refusedRequest(row *ill.ISOMessage, err error) bool {
	return row.Kind == "request" && errors.Is(err, client.ErrRefused) && strings.Contains(err.Error(), "ERROR confirmation")
}

// isoOutcome records an attempt in tx; failures also go on the request's
// timeline. Giving up on a request to a lender (failed) queues the hub's
// lender_unreachable in the same transaction: the state table moves the
// request to the next lender at once rather than at respond_by, and the
// lender's rota entry (outcome unreachable) lists it on the centre's
// missed-deadlines page.
func (p *Pool) isoOutcome(ctx context.Context, tx *mysql.Tx, row *ill.ISOMessage, status ill.ISOStatus, problem string) error {
	now := time.Now()
	if err := tx.RecordISOOutcome(ctx, row.ID, status, problem, now); err != nil {
		return err
	}
	if problem == "" {
		return nil
	}
	if status == ill.ISOFailed && row.Kind == "request" {
		body, _ := json.Marshal(ill.ActionBody{Lenders: []string{row.LibraryCode}, Note: cut(problem, 1000)})
		if err := tx.Enqueue(ctx, ill.Message{ID: "iso-unreachable:" + strconv.FormatInt(row.ID, 10), Type: ill.MsgAction,
			Actor: ill.SystemActor, RequestID: row.RequestID, Action: ill.ActLenderUnreachable, At: now.UTC(), Body: body}); err != nil {
			return err
		}
		p.Log.Warn("iso18626: lender unreachable, asking the next", "request_id", row.RequestID, "library", row.LibraryCode, "err", problem)
	}
	st, err := tx.RequestState(ctx, row.RequestID)
	if err != nil {
		return err
	}
	n := fmt.Sprintf("ISO 18626 %s to %s not delivered (%s): %s", row.Summary, row.LibraryCode, status, problem)
	return tx.AddEvent(ctx, row.RequestID, "iso-out:"+strconv.FormatInt(row.ID, 10),
		ill.Event{At: time.Now(), Actor: ill.SystemActor, Action: actISO, From: st, To: st, Note: n})
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
