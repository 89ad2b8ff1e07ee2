// Package requests is the requests pool: it applies submits and actions
// to requests under the rules of package ill, and enforces the scheduler's
// deadlines. The state table decides what an action does (ill.Decide
// returns the transition); this package carries it out (carry.go) and
// hands it to the subscribers registered at wiring time, which write the
// follow-on effects (notices, courier records, ISO 18626 messages) in the
// same transaction.
//
// Each message is one transaction that records it in the inbox, locks
// what it changes (the patron row for R3, the request row for every
// transition), writes state, events, notices and outbox rows, and commits;
// the consumer acks only after that commit. Handlers are idempotent and
// safe to run concurrently in any number of processes.
package requests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/balis/illhub/consumers"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// Processor applies request messages and deadlines. Its fields are
// read-only after construction.
type Processor struct {
	Store       *mysql.Store
	Calendar    consumers.CalendarSource
	Eligibility ill.Eligibility
	RotaLength  int
	RotaWeights ill.RotaWeights // ILL_ROTA_WEIGHTS; zero: strict order
	// Subscribers carry out the follow-on effects of every transition, in
	// order (package service registers the hub's); nil: none, only the
	// request, its timeline and its rota are written.
	Subscribers []Subscriber
}

// Handle is the requests pool's handler: submits and actions. The
// delivery's attempt count is kept in the message (ill.Message.Attempt),
// where subscribers read it.
func (p *Processor) Handle(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := consumers.Decode(d)
	if err != nil {
		return err
	}
	m.Attempt = d.Attempt
	switch m.Type {
	case ill.MsgSubmit:
		return p.submit(ctx, m)
	case ill.MsgAction:
		return pauseBeforeRetry(ctx, m, p.act(ctx, m))
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
	// lines counts the timeline lines written for the message; pending
	// are those not written yet (writeLines).
	lines   int
	pending []ill.Event
	// loans are the reader's active loans (ActiveLoans), nil until read.
	loans []ill.LoanRef
	// cands are the lenders holding the record the message named, read
	// with the loans (LoansAndCandidates); nil: not read yet.
	cands *candidates
	// fresh: r is a new request not stored yet (save inserts it).
	fresh bool
}

// save inserts the request t holds if it is fresh (a request stored before
// under the same id fails the transaction's next statement or its commit
// with mysql.ErrRequestExists: the submit is a repeat); a stored one is
// written back by carry (UpdateRequest).
func (t *txn) save() error {
	if !t.fresh {
		return nil
	}
	if err := t.tx.InsertRequest(t.ctx, t.r); err != nil {
		return err
	}
	t.fresh = false
	return nil
}

// submit registers a new request and routes it (SPEC §3 submit): R3 under
// the patron row lock, R7, eligibility (R2), duplicate and held-locally
// checks, manual-request matching, rota and the first lender's deadline.
func (p *Processor) submit(ctx context.Context, m ill.Message) error {
	var b ill.SubmitBody
	if err := json.Unmarshal(m.Body, &b); err != nil {
		return ill.Errorf(ill.CodeBadRequest, "submit body: %v", err)
	}
	cal, err := p.Calendar.Get(ctx)
	if err != nil {
		return err
	}
	// The request row is the submit's record: the same client_request_id
	// again is the same request id (ill.RequestID), so a redelivered or
	// repeated submit fails to insert it (mysql.ErrRequestExists, at the
	// statement after the insert or at the commit), and its transaction is
	// rolled back and the message acked.
	err = p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		t := &txn{p: p, ctx: ctx, tx: tx, m: m, cal: cal}
		if err := t.submitTx(b); err != nil {
			return err
		}
		if err := t.writeLines(); err != nil {
			return err
		}
		return t.save() // a submit that no transition moved (none does today) is stored as submitted
	})
	if errors.Is(err, mysql.ErrRequestExists) {
		return nil
	}
	return err
}

