package ncipout

// NCIP delivery: the ncip pool posts the calls the subscriber stored to
// the members' ILSs, in order per request and member, with retries.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/balis/illhub/consumers"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/ncip"
	"github.com/balis/illhub/rabbitmq"
)

// Pool is the ncip pool. Its fields are read-only after construction.
type Pool struct {
	Store    *mysql.Store
	Client   *http.Client  // posts to the ILSs (its timeout bounds a call); nil: a shared client with a 10 s timeout
	Backoff  time.Duration // first retry delay, doubled per attempt up to 1 min (ILL_NCIP_BACKOFF)
	Attempts int           // delivery attempts before a call is failed and dead-lettered (ILL_DELIVERY_LIMIT)
	Log      *slog.Logger
	Clock    ill.Clock // the timeline's time of outcomes (nil: the system clock)
}

func (p *Pool) now() time.Time {
	if p.Clock == nil {
		return time.Now()
	}
	return p.Clock.Now()
}

// Handle delivers the stored call (body {"ncip_call_id": N}) to the
// member's ILS, after any earlier pending call of the same request to the
// same ILS (an ILS sees a request's calls in order: AcceptItem before
// CheckOutItem before CheckInItem; one named database lock per request and
// member keeps two consumers from calling concurrently).
//
// An answer without Problems is a success (a LookupUser's answer, the
// reader's standing, goes on the timeline). A Problem is the ILS's
// definitive answer: the call is failed at once, on the timeline, and not
// retried (a LookupUser's "unknown user" is recorded as the standing). An
// unreachable ILS, an HTTP error, an answer that is not the expected NCIP
// response or a temporary Problem is retried: the failure goes on the
// timeline, the handler waits (Backoff, doubled per attempt) and returns a
// transient error so the broker redelivers; after Attempts attempts the
// call is failed and dead-lettered. A failed call never holds back the
// later ones. Delivery is at least once.
func (p *Pool) Handle(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := consumers.Decode(d)
	if err != nil {
		return err
	}
	var ref callRef
	if err := json.Unmarshal(m.Body, &ref); err != nil || ref.ID == 0 {
		return ill.Errorf(ill.CodeBadRequest, "ncip message lacks ncip_call_id")
	}
	if wait := time.Until(ref.NotBefore); !ref.NotBefore.IsZero() && wait > 0 {
		// A retry queued by another call's delivery: its backoff.
		select {
		case <-ctx.Done():
			return ill.Errorf(ill.CodeTransient, "ncip call %d: %v", ref.ID, ctx.Err())
		case <-time.After(min(wait, 30*time.Second)):
		}
	}
	var self *ill.NCIPCall
	if err := p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		self, err = tx.LockNCIPCall(ctx, ref.ID)
		return err
	}); err != nil {
		return err
	}
	if self.Status != ill.NCIPPending {
		return nil // delivered (maybe by an earlier call's handler) or failed
	}
	release, err := p.Store.NamedLock(ctx, "ncip:"+self.RequestID+":"+self.LibraryCode, 30*time.Second)
	if err != nil {
		return ill.Errorf(ill.CodeTransient, "ncip call %d: %v", self.ID, err)
	}
	wait, err := p.deliverPending(ctx, self)
	release()
	if wait > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return err
}

// callRef is the body of an ncip.call message: the call, and for a retry
// queued by another call's delivery, when to try it again.
type callRef struct {
	ID        int64     `json:"ncip_call_id"`
	NotBefore time.Time `json:"not_before,omitzero"`
}

