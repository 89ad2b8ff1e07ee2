// Package worker is the consumers' application logic: it applies messages
// to the store under the rules of package ill. The state table decides
// what an action does (ill.Decide returns the transition); the worker only
// carries it out (apply.go), and the follow-on effects are subscribers
// (notices, courier, ISO 18626). Each handler runs one transaction that
// records the message in the inbox, locks what it changes, writes state,
// events, notices and outbox rows, and commits; the consumer acks only
// after that commit (see rabbitmq.Consumer).
//
// Handlers are idempotent (inbox) and safe to run concurrently in any
// number of processes (row locks: the patron row for R3, the request row
// for every transition).
package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// CalendarSource yields the current national calendar.
type CalendarSource interface {
	Get(ctx context.Context) (*ill.Calendar, error)
}

// Processor applies messages. Its fields are read-only after construction.
type Processor struct {
	Store       *mysql.Store
	Calendar    CalendarSource
	Eligibility ill.Eligibility
	RotaLength  int
	RotaWeights ill.RotaWeights // ILL_ROTA_WEIGHTS; zero: strict order
	Log         *slog.Logger
	Notifier    Notifier  // delivers notices (worker/notices.go); nil: every notice is stored not_configured
	ISO         ISOConfig // ISO 18626 members (worker/iso18626.go)
	// Subscribers carry out the follow-on effects of every transition, in
	// order; nil: DefaultSubscribers(ISO.HubSymbol).
	Subscribers []Subscriber
}

// decode reads a delivery's envelope; undecodable input can never succeed
// and is dead-lettered (bad_request).
func decode(d rabbitmq.Delivery) (ill.Message, error) {
	var m ill.Message
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return m, ill.Errorf(ill.CodeBadRequest, "undecodable message: %v", err)
	}
	if m.ID == "" || m.Type == "" || m.At.IsZero() {
		return m, ill.Errorf(ill.CodeBadRequest, "message lacks id, type or at")
	}
	return m, nil
}

// HandleRequests is the requests pool's handler: submits and actions.
func (p *Processor) HandleRequests(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := decode(d)
	if err != nil {
		return err
	}
	m.Attempt = d.Attempt
	switch m.Type {
	case ill.MsgSubmit:
		return p.Submit(ctx, m)
	case ill.MsgAction:
		return pauseBeforeRetry(ctx, m, p.Act(ctx, m))
	}
	return ill.Errorf(ill.CodeBadRequest, "requests queue cannot handle %q", m.Type)
}

// txn carries one transaction's context for a request's processing.
type txn struct {
	p   *Processor
	ctx context.Context
	tx  *mysql.Tx
	m   ill.Message
	cal *ill.Calendar
	r   *ill.Request
	// saved is the rota as stored (a copy taken when the request was
	// locked, or after the last SaveRota).
	saved []ill.RotaEntry
}

func (p *Processor) begin(ctx context.Context, m ill.Message, handler string, fn func(*txn) error) error {
	return p.beginClaim(ctx, m, func(tx *mysql.Tx) (bool, error) { return tx.MarkProcessed(ctx, handler, m.ID, m.At) }, fn)
}

// beginClaim is begin with the inbox insert done by claim (which may read
// and lock the message's row in the same round trip, e.g. ClaimNotice).
func (p *Processor) beginClaim(ctx context.Context, m ill.Message, claim func(*mysql.Tx) (first bool, err error), fn func(*txn) error) error {
	cal, err := p.Calendar.Get(ctx)
	if err != nil {
		return err
	}
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		first, err := claim(tx)
		if err != nil || !first {
			return err // a redelivery: already applied, ack without effect
		}
		return fn(&txn{p: p, ctx: ctx, tx: tx, m: m, cal: cal})
	})
}

