package worker

// ISO 18626 (docs/iso18626.md). The hub is a transparent broker:
// every state change of a request is told to the ISO 18626 members taking
// part in it (supplyingAgencyMessages to an ISO borrower, requests and
// requestingAgencyMessages to an ISO lender), whichever side (JSON or ISO)
// caused it. Messages are stored in iso18626_messages and queued through
// the outbox (iso.outbound) in the transaction of the state change;
// HandleISO delivers them, in order per request and member, with retries.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// ISOConfig configures the ISO 18626 side of the consumers.
type ISOConfig struct {
	HubSymbol string        // the hub's own agency id (ILL_HUB_SYMBOL)
	Client    *http.Client  // posts to member endpoints; nil: 10 s timeout
	Backoff   time.Duration // first retry delay, doubled per attempt up to 1 min (ILL_ISO_BACKOFF)
	Attempts  int           // delivery attempts before a message is failed and dead-lettered (ILL_DELIVERY_LIMIT)
}

// actISO is the timeline action of ISO 18626 events that change no state.
const actISO ill.Action = "iso18626"

// isoInform applies an incoming ISO 18626 message that changes no state:
// it is recorded on the timeline; a StatusRequest is answered with a
// StatusRequestResponse and a Notification passed on to the other party
// when that one is an ISO member.
func (t *txn) isoInform() error {
	iso := t.m.ISO
	n := "ISO 18626 " + iso.Kind + " " + iso.What
	if strings.TrimSpace(iso.Note) != "" {
		n += ": " + iso.Note
	}
	if err := t.event(actISO, t.r.State, t.r.State, n); err != nil {
		return err
	}
	switch {
	case iso.Kind == "requestingAgencyMessage" && iso.What == string(iso18626.ActionStatusRequest):
		return t.toBorrower(iso18626.ReasonStatusRequestResponse, "", "")
	case iso.Kind == "requestingAgencyMessage" && iso.What == string(iso18626.ActionNotification):
		return t.toLender(t.r.Lender, iso18626.ActionNotification, iso.Note)
	case iso.Kind == "supplyingAgencyMessage" && strings.HasPrefix(iso.What, string(iso18626.ReasonNotification)+"/"):
		return t.toBorrower(iso18626.ReasonNotification, "", t.r.Lender+": "+iso.Note)
	}
	return nil
}

// isoThen queues the hub action completing an ISO step (Received =
// receive + checkout, ShippedReturn = return + ship_return) after the first
// succeeded, through the outbox (in order, after this commit).
func (t *txn) isoThen() error {
	if t.m.ISO == nil || t.m.ISO.Then == "" {
		return nil
	}
	return t.tx.Enqueue(t.ctx, ill.Message{ID: t.m.ID + ":then", Type: ill.MsgAction, Actor: t.m.Actor,
		RequestID: t.r.ID, Action: t.m.ISO.Then, At: t.m.At})
}

