package requests

// Carrying out transitions. The state table decides (ill.Decide, ill.Expire);
// this file only carries the decision out, the same way for every action:
// the request row, the timeline, the rota, and then the subscribers.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Subscriber carries out one kind of follow-on effect of transitions
// (notices, courier records, ISO 18626 messages to member systems) inside
// the transaction that applied them, writing its rows and outbox messages
// there: they are committed with the state change or not at all. The
// subscribers live with their capability (packages notices, courier,
// isoout) and are registered in Processor.Subscribers at wiring time.
//
// Handle gets every change of one transaction: one for an action, a whole
// batch for a scheduler sweep. An error rolls the transaction back (a
// RetryLater error also makes the requests pool pause before the broker
// redelivers the message).
type Subscriber interface {
	Handle(ctx context.Context, tx *mysql.Tx, cs []Change) error
}

// Change is one carried-out transition as subscribers see it.
type Change struct {
	Cause      ill.Message  // what caused it: the message, or a timer (actor, time, id)
	Request    *ill.Request // the request after the transition (read-only)
	Transition ill.Transition
	// Brief: Request holds only what a sweep claimed (id, parties, patron,
	// title, state, the deadline); a subscriber that needs more reads the
	// request (it is locked in this transaction).
	Brief bool
}

// publish hands one transaction's changes to the subscribers.
func (p *Processor) publish(ctx context.Context, tx *mysql.Tx, cs []Change) error {
	for _, s := range p.Subscribers {
		if err := s.Handle(ctx, tx, cs); err != nil {
			return err
		}
	}
	return nil
}

// carry carries out a transition on the request t holds locked: the
// request's fields (ill.Transition.Apply), the timeline lines, the request
// row and the rota when the transition moves, then the subscribers.
func (t *txn) carry(tr ill.Transition) error {
	tr.Apply(t.r, t.m.At)
	for _, l := range tr.Lines {
		t.line(l)
	}
	if err := t.writeLines(); err != nil {
		return err
	}
	if tr.Moves() {
		if t.fresh {
			if err := t.save(); err != nil {
				return err
			}
		} else if err := t.tx.UpdateRequest(t.ctx, t.r); err != nil {
			return err
		}
		// The rota is written only when it differs from the stored one,
		// saving a statement on most actions.
		if !sameRota(t.r.Rota, t.saved) {
			if err := t.tx.SaveRota(t.ctx, t.r, t.m.At); err != nil {
				return err
			}
			t.saved = cloneRota(t.r.Rota)
		}
	}
	return t.p.publish(t.ctx, t.tx, []Change{{Cause: t.m, Request: t.r, Transition: tr}})
}

// line adds one timeline line of the request, caused by t's message, to
// those writeLines writes.
func (t *txn) line(e ill.Event) {
	if len(e.Actor) > 16 {
		e.Actor = e.Actor[:16]
	}
	t.lines++
	t.pending = append(t.pending, e)
}

// writeLines writes the lines not written yet, in order, in one statement
// (a submit's own line goes with its routing's). Every path that adds
// lines calls it before its transaction commits: carry does.
func (t *txn) writeLines() error {
	if len(t.pending) == 0 {
		return nil
	}
	lines := make([]ill.EventLine, len(t.pending))
	for i, e := range t.pending {
		lines[i] = ill.EventLine{RequestID: t.r.ID, MessageID: t.m.ID, Event: e}
	}
	t.pending = nil
	return t.tx.AddEvents(t.ctx, lines)
}

// decide computes the transition of at, which rule allows, with the facts
// it needs, and carries it out.
func (t *txn) decide(at ill.Attempt, rule ill.Rule) error {
	f, err := t.facts(rule.Needs(t.r))
	if err != nil {
		return err
	}
	at.Facts = f
	tr, err := ill.Decide(at)
	if err != nil {
		return err
	}
	return t.carry(tr)
}

// system takes one of the hub's own actions (route, hold, reject) on the
// request being submitted or mediated. The table allows them from where
// the processor takes them; a refusal is a bug and fails the message.
func (t *txn) system(a ill.Action, b ill.ActionBody) error {
	at := ill.Attempt{Action: a, From: t.r.State, Roles: []ill.Role{ill.RoleSystem}, At: t.m.At,
		SubmittedAt: t.r.SubmittedAt, Actor: ill.SystemActor, Request: t.r, Body: b}
	rule, err := ill.Allow(at)
	if err != nil {
		return ill.Errorf(ill.CodeInternal, "the hub's own %s of %s refused by the state table: %v", a, t.r.ID, err)
	}
	return t.decide(at, rule)
}

// facts looks up what the transition needs beyond the request: the
// closures of the libraries whose calendar it reads, the lender's terms.
func (t *txn) facts(n ill.Needs) (ill.Facts, error) {
	f := ill.Facts{Calendar: t.cal}
	if len(n.Libraries) > 0 {
		var err error
		if f.Closures, err = t.tx.ClosuresOf(t.ctx, n.Libraries); err != nil {
			return f, err
		}
	}
	if n.CopyTerms {
		f.CopyTerms = make(map[string]ill.CopyTerms, len(n.Libraries))
		for _, code := range n.Libraries {
			lib, err := t.tx.Library(t.ctx, code)
			if err != nil {
				return f, err
			}
			f.CopyTerms[code] = lib.CopyTerms()
		}
	}
	if n.LenderTerms {
		lender, err := t.tx.Library(t.ctx, t.r.Lender)
		if err != nil {
			return f, err
		}
		f.LoanMonths, f.RecallDays = lender.LoanMonths, lender.RecallDays
	}
	return f, nil
}

func cloneRota(rs []ill.RotaEntry) []ill.RotaEntry {
	out := make([]ill.RotaEntry, len(rs))
	for i, e := range rs {
		out[i] = e
		out[i].Reasons = slices.Clone(e.Reasons)
	}
	return out
}

func sameRota(a, b []ill.RotaEntry) bool {
	return slices.EqualFunc(a, b, func(x, y ill.RotaEntry) bool {
		return x.Library == y.Library && x.Rank == y.Rank && x.Outcome == y.Outcome && slices.Equal(x.Reasons, y.Reasons)
	})
}

// RetryLater is the transient error a subscriber returns for a message
// that met the request too early (an ISO 18626 message ahead of the
// state): the transaction rolls back, and the requests handler pauses
// (outside the transaction, so that the message it waits for can take the
// request's row lock) before the broker redelivers. Err is what the
// delivery reports (its code decides the disposition: transient).
type RetryLater struct{ Err *ill.Error }

func (r RetryLater) Error() string { return r.Err.Error() }
func (r RetryLater) Unwrap() error { return r.Err }

// pauseBeforeRetry waits 100 ms per delivery attempt of m when err is a
// RetryLater, and returns err.
func pauseBeforeRetry(ctx context.Context, m ill.Message, err error) error {
	var rl RetryLater
	if errors.As(err, &rl) {
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond * time.Duration(max(m.Attempt, 1))):
		}
	}
	return err
}
