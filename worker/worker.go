// Package worker is the consumers' application logic: it applies messages
// to the store under the rules of package ill. Each handler runs one
// transaction that records the message in the inbox, locks what it changes,
// writes state, events, notices and outbox rows, and commits; the consumer
// acks only after that commit (see rabbitmq.Consumer).
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
	"slices"
	"strconv"
	"strings"
	"time"

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
	switch m.Type {
	case ill.MsgSubmit:
		return p.Submit(ctx, m)
	case ill.MsgAction:
		return p.isoLater(ctx, p.Act(withAttempt(ctx, d.Attempt), m)) // withAttempt, isoLater
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
	// locked, or after the last SaveRota); move writes the rota only when
	// it differs, saving a statement on most actions.
	saved []ill.RotaEntry
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
		if err := t.event(ill.ActSubmit, "", ill.Submitted, b.Note); err != nil {
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
				return t.hold()
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

func fillFromRecord(r *ill.Request, rec *mysql.Record) {
	r.Title, r.Author, r.Publisher, r.Year = rec.Title, rec.Author, rec.Publisher, rec.Year
	r.ISBN = rec.ISBN13.String
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
	return t.advance(ill.ActRoute, "")
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

// advance asks the next pending lender in the rota, or ends UNFILLED.
func (t *txn) advance(action ill.Action, lastReason ill.Reason) error {
	r := t.r
	i := ill.NextPending(r.Rota)
	if i < 0 {
		reason := lastReason
		if reason == "" {
			reason = ill.ReasonNotHeld
		}
		r.Lender, r.RespondBy, r.ShipBy = "", time.Time{}, time.Time{}
		r.Reason = reason
		note := "no lender left in the rota"
		if len(r.Rota) == 0 {
			note = "no other member library holds a lendable copy"
		}
		if err := t.move(action, ill.Unfilled, note); err != nil {
			return err
		}
		return t.notice(ill.NoticeUnfilled, 0, r.Borrower, "", time.Time{})
	}
	e := &r.Rota[i]
	e.Outcome = ill.OutcomeAsked
	sched, err := t.schedule(e.Library)
	if err != nil {
		return err
	}
	r.Lender = e.Library
	r.RespondBy, r.Provisional = sched.AddWorkingDays(t.m.At, 1)
	r.ShipBy = time.Time{}
	if err := t.move(action, ill.Requested, "asked "+e.Library+" (rank "+strconv.Itoa(e.Rank)+")"); err != nil {
		return err
	}
	return t.notice(ill.NoticeNewRequest, e.Rank, e.Library, "", r.RespondBy)
}

func (t *txn) schedule(library string) (ill.Schedule, error) {
	cl, err := t.tx.Closures(t.ctx, library)
	if err != nil {
		return ill.Schedule{}, err
	}
	return t.cal.ScheduleFor(cl), nil
}

func (t *txn) reject(reason ill.Reason, note string) error {
	t.r.Reason = reason
	return t.move(ill.ActReject, ill.Rejected, string(reason)+": "+note)
}

// hold parks a manual request no record matched (NEEDS_MEDIATION, 1
// working day for the borrowing library's staff).
func (t *txn) hold() error {
	sched, err := t.schedule(t.r.Borrower)
	if err != nil {
		return err
	}
	t.r.RespondBy, t.r.Provisional = sched.AddWorkingDays(t.m.At, 1)
	if err := t.move(ill.ActHold, ill.NeedsMediation, "not found in the union catalogue; staff to identify a lender"); err != nil {
		return err
	}
	return t.notice(ill.NoticeNeedsMediation, 0, t.r.Borrower, "", t.r.RespondBy)
}

// move changes state, writes the event and saves the request and rota.
func (t *txn) move(action ill.Action, to ill.State, note string) error {
	from := t.r.State
	t.r.State, t.r.UpdatedAt = to, t.m.At
	if err := t.event(action, from, to, note); err != nil {
		return err
	}
	if err := t.tx.UpdateRequest(t.ctx, t.r); err != nil {
		return err
	}
	if !sameRota(t.r.Rota, t.saved) {
		if err := t.tx.SaveRota(t.ctx, t.r, t.m.At); err != nil {
			return err
		}
		t.saved = cloneRota(t.r.Rota)
	}
	return t.isoOnMove(action, from, to) // tell ISO 18626 members
}

func (t *txn) event(action ill.Action, from, to ill.State, note string) error {
	actor := t.m.Actor
	switch action {
	case ill.ActRoute, ill.ActReject, ill.ActHold:
		actor = ill.SystemActor // decided by the hub, not by the caller
	}
	if len(actor) > 16 {
		actor = actor[:16]
	}
	return t.tx.AddEvent(t.ctx, t.r.ID, t.m.ID, ill.Event{At: t.m.At, Actor: actor, Action: action, From: from, To: to, Note: note})
}

// refuse records an action the state table refused at processing time (the
// state moved between the API's check and now). The message is consumed.
func (t *txn) refuse(action ill.Action, err error) error {
	if e := t.event(action, t.r.State, t.r.State, "refused: "+err.Error()); e != nil {
		return e
	}
	return t.isoOnRefuse(action, err) // RenewResponse N, CancelResponse N
}

// notice stores a notice once per (request, kind, step) and queues its
// delivery through the outbox.
func (t *txn) notice(kind string, step int, library, patronID string, deadline time.Time) error {
	lib, err := t.tx.Library(t.ctx, library)
	if err != nil {
		return err
	}
	recipient := lib.Email
	if patronID != "" {
		p, err := t.tx.Patron(t.ctx, t.r.Borrower, patronID)
		if err != nil {
			return err
		}
		recipient = p.Email
	}
	subject, body := ill.NoticeText(kind, lib.Locale, ill.NoticeData{RequestID: t.r.ID, Title: t.r.Title,
		Borrower: t.r.Borrower, Lender: t.r.Lender, Deadline: deadline})
	id, created, err := t.tx.AddNotice(t.ctx, mysql.Notice{RequestID: t.r.ID, Kind: kind, Step: step,
		Library: library, PatronID: patronID, Recipient: recipient, Locale: lib.Locale, Subject: subject,
		Body: body, At: t.m.At})
	if err != nil || !created {
		return err
	}
	ref, _ := json.Marshal(map[string]int64{"notice_id": id})
	return t.tx.Enqueue(t.ctx, ill.Message{ID: "notice:" + strconv.FormatInt(id, 10), Type: ill.MsgNotice,
		Actor: ill.SystemActor, RequestID: t.r.ID, At: t.m.At, Body: ref})
}

// Act applies one action to a request through the state table.
func (p *Processor) Act(ctx context.Context, m ill.Message) error {
	cal, err := p.Calendar.Get(ctx)
	if err != nil {
		return err
	}
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error { return p.ActTx(ctx, tx, cal, m) })
}

// ActTx applies an action inside the caller's transaction (the scheduler
// applies a claimed batch in one transaction). Like Act it records the
// message in the inbox first and does nothing for a message seen before.
func (p *Processor) ActTx(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, m ill.Message) error {
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
	t := &txn{p: p, ctx: ctx, tx: tx, m: m, cal: cal}
	t.r, t.saved = r, cloneRota(r.Rota)
	if m.ISO != nil && m.Action == "" {
		return t.isoInform() // an ISO 18626 message without a state change
	}
	variant, err := b.Variant(m.Action)
	if err != nil {
		return t.refuse(m.Action, err)
	}
	roles := r.RolesOf(m.Actor, m.IsCentre)
	if m.Actor == ill.SystemActor {
		roles = []ill.Role{ill.RoleSystem}
	}
	rule, err := ill.Decide(ill.Attempt{Action: m.Action, Variant: variant, From: r.State, Roles: roles,
		At: m.At, SubmittedAt: r.SubmittedAt})
	if err != nil {
		if m.Actor == ill.SystemActor {
			return nil // a timer that lost the race to a person: nothing to do
		}
		if later := t.isoAhead(variant, err); later != nil {
			return later // an ISO message ahead of the state: retried, not refused
		}
		return t.refuse(m.Action, err)
	}
	if m.Actor == ill.SystemActor && !timerDue(r, rule.Action, m.At) {
		return nil // the deadline moved (e.g. a new lender) since the job looked
	}
	if err := t.apply(rule, b); err != nil {
		return err
	}
	return t.isoThen() // the second half of one ISO 18626 step
}

// NoticeTx stores a notice for request r (once per kind and step) and
// queues its delivery, inside the caller's transaction (scheduler jobs).
func (p *Processor) NoticeTx(ctx context.Context, tx *mysql.Tx, r *ill.Request, at time.Time, kind string, step int, library, patronID string, deadline time.Time) error {
	t := &txn{p: p, ctx: ctx, tx: tx, m: ill.Message{Actor: ill.SystemActor, At: at}, r: r}
	return t.notice(kind, step, library, patronID, deadline)
}

// apply carries out an allowed rule's effects.
func (t *txn) apply(rule ill.Rule, b ill.ActionBody) error {
	r, at := t.r, t.m.At
	switch rule.Action {
	case ill.ActMediate:
		return t.mediate(b)
	case ill.ActRespond:
		cur := t.currentEntry()
		if rule.Variant == "will_supply" {
			if cur != nil {
				cur.Outcome = ill.OutcomeWillSupply
			}
			sched, err := t.schedule(r.Lender)
			if err != nil {
				return err
			}
			r.ShipBy, r.Provisional = sched.AddWorkingDays(at, 3)
			return t.move(ill.ActRespond, ill.WillSupply, note("will supply", b.Note))
		}
		if cur != nil {
			cur.Outcome = ill.OutcomeUnfilled
		}
		if err := t.event(ill.ActRespond, r.State, r.State, note(r.Lender+" unfilled: "+string(b.Reason), b.Note)); err != nil {
			return err
		}
		return t.advance(ill.ActRespond, b.Reason)
	case ill.ActRespondTimeout, ill.ActShipTimeout:
		cur := t.currentEntry()
		reason, outcome := ill.ReasonNoResponse, ill.OutcomeNoResponse
		if rule.Action == ill.ActShipTimeout {
			reason, outcome = ill.ReasonNotShipped, ill.OutcomeNotShipped
		}
		if cur != nil {
			cur.Outcome = outcome
		}
		if err := t.event(rule.Action, r.State, r.State, r.Lender+" unfilled: "+string(reason)); err != nil {
			return err
		}
		return t.advance(rule.Action, reason)
	case ill.ActShip:
		r.ItemBarcode = b.ItemBarcode
		if err := t.shipment("forward", r.Lender, r.Borrower); err != nil {
			return err
		}
		return t.move(ill.ActShip, ill.Shipped, note("item "+b.ItemBarcode, b.Note))
	case ill.ActReceive:
		if err := t.courierArrived("forward"); err != nil {
			return err
		}
		if err := t.move(ill.ActReceive, ill.Received, b.Note); err != nil {
			return err
		}
		return t.notice(ill.NoticeArrived, 0, r.Borrower, r.PatronID, time.Time{})
	case ill.ActCheckout:
		lender, err := t.tx.Library(t.ctx, r.Lender)
		if err != nil {
			return err
		}
		sched, err := t.schedule(r.Borrower)
		if err != nil {
			return err
		}
		r.DueAt, r.Provisional = sched.LoanDue(at, lender.LoanMonths)
		return t.move(ill.ActCheckout, ill.OnLoan, note("due "+r.DueAt.In(ill.Shanghai).Format(time.RFC3339), b.Note))
	case ill.ActRecall:
		lender, err := t.tx.Library(t.ctx, r.Lender)
		if err != nil {
			return err
		}
		sched, err := t.schedule(r.Borrower)
		if err != nil {
			return err
		}
		r.DueAt, r.Provisional = sched.RecallDue(r.DueAt, at, lender.RecallDays)
		if err := t.move(ill.ActRecall, ill.Recalled, note("due "+r.DueAt.In(ill.Shanghai).Format(time.RFC3339), b.Note)); err != nil {
			return err
		}
		if err := t.notice(ill.NoticeRecalled, 0, r.Borrower, r.PatronID, r.DueAt); err != nil {
			return err
		}
		return t.notice(ill.NoticeRecalled, 1, r.Borrower, "", r.DueAt)
	case ill.ActReturn:
		if err := t.courierReturn(b); err != nil { // return facts for the return check
			return err
		}
		return t.move(ill.ActReturn, ill.Returned, note("condition "+b.Condition, b.Note))
	case ill.ActShipReturn:
		if err := t.shipment("return", r.Borrower, r.Lender); err != nil {
			return err
		}
		return t.move(ill.ActShipReturn, ill.ReturnShipped, b.Note)
	case ill.ActCheckin:
		n := "condition " + b.Condition
		if !r.DueAt.IsZero() && at.After(r.DueAt) {
			days := int(at.Sub(r.DueAt).Hours()/24) + 1
			n += fmt.Sprintf("; returned %d day(s) late", days)
		}
		if err := t.courierArrived("return"); err != nil {
			return err
		}
		if err := t.courierCheckin(b); err != nil { // queues the return check (R11)
			return err
		}
		return t.move(ill.ActCheckin, ill.Completed, note(n, b.Note))
	case ill.ActCancel:
		if rule.To == ill.CancelPending {
			if err := t.move(ill.ActCancel, ill.CancelPending, note("cancel requested by "+b.By, b.Note)); err != nil {
				return err
			}
			return t.notice(ill.NoticeCancelRequested, 0, r.Lender, "", time.Time{})
		}
		r.Reason = ill.ReasonCancelledByStaff
		if rule.Variant == "reader" {
			r.Reason = ill.ReasonCancelledByReader
		}
		return t.move(ill.ActCancel, ill.Cancelled, note("cancelled by "+b.By, b.Note))
	case ill.ActCancelResponse:
		if rule.To == ill.Cancelled {
			r.Reason = ill.ReasonCancelledByStaff
			return t.move(ill.ActCancelResponse, ill.Cancelled, note("lender agreed to cancel", b.Note))
		}
		return t.move(ill.ActCancelResponse, ill.WillSupply, note("lender declined to cancel", b.Note))
	case ill.ActReportLost:
		r.Reason = ill.ReasonReportedLost
		if err := t.courierLost(); err != nil { // the lender's loss fee
			return err
		}
		return t.move(ill.ActReportLost, ill.Lost, b.Note)
	case ill.ActMarkOverdue:
		return t.move(ill.ActMarkOverdue, ill.Overdue, "past due "+r.DueAt.In(ill.Shanghai).Format(time.RFC3339))
	}
	return ill.Errorf(ill.CodeInternal, "no effect defined for action %s", rule.Action)
}

// timerDue reports whether the deadline a system action enforces has
// really passed at the time of the message.
func timerDue(r *ill.Request, a ill.Action, at time.Time) bool {
	var d time.Time
	switch a {
	case ill.ActRespondTimeout:
		d = r.RespondBy
	case ill.ActShipTimeout:
		d = r.ShipBy
	case ill.ActMarkOverdue:
		d = r.DueAt
	default:
		return true
	}
	return !d.IsZero() && at.After(d)
}

func note(what, extra string) string {
	if strings.TrimSpace(extra) == "" {
		return what
	}
	return what + " — " + extra
}

func (t *txn) currentEntry() *ill.RotaEntry {
	for i := range t.r.Rota {
		e := &t.r.Rota[i]
		if e.Library == t.r.Lender && (e.Outcome == ill.OutcomeAsked || e.Outcome == ill.OutcomeWillSupply) {
			return e
		}
	}
	return nil
}

// mediate resumes a NEEDS_MEDIATION request with a record or a lender list.
func (t *txn) mediate(b ill.ActionBody) error {
	r := t.r
	var lang, material string
	if b.RecordID != "" {
		id, _ := strconv.ParseInt(b.RecordID, 10, 64)
		rec, err := t.tx.Record(t.ctx, id)
		if err != nil {
			return t.refuse(ill.ActMediate, err)
		}
		r.RecordID = rec.ID
		fillFromRecord(r, rec)
		lang, material = rec.Language, rec.Material
		return t.routeRecord(lang, material, nil)
	}
	var lenders []string
	for _, l := range b.Lenders {
		if l == r.Borrower {
			continue
		}
		if _, err := t.tx.Library(t.ctx, l); err != nil {
			return t.refuse(ill.ActMediate, err)
		}
		lenders = append(lenders, l)
	}
	cands := explicitLenders(nil, lenders)
	r.Rota = ill.BuildRota(cands, r.Borrower, nil, max(t.p.RotaLength, len(lenders)))
	ill.KeepOrder(r.Rota, lenders)
	return t.advance(ill.ActMediate, "")
}

// shipment creates the request's courier shipment in one direction and
// queues its dispatch to a courier run.
func (t *txn) shipment(direction, from, to string) error {
	id, err := t.tx.AddShipment(t.ctx, mysql.Shipment{RequestID: t.r.ID, Direction: direction,
		ItemBarcode: t.r.ItemBarcode, From: from, To: to, RouteCode: from + "-" + to, CreatedAt: t.m.At})
	if err != nil {
		return err
	}
	ref, _ := json.Marshal(map[string]int64{"shipment_id": id})
	return t.tx.Enqueue(t.ctx, ill.Message{ID: "shipment:" + strconv.FormatInt(id, 10), Type: ill.MsgShipment,
		Actor: ill.SystemActor, RequestID: t.r.ID, At: t.m.At, Body: ref})
}
