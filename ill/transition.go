package ill

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Transition is what one allowed action does to a request, computed by
// Decide (or Expire for the scheduler's deadlines) without I/O. The
// consumer carries it out in one transaction: Apply to the locked request,
// the Lines on the timeline, the request row and its rota, and then the
// transition is handed to the subscribers (notices, courier, ISO 18626),
// which write the Notices, the Shipment and whatever the Events call for.
//
// A transition without a Rule changes no state: a refusal (Refuse), a
// message that only informs (Inform), or a deadline's notices (Expire).
type Transition struct {
	Rule     Rule  // the row of Table that allowed the action; zero when no state changes
	From, To State // To is Rule.To, or for Routes rules what the rota decided

	Lines       []Event    // timeline lines, in order (the last one records the move)
	Deadlines   []Deadline // deadlines set or cleared, in order
	Reason      Reason     // the request's new reason; "" keeps it
	ItemBarcode string     // the item's barcode from now on; "" keeps it
	// DeliveryFileID is the delivered copy's file from now on; "" keeps it.
	DeliveryFileID string
	Rota           RotaStep

	Notices  []NoticeOrder  // notices to create (once per request, kind and step)
	Shipment *ShipmentOrder // a courier shipment to create
	Events   []DomainEvent  // what happened, for the subscribers
}

// Moves reports whether the transition is a rule's: the request row (state,
// deadlines, lender …) and its rota are written.
func (t Transition) Moves() bool { return t.Rule.Action != "" }

// Apply makes r what the transition leaves it: state, deadlines, lender,
// reason, barcode and rota; updated_at is at when the transition moves.
// It is the only place a consumer changes a request's life-cycle fields.
func (t Transition) Apply(r *Request, at time.Time) {
	if !t.Moves() {
		return
	}
	r.State, r.UpdatedAt = t.To, at
	for _, d := range t.Deadlines {
		switch d.Field {
		case DeadlineRespond:
			r.RespondBy = d.At
		case DeadlineShip:
			r.ShipBy = d.At
		case DeadlineDue:
			r.DueAt = d.At
		case DeadlineDeliver:
			r.DeliverBy = d.At
		}
		if !d.At.IsZero() {
			r.Provisional = d.Provisional
		}
	}
	if t.Reason != "" {
		r.Reason = t.Reason
	}
	if t.ItemBarcode != "" {
		r.ItemBarcode = t.ItemBarcode
	}
	if t.DeliveryFileID != "" {
		r.DeliveryFileID = t.DeliveryFileID
	}
	if t.Rota.Mark != "" {
		if i := currentEntry(r.Rota, t.Rota.Mark); i >= 0 {
			r.Rota[i].Outcome = t.Rota.Outcome
		}
	}
	if t.Rota.Routed {
		r.Lender = t.Rota.Ask
		if i := NextPending(r.Rota); i >= 0 && t.Rota.Ask != "" && r.Rota[i].Library == t.Rota.Ask {
			r.Rota[i].Outcome = OutcomeAsked
		}
	}
}

// DeadlineField names one of a request's deadlines (the API's field names).
type DeadlineField string

const (
	DeadlineRespond DeadlineField = "respond_by" // the lender's answer (R8, R9)
	DeadlineShip    DeadlineField = "ship_by"    // the lender's shipment (R9)
	DeadlineDue     DeadlineField = "due_at"     // the loan's due date (R4, R6)
	DeadlineDeliver DeadlineField = "deliver_by" // a copy's delivery at the current lender
)

// Deadline sets one deadline (At) or clears it (zero At). Provisional says
// that At was computed beyond the loaded national calendar; a cleared
// deadline leaves the request's provisional flag as it was.
type Deadline struct {
	Field       DeadlineField
	At          time.Time
	Provisional bool
}

// RotaStep is what a transition does to the rota: the current lender's
// entry (Mark) gets Outcome; when Routed, the next pending entry is asked
// (Ask is its library, the new lender) or, with Ask "", none is left and
// the request has no lender any more.
type RotaStep struct {
	Mark    string
	Outcome Outcome
	Routed  bool
	Ask     string
}

// NoticeOrder is a notice to create: its kind and step (a notice is
// created once per request, kind and step), the library it is for, the
// reader when it goes to one, and the deadline its text names.
type NoticeOrder struct {
	Kind     string
	Step     int
	Library  string
	PatronID string // "": to the library itself
	Deadline time.Time
}