// isoOnMove tells the ISO members of a request about a state change.
func (t *txn) isoOnMove(action ill.Action, from, to ill.State) error {
	r := t.r
	// To the borrower: a supplyingAgencyMessage.
	var err error
	switch to {
	case ill.Requested:
		if from == ill.Requested || action == ill.ActRespond || action == ill.ActShipTimeout {
			if prev := t.droppedLender(); prev != "" {
				// Unfilled from a lender that is not the last: a
				// Notification, and the next lender is asked.
				err = t.toBorrower(iso18626.ReasonNotification, "", fmt.Sprintf("%s cannot supply (%s); asked %s", prev, t.droppedReason(), r.Lender))
				if err == nil && (action == ill.ActRespondTimeout || action == ill.ActShipTimeout) {
					err = t.toLender(prev, iso18626.ActionNotification, "BALIS: no longer needed from you ("+t.droppedReason()+"): the request moved to another library")
				}
			}
		}
	case ill.NeedsMediation:
		err = t.toBorrower(iso18626.ReasonNotification, "", "not found in the union catalogue; staff mediation within 1 working day")
	case ill.WillSupply:
		if action == ill.ActCancelResponse {
			err = t.toBorrower(iso18626.ReasonCancelResponse, iso18626.No, "the lender declined to cancel")
		} else {
			err = t.toBorrower(iso18626.ReasonRequestResponse, "", "")
		}
	case ill.Shipped:
		err = t.toBorrower(iso18626.ReasonStatusChange, "", "")
	case ill.OnLoan:
		err = t.toBorrower(iso18626.ReasonNotification, "", "checked out to the reader; due "+r.DueAt.In(ill.Shanghai).Format(time.RFC3339))
	case ill.Recalled, ill.Overdue, ill.Completed, ill.Lost:
		err = t.toBorrower(iso18626.ReasonStatusChange, "", "")
	case ill.Unfilled, ill.Rejected:
		err = t.toBorrower(iso18626.ReasonRequestResponse, "", string(r.Reason))
		if prev := t.droppedLender(); err == nil && prev != "" && (action == ill.ActRespondTimeout || action == ill.ActShipTimeout) {
			err = t.toLender(prev, iso18626.ActionNotification, "BALIS: no longer needed from you ("+t.droppedReason()+")")
		}
	case ill.Cancelled:
		err = t.toBorrower(iso18626.ReasonCancelResponse, iso18626.Yes, string(r.Reason))
	}
	if err != nil {
		return err
	}
	// To the lender: a request, or a requestingAgencyMessage.
	switch to {
	case ill.Requested:
		return t.requestToLender()
	case ill.Received:
		return t.toLender(r.Lender, iso18626.ActionReceived, "")
	case ill.ReturnShipped:
		return t.toLender(r.Lender, iso18626.ActionShippedReturn, "")
	case ill.CancelPending:
		return t.toLender(r.Lender, iso18626.ActionCancel, "")
	case ill.Cancelled:
		if from == ill.Requested && t.m.Actor == r.Borrower {
			return t.toLender(r.Lender, iso18626.ActionCancel, "cancelled by the borrowing library")
		}
	case ill.Lost:
		if t.m.Actor == r.Borrower {
			return t.toLender(r.Lender, iso18626.ActionNotification, "BALIS: the item was reported lost by "+r.Borrower)
		}
	}
	return nil
}

// OverdueISOTx tells ISO 18626 borrowers of the loans the overdue job has
// just marked OVERDUE (rows claimed and updated in tx, mysql.MarkOverdue):
// StatusChange/Overdue with the due date.
func (p *Processor) OverdueISOTx(ctx context.Context, tx *mysql.Tx, rows []mysql.Claimed, at time.Time) error {
	var speakers map[string]bool
	for _, c := range rows {
		if c.State == string(ill.Overdue) {
			continue // already overdue: told before
		}
		if speakers == nil {
			var err error
			if speakers, err = tx.ISOSpeakers(ctx); err != nil {
				return err
			}
		}
		if !speakers[c.Borrower] {
			continue
		}
		r, err := tx.LockRequest(ctx, c.ID)
		if err != nil {
			return err
		}
		t := &txn{p: p, ctx: ctx, tx: tx, m: ill.Message{ID: "timer:overdue:" + c.ID, Actor: ill.SystemActor, At: at}, r: r}
		if err := t.toBorrower(iso18626.ReasonStatusChange, "", ""); err != nil {
			return err
		}
	}
	return nil
}

type ctxAttempt struct{}

// withAttempt carries the delivery's attempt number (1 on first delivery)
// to ActTx.
func withAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, ctxAttempt{}, n)
}

func attemptOf(ctx context.Context) int {
	if n, ok := ctx.Value(ctxAttempt{}).(int); ok {
		return n
	}
	return 1
}

// isoAheadTries is how many deliveries an ISO message ahead of the
// request's state gets before it is refused.
const isoAheadTries = 3