// deliverPending sends the pending calls of self's request to self's ILS,
// oldest first. It stops at a retryable failure of a call: self is
// retried by the broker after the wait returned; another call gets a
// retry message of its own (its own delivery may have been acked while an
// earlier call was pending), whose delivery then sends the later ones.
func (p *Pool) deliverPending(ctx context.Context, self *ill.NCIPCall) (time.Duration, error) {
	var rows []ill.NCIPCall
	if err := p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		var err error
		rows, err = tx.PendingNCIP(ctx, self.RequestID, self.LibraryCode)
		return err
	}); err != nil {
		return 0, err
	}
	mem, err := p.Store.NCIPMember(ctx, self.LibraryCode)
	if err != nil {
		return 0, err
	}
	attempts := max(p.Attempts, 1)
	client := ncip.Client{HTTP: p.Client}
	var selfErr error
	for _, row := range rows {
		if !mem.Enabled() {
			if err := p.outcome(ctx, &row, ill.NCIPFailed, "the member's NCIP endpoint was removed", ""); err != nil {
				return 0, err
			}
			continue
		}
		resp, callErr := client.Call(ctx, mem.Endpoint, string(row.Service), []byte(row.Body))
		switch {
		case callErr == nil:
			if err := p.outcome(ctx, &row, ill.NCIPSent, "", answer(&row, resp)); err != nil {
				return 0, err
			}
			continue
		case errors.Is(callErr, ncip.ErrProblem) && row.Service == ill.NCIPLookupUser && resp != nil && resp.LookupUserResponse != nil:
			// "Unknown user" is the answer to the question asked.
			if err := p.outcome(ctx, &row, ill.NCIPSent, "", answer(&row, resp)); err != nil {
				return 0, err
			}
			continue
		case errors.Is(callErr, ncip.ErrProblem):
			if err := p.outcome(ctx, &row, ill.NCIPFailed, "refused by the ILS: "+callErr.Error(), ""); err != nil {
				return 0, err
			}
			continue
		}
		n := row.Attempts + 1
		status := ill.NCIPPending
		if n >= attempts {
			status = ill.NCIPFailed
		}
		p.Log.Warn("ncip call failed", "ncip_call_id", row.ID, "request_id", row.RequestID, "library", row.LibraryCode,
			"service", row.Service, "attempt", n, "of", attempts, "err", callErr)
		var retry time.Duration
		if status == ill.NCIPPending && row.ID != self.ID {
			retry = p.backoff(n)
		}
		if err := p.outcomeRetry(ctx, &row, status, fmt.Sprintf("attempt %d of %d: %v", n, attempts, callErr), "", retry); err != nil {
			return 0, err
		}
		switch {
		case status == ill.NCIPFailed && row.ID == self.ID:
			// Failed for good: the later calls are still tried; the
			// delivery is dead-lettered after them.
			selfErr = ill.Errorf(ill.CodeUndeliverable, "ncip call %d (%s to %s) failed after %d attempts: %v",
				row.ID, row.Service, row.LibraryCode, n, callErr)
			continue
		case status == ill.NCIPFailed:
			continue
		case row.ID == self.ID:
			return p.backoff(n), ill.Errorf(ill.CodeTransient, "ncip call %d (%s to %s): attempt %d of %d: %v",
				row.ID, row.Service, row.LibraryCode, n, attempts, callErr)
		}
		return 0, selfErr // row is retried by the message queued for it, then the later calls
	}
	return 0, selfErr
}

// answer is what the timeline and the call row keep of a response: a
// LookupUser's standing of the reader, otherwise nothing (the call's
// status says it was done).
func answer(row *ill.NCIPCall, resp *ncip.Message) string {
	if row.Service == ill.NCIPLookupUser && resp != nil && resp.LookupUserResponse != nil {
		return ncip.StandingOf(resp.LookupUserResponse).Summary()
	}
	return ""
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

// outcome records an attempt. Failures and a LookupUser's answer also go
// on the request's timeline (as the hub's own line: the state is
// unchanged).
func (p *Pool) outcome(ctx context.Context, row *ill.NCIPCall, status ill.NCIPStatus, problem, outcome string) error {
	return p.outcomeRetry(ctx, row, status, problem, outcome, 0)
}

// outcomeRetry records an attempt like outcome and, when retry > 0, queues
// the call again (after retry) in the same transaction: a call whose
// failed attempt was made by another call's delivery has no delivery of
// its own left to retry it.
func (p *Pool) outcomeRetry(ctx context.Context, row *ill.NCIPCall, status ill.NCIPStatus, problem, outcome string, retry time.Duration) error {
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		if err := tx.RecordNCIPOutcome(ctx, row.ID, status, problem, outcome, p.now()); err != nil {
			return err
		}
		if retry > 0 {
			at := time.Now().Add(retry)
			ref, _ := json.Marshal(callRef{ID: row.ID, NotBefore: at})
			if err := tx.Enqueue(ctx, ill.Message{ID: fmt.Sprintf("ncip:%d:retry:%d", row.ID, row.Attempts+1),
				Type: ill.MsgNCIP, Actor: ill.SystemActor, RequestID: row.RequestID, At: p.now(), Body: ref}); err != nil {
				return err
			}
		}
		var n string
		switch {
		case problem != "":
			n = fmt.Sprintf("NCIP %s to %s's ILS not done (%s): %s", row.Service, row.LibraryCode, status, problem)
		case outcome != "":
			n = fmt.Sprintf("NCIP %s at %s's ILS: %s", row.Service, row.LibraryCode, outcome)
		default:
			return nil
		}
		st, err := tx.RequestState(ctx, row.RequestID)
		if err != nil {
			return err
		}
		return tx.AddEvent(ctx, row.RequestID, "ncip:"+strconv.FormatInt(row.ID, 10),
			ill.Event{At: p.now(), Actor: ill.SystemActor, Action: ill.ActNCIP, From: st, To: st, Note: n})
	})
}
