// Package isoout is ISO 18626 outbound (docs/iso18626.md). The hub is a
// transparent broker: every state change of a request is told to the ISO
// 18626 members taking part in it (supplyingAgencyMessages to an ISO
// borrower, requests and requestingAgencyMessages to an ISO lender),
// whichever side (JSON or ISO) caused it. The subscriber stores the
// messages in iso18626_messages and queues them through the outbox
// (iso.outbound) in the transaction of the state change; the iso pool
// delivers them to the members' endpoints (package iso18626/client).
package isoout

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/mysql"
)

// Subscriber is the subscriber that speaks ISO 18626 for the hub: it
// tells ISO members of every state change (StateChanged), answers a
// member's refused Renew or Cancel (Refused), records and answers a
// member's message that changes nothing (Informed), and takes the second
// hub action of one ISO step (ill.ISOContext.Then) after the first.
type Subscriber struct {
	HubSymbol string // the hub's own agency id (ILL_HUB_SYMBOL); "": BALIS
	// CopyLink is the link an ISO borrower gets with a delivered copy
	// (CopyCompleted, deliveryInfo/itemId, sentVia URL): the hub's signed
	// download link of r's file. Nil, or "" for a request: a copy an ISO
	// supplier delivered by URL passes that URL on; otherwise the message
	// says to download from the BALIS portal and carries no link.
	CopyLink func(ctx context.Context, r *ill.Request) (string, error)
}

// Store is what the subscriber reads and writes through (*mysql.Tx, in the
// transaction of the transition).
type Store interface {
	ISOMember(ctx context.Context, code string) (*ill.ISOMember, error)
	ISOSpeakers(ctx context.Context) (map[string]bool, error)
	Library(ctx context.Context, code string) (*ill.Library, error)
	LockRequest(ctx context.Context, id string) (*ill.Request, error)
	LocalIDOf(ctx context.Context, library string, recordID int64) (string, error)
	AddISOMessage(ctx context.Context, m ill.ISOMessage) (int64, error)
	AddEvent(ctx context.Context, requestID, messageID string, e ill.Event) error
	Enqueue(ctx context.Context, m ill.Message) error
}

var _ Store = (*mysql.Tx)(nil)

// actISO is the timeline action of ISO 18626 events that change no state.
const actISO ill.Action = "iso18626"

// isoAheadTries is how many deliveries an ISO message ahead of the
// request's state gets before it is refused.
const isoAheadTries = 3

// Handle writes the ISO 18626 messages cs call for in tx (Write).
func (s Subscriber) Handle(ctx context.Context, tx *mysql.Tx, cs []requests.Change) error {
	return s.Write(ctx, tx, cs)
}