// retryLater is a transient error after which the requests handler pauses
// (outside the transaction, so the message it waits for can take the
// request's row lock) before the broker redelivers.
type retryLater struct{ err *ill.Error }

func (r retryLater) Error() string { return r.err.Error() }
func (r retryLater) Unwrap() error { return r.err }

// isoAhead returns a retryLater when an ISO 18626 message meets the request
// in a state its action is not allowed from yet (iso18626.Ahead: e.g.
// Loaned sent right after WillSupply and taken by another consumer first),
// for the first isoAheadTries deliveries; nil otherwise.
func (t *txn) isoAhead(v ill.Variant, err error) error {
	if t.m.ISO == nil || ill.ErrorCode(err) != ill.CodeInvalidTransition || !iso18626.Ahead(t.m.Action, v, t.r.State) ||
		attemptOf(t.ctx) >= isoAheadTries {
		return nil
	}
	return retryLater{ill.Errorf(ill.CodeTransient, "ISO 18626 %s is ahead of request %s in state %s: retried", t.m.ISO.What, t.r.ID, t.r.State)}
}

// isoLater pauses before a retryLater error is returned to the consumer.
func (p *Processor) isoLater(ctx context.Context, err error) error {
	var rl retryLater
	if errors.As(err, &rl) {
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond * time.Duration(attemptOf(ctx))):
		}
	}
	return err
}

// isoOnRefuse answers an ISO borrower's refused Renew (R5) or Cancel.
func (t *txn) isoOnRefuse(action ill.Action, err error) error {
	if t.m.ISO == nil {
		return nil
	}
	switch action {
	case ill.ActRenew:
		return t.toBorrower(iso18626.ReasonRenewResponse, iso18626.No, "BALIS interlibrary loans cannot be renewed (本馆际互借服务不提供续借)")
	case ill.ActCancel:
		return t.toBorrower(iso18626.ReasonCancelResponse, iso18626.No, "cannot cancel now: "+err.Error())
	}
	n := "BALIS refused " + t.m.ISO.What + ": " + err.Error()
	if t.m.ISO.Kind == "supplyingAgencyMessage" {
		return t.toLender(t.m.Actor, iso18626.ActionNotification, n)
	}
	return t.toBorrower(iso18626.ReasonNotification, "", n)
}

// droppedLender is the lender the request just moved away from (its rota
// entry's outcome is unfilled, no_response or not_shipped, the last such).
func (t *txn) droppedLender() string {
	e := t.droppedEntry()
	if e == nil {
		return ""
	}
	return e.Library
}

func (t *txn) droppedEntry() *ill.RotaEntry {
	var last *ill.RotaEntry
	for i := range t.r.Rota {
		e := &t.r.Rota[i]
		switch e.Outcome {
		case ill.OutcomeUnfilled, ill.OutcomeNoResponse, ill.OutcomeNotShipped:
			if last == nil || e.Rank > last.Rank {
				if e.Library != t.r.Lender {
					last = e
				}
			}
		}
	}
	return last
}

func (t *txn) droppedReason() string {
	if e := t.droppedEntry(); e != nil {
		return string(e.Outcome)
	}
	return ""
}

func (t *txn) member(code string) (*mysql.ISOMember, error) {
	if code == "" {
		return nil, nil
	}
	m, err := t.tx.ISOMember(t.ctx, code)
	if ill.ErrorCode(err) == ill.CodeNotFound {
		return nil, nil
	}
	return m, err
}

func (t *txn) symbolOf(code string) (string, error) {
	if code == "" {
		return t.p.hubSymbol(), nil
	}
	m, err := t.member(code)
	if err != nil || m == nil || m.Symbol == "" {
		return code, err
	}
	return m.Symbol, nil
}

func (p *Processor) hubSymbol() string {
	if p.ISO.HubSymbol == "" {
		return "BALIS"
	}
	return p.ISO.HubSymbol
}

