package requests

// The scheduler's deadlines. A job claims the requests whose deadline has
// come (package sched, mysql.Tx.ClaimDue) and hands them here; the state
// table decides per request (ill.Expire), and the decisions are carried
// out like every other transition.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Expired is what enforcing a deadline on a batch of requests did.
type Expired struct {
	Moved    int // requests the deadline moved (a missed deadline)
	Notified int // requests that got a new notice
	Changed  int // requests moved or notified
}

// Expire enforces timer on rows, the requests a scheduler job claimed in
// tx (locked until tx ends; each holds what the claim read, its deadline
// included), as of now. base holds the facts the job knows (the overdue
// notice days); Expire looks up the rest.
//
// Respond, ship and deliver deadlines are carried out request by request, like an
// action: the request is read in full, and a move is recorded in the inbox
// under the timer's message id (the request and the deadline it enforces),
// so a rerun or a second scheduler changes nothing. Overdue and courtesy
// change at most a request's state and are carried out for the whole batch
// with a few multi-row statements.
func (p *Processor) Expire(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, timer ill.Timer, rows []ill.Request, now time.Time, base ill.Facts) (Expired, error) {
	switch timer {
	case ill.TimerRespond, ill.TimerShip, ill.TimerDeliver:
		var e Expired
		for i := range rows {
			tr, err := p.expireOne(ctx, tx, cal, timer, &rows[i], now, base)
			if err != nil {
				return e, fmt.Errorf("request %s: %w", rows[i].ID, err)
			}
			e.count(tr)
		}
		return e, nil
	case ill.TimerOverdue, ill.TimerCourtesy:
		return p.expireBatch(ctx, tx, timer, rows, now, base)
	}
	return Expired{}, ill.Errorf(ill.CodeInternal, "no sweep for timer %q", timer)
}

func (e *Expired) count(tr ill.Transition) {
	if tr.Moves() {
		e.Moved++
	}
	if len(tr.Notices) > 0 {
		e.Notified++
	}
	if tr.Moves() || len(tr.Notices) > 0 {
		e.Changed++
	}
}

// timerMessage is the message a deadline acts as: the system's, with an id
// derived from the request and the deadline it enforces.
func timerMessage(timer ill.Timer, r *ill.Request, now time.Time) ill.Message {
	m := ill.Message{Type: ill.MsgAction, Actor: ill.SystemActor, RequestID: r.ID, At: now.UTC()}
	switch timer {
	case ill.TimerRespond:
		m.Action = ill.ActRespondTimeout
		m.ID = fmt.Sprintf("timer:%s:%s:%d", m.Action, r.ID, r.RespondBy.Unix())
	case ill.TimerShip:
		m.Action = ill.ActShipTimeout
		m.ID = fmt.Sprintf("timer:%s:%s:%d", m.Action, r.ID, r.ShipBy.Unix())
	case ill.TimerDeliver:
		m.Action = ill.ActDeliverTimeout
		m.ID = fmt.Sprintf("timer:%s:%s:%d", m.Action, r.ID, r.DeliverBy.Unix())
	case ill.TimerOverdue:
		m.Action = ill.ActMarkOverdue
		m.ID = "timer:overdue:" + r.ID
	default:
		m.ID = "timer:" + string(timer) + ":" + r.ID
	}
	return m
}

// expireOne enforces a respond, ship or deliver deadline on one claimed
// request.
func (p *Processor) expireOne(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, timer ill.Timer, claimed *ill.Request, now time.Time, base ill.Facts) (ill.Transition, error) {
	r, err := tx.LockRequest(ctx, claimed.ID)
	if err != nil {
		return ill.Transition{}, err
	}
	m := timerMessage(timer, claimed, now)
	t := &txn{p: p, ctx: ctx, tx: tx, m: m, cal: cal, r: r, saved: cloneRota(r.Rota)}
	f, err := t.facts(timer.Needs(r))
	if err != nil {
		return ill.Transition{}, err
	}
	f.OverdueFirst, f.OverdueEvery = base.OverdueFirst, base.OverdueEvery
	tr := ill.Expire(timer, r, now, f)
	switch {
	case tr.Moves():
		first, err := tx.MarkProcessed(ctx, "requests", m.ID, m.At)
		if err != nil || !first {
			return ill.Transition{}, err // enforced before: nothing to do
		}
	case len(tr.Notices) == 0:
		return tr, nil
	}
	return tr, t.carry(tr)
}

// expireBatch enforces the overdue or courtesy deadline on a batch of
// claimed requests, knowing which of their notices exist (a plain read, so
// that a notice row the notices pool holds locked still counts).
func (p *Processor) expireBatch(ctx context.Context, tx *mysql.Tx, timer ill.Timer, rows []ill.Request, now time.Time, base ill.Facts) (Expired, error) {
	kinds := []string{ill.NoticeCourtesy}
	if timer == ill.TimerOverdue {
		kinds = []string{ill.NoticeOverdue, ill.NoticeOverdueLibrary}
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	sent, err := tx.NoticesSent(ctx, ids, kinds)
	if err != nil {
		return Expired{}, err
	}
	cs := make([]Change, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		f := base
		f.Sent = sent[r.ID]
		tr := ill.Expire(timer, r, now, f)
		if tr.Moves() || len(tr.Notices) > 0 {
			cs = append(cs, Change{Cause: timerMessage(timer, r, now), Request: r, Transition: tr, Brief: true})
		}
	}
	return p.applyBatch(ctx, tx, cs)
}

// applyBatch carries out transitions that change at most a request's state
// (a sweep's, on Brief requests claimed in tx and all caused at the same
// time) set-based: one UPDATE per target state, one multi-row INSERT of the
// timeline lines, then the subscribers with the whole batch.
func (p *Processor) applyBatch(ctx context.Context, tx *mysql.Tx, cs []Change) (Expired, error) {
	var e Expired
	if len(cs) == 0 {
		return e, nil
	}
	at := cs[0].Cause.At
	moved := map[ill.State][]string{}
	var lines []ill.EventLine
	for i := range cs {
		c := &cs[i]
		tr := c.Transition
		if len(tr.Deadlines) > 0 || tr.Reason != "" || tr.ItemBarcode != "" || tr.Rota != (ill.RotaStep{}) || tr.Shipment != nil {
			return Expired{}, ill.Errorf(ill.CodeInternal, "%s of %s changes more than the state: not for a batch", tr.Rule.Action, c.Request.ID)
		}
		tr.Apply(c.Request, at)
		if tr.Moves() {
			moved[tr.To] = append(moved[tr.To], c.Request.ID)
		}
		for _, l := range tr.Lines {
			lines = append(lines, ill.EventLine{RequestID: c.Request.ID, MessageID: c.Cause.ID, Event: l})
		}
		e.count(tr)
	}
	states := make([]ill.State, 0, len(moved))
	for s := range moved {
		states = append(states, s)
	}
	slices.Sort(states)
	for _, s := range states {
		if err := tx.SetStates(ctx, moved[s], s, at); err != nil {
			return Expired{}, err
		}
	}
	if err := tx.AddEvents(ctx, lines); err != nil {
		return Expired{}, err
	}
	return e, p.publish(ctx, tx, cs)
}