// NoticeKey identifies a notice of a request.
type NoticeKey struct {
	Kind string
	Step int
}

// Direction is a courier shipment's direction.
type Direction string

const (
	DirForward Direction = "forward" // lender → borrower
	DirReturn  Direction = "return"  // borrower → lender
)

// ShipmentOrder is a courier shipment to create for the request's item.
type ShipmentOrder struct {
	Direction Direction
	From, To  string
}

// Facts are the inputs of Decide that only the consumer can look up (it
// does so before calling: Rule.Needs says which a rule reads).
type Facts struct {
	// Calendar and Closures give each library's working days: the
	// national calendar and the closures of the libraries by code (a
	// library missing from the map has none).
	Calendar *Calendar
	Closures map[string][]DateRange
	// LoanMonths and RecallDays are the current lender's terms: the loan
	// period (R4, checkout) and the recall period (R6, recall).
	LoanMonths, RecallDays int
	// OverdueFirst and OverdueEvery are the overdue notice days (Expire):
	// first, first+every, … days after the due date (OverdueStep).
	OverdueFirst, OverdueEvery int
	// Sent are the request's notices that exist already; Expire leaves
	// them out, so a sweep knows exactly which requests it notifies.
	Sent []NoticeKey
	// CopyTerms are the copy settings of libraries by code (a library
	// missing from the map has DefaultCopyTerms): a copy request routed
	// to a lender gets its respond and deliver deadlines from them.
	CopyTerms map[string]CopyTerms
}

func (f Facts) copyTerms(library string) CopyTerms {
	if ct, ok := f.CopyTerms[library]; ok {
		return ct.WithDefaults()
	}
	return DefaultCopyTerms
}

func (f Facts) schedule(library string) Schedule { return f.Calendar.ScheduleFor(f.Closures[library]) }

// Needs are the facts a rule reads beyond the request: the closures of
// Libraries, with LenderTerms the current lender's loan and recall
// periods, and with CopyTerms the copy settings of Libraries.
type Needs struct {
	Libraries   []string
	LenderTerms bool
	CopyTerms   bool
}

// Needs says which facts Decide reads to carry out rule on r, so that the
// consumer looks up only those (TestNeedsAreEnough keeps the two in step).
func (rule Rule) Needs(r *Request) Needs {
	var n Needs
	switch {
	case rule.Routes:
		if i := NextPending(r.Rota); i >= 0 {
			n.Libraries = []string{r.Rota[i].Library}
			n.CopyTerms = r.ServiceType.IsCopy()
		}
	case rule.Action == ActHold:
		n.Libraries = []string{r.Borrower}
	case rule.Action == ActRespond: // will_supply: the lender's 3 working days
		n.Libraries = []string{r.Lender}
	case rule.Action == ActCheckout, rule.Action == ActRecall:
		n.Libraries, n.LenderTerms = []string{r.Borrower}, true
	}
	return n
}

// Decide allows the attempt (Allow) and computes its transition: the next
// state (for Routes rules the rota decides: REQUESTED at the next pending
// lender, or UNFILLED), the deadlines from the calendar in Facts, the rota
// step, the reason, the timeline lines, the notices and shipment to create
// and the domain events. With a nil Request it only checks the attempt.
func Decide(at Attempt) (Transition, error) {
	if at.Request != nil {
		at.Service = at.Request.ServiceType // the request is the authority
	}
	rule, err := Allow(at)
	if err != nil {
		return Transition{}, err
	}
	t := Transition{Rule: rule, From: at.From, To: rule.To}
	if at.Request == nil {
		return t, nil
	}
	if rule.Action == ActLenderUnreachable && len(at.Body.Lenders) > 0 && at.Body.Lenders[0] != at.Request.Lender {
		// the delivery given up on was to a lender the request has left
		return Transition{}, &Error{Code: CodeInvalidTransition, State: at.From,
			Message: fmt.Sprintf("%s is no longer the lender asked (now %q)", at.Body.Lenders[0], at.Request.Lender)}
	}
	e := effects{t: &t, at: at, r: at.Request, b: at.Body}
	e.apply()
	t.Events = append([]DomainEvent{StateChanged{Action: rule.Action, Variant: rule.Variant, From: t.From, To: t.To}}, t.Events...)
	return t, nil
}