// header is the ISO header of this request between borrower and lender
// (the hub's symbol when there is no lender): transparent, the members'
// own symbols and the borrower's own request id.
func (t *txn) header(lender string) (iso18626.Header, error) {
	ls, err := t.symbolOf(lender)
	if err != nil {
		return iso18626.Header{}, err
	}
	bs, err := t.symbolOf(t.r.Borrower)
	if err != nil {
		return iso18626.Header{}, err
	}
	return iso18626.Header{SupplyingAgencyID: iso18626.Agency(ls), RequestingAgencyID: iso18626.Agency(bs),
		Timestamp: iso18626.Time(t.m.At), RequestingAgencyRequestID: t.r.ClientRequestID, SupplyingAgencyRequestID: t.r.ID}, nil
}

// toBorrower sends the borrower, when it is an ISO member, a
// supplyingAgencyMessage with the request's current status.
func (t *txn) toBorrower(reason iso18626.ReasonForMessage, answer iso18626.YesNo, note string) error {
	b, err := t.member(t.r.Borrower)
	if err != nil || !b.Speaks() {
		return err
	}
	r := t.r
	h, err := t.header(r.Lender)
	if err != nil {
		return err
	}
	s := &iso18626.SupplyingAgencyMessage{Header: h,
		MessageInfo: iso18626.MessageInfo{ReasonForMessage: reason, AnswerYesNo: answer, Note: note},
		StatusInfo: iso18626.StatusInfo{Status: iso18626.StatusOf[r.State], DueDate: iso18626.TimePtr(r.DueAt),
			LastChange: iso18626.Time(r.UpdatedAt)}}
	if s.StatusInfo.Status == iso18626.StatusUnfilled {
		v := iso18626.ReasonUnfilledOf[r.Reason]
		if v == "" {
			v = string(r.Reason)
		}
		if v != "" {
			s.MessageInfo.ReasonUnfilled = &iso18626.SchemeValue{Value: v}
		}
	}
	if r.State == ill.Shipped && reason == iso18626.ReasonStatusChange {
		s.DeliveryInfo = &iso18626.DeliveryInfo{DateSent: iso18626.Time(t.m.At), ItemID: r.ItemBarcode,
			SentVia: &iso18626.SchemeValue{Value: "Courier"}}
	}
	if r.State == ill.Lost {
		s.MessageInfo.Note = strings.TrimSpace("reported lost " + note)
	}
	summary := string(reason) + "/" + string(s.StatusInfo.Status)
	if answer != "" {
		summary += "/" + string(answer)
	}
	return t.isoQueue(b, &iso18626.Message{SupplyingAgencyMessage: s}, summary)
}

// toLender sends a lender that is an ISO member a requestingAgencyMessage.
func (t *txn) toLender(lender string, a iso18626.Action, note string) error {
	l, err := t.member(lender)
	if err != nil || !l.Speaks() {
		return err
	}
	h, err := t.header(lender)
	if err != nil {
		return err
	}
	return t.isoQueue(l, &iso18626.Message{RequestingAgencyMessage: &iso18626.RequestingAgencyMessage{Header: h,
		Action: a, Note: note}}, string(a))
}

// requestToLender sends the current lender, when it is an ISO member, the
// request: its own record id in supplierUniqueRecordId and the requester's
// note passed through.
func (t *txn) requestToLender() error {
	r := t.r
	l, err := t.member(r.Lender)
	if err != nil || !l.Speaks() {
		return err
	}
	h, err := t.header(r.Lender)
	if err != nil {
		return err
	}
	local := ""
	if r.RecordID != 0 {
		if local, err = t.tx.LocalIDOf(t.ctx, r.Lender, r.RecordID); err != nil {
			return err
		}
	}
	req := &iso18626.Request{Header: h,
		BibliographicInfo: iso18626.BibliographicInfo{SupplierUniqueRecordID: local, Title: r.Title, Author: r.Author},
		ServiceInfo: &iso18626.ServiceInfo{RequestType: iso18626.RequestNew, RequestSubType: []string{"PatronRequest"},
			ServiceType: iso18626.ServiceLoan, NeedBeforeDate: iso18626.TimePtr(r.RespondBy), Note: r.Note},
		PatronInfo: &iso18626.PatronInfo{PatronID: r.PatronID}}
	if r.ISBN != "" {
		req.BibliographicInfo.BibliographicItemID = []iso18626.BibliographicItemID{{Identifier: r.ISBN, Code: iso18626.SchemeValue{Value: "ISBN"}}}
	}
	if r.Publisher != "" || r.Year != 0 {
		req.PublicationInfo = &iso18626.PublicationInfo{Publisher: r.Publisher}
		if r.Year != 0 {
			req.PublicationInfo.PublicationDate = strconv.Itoa(r.Year)
		}
	}
	// respond_by is the lender's deadline, not the reader's: say so.
	req.ServiceInfo.NeedBeforeDate = nil
	return t.isoQueue(l, &iso18626.Message{Request: req}, "request")
}