// Submit registers a new request and routes it (SPEC §3 submit): R3 under
// the patron row lock, R7, eligibility (R2), duplicate and held-locally
// checks, manual-request matching, rota and the first lender's deadline.
func (p *Processor) Submit(ctx context.Context, m ill.Message) error {
	var b ill.SubmitBody
	if err := json.Unmarshal(m.Body, &b); err != nil {
		return ill.Errorf(ill.CodeBadRequest, "submit body: %v", err)
	}
	return p.begin(ctx, m, "requests", func(t *txn) error {
		if id, err := t.tx.RequestIDByClientID(ctx, m.Actor, b.ClientRequestID); err != nil || id != "" {
			return err // the same client_request_id again: one request only
		}
		borrower, err := t.tx.Library(ctx, m.Actor)
		if err != nil {
			return err
		}
		if err := t.tx.LockPatron(ctx, m.Actor, b.Patron, m.At); err != nil {
			return err
		}
		active, err := t.tx.CountActive(ctx, m.Actor, b.Patron.ID)
		if err != nil {
			return err
		}
		r := &ill.Request{ID: m.RequestID, Borrower: m.Actor, ClientRequestID: b.ClientRequestID,
			PatronID: b.Patron.ID, Note: b.Note, State: ill.Submitted, SubmittedAt: m.At, UpdatedAt: m.At}
		var lang, material string
		if b.RecordID != "" {
			id, _ := strconv.ParseInt(b.RecordID, 10, 64)
			rec, err := t.tx.Record(ctx, id)
			if err != nil {
				if ill.ErrorCode(err) != ill.CodeNotFound {
					return err
				}
			} else {
				r.RecordID = rec.ID
				fillFromRecord(r, rec)
				lang, material = rec.Language, rec.Material
			}
		} else if b.Item != nil {
			r.Title, r.Author, r.ISBN, r.Publisher, r.Year = b.Item.Title, b.Item.Author, b.Item.ISBN, b.Item.Publisher, b.Item.Year
			lang, material = b.Item.Language, b.Item.Material
		}
		if err := t.tx.InsertRequest(ctx, r); err != nil {
			return err
		}
		t.r = r
		if err := t.line(ill.Event{At: m.At, Actor: m.Actor, Action: ill.ActSubmit, To: ill.Submitted, Note: b.Note}); err != nil {
			return err
		}
		switch {
		case b.RecordID == "" && b.Item == nil:
			return t.reject(ill.ReasonInvalid, "neither record_id nor item given")
		case b.RecordID != "" && r.RecordID == 0:
			return t.reject(ill.ReasonInvalid, "record_id "+b.RecordID+" is not in the union catalogue")
		case active >= ill.MaxActiveRequests:
			return t.reject(ill.ReasonOverLimit, fmt.Sprintf("reader already has %d active requests (limit %d)", active, ill.MaxActiveRequests))
		case borrower.DepositRequired && !b.Patron.DepositPaid:
			return t.reject(ill.ReasonDepositRequired, borrower.Code+" requires a paid deposit")
		}
		if r.RecordID == 0 { // manual request: try to match it
			id, err := t.tx.MatchRecord(ctx, *b.Item)
			if err != nil {
				return err
			}
			if id == 0 {
				if !p.Eligibility.Eligible(lang, material) {
					return t.reject(ill.ReasonNotEligible, "material is not lendable under BALIS policy")
				}
				return t.system(ill.ActHold, ill.ActionBody{}) // staff to identify a lender
			}
			rec, err := t.tx.Record(ctx, id)
			if err != nil {
				return err
			}
			r.RecordID = rec.ID
			fillFromRecord(r, rec)
			lang, material = rec.Language, rec.Material
		}
		return t.routeRecord(lang, material, b.Lenders)
	})
}

func fillFromRecord(r *ill.Request, rec *ill.Record) {
	r.Title, r.Author, r.Publisher, r.Year = rec.Title, rec.Author, rec.Publisher, rec.Year
	r.ISBN = rec.ISBN13
}

// routeRecord runs the checks that need a record, builds the rota (from
// holdings, or from an explicit lender list) and asks the first lender.
func (t *txn) routeRecord(lang, material string, lenders []string) error {
	r := t.r
	if !t.p.Eligibility.Eligible(lang, material) {
		return t.reject(ill.ReasonNotEligible, "material is not lendable under BALIS policy (中文普通图书 only)")
	}
	if dup, err := t.tx.ActiveDuplicate(t.ctx, r); err != nil {
		return err
	} else if dup != "" {
		return t.reject(ill.ReasonDuplicate, "the reader already has active request "+dup+" for this record")
	}
	if local, err := t.tx.HoldsAvailable(t.ctx, r.Borrower, r.RecordID); err != nil {
		return err
	} else if local && len(lenders) == 0 {
		return t.reject(ill.ReasonHeldLocally, r.Borrower+" has an available copy on its own shelves")
	}
	cands, err := t.tx.Candidates(t.ctx, r.RecordID, t.m.At)
	if err != nil {
		return err
	}
	today := ill.DateOf(t.m.At)
	libs := make([]string, len(cands))
	for i, c := range cands {
		libs[i] = c.Library
	}
	closures, err := t.tx.ClosuresOf(t.ctx, libs)
	if err != nil {
		return err
	}
	for i := range cands {
		cands[i].OpenToday = t.cal.ScheduleFor(closures[cands[i].Library]).Open(today)
	}
	if len(lenders) > 0 {
		cands = explicitLenders(cands, lenders)
	}
	r.Rota = ill.BuildRotaWeighted(cands, r.Borrower, nil, t.p.RotaLength, t.p.RotaWeights)
	if len(lenders) > 0 {
		ill.KeepOrder(r.Rota, lenders)
	}
	return t.system(ill.ActRoute, ill.ActionBody{})
}