// Refuse is the transition of an attempt the state table refused when the
// consumer applied it (the state moved since the API's check, or the body
// is invalid): a line on the timeline and a Refused event; nothing else
// changes and the message is consumed.
func Refuse(at Attempt, err error) Transition {
	return Transition{From: at.From, To: at.From,
		Lines:  []Event{{At: at.At, Actor: at.Actor, Action: at.Action, From: at.From, To: at.From, Note: "refused: " + err.Error()}},
		Events: []DomainEvent{Refused{Action: at.Action, Variant: at.Variant, From: at.From, Err: err}}}
}

// Inform is the transition of a message that carries no action (an ISO
// 18626 status request or notification): nothing changes; the Informed
// event lets the subscriber of that protocol record and answer it.
func Inform(at Attempt) Transition {
	return Transition{From: at.From, To: at.From, Events: []DomainEvent{Informed{}}}
}

// effects computes one rule's effects. Each case says what the action does
// besides moving to the state the rule (or the rota) names.
type effects struct {
	t  *Transition
	at Attempt
	r  *Request
	b  ActionBody
}

func (e *effects) apply() {
	t, r, b, at := e.t, e.r, e.b, e.at.At
	switch t.Rule.Action {
	case ActRoute, ActMediate:
		e.route("")
	case ActHold:
		d, p := e.at.Facts.schedule(r.Borrower).AddWorkingDays(at, 1)
		e.set(DeadlineRespond, d, p)
		e.line("not found in the union catalogue; staff to identify a lender")
		e.notice(NoticeNeedsMediation, 0, r.Borrower, "", d)
	case ActReject:
		t.Reason = b.Reason
		e.line(string(b.Reason) + ": " + b.Note)
	case ActRespond:
		if t.Rule.Variant == "will_supply" && r.ServiceType.IsCopy() {
			// a copy keeps the deliver_by it got on reaching the lender
			t.Rota.Mark, t.Rota.Outcome = r.Lender, OutcomeWillSupply
			e.line(note("will supply", b.Note))
			return
		}
		if t.Rule.Variant == "will_supply" {
			t.Rota.Mark, t.Rota.Outcome = r.Lender, OutcomeWillSupply
			d, p := e.at.Facts.schedule(r.Lender).AddWorkingDays(at, 3)
			e.set(DeadlineShip, d, p)
			e.line(note("will supply", b.Note))
			return
		}
		t.Rota.Mark, t.Rota.Outcome = r.Lender, OutcomeUnfilled
		e.aside(note(r.Lender+" unfilled: "+string(b.Reason), b.Note))
		e.route(b.Reason)
	case ActRespondTimeout, ActShipTimeout, ActDeliverTimeout:
		reason, outcome := ReasonNoResponse, OutcomeNoResponse
		switch t.Rule.Action {
		case ActShipTimeout:
			reason, outcome = ReasonNotShipped, OutcomeNotShipped
		case ActDeliverTimeout:
			reason, outcome = ReasonNotDelivered, OutcomeNotDelivered
		}
		t.Rota.Mark, t.Rota.Outcome = r.Lender, outcome
		e.aside(r.Lender + " unfilled: " + string(reason))
		e.route(reason)
	case ActShip:
		t.ItemBarcode = b.ItemBarcode
		t.Shipment = &ShipmentOrder{Direction: DirForward, From: r.Lender, To: r.Borrower}
		e.lenderDue()
		e.line(note("item "+b.ItemBarcode, b.Note))
	case ActSupplyShip:
		// Both steps on the timeline, each under its own action, so that
		// what reads the timeline (reports, response times) sees the
		// answer and the shipment as it does for respond then ship.
		t.Rota.Mark, t.Rota.Outcome = r.Lender, OutcomeWillSupply
		t.ItemBarcode = b.ItemBarcode
		t.Shipment = &ShipmentOrder{Direction: DirForward, From: r.Lender, To: r.Borrower}
		e.lenderDue()
		if t.From == Requested {
			t.Lines = append(t.Lines, Event{At: at, Actor: e.actor(), Action: ActRespond, From: t.From, To: WillSupply,
				Note: "will supply (shipped at once)"})
		}
		t.Lines = append(t.Lines, Event{At: at, Actor: e.actor(), Action: ActShip, From: WillSupply, To: t.To,
			Note: note("item "+b.ItemBarcode, b.Note)})
	case ActLenderUnreachable:
		t.Rota.Mark, t.Rota.Outcome = r.Lender, OutcomeUnreachable
		e.aside(note(r.Lender+" unreachable: its system did not take the request", b.Note))
		e.route(ReasonNoResponse)
	case ActReceive:
		t.Events = append(t.Events, ItemArrived{Direction: DirForward})
		e.line(b.Note)
		e.notice(NoticeArrived, 0, r.Borrower, r.PatronID, time.Time{})
	case ActCheckout:
		if !r.DueAt.IsZero() && r.DueAt.After(at) {
			// the lender's own due date, sent with the shipment (ISO 18626)
			e.line(note("due "+stamp(r.DueAt)+" (the lender's date)", b.Note))
			return
		}
		d, p := e.at.Facts.schedule(r.Borrower).LoanDue(at, e.at.Facts.LoanMonths)
		e.set(DeadlineDue, d, p)
		e.line(note("due "+stamp(d), b.Note))
	case ActRecall:
		d, p := e.at.Facts.schedule(r.Borrower).RecallDue(r.DueAt, at, e.at.Facts.RecallDays)
		e.set(DeadlineDue, d, p)
		e.line(note("due "+stamp(d), b.Note))
		e.notice(NoticeRecalled, 0, r.Borrower, r.PatronID, d) // the reader
		e.notice(NoticeRecalled, 1, r.Borrower, "", d)         // the borrowing library
	case ActReturn:
		t.Events = append(t.Events, ItemReturned{Condition: b.Condition, Barcode: cut(b.ItemBarcode, 64)})
		e.line(note("condition "+b.Condition, b.Note))
	case ActShipReturn:
		t.Shipment = &ShipmentOrder{Direction: DirReturn, From: r.Borrower, To: r.Lender}
		e.line(b.Note)
	case ActCheckin:
		n := "condition " + b.Condition
		if !r.DueAt.IsZero() && at.After(r.DueAt) {
			n += fmt.Sprintf("; returned %d day(s) late", int(at.Sub(r.DueAt).Hours()/24)+1)
		}
		t.Events = append(t.Events, ItemArrived{Direction: DirReturn}, ItemCheckedIn{Condition: b.Condition})
		e.line(note(n, b.Note))
	case ActCancel:
		if t.To == CancelPending {
			e.line(note("cancel requested by "+b.By, b.Note))
			e.notice(NoticeCancelRequested, 0, r.Lender, "", time.Time{})
			return
		}
		t.Reason = ReasonCancelledByStaff
		if t.Rule.Variant == "reader" {
			t.Reason = ReasonCancelledByReader
		}
		e.line(note("cancelled by "+b.By, b.Note))
	case ActCancelResponse:
		if t.To == Cancelled {
			t.Reason = ReasonCancelledByStaff
			e.line(note("lender agreed to cancel", b.Note))
			return
		}
		e.line(note("lender declined to cancel", b.Note))
	case ActReportLost:
		t.Reason = ReasonReportedLost
		t.Events = append(t.Events, ItemLost{})
		e.line(b.Note)
	case ActMarkOverdue:
		e.line("past due " + stamp(r.DueAt))
	case ActDeliver:
		// From REQUESTED the answer and the delivery in one step, each on
		// the timeline under its own action (as supply_ship does), so that
		// response times read the same as respond then deliver.
		t.Rota.Mark, t.Rota.Outcome = r.Lender, OutcomeWillSupply
		t.DeliveryFileID = b.FileID
		e.set(DeadlineDeliver, time.Time{}, false)
		if t.From == Requested {
			t.Lines = append(t.Lines, Event{At: at, Actor: e.actor(), Action: ActRespond, From: t.From, To: WillSupply,
				Note: "will supply (delivered at once)"})
			t.Lines = append(t.Lines, Event{At: at, Actor: e.actor(), Action: ActDeliver, From: WillSupply, To: t.To,
				Note: note("file "+b.FileID, b.Note)})
		} else {
			e.line(note("file "+b.FileID, b.Note))
		}
		e.notice(NoticeCopyDelivered, 0, r.Borrower, r.PatronID, time.Time{})
	case ActCloseDelivery:
		what := "closed: the reader downloaded the copy"
		if t.Rule.Variant == CloseExpired {
			what = "closed: the download link expired"
		}
		e.line(note(what, b.Note))
	}
}