// submitTx registers and routes the request of submit body b.
func (t *txn) submitTx(b ill.SubmitBody) error {
	p, ctx, tx, m := t.p, t.ctx, t.tx, t.m
	borrower, err := tx.Library(ctx, m.Actor)
	if err != nil {
		return err
	}
	if err := tx.LockPatron(ctx, m.Actor, b.Patron, m.At); err != nil {
		return err
	}
	service := b.ServiceType.OrLoan()
	// R3 counts loans; copies have their own limit (the borrower's
	// CopyTerms.Limit), under the same patron row lock.
	limit, what := ill.MaxActiveRequests, "active requests"
	var active int
	if service.IsCopy() {
		limit, what = borrower.CopyTerms().Limit, "open copy requests"
		active, err = tx.CountOpenCopies(ctx, m.Actor, b.Patron.ID)
	} else if id, _ := strconv.ParseInt(b.RecordID, 10, 64); id > 0 {
		// the reader's loans give the R3 count and the duplicate check;
		// the record's holders, read with them, its rota
		c := candidates{record: id}
		t.loans, c.list, c.local, err = tx.LoansAndCandidates(ctx, m.Actor, b.Patron.ID, id, m.At)
		t.cands, active = &c, len(t.loans)
	} else {
		t.loans, err = tx.ActiveLoans(ctx, m.Actor, b.Patron.ID)
		active = len(t.loans)
	}
	if err != nil {
		return err
	}
	r := &ill.Request{ID: m.RequestID, Borrower: m.Actor, ClientRequestID: b.ClientRequestID,
		PatronID: b.Patron.ID, Note: b.Note, State: ill.Submitted, SubmittedAt: m.At, UpdatedAt: m.At, Source: b.Source,
		ServiceType: service, Rush: b.Rush && service.IsCopy()}
	// A copy's citation is checked here too (the API checked it
	// already: ValidateCopy), so that no path stores one unchecked.
	var copyErr error
	switch {
	case service.IsCopy() && b.Item == nil:
		copyErr = ill.FieldError("item", "a copy request names its article or part in item")
	case service.IsCopy():
		copyErr = ill.ValidateCopy(b.Item, b.RecordID != "")
		r.Citation = b.Item.CopyFields()
	}
	var lang, material string
	if b.RecordID != "" {
		id, _ := strconv.ParseInt(b.RecordID, 10, 64)
		rec, err := tx.Record(ctx, id)
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
		if service.IsCopy() && b.Item.CopyKind() == ill.CopyArticle {
			// lists and notices show the article; its journal and the
			// rest are in the citation
			r.Title, r.Author = runes(b.Item.DisplayTitle(), 400), runes(b.Item.Authors, 200)
		}
	}
	// The row is inserted once its first transition is decided
	// (carry), in its routed, held or rejected state: one statement.
	t.r, t.fresh = r, true
	t.line(ill.Event{At: m.At, Actor: m.Actor, Action: ill.ActSubmit, To: ill.Submitted, Note: b.Note}) // written with the first transition's
	switch {
	case b.RecordID == "" && b.Item == nil:
		return t.reject(ill.ReasonInvalid, "neither record_id nor item given")
	case b.RecordID != "" && r.RecordID == 0:
		return t.reject(ill.ReasonInvalid, "record_id "+b.RecordID+" is not in the union catalogue")
	case copyErr != nil:
		return t.reject(ill.ReasonInvalid, copyErr.Error())
	case active >= limit:
		return t.reject(ill.ReasonOverLimit, fmt.Sprintf("reader already has %d %s (limit %d)", active, what, limit))
	case borrower.DepositRequired && !b.Patron.DepositPaid:
		return t.reject(ill.ReasonDepositRequired, borrower.Code+" requires a paid deposit")
	}
	if service.IsCopy() && r.RecordID == 0 && b.Item.CopyKind() == ill.CopyArticle {
		if b.Item.ISSN == "" {
			// a DOI or a title only: staff identify a supplier, as for
			// a manual loan request not in the catalogue
			return t.system(ill.ActHold, ill.ActionBody{})
		}
		return t.routeSerial(b.Item.ISSN, b.Item.Year, b.Lenders)
	}
	if r.RecordID == 0 { // manual request: try to match it
		id, err := tx.MatchRecord(ctx, *b.Item)
		if err != nil {
			return err
		}
		if id == 0 {
			// Only eligibility can be judged without a record: the
			// same verdict the portal marks (ill.Eligibility.Scope).
			// R2 is the loans' rule: copies are not refused by it.
			if sc := p.Eligibility.Scope(ill.ScopeFacts{Language: lang, Material: material}); sc.Refused() && !service.IsCopy() {
				return t.reject(sc.Reason, sc.Note())
			}
			return t.system(ill.ActHold, ill.ActionBody{}) // staff to identify a lender
		}
		rec, err := tx.Record(ctx, id)
		if err != nil {
			return err
		}
		r.RecordID = rec.ID
		fillFromRecord(r, rec)
		lang, material = rec.Language, rec.Material
	}
	return t.routeRecord(lang, material, b.Lenders)
}

// runes cuts s to at most n characters (the column's width).
func runes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func fillFromRecord(r *ill.Request, rec *ill.Record) {
	r.Title, r.Author, r.Publisher, r.Year = rec.Title, rec.Author, rec.Publisher, rec.Year
	r.ISBN = rec.ISBN13
}