// explicitLenders keeps the mediator's list: holders keep their facts,
// others are added as lendable with unknown availability.
func explicitLenders(cands []ill.Candidate, lenders []string) []ill.Candidate {
	byLib := map[string]ill.Candidate{}
	for _, c := range cands {
		byLib[c.Library] = c
	}
	out := make([]ill.Candidate, 0, len(lenders))
	for _, l := range lenders {
		c, ok := byLib[l]
		if !ok {
			c = ill.Candidate{Library: l, Lendable: true, OpenToday: true, FillRate: -1}
		}
		out = append(out, c)
	}
	return out
}

// reject ends the request REJECTED for reason (note: the details).
func (t *txn) reject(reason ill.Reason, note string) error {
	return t.system(ill.ActReject, ill.ActionBody{Reason: reason, Note: note})
}

// Act applies one action to a request through the state table.
func (p *Processor) Act(ctx context.Context, m ill.Message) error {
	cal, err := p.Calendar.Get(ctx)
	if err != nil {
		return err
	}
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error { return p.act(ctx, tx, cal, m) })
}

// act records the message in the inbox (nothing happens for a message
// seen before), locks the request, and carries out what the state table
// decides: the action's transition, or its refusal (the state moved since
// the API's check, or the body is invalid), which consumes the message.
func (p *Processor) act(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, m ill.Message) error {
	var b ill.ActionBody
	if len(m.Body) > 0 {
		if err := json.Unmarshal(m.Body, &b); err != nil {
			return ill.Errorf(ill.CodeBadRequest, "action body: %v", err)
		}
	}
	// The inbox row, the request's row lock and its rota in one round trip.
	first, r, err := tx.ClaimRequest(ctx, "requests", m.ID, m.At, m.RequestID)
	if err != nil || !first {
		return err // a redelivery: already applied, ack without effect
	}
	t := &txn{p: p, ctx: ctx, tx: tx, m: m, cal: cal, r: r, saved: cloneRota(r.Rota)}
	at := ill.Attempt{Action: m.Action, From: r.State, Roles: r.RolesOf(m.Actor, m.IsCentre), At: m.At,
		SubmittedAt: r.SubmittedAt, Actor: m.Actor, Request: r, Body: b}
	if m.Informs() {
		return t.carry(ill.Inform(at))
	}
	if at.Variant, err = b.Variant(m.Action); err != nil {
		return t.carry(ill.Refuse(at, err))
	}
	rule, err := ill.Allow(at)
	if err != nil {
		return t.carry(ill.Refuse(at, err))
	}
	if rule.Action == ill.ActMediate {
		return t.mediate(at, rule)
	}
	return t.decide(at, rule)
}

// mediate resumes a NEEDS_MEDIATION request. With a record it is checked
// and routed like a new submission (the hub's route or reject); with a
// lender list the mediator's lenders are asked in that order.
func (t *txn) mediate(at ill.Attempt, rule ill.Rule) error {
	r, b := t.r, at.Body
	if b.RecordID != "" {
		id, _ := strconv.ParseInt(b.RecordID, 10, 64)
		rec, err := t.tx.Record(t.ctx, id)
		if err != nil {
			return t.carry(ill.Refuse(at, err))
		}
		r.RecordID = rec.ID
		fillFromRecord(r, rec)
		return t.routeRecord(rec.Language, rec.Material, nil)
	}
	var lenders []string
	for _, l := range b.Lenders {
		if l == r.Borrower {
			continue
		}
		if _, err := t.tx.Library(t.ctx, l); err != nil {
			return t.carry(ill.Refuse(at, err))
		}
		lenders = append(lenders, l)
	}
	r.Rota = ill.BuildRota(explicitLenders(nil, lenders), r.Borrower, nil, max(t.p.RotaLength, len(lenders)))
	ill.KeepOrder(r.Rota, lenders)
	return t.decide(at, rule)
}