// lenderDue takes over the lender's own due date sent with a shipment
// (ISO 18626 Loaned/dueDate) when it lies ahead; checkout then keeps it.
func (e *effects) lenderDue() {
	if d := e.b.DueAt; d != nil && d.After(e.at.At) {
		e.set(DeadlineDue, d.UTC(), false)
	}
}

// route asks the next pending lender of the rota (1 working day of its
// calendar to answer) or, when none is left, ends the request UNFILLED
// with the last lender's reason (not_held when there was none).
func (e *effects) route(last Reason) {
	t, r := e.t, e.r
	t.Rota.Routed = true
	i := NextPending(r.Rota)
	if i < 0 {
		t.To = Unfilled
		t.Reason = last
		if t.Reason == "" {
			t.Reason = ReasonNotHeld
		}
		e.set(DeadlineRespond, time.Time{}, false)
		e.set(DeadlineShip, time.Time{}, false)
		if r.ServiceType.IsCopy() {
			e.set(DeadlineDeliver, time.Time{}, false)
		}
		if len(r.Rota) == 0 {
			e.line("no other member library holds a lendable copy")
		} else {
			e.line("no lender left in the rota")
		}
		e.notice(NoticeUnfilled, 0, r.Borrower, "", time.Time{})
		return
	}
	next := r.Rota[i]
	t.Rota.Ask = next.Library
	d, p := e.at.Facts.schedule(next.Library).AddWorkingDays(e.at.At, 1)
	if r.ServiceType.IsCopy() {
		var deliver time.Time
		var dp bool
		d, p, deliver, dp = e.copyDeadlines(next.Library)
		e.set(DeadlineRespond, d, p)
		e.set(DeadlineDeliver, deliver, dp)
	} else {
		e.set(DeadlineRespond, d, p)
	}
	e.set(DeadlineShip, time.Time{}, false)
	e.line("asked " + next.Library + " (rank " + strconv.Itoa(next.Rank) + ")")
	e.notice(NoticeNewRequest, next.Rank, next.Library, "", d)
}