// routeRecord runs the checks that need a record, builds the rota (from
// holdings, or from an explicit lender list) and asks the first lender.
// A copy (a part of the book) is not refused by R2 nor as a duplicate (a
// reader may ask for several parts); held locally, it is refused as a
// loan is.
func (t *txn) routeRecord(lang, material string, lenders []string) error {
	r := t.r
	if r.ServiceType.IsCopy() {
		cands, local, err := t.candidates()
		if err != nil {
			return err
		}
		if local && len(lenders) == 0 {
			return t.reject(ill.ReasonHeldLocally, r.Borrower+" holds the book itself: copy the part locally")
		}
		return t.rankAndRoute(cands, lenders)
	}
	// The scope verdict (ill.Eligibility.Scope) is the portal's mark:
	// eligibility here, the own copy once the candidates are read, and no
	// lender (not_held) is the empty rota's UNFILLED below.
	if sc := t.p.Eligibility.Scope(ill.ScopeFacts{Language: lang, Material: material}); sc.Refused() {
		return t.reject(sc.Reason, sc.Note())
	}
	if t.loans == nil { // mediation: not read by a submit
		var err error
		if t.loans, err = t.tx.ActiveLoans(t.ctx, r.Borrower, r.PatronID); err != nil {
			return err
		}
	}
	if dup := ill.DuplicateLoan(t.loans, r.ID, r.RecordID); dup != "" { // loans of the record only
		return t.reject(ill.ReasonDuplicate, "the reader already has active request "+dup+" for this record")
	}
	cands, local, err := t.candidates()
	if err != nil {
		return err
	}
	if sc := t.p.Eligibility.Scope(ill.ScopeFacts{Language: lang, Material: material, HoldingsKnown: true,
		HeldLocally: local && len(lenders) == 0, Lenders: ill.LenderCount(cands, r.Borrower)}); sc.Cause == ill.ScopeHeldLocally {
		return t.reject(sc.Reason, r.Borrower+": "+sc.Note())
	}
	return t.rankAndRoute(cands, lenders)
}

// candidates holds the lenders of a record read ahead (txn.cands).
type candidates struct {
	record int64
	list   []ill.Candidate
	local  bool // the borrower has a copy available
}

// candidates returns the lenders holding the request's record and whether
// the borrower has a copy itself: those read with the reader's loans when
// they are of this record, or read now.
func (t *txn) candidates() ([]ill.Candidate, bool, error) {
	if c := t.cands; c != nil && c.record == t.r.RecordID {
		return c.list, c.local, nil
	}
	return t.tx.Candidates(t.ctx, t.r.RecordID, t.r.Borrower, t.m.At)
}

// routeSerial routes a copy of an article to the members holding its
// journal (issn) with a run covering its year; a borrower holding it
// itself is refused held_locally. lenders, when set, is the rota (an ISO
// 18626 request addressed to a member).
func (t *txn) routeSerial(issn string, year int, lenders []string) error {
	r := t.r
	cands, err := t.tx.SerialCandidates(t.ctx, issn, year, t.m.At)
	if err != nil {
		return err
	}
	if len(lenders) == 0 && slices.ContainsFunc(cands, func(c ill.Candidate) bool { return c.Library == r.Borrower }) {
		return t.reject(ill.ReasonHeldLocally, fmt.Sprintf("%s holds ISSN %s for %d itself: copy the article locally", r.Borrower, issn, year))
	}
	return t.rankAndRoute(cands, lenders)
}

// rankAndRoute orders the candidates into the rota (open today, from the
// calendar and closures; or the explicit lenders in their order) and asks
// the first lender.
func (t *txn) rankAndRoute(cands []ill.Candidate, lenders []string) error {
	r := t.r
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

// act applies one action to a request through the state table.
func (p *Processor) act(ctx context.Context, m ill.Message) error {
	cal, err := p.Calendar.Get(ctx)
	if err != nil {
		return err
	}
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error { return p.actTx(ctx, tx, cal, m) })
}

// actTx locks the request, does nothing for a message applied before
// (ClaimRequest), and carries out what the state table
// decides: the action's transition, or its refusal (the state moved since
// the API's check, or the body is invalid), which consumes the message.
func (p *Processor) actTx(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, m ill.Message) error {
	var b ill.ActionBody
	if len(m.Body) > 0 {
		if err := json.Unmarshal(m.Body, &b); err != nil {
			return ill.Errorf(ill.CodeBadRequest, "action body: %v", err)
		}
	}
	// The request's row lock, its rota and whether the message was applied
	// before, in one statement: its timeline lines are its record.
	first, r, err := tx.ClaimRequest(ctx, "requests", m.ID, m.RequestID)
	if err != nil || !first {
		return err // a redelivery: already applied, ack without effect
	}
	t := &txn{p: p, ctx: ctx, tx: tx, m: m, cal: cal, r: r, saved: cloneRota(r.Rota)}
	if err := t.apply(b); err != nil {
		return err
	}
	if err := t.writeLines(); err != nil {
		return err
	}
	if t.lines == 0 {
		// nothing on the timeline says it was applied (an ISO 18626
		// status request or notification): the inbox does
		tx.RecordApplied("requests", m.ID, m.At)
	}
	return nil
}

// apply carries out what the state table decides for t's message.
func (t *txn) apply(b ill.ActionBody) error {
	m, r := t.m, t.r
	var err error
	at := ill.Attempt{Action: m.Action, From: r.State, Roles: r.RolesOf(m.Actor, m.IsCentre), At: m.At,
		SubmittedAt: r.SubmittedAt, Actor: m.Actor, Request: r, Body: b, Service: r.ServiceType}
	if m.Actor == ill.SystemActor {
		// the hub's own actions queued through the outbox (e.g. the ISO pool
		// giving up on a lender); only the hub writes that actor
		at.Roles = []ill.Role{ill.RoleSystem}
	}
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