// isoQueue stores an outbound message and queues its delivery.
func (t *txn) isoQueue(to *mysql.ISOMember, m *iso18626.Message, summary string) error {
	doc, err := iso18626.Marshal(m)
	if err != nil {
		return ill.Errorf(ill.CodeInternal, "iso18626: cannot write %s for %s: %v", summary, t.r.ID, err)
	}
	id, err := t.tx.AddISOMessage(t.ctx, mysql.ISOMessage{RequestID: t.r.ID, Direction: "out", LibraryCode: to.Code,
		Kind: m.Kind(), Summary: summary, Body: string(doc), Status: mysql.ISOPending, CreatedAt: t.m.At})
	if err != nil {
		return err
	}
	ref, _ := json.Marshal(map[string]int64{"iso_message_id": id})
	return t.tx.Enqueue(t.ctx, ill.Message{ID: "iso:" + strconv.FormatInt(id, 10), Type: ill.MsgISO,
		Actor: ill.SystemActor, RequestID: t.r.ID, At: t.m.At, Body: ref})
}

// HandleISO is the iso pool's handler: it delivers the stored outbound
// message (body {"iso_message_id": N}) to the member's endpoint, after any
// earlier pending message of the same request to the same member (a member
// sees a request's messages in order; one named database lock per request
// and member keeps two consumers from sending concurrently).
//
// An attempt fails when the endpoint is unreachable, answers an HTTP error,
// or answers anything but an OK confirmation; the failure is kept in the
// message row and on the request's timeline. The handler then waits
// (Backoff, doubled per attempt) and returns a transient error, so the
// broker redelivers; after Attempts attempts the message is failed and
// dead-lettered (illctl dlq list). Delivery is at least once: a crash
// between a member's OK and the recorded outcome sends the message again.
func (p *Processor) HandleISO(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := decode(d)
	if err != nil {
		return err
	}
	var ref struct {
		ID int64 `json:"iso_message_id"`
	}
	if err := json.Unmarshal(m.Body, &ref); err != nil || ref.ID == 0 {
		return ill.Errorf(ill.CodeBadRequest, "iso message lacks iso_message_id")
	}
	var self *mysql.ISOMessage
	if err := p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		self, err = tx.LockISOMessage(ctx, ref.ID)
		return err
	}); err != nil {
		return err
	}
	if self.Status != mysql.ISOPending {
		return nil // sent (maybe by an earlier message's handler) or failed
	}
	release, err := p.Store.NamedLock(ctx, "iso:"+self.RequestID+":"+self.LibraryCode, 30*time.Second)
	if err != nil {
		return ill.Errorf(ill.CodeTransient, "iso message %d: %v", self.ID, err)
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

// deliverPending sends the pending messages of self's request to self's
// member, oldest first. It stops at the first failure of a message that is
// not yet failed for good, and returns how long to wait before retrying
// when that message is self.
func (p *Processor) deliverPending(ctx context.Context, self *mysql.ISOMessage) (time.Duration, error) {
	var rows []mysql.ISOMessage
	var mem *mysql.ISOMember
	err := p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		var err error
		if rows, err = tx.PendingISO(ctx, self.RequestID, self.LibraryCode); err != nil {
			return err
		}
		mem, err = tx.ISOMember(ctx, self.LibraryCode)
		return err
	})
	if err != nil {
		return 0, err
	}
	attempts := max(p.ISO.Attempts, 1)
	for _, row := range rows {
		sendErr := p.isoPost(ctx, mem.Endpoint, []byte(row.Body))
		if sendErr == nil {
			if err := p.isoOutcome(ctx, &row, mysql.ISOSent, ""); err != nil {
				return 0, err
			}
			continue
		}
		n := row.Attempts + 1
		status := mysql.ISOPending
		if n >= attempts {
			status = mysql.ISOFailed
		}
		p.Log.Warn("iso18626 delivery failed", "iso_message_id", row.ID, "request_id", row.RequestID, "library", row.LibraryCode,
			"attempt", n, "of", attempts, "err", sendErr)
		if err := p.isoOutcome(ctx, &row, status, fmt.Sprintf("attempt %d of %d: %v", n, attempts, sendErr)); err != nil {
			return 0, err
		}
		switch {
		case status == mysql.ISOFailed && row.ID == self.ID:
			return 0, ill.Errorf(ill.CodeUndeliverable, "iso message %d to %s failed after %d attempts: %v", row.ID, row.LibraryCode, n, sendErr)
		case status == mysql.ISOFailed:
			continue // a message failed for good does not hold back the later ones
		case row.ID == self.ID:
			return p.backoff(n), ill.Errorf(ill.CodeTransient, "iso message %d to %s: attempt %d of %d: %v", row.ID, row.LibraryCode, n, attempts, sendErr)
		}
		return 0, nil // an earlier message is retried by its own delivery, which then sends this one
	}
	return 0, nil
}