// copyDeadlines are a copy request's respond_by and deliver_by at
// lender: the lender's CopyTerms in working days of its calendar from now
// (a rush copy: delivered by the end of the working day it arrives), the
// answer never due later than the delivery.
func (e *effects) copyDeadlines(lender string) (respond time.Time, rp bool, deliver time.Time, dp bool) {
	s, ct := e.at.Facts.schedule(lender), e.at.Facts.copyTerms(lender)
	respond, rp = s.AddWorkingDays(e.at.At, ct.RespondDays)
	deliver, dp = s.AddWorkingDays(e.at.At, ct.DeliverDays)
	if e.r.Rush {
		deliver, dp = s.EndOfOpenDay(DateOf(e.at.At))
	}
	if deliver.Before(respond) {
		respond, rp = deliver, dp
	}
	return respond, rp, deliver, dp
}

// line records the move on the timeline. The hub's own decisions (route,
// hold, reject, the timers) are the system's, whoever caused them.
func (e *effects) line(text string) {
	e.t.Lines = append(e.t.Lines, Event{At: e.at.At, Actor: e.actor(), Action: e.t.Rule.Action,
		From: e.t.From, To: e.t.To, Note: text})
}

// aside is a line before the move that changes no state (a lender dropped
// from the rota).
func (e *effects) aside(text string) {
	e.t.Lines = append(e.t.Lines, Event{At: e.at.At, Actor: e.actor(), Action: e.t.Rule.Action,
		From: e.t.From, To: e.t.From, Note: text})
}

func (e *effects) actor() string {
	if slices.Equal(e.t.Rule.By, system) {
		return SystemActor
	}
	return e.at.Actor
}

func (e *effects) set(f DeadlineField, at time.Time, provisional bool) {
	e.t.Deadlines = append(e.t.Deadlines, Deadline{Field: f, At: at, Provisional: provisional})
}

func (e *effects) notice(kind string, step int, library, patronID string, deadline time.Time) {
	e.t.Notices = append(e.t.Notices, NoticeOrder{Kind: kind, Step: step, Library: library, PatronID: patronID, Deadline: deadline})
}

// currentEntry is the index of the rota entry of the library answering
// now (asked, or agreed to supply), or -1.
func currentEntry(rota []RotaEntry, library string) int {
	for i, e := range rota {
		if e.Library == library && (e.Outcome == OutcomeAsked || e.Outcome == OutcomeWillSupply) {
			return i
		}
	}
	return -1
}

// note joins what the hub records with the caller's own note.
func note(what, extra string) string {
	if strings.TrimSpace(extra) == "" {
		return what
	}
	return what + " — " + extra
}

// stamp is how the timeline writes a deadline: RFC 3339 in Asia/Shanghai.
func stamp(t time.Time) string { return t.In(Shanghai).Format(time.RFC3339) }

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