// Write writes the ISO 18626 messages cs call for through st. A sweep's
// batch (Brief changes) is filtered by the members that speak ISO 18626,
// read once, and only their requests are read in full. A message that met
// its request ahead of the state it needs is answered with a
// requests.RetryLater for its first deliveries.
func (s Subscriber) Write(ctx context.Context, st Store, cs []requests.Change) error {
	var speakers map[string]bool
	for _, c := range cs {
		r := c.Request
		if c.Brief {
			if !c.Transition.Moves() {
				continue // a sweep's notices only
			}
			if speakers == nil {
				var err error
				if speakers, err = st.ISOSpeakers(ctx); err != nil {
					return err
				}
			}
			if !speakers[r.Borrower] && !speakers[r.Lender] {
				continue
			}
			var err error
			if r, err = st.LockRequest(ctx, r.ID); err != nil {
				return err
			}
		}
		x := &isoTxn{ctx: ctx, st: st, m: c.Cause, r: r, hub: s.HubSymbol, link: s.CopyLink}
		for _, e := range c.Transition.Events {
			var err error
			switch e := e.(type) {
			case ill.StateChanged:
				if err = x.onMove(e.Action, e.From, e.To); err == nil {
					err = x.then()
				}
			case ill.Refused:
				err = x.onRefuse(e)
			case ill.Informed:
				err = x.inform()
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// isoTxn is one change as the ISO subscriber handles it.
type isoTxn struct {
	ctx context.Context
	st  Store
	m   ill.Message  // the cause
	r   *ill.Request // after the change
	hub string
	// link is Subscriber.CopyLink.
	link func(ctx context.Context, r *ill.Request) (string, error)
}

// inform applies an incoming ISO 18626 message that changes no state:
// it is recorded on the timeline; a StatusRequest is answered with a
// StatusRequestResponse and a Notification passed on to the other party
// when that one is an ISO member.
func (t *isoTxn) inform() error {
	iso := t.m.ISO
	if iso == nil {
		return nil
	}
	n := "ISO 18626 " + iso.Kind + " " + iso.What
	if strings.TrimSpace(iso.Note) != "" {
		n += ": " + iso.Note
	}
	actor := t.m.Actor
	if len(actor) > 16 {
		actor = actor[:16]
	}
	if err := t.st.AddEvent(t.ctx, t.r.ID, t.m.ID, ill.Event{At: t.m.At, Actor: actor, Action: actISO,
		From: t.r.State, To: t.r.State, Note: n}); err != nil {
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

// then queues the hub action completing an ISO step (Received =
// receive + checkout, ShippedReturn = return + ship_return) after the first
// succeeded, through the outbox (in order, after this commit).
func (t *isoTxn) then() error {
	if t.m.ISO == nil || t.m.ISO.Then == "" {
		return nil
	}
	return t.st.Enqueue(t.ctx, ill.Message{ID: t.m.ID + ":then", Type: ill.MsgAction, Actor: t.m.Actor,
		RequestID: t.r.ID, Action: t.m.ISO.Then, At: t.m.At})
}

// onMove tells the ISO members of a request about a state change.
func (t *isoTxn) onMove(action ill.Action, from, to ill.State) error {
	r := t.r
	// To the borrower: a supplyingAgencyMessage.
	var err error
	switch to {
	case ill.Requested:
		if from == ill.Requested || action == ill.ActRespond || action == ill.ActShipTimeout || action == ill.ActDeliverTimeout {
			if prev := t.droppedLender(); prev != "" {
				// Unfilled from a lender that is not the last: a
				// Notification, and the next lender is asked.
				err = t.toBorrower(iso18626.ReasonNotification, "", fmt.Sprintf("%s cannot supply (%s); asked %s", prev, t.droppedReason(), r.Lender))
				if err == nil && (action == ill.ActRespondTimeout || action == ill.ActShipTimeout || action == ill.ActDeliverTimeout) {
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
	case ill.Delivered:
		err = t.toBorrower(iso18626.ReasonStatusChange, "", "")
	case ill.Completed:
		if !r.ServiceType.IsCopy() { // a copy's CopyCompleted went with the delivery
			err = t.toBorrower(iso18626.ReasonStatusChange, "", "")
		}
	case ill.Recalled, ill.Overdue, ill.Lost:
		err = t.toBorrower(iso18626.ReasonStatusChange, "", "")
	case ill.Unfilled, ill.Rejected:
		err = t.toBorrower(iso18626.ReasonRequestResponse, "", string(r.Reason))
		if prev := t.droppedLender(); err == nil && prev != "" && (action == ill.ActRespondTimeout || action == ill.ActShipTimeout || action == ill.ActDeliverTimeout) {
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

// onRefuse answers an ISO member whose message the state table refused:
// an ISO borrower's Renew (R5) or Cancel gets its response with answer N,
// anything else a Notification. A message that met the request in a state
// its action is not allowed from yet (iso18626.Ahead: e.g. Loaned sent
// right after WillSupply and taken by another consumer first) is retried
// instead, for its first isoAheadTries deliveries.
func (t *isoTxn) onRefuse(e ill.Refused) error {
	if t.m.ISO == nil {
		return nil
	}
	if ill.ErrorCode(e.Err) == ill.CodeInvalidTransition && iso18626.Ahead(e.Action, e.Variant, e.From) && t.m.Attempt < isoAheadTries {
		return requests.RetryLater{Err: ill.Errorf(ill.CodeTransient, "ISO 18626 %s is ahead of request %s in state %s: retried", t.m.ISO.What, t.r.ID, e.From)}
	}
	if e.Action == ill.ActRespond && e.Variant == "will_supply" && t.m.Actor == t.r.Lender && !e.From.Terminal() {
		// the lender's WillSupply overtaken by its own Loaned: nothing
		// to tell it (the timeline keeps the line)
		return nil
	}
	switch e.Action {
	case ill.ActRenew:
		return t.toBorrower(iso18626.ReasonRenewResponse, iso18626.No, "BALIS interlibrary loans cannot be renewed (本馆际互借服务不提供续借)")
	case ill.ActCancel:
		return t.toBorrower(iso18626.ReasonCancelResponse, iso18626.No, "cannot cancel now: "+e.Err.Error())
	}
	n := "BALIS refused " + t.m.ISO.What + ": " + e.Err.Error()
	if t.m.ISO.Kind == "supplyingAgencyMessage" {
		return t.toLender(t.m.Actor, iso18626.ActionNotification, n)
	}
	return t.toBorrower(iso18626.ReasonNotification, "", n)
}

// droppedLender is the lender the request just moved away from (its rota
// entry's outcome is unfilled, no_response or not_shipped, the last such).
func (t *isoTxn) droppedLender() string {
	e := t.droppedEntry()
	if e == nil {
		return ""
	}
	return e.Library
}

func (t *isoTxn) droppedEntry() *ill.RotaEntry {
	var last *ill.RotaEntry
	for i := range t.r.Rota {
		e := &t.r.Rota[i]
		switch e.Outcome {
		case ill.OutcomeUnfilled, ill.OutcomeNoResponse, ill.OutcomeNotShipped, ill.OutcomeUnreachable:
			if last == nil || e.Rank > last.Rank {
				if e.Library != t.r.Lender {
					last = e
				}
			}
		}
	}
	return last
}

func (t *isoTxn) droppedReason() string {
	if e := t.droppedEntry(); e != nil {
		return string(e.Outcome)
	}
	return ""
}

func (t *isoTxn) member(code string) (*ill.ISOMember, error) {
	if code == "" {
		return nil, nil
	}
	m, err := t.st.ISOMember(t.ctx, code)
	if ill.ErrorCode(err) == ill.CodeNotFound {
		return nil, nil
	}
	return m, err
}

func (t *isoTxn) symbolOf(code string) (string, error) {
	if code == "" {
		if t.hub == "" {
			return "BALIS", nil
		}
		return t.hub, nil
	}
	m, err := t.member(code)
	if err != nil || m == nil || m.Symbol == "" {
		return code, err
	}
	return m.Symbol, nil
}

// header is the ISO header of this request between borrower and lender
// (the hub's symbol when there is no lender): transparent, the members'
// own symbols and the borrower's own request id.
func (t *isoTxn) header(lender string) (iso18626.Header, error) {
	ls, err := t.symbolOf(lender)
	if err != nil {
		return iso18626.Header{}, err
	}
	bs, err := t.symbolOf(t.r.Borrower)
	if err != nil {
		return iso18626.Header{}, err
	}
	return iso18626.Header{SupplyingAgencyID: iso18626.Agency(ls), RequestingAgencyID: iso18626.Agency(bs),
		Timestamp: iso18626.Stamp(t.m.At), RequestingAgencyRequestID: t.r.ClientRequestID, SupplyingAgencyRequestID: t.r.ID}, nil
}

// toBorrower sends the borrower, when it is an ISO member, a
// supplyingAgencyMessage with the request's current status.
func (t *isoTxn) toBorrower(reason iso18626.ReasonForMessage, answer iso18626.YesNo, note string) error {
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
		StatusInfo: iso18626.StatusInfo{Status: iso18626.StatusFor(r), DueDate: iso18626.TimePtr(r.DueAt),
			LastChange: iso18626.Time(r.UpdatedAt)}}
	if s.StatusInfo.Status == iso18626.StatusUnfilled && r.Reason != ill.ReasonUnspecified {
		// a lender's Unfilled without a reason is passed on without one
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
	if r.State == ill.Delivered && reason == iso18626.ReasonStatusChange {
		link, err := t.copyLink()
		if err != nil {
			return err
		}
		s.DeliveryInfo = &iso18626.DeliveryInfo{DateSent: iso18626.Time(t.m.At), ItemID: link,
			SentVia: &iso18626.SchemeValue{Value: "URL"}}
		if link == "" {
			s.MessageInfo.Note = "the copy is delivered: the reader downloads it from the BALIS reader portal"
		}
	}
	if r.State == ill.Lost {
		s.MessageInfo.Note = strings.TrimSpace("reported lost " + note)
	}
	summary := string(reason) + "/" + string(s.StatusInfo.Status)
	if answer != "" {
		summary += "/" + string(answer)
	}
	return t.queue(b, &iso18626.Message{SupplyingAgencyMessage: s}, summary)
}

// copyLink is the link to a delivered copy for an ISO borrower: the hub's
// (Subscriber.CopyLink), else the URL an ISO supplier delivered it at,
// else "".
func (t *isoTxn) copyLink() (string, error) {
	if t.link != nil {
		if l, err := t.link(t.ctx, t.r); err != nil || l != "" {
			return l, err
		}
	}
	if url, ok := strings.CutPrefix(t.r.DeliveryFileID, ill.CopyFileRef("")); ok {
		return url, nil
	}
	return "", nil
}

// toLender sends a lender that is an ISO member a requestingAgencyMessage.
func (t *isoTxn) toLender(lender string, a iso18626.Action, note string) error {
	l, err := t.member(lender)
	if err != nil || !l.Speaks() {
		return err
	}
	h, err := t.header(lender)
	if err != nil {
		return err
	}
	return t.queue(l, &iso18626.Message{RequestingAgencyMessage: &iso18626.RequestingAgencyMessage{Header: h,
		Action: a, Note: note}}, string(a))
}

// requestToLender sends the current lender, when it is an ISO member, the
// request: its own record id in supplierUniqueRecordId and the requester's
// note passed through.
func (t *isoTxn) requestToLender() error {
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
		if local, err = t.st.LocalIDOf(t.ctx, r.Lender, r.RecordID); err != nil {
			return err
		}
	}
	// No requestSubType: the hub asks as a broker, and peers read
	// PatronRequest as "act as the requesting library" (CrossLink's
	// illmock re-posts such a request to its peer). The delivery address
	// is the borrowing library's desk, so suppliers that pick the
	// delivery method by address send the book, not a link.
	req := &iso18626.Request{Header: h,
		BibliographicInfo: iso18626.BibliographicInfo{SupplierUniqueRecordID: local, Title: r.Title, Author: r.Author},
		ServiceInfo: &iso18626.ServiceInfo{RequestType: iso18626.RequestNew,
			ServiceType: iso18626.ServiceLoan, Note: r.Note},
		PatronInfo: &iso18626.PatronInfo{PatronID: r.PatronID}}
	if addr, err := t.deliveryAddress(); err != nil {
		return err
	} else if addr != nil {
		req.RequestedDeliveryInfo = []iso18626.RequestedDeliveryInfo{{SortOrder: 1, Address: &iso18626.Address{Physical: addr}}}
	}
	if r.ISBN != "" {
		req.BibliographicInfo.BibliographicItemID = []iso18626.BibliographicItemID{{Identifier: r.ISBN, Code: iso18626.SchemeValue{Value: "ISBN"}}}
	}
	if r.ServiceType.IsCopy() {
		copyBibliographic(req, r)
	}
	if r.Publisher != "" || r.Year != 0 {
		req.PublicationInfo = &iso18626.PublicationInfo{Publisher: r.Publisher}
		if r.Year != 0 {
			req.PublicationInfo.PublicationDate = strconv.Itoa(r.Year)
		}
	}
	// NeedBeforeDate stays empty: respond_by is the lender's deadline,
	// not the reader's.
	return t.queue(l, &iso18626.Message{Request: req}, "request")
}

// copyBibliographic makes req a copy request (serviceType Copy) of r's
// citation: for an article the journal as title, the article as
// titleOfComponent with its authors, volume, issue, pagesRequested, the
// ISSN and the DOI as bibliographicItemIds; for a part of a book the
// chapter as titleOfComponent and the pages. Delivery is by URL.
func copyBibliographic(req *iso18626.Request, r *ill.Request) {
	c, bi := r.Citation, &req.BibliographicInfo
	req.ServiceInfo.ServiceType = iso18626.ServiceCopy
	req.RequestedDeliveryInfo = nil // a link, not the courier desk
	bi.Volume, bi.Issue, bi.PagesRequested = c.Volume, c.Issue, c.Pages
	if c.CopyKind() == ill.CopyBookPart {
		bi.TitleOfComponent = c.Chapter
		return
	}
	bi.Title, bi.Author = c.JournalTitle, ""
	bi.TitleOfComponent, bi.AuthorOfComponent = c.ArticleTitle, c.Authors
	if c.ISSN != "" {
		bi.BibliographicItemID = append(bi.BibliographicItemID, iso18626.BibliographicItemID{Identifier: c.ISSN, Code: iso18626.SchemeValue{Value: "ISSN"}})
	}
	if c.DOI != "" {
		bi.BibliographicItemID = append(bi.BibliographicItemID, iso18626.BibliographicItemID{Identifier: c.DOI, Code: iso18626.SchemeValue{Value: "DOI"}})
	}
}

// deliveryAddress is the borrowing library's ILL desk as a postal address
// (its public address when registered), nil for an unknown library.
func (t *isoTxn) deliveryAddress() (*iso18626.PhysicalAddress, error) {
	l, err := t.st.Library(t.ctx, t.r.Borrower)
	if ill.ErrorCode(err) == ill.CodeNotFound || (err == nil && l == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	name := l.NameZH
	if name == "" {
		name = l.Code
	}
	return &iso18626.PhysicalAddress{Line1: name + " 馆际互借处 (BALIS courier)", Line2: l.ContactAddress, Locality: "北京"}, nil
}

// queue stores an outbound message and queues its delivery.
func (t *isoTxn) queue(to *ill.ISOMember, m *iso18626.Message, summary string) error {
	doc, err := iso18626.Marshal(m)
	if err != nil {
		return ill.Errorf(ill.CodeInternal, "iso18626: cannot write %s for %s: %v", summary, t.r.ID, err)
	}
	id, err := t.st.AddISOMessage(t.ctx, ill.ISOMessage{RequestID: t.r.ID, Direction: "out", LibraryCode: to.Code,
		Kind: m.Kind(), Summary: summary, Body: string(doc), Status: ill.ISOPending, CreatedAt: t.m.At})
	if err != nil {
		return err
	}
	ref, _ := json.Marshal(deliveryRef{ID: id, Library: to.Code})
	return t.st.Enqueue(t.ctx, ill.Message{ID: "iso:" + strconv.FormatInt(id, 10), Type: ill.MsgISO,
		Actor: ill.SystemActor, RequestID: t.r.ID, At: t.m.At, Body: ref})
}