func (p *Processor) backoff(attempt int) time.Duration {
	b := p.ISO.Backoff
	if b <= 0 {
		b = 2 * time.Second
	}
	for i := 1; i < attempt && b < time.Minute; i++ {
		b *= 2
	}
	return min(b, time.Minute)
}

// isoOutcome records an attempt; failures also go on the request's timeline.
func (p *Processor) isoOutcome(ctx context.Context, row *mysql.ISOMessage, status, problem string) error {
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		if err := tx.RecordISOOutcome(ctx, row.ID, status, problem, time.Now()); err != nil {
			return err
		}
		if problem == "" {
			return nil
		}
		st, err := tx.RequestState(ctx, row.RequestID)
		if err != nil {
			return err
		}
		n := fmt.Sprintf("ISO 18626 %s to %s not delivered (%s): %s", row.Summary, row.LibraryCode, status, problem)
		return tx.AddEvent(ctx, row.RequestID, "iso-out:"+strconv.FormatInt(row.ID, 10),
			ill.Event{At: time.Now(), Actor: ill.SystemActor, Action: actISO, From: st, To: st, Note: n})
	})
}

// errISO is a member's refusal or a transport failure.
var errISO = errors.New("iso18626")

// isoPost posts one message and checks the confirmation.
func (p *Processor) isoPost(ctx context.Context, endpoint string, doc []byte) error {
	if endpoint == "" {
		return fmt.Errorf("%w: the member has no ISO 18626 endpoint", errISO)
	}
	c := p.ISO.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(doc))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%w: HTTP %d from %s", errISO, res.StatusCode, endpoint)
	}
	m, prob := iso18626.Parse(body)
	if prob != nil || m.Confirmation() == nil {
		return fmt.Errorf("%w: the answer is not an ISO 18626 confirmation", errISO)
	}
	h := m.Confirmation()
	if h.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
		if e := h.ErrorData; e != nil {
			return fmt.Errorf("%w: ERROR confirmation: %s: %s", errISO, e.ErrorType, e.ErrorValue)
		}
		return fmt.Errorf("%w: ERROR confirmation", errISO)
	}
	return nil
}
