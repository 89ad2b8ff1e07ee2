package ill_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// The fixture of the transition tests: THU borrows for reader P1; PKU is
// asked first, RUC second. RUC is closed 3–4 March 2026. "Now" is Monday
// 2 March 2026, 10:00, half an hour after submission.
var (
	fxNow       = time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)
	fxSubmitted = fxNow.Add(-30 * time.Minute)
	fxClosures  = map[string][]ill.DateRange{"RUC": {{From: d(2026, 3, 3), To: d(2026, 3, 4)}}}
)

func fxFacts(t testing.TB) ill.Facts {
	return ill.Facts{Calendar: load2026(t), Closures: fxClosures, LoanMonths: 1, RecallDays: 7}
}

// fxRequest is the fixture request in state from; lender "" and a rota of
// PKU and RUC both pending before routing, PKU asked (or agreed) after.
func fxRequest(from ill.State) *ill.Request {
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", PatronID: "P1", Title: "电路", State: from,
		SubmittedAt: fxSubmitted, Lender: "PKU",
		Rota: []ill.RotaEntry{{Library: "PKU", Rank: 1, Outcome: ill.OutcomeAsked}, {Library: "RUC", Rank: 2, Outcome: ill.OutcomePending}}}
	switch from {
	case ill.Submitted, ill.NeedsMediation:
		r.Lender = ""
		r.Rota[0].Outcome = ill.OutcomePending
	case ill.WillSupply, ill.CancelPending:
		r.Rota[0].Outcome = ill.OutcomeWillSupply
	}
	if slices.Contains(ill.LoanStates, from) {
		r.Rota[0].Outcome = ill.OutcomeWillSupply
		r.ItemBarcode = "B1"
		r.DueAt = time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)
	}
	return r
}

// render writes a transition's effects as the golden table reads them.
type rendered struct {
	to        ill.State
	deadlines []string
	reason    ill.Reason
	rota      string
	lines     []string
	notices   []string
	shipment  string
	events    []string
}

func stampOf(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(ill.Shanghai).Format("2006-01-02 15:04")
}

func render(tr ill.Transition) rendered {
	out := rendered{to: tr.To, reason: tr.Reason}
	for _, d := range tr.Deadlines {
		s := string(d.Field) + "=" + stampOf(d.At)
		if d.Provisional {
			s += " (provisional)"
		}
		out.deadlines = append(out.deadlines, s)
	}
	if tr.Rota.Mark != "" {
		out.rota = tr.Rota.Mark + ":" + string(tr.Rota.Outcome)
	}
	if tr.Rota.Routed {
		out.rota = strings.TrimPrefix(out.rota+" ask:"+tr.Rota.Ask, " ")
	}
	for _, l := range tr.Lines {
		out.lines = append(out.lines, fmt.Sprintf("%s %s %s→%s %q", l.Actor, l.Action, l.From, l.To, l.Note))
	}
	for _, n := range tr.Notices {
		s := fmt.Sprintf("%s/%d %s", n.Kind, n.Step, n.Library)
		if n.PatronID != "" {
			s += "/" + n.PatronID
		}
		out.notices = append(out.notices, s+" "+stampOf(n.Deadline))
	}
	if s := tr.Shipment; s != nil {
		out.shipment = fmt.Sprintf("%s %s→%s", s.Direction, s.From, s.To)
	}
	for _, e := range tr.Events {
		out.events = append(out.events, strings.TrimPrefix(fmt.Sprintf("%T%+v", e, e), "ill."))
	}
	return out
}

// TestDecideEffects is the golden table of what each action does, written
// out by hand from SPEC §3 and §6 (deadlines: R8 1 working day to answer,
// R9 3 to ship, R4 one month's loan, R6 the recall period; RUC is closed
// 3–4 March).
func TestDecideEffects(t *testing.T) {
	type want = rendered
	overdue := time.Date(2026, 2, 27, 23, 59, 59, 0, ill.Shanghai)
	cases := []struct {
		name    string
		from    ill.State
		action  ill.Action
		variant ill.Variant
		roles   []ill.Role
		actor   string
		body    ill.ActionBody
		prepare func(r *ill.Request)
		want    want
	}{
		{name: "route asks the first lender", from: ill.Submitted, action: ill.ActRoute, roles: sys, actor: ill.SystemActor,
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-03 23:59", "ship_by=-"}, rota: "ask:PKU",
				lines:   []string{`system route SUBMITTED→REQUESTED "asked PKU (rank 1)"`},
				notices: []string{"new_request/1 PKU 2026-03-03 23:59"},
				events:  []string{"StateChanged{Action:route Variant: From:SUBMITTED To:REQUESTED}"}}},
		{name: "route with no holder ends unfilled", from: ill.Submitted, action: ill.ActRoute, roles: sys, actor: ill.SystemActor,
			prepare: func(r *ill.Request) { r.Rota = nil },
			want: want{to: ill.Unfilled, deadlines: []string{"respond_by=-", "ship_by=-"}, reason: ill.ReasonNotHeld, rota: "ask:",
				lines:   []string{`system route SUBMITTED→UNFILLED "no other member library holds a lendable copy"`},
				notices: []string{"unfilled/0 THU -"},
				events:  []string{"StateChanged{Action:route Variant: From:SUBMITTED To:UNFILLED}"}}},
		{name: "hold for mediation", from: ill.Submitted, action: ill.ActHold, roles: sys, actor: "THU",
			want: want{to: ill.NeedsMediation, deadlines: []string{"respond_by=2026-03-03 23:59"},
				lines:   []string{`system hold SUBMITTED→NEEDS_MEDIATION "not found in the union catalogue; staff to identify a lender"`},
				notices: []string{"needs_mediation/0 THU 2026-03-03 23:59"},
				events:  []string{"StateChanged{Action:hold Variant: From:SUBMITTED To:NEEDS_MEDIATION}"}}},
		{name: "reject", from: ill.Submitted, action: ill.ActReject, roles: sys, actor: ill.SystemActor,
			body: ill.ActionBody{Reason: ill.ReasonOverLimit, Note: "reader already has 3 active requests (limit 3)"},
			want: want{to: ill.Rejected, reason: ill.ReasonOverLimit,
				lines:  []string{`system reject SUBMITTED→REJECTED "over_limit: reader already has 3 active requests (limit 3)"`},
				events: []string{"StateChanged{Action:reject Variant: From:SUBMITTED To:REJECTED}"}}},
		{name: "mediate with a lender list asks it (RUC closed 3-4 March)", from: ill.NeedsMediation, action: ill.ActMediate,
			roles: []ill.Role{ill.RoleBorrower}, actor: "THU",
			prepare: func(r *ill.Request) { r.Rota = []ill.RotaEntry{{Library: "RUC", Rank: 1, Outcome: ill.OutcomePending}} },
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-05 23:59", "ship_by=-"}, rota: "ask:RUC",
				lines:   []string{`THU mediate NEEDS_MEDIATION→REQUESTED "asked RUC (rank 1)"`},
				notices: []string{"new_request/1 RUC 2026-03-05 23:59"},
				events:  []string{"StateChanged{Action:mediate Variant: From:NEEDS_MEDIATION To:REQUESTED}"}}},
		{name: "will supply: 3 working days to ship", from: ill.Requested, action: ill.ActRespond, variant: "will_supply",
			roles: lenderRole, actor: "PKU",
			want: want{to: ill.WillSupply, deadlines: []string{"ship_by=2026-03-05 23:59"}, rota: "PKU:will_supply",
				lines:  []string{`PKU respond REQUESTED→WILL_SUPPLY "will supply"`},
				events: []string{"StateChanged{Action:respond Variant:will_supply From:REQUESTED To:WILL_SUPPLY}"}}},
		{name: "unfilled: the next lender", from: ill.Requested, action: ill.ActRespond, variant: "unfilled",
			roles: lenderRole, actor: "PKU", body: ill.ActionBody{Decision: "unfilled", Reason: ill.ReasonNotOnShelf, Note: "missing"},
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-05 23:59", "ship_by=-"}, rota: "PKU:unfilled ask:RUC",
				lines: []string{`PKU respond REQUESTED→REQUESTED "PKU unfilled: not_on_shelf — missing"`,
					`PKU respond REQUESTED→REQUESTED "asked RUC (rank 2)"`},
				notices: []string{"new_request/2 RUC 2026-03-05 23:59"},
				events:  []string{"StateChanged{Action:respond Variant:unfilled From:REQUESTED To:REQUESTED}"}}},
		{name: "unfilled by the last lender", from: ill.WillSupply, action: ill.ActRespond, variant: "unfilled",
			roles: lenderRole, actor: "PKU", body: ill.ActionBody{Reason: ill.ReasonPoorCondition},
			prepare: func(r *ill.Request) { r.Rota = r.Rota[:1] },
			want: want{to: ill.Unfilled, deadlines: []string{"respond_by=-", "ship_by=-"}, reason: ill.ReasonPoorCondition,
				rota: "PKU:unfilled ask:",
				lines: []string{`PKU respond WILL_SUPPLY→WILL_SUPPLY "PKU unfilled: poor_condition"`,
					`PKU respond WILL_SUPPLY→UNFILLED "no lender left in the rota"`},
				notices: []string{"unfilled/0 THU -"},
				events:  []string{"StateChanged{Action:respond Variant:unfilled From:WILL_SUPPLY To:UNFILLED}"}}},
		{name: "no answer in time", from: ill.Requested, action: ill.ActRespondTimeout, roles: sys, actor: ill.SystemActor,
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-05 23:59", "ship_by=-"}, rota: "PKU:no_response ask:RUC",
				lines: []string{`system respond_deadline REQUESTED→REQUESTED "PKU unfilled: no_response"`,
					`system respond_deadline REQUESTED→REQUESTED "asked RUC (rank 2)"`},
				notices: []string{"new_request/2 RUC 2026-03-05 23:59"},
				events:  []string{"StateChanged{Action:respond_deadline Variant: From:REQUESTED To:REQUESTED}"}}},
		{name: "not shipped in time", from: ill.WillSupply, action: ill.ActShipTimeout, roles: sys, actor: ill.SystemActor,
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-05 23:59", "ship_by=-"}, rota: "PKU:not_shipped ask:RUC",
				lines: []string{`system ship_deadline WILL_SUPPLY→WILL_SUPPLY "PKU unfilled: not_shipped"`,
					`system ship_deadline WILL_SUPPLY→REQUESTED "asked RUC (rank 2)"`},
				notices: []string{"new_request/2 RUC 2026-03-05 23:59"},
				events:  []string{"StateChanged{Action:ship_deadline Variant: From:WILL_SUPPLY To:REQUESTED}"}}},
		{name: "ship", from: ill.WillSupply, action: ill.ActShip, roles: lenderRole, actor: "PKU", body: ill.ActionBody{ItemBarcode: "B7"},
			want: want{to: ill.Shipped, lines: []string{`PKU ship WILL_SUPPLY→SHIPPED "item B7"`}, shipment: "forward PKU→THU",
				events: []string{"StateChanged{Action:ship Variant: From:WILL_SUPPLY To:SHIPPED}"}}},
		{name: "ship with the lender's due date", from: ill.WillSupply, action: ill.ActShip, roles: lenderRole, actor: "PKU",
			body: ill.ActionBody{ItemBarcode: "B7", DueAt: &fxLenderDue},
			want: want{to: ill.Shipped, deadlines: []string{"due_at=2026-03-20 23:59"}, lines: []string{`PKU ship WILL_SUPPLY→SHIPPED "item B7"`},
				shipment: "forward PKU→THU", events: []string{"StateChanged{Action:ship Variant: From:WILL_SUPPLY To:SHIPPED}"}}},
		{name: "answered with the shipment (ISO Loaned first)", from: ill.Requested, action: ill.ActSupplyShip, roles: lenderRole, actor: "PKU",
			body: ill.ActionBody{ItemBarcode: "B7"},
			want: want{to: ill.Shipped, rota: "PKU:will_supply", shipment: "forward PKU→THU",
				lines:  []string{`PKU respond REQUESTED→WILL_SUPPLY "will supply (shipped at once)"`, `PKU ship WILL_SUPPLY→SHIPPED "item B7"`},
				events: []string{"StateChanged{Action:supply_ship Variant: From:REQUESTED To:SHIPPED}"}}},
		{name: "Loaned after WillSupply is the shipment", from: ill.WillSupply, action: ill.ActSupplyShip, roles: lenderRole, actor: "PKU",
			body: ill.ActionBody{ItemBarcode: "B7"},
			want: want{to: ill.Shipped, rota: "PKU:will_supply", shipment: "forward PKU→THU",
				lines:  []string{`PKU ship WILL_SUPPLY→SHIPPED "item B7"`},
				events: []string{"StateChanged{Action:supply_ship Variant: From:WILL_SUPPLY To:SHIPPED}"}}},
		{name: "lender unreachable: the next is asked at once", from: ill.Requested, action: ill.ActLenderUnreachable, roles: sys, actor: ill.SystemActor,
			body: ill.ActionBody{Lenders: []string{"PKU"}},
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-05 23:59", "ship_by=-"}, rota: "PKU:unreachable ask:RUC",
				lines: []string{`system lender_unreachable REQUESTED→REQUESTED "PKU unreachable: its system did not take the request"`,
					`system lender_unreachable REQUESTED→REQUESTED "asked RUC (rank 2)"`},
				notices: []string{"new_request/2 RUC 2026-03-05 23:59"},
				events:  []string{"StateChanged{Action:lender_unreachable Variant: From:REQUESTED To:REQUESTED}"}}},
		{name: "checkout keeps the lender's due date", from: ill.Received, action: ill.ActCheckout, roles: borrowerRole, actor: "THU",
			prepare: func(r *ill.Request) { r.DueAt = fxLenderDue },
			want: want{to: ill.OnLoan, lines: []string{`THU checkout RECEIVED→ON_LOAN "due 2026-03-20T23:59:59+08:00 (the lender's date)"`},
				events: []string{"StateChanged{Action:checkout Variant: From:RECEIVED To:ON_LOAN}"}}},
		{name: "receive", from: ill.Shipped, action: ill.ActReceive, roles: borrowerRole, actor: "THU",
			want: want{to: ill.Received, lines: []string{`THU receive SHIPPED→RECEIVED ""`},
				notices: []string{"arrived/0 THU/P1 -"},
				events:  []string{"StateChanged{Action:receive Variant: From:SHIPPED To:RECEIVED}", "ItemArrived{Direction:forward}"}}},
		{name: "checkout: one month", from: ill.Received, action: ill.ActCheckout, roles: borrowerRole, actor: "THU",
			prepare: func(r *ill.Request) { r.DueAt = time.Time{} }, // no due date before checkout unless the lender sent one
			want: want{to: ill.OnLoan, deadlines: []string{"due_at=2026-04-02 23:59"},
				lines:  []string{`THU checkout RECEIVED→ON_LOAN "due 2026-04-02T23:59:59+08:00"`},
				events: []string{"StateChanged{Action:checkout Variant: From:RECEIVED To:ON_LOAN}"}}},
		{name: "recall: 7 days", from: ill.OnLoan, action: ill.ActRecall, roles: lenderRole, actor: "PKU",
			want: want{to: ill.Recalled, deadlines: []string{"due_at=2026-03-09 23:59"},
				lines:   []string{`PKU recall ON_LOAN→RECALLED "due 2026-03-09T23:59:59+08:00"`},
				notices: []string{"recalled/0 THU/P1 2026-03-09 23:59", "recalled/1 THU 2026-03-09 23:59"},
				events:  []string{"StateChanged{Action:recall Variant: From:ON_LOAN To:RECALLED}"}}},
		{name: "return", from: ill.OnLoan, action: ill.ActReturn, roles: borrowerRole, actor: "THU",
			body: ill.ActionBody{Condition: "damaged", ItemBarcode: "B1", Note: "spine torn"},
			want: want{to: ill.Returned, lines: []string{`THU return ON_LOAN→RETURNED "condition damaged — spine torn"`},
				events: []string{"StateChanged{Action:return Variant: From:ON_LOAN To:RETURNED}", "ItemReturned{Condition:damaged Barcode:B1}"}}},
		{name: "ship back", from: ill.Returned, action: ill.ActShipReturn, roles: borrowerRole, actor: "THU",
			want: want{to: ill.ReturnShipped, lines: []string{`THU ship_return RETURNED→RETURN_SHIPPED ""`}, shipment: "return THU→PKU",
				events: []string{"StateChanged{Action:ship_return Variant: From:RETURNED To:RETURN_SHIPPED}"}}},
		{name: "checkin of a late loan", from: ill.ReturnShipped, action: ill.ActCheckin, roles: lenderRole, actor: "PKU",
			body: ill.ActionBody{Condition: "good"}, prepare: func(r *ill.Request) { r.DueAt = overdue },
			want: want{to: ill.Completed, lines: []string{`PKU checkin RETURN_SHIPPED→COMPLETED "condition good; returned 3 day(s) late"`},
				events: []string{"StateChanged{Action:checkin Variant: From:RETURN_SHIPPED To:COMPLETED}",
					"ItemArrived{Direction:return}", "ItemCheckedIn{Condition:good}"}}},
		{name: "a reader's cancel", from: ill.Requested, action: ill.ActCancel, variant: "reader", roles: borrowerRole, actor: "THU",
			body: ill.ActionBody{By: "reader"},
			want: want{to: ill.Cancelled, reason: ill.ReasonCancelledByReader, lines: []string{`THU cancel REQUESTED→CANCELLED "cancelled by reader"`},
				events: []string{"StateChanged{Action:cancel Variant:reader From:REQUESTED To:CANCELLED}"}}},
		{name: "cancel once the lender agreed: asked", from: ill.WillSupply, action: ill.ActCancel, variant: "staff", roles: borrowerRole,
			actor: "THU", body: ill.ActionBody{By: "staff"},
			want: want{to: ill.CancelPending, lines: []string{`THU cancel WILL_SUPPLY→CANCEL_PENDING "cancel requested by staff"`},
				notices: []string{"cancel_requested/0 PKU -"},
				events:  []string{"StateChanged{Action:cancel Variant:staff From:WILL_SUPPLY To:CANCEL_PENDING}"}}},
		{name: "the lender agrees to cancel", from: ill.CancelPending, action: ill.ActCancelResponse, variant: "yes", roles: lenderRole,
			actor: "PKU",
			want: want{to: ill.Cancelled, reason: ill.ReasonCancelledByStaff, lines: []string{`PKU cancel_response CANCEL_PENDING→CANCELLED "lender agreed to cancel"`},
				events: []string{"StateChanged{Action:cancel_response Variant:yes From:CANCEL_PENDING To:CANCELLED}"}}},
		{name: "the lender declines to cancel", from: ill.CancelPending, action: ill.ActCancelResponse, variant: "no", roles: lenderRole,
			actor: "PKU",
			want: want{to: ill.WillSupply, lines: []string{`PKU cancel_response CANCEL_PENDING→WILL_SUPPLY "lender declined to cancel"`},
				events: []string{"StateChanged{Action:cancel_response Variant:no From:CANCEL_PENDING To:WILL_SUPPLY}"}}},
		{name: "report lost", from: ill.Overdue, action: ill.ActReportLost, roles: borrowerRole, actor: "THU",
			want: want{to: ill.Lost, reason: ill.ReasonReportedLost, lines: []string{`THU report_lost OVERDUE→LOST ""`},
				events: []string{"StateChanged{Action:report_lost Variant: From:OVERDUE To:LOST}", "ItemLost{}"}}},
		{name: "overdue", from: ill.OnLoan, action: ill.ActMarkOverdue, roles: sys, actor: ill.SystemActor,
			prepare: func(r *ill.Request) { r.DueAt = overdue },
			want: want{to: ill.Overdue, lines: []string{`system overdue ON_LOAN→OVERDUE "past due 2026-02-27T23:59:59+08:00"`},
				events: []string{"StateChanged{Action:overdue Variant: From:ON_LOAN To:OVERDUE}"}}},

		// Copy requests: 1 working day to answer and 3 to deliver from
		// reaching the lender (DefaultCopyTerms), no shipment.
		{name: "copy: route sets respond_by and deliver_by", from: ill.Submitted, action: ill.ActRoute, roles: sys,
			actor: ill.SystemActor, prepare: asCopy,
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-03 23:59", "deliver_by=2026-03-05 23:59", "ship_by=-"},
				rota: "ask:PKU", lines: []string{`system route SUBMITTED→REQUESTED "asked PKU (rank 1)"`},
				notices: []string{"new_request/1 PKU 2026-03-03 23:59"},
				events:  []string{"StateChanged{Action:route Variant: From:SUBMITTED To:REQUESTED}"}}},
		{name: "copy: a rush is delivered the same working day (and answered by then)", from: ill.Submitted, action: ill.ActRoute,
			roles: sys, actor: ill.SystemActor, prepare: func(r *ill.Request) { asCopy(r); r.Rush = true },
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-02 23:59", "deliver_by=2026-03-02 23:59", "ship_by=-"},
				rota: "ask:PKU", lines: []string{`system route SUBMITTED→REQUESTED "asked PKU (rank 1)"`},
				notices: []string{"new_request/1 PKU 2026-03-02 23:59"},
				events:  []string{"StateChanged{Action:route Variant: From:SUBMITTED To:REQUESTED}"}}},
		{name: "copy: will supply keeps deliver_by, sets no ship_by", from: ill.Requested, action: ill.ActRespond, variant: "will_supply",
			roles: lenderRole, actor: "PKU", prepare: asCopy,
			want: want{to: ill.WillSupply, rota: "PKU:will_supply", lines: []string{`PKU respond REQUESTED→WILL_SUPPLY "will supply"`},
				events: []string{"StateChanged{Action:respond Variant:will_supply From:REQUESTED To:WILL_SUPPLY}"}}},
		{name: "copy: delivered at once (answer and delivery)", from: ill.Requested, action: ill.ActDeliver, roles: lenderRole,
			actor: "PKU", body: ill.ActionBody{FileID: "F42"}, prepare: asCopy,
			want: want{to: ill.Delivered, deadlines: []string{"deliver_by=-"}, rota: "PKU:will_supply",
				lines: []string{`PKU respond REQUESTED→WILL_SUPPLY "will supply (delivered at once)"`,
					`PKU deliver WILL_SUPPLY→DELIVERED "file F42"`},
				notices: []string{"copy_delivered/0 THU/P1 -"},
				events:  []string{"StateChanged{Action:deliver Variant: From:REQUESTED To:DELIVERED}"}}},
		{name: "copy: delivered after will supply", from: ill.WillSupply, action: ill.ActDeliver, roles: lenderRole,
			actor: "PKU", body: ill.ActionBody{FileID: "F42", Note: "scan"}, prepare: asCopy,
			want: want{to: ill.Delivered, deadlines: []string{"deliver_by=-"}, rota: "PKU:will_supply",
				lines:   []string{`PKU deliver WILL_SUPPLY→DELIVERED "file F42 — scan"`},
				notices: []string{"copy_delivered/0 THU/P1 -"},
				events:  []string{"StateChanged{Action:deliver Variant: From:WILL_SUPPLY To:DELIVERED}"}}},
		{name: "copy: not delivered in time, the next lender (RUC closed 3-4 March)", from: ill.WillSupply,
			action: ill.ActDeliverTimeout, roles: sys, actor: ill.SystemActor, prepare: asCopy,
			want: want{to: ill.Requested, deadlines: []string{"respond_by=2026-03-05 23:59", "deliver_by=2026-03-09 23:59", "ship_by=-"},
				rota: "PKU:not_delivered ask:RUC",
				lines: []string{`system deliver_deadline WILL_SUPPLY→WILL_SUPPLY "PKU unfilled: not_delivered"`,
					`system deliver_deadline WILL_SUPPLY→REQUESTED "asked RUC (rank 2)"`},
				notices: []string{"new_request/2 RUC 2026-03-05 23:59"},
				events:  []string{"StateChanged{Action:deliver_deadline Variant: From:WILL_SUPPLY To:REQUESTED}"}}},
		{name: "copy: not delivered by the last lender", from: ill.Requested, action: ill.ActDeliverTimeout, roles: sys,
			actor: ill.SystemActor, prepare: func(r *ill.Request) { asCopy(r); r.Rota = r.Rota[:1] },
			want: want{to: ill.Unfilled, deadlines: []string{"respond_by=-", "ship_by=-", "deliver_by=-"}, reason: ill.ReasonNotDelivered,
				rota: "PKU:not_delivered ask:",
				lines: []string{`system deliver_deadline REQUESTED→REQUESTED "PKU unfilled: not_delivered"`,
					`system deliver_deadline REQUESTED→UNFILLED "no lender left in the rota"`},
				notices: []string{"unfilled/0 THU -"},
				events:  []string{"StateChanged{Action:deliver_deadline Variant: From:REQUESTED To:UNFILLED}"}}},
		{name: "copy: closed after the downloads", from: ill.Delivered, action: ill.ActCloseDelivery, variant: ill.CloseDownloaded,
			roles: sys, actor: ill.SystemActor, prepare: asCopy,
			want: want{to: ill.Completed, lines: []string{`system close_delivery DELIVERED→COMPLETED "closed: the reader downloaded the copy"`},
				events: []string{"StateChanged{Action:close_delivery Variant:downloaded From:DELIVERED To:COMPLETED}"}}},
		{name: "copy: closed when the link expired", from: ill.Delivered, action: ill.ActCloseDelivery, variant: ill.CloseExpired,
			roles: sys, actor: ill.SystemActor, prepare: asCopy,
			want: want{to: ill.Completed, lines: []string{`system close_delivery DELIVERED→COMPLETED "closed: the download link expired"`},
				events: []string{"StateChanged{Action:close_delivery Variant:expired From:DELIVERED To:COMPLETED}"}}},
	}
	covered := map[ill.Action]bool{}
	for _, c := range cases {
		r := fxRequest(c.from)
		if c.prepare != nil {
			c.prepare(r)
		}
		before := *r
		before.Rota = slices.Clone(r.Rota)
		tr, err := ill.Decide(ill.Attempt{Action: c.action, Variant: c.variant, From: c.from, Roles: c.roles, At: fxNow,
			SubmittedAt: r.SubmittedAt, Actor: c.actor, Request: r, Body: c.body, Facts: fxFacts(t)})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		covered[c.action] = true
		got := render(tr)
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
		if r.State != before.State || fmt.Sprint(r.Rota) != fmt.Sprint(before.Rota) || r.Lender != before.Lender {
			t.Errorf("%s: Decide changed the request it was given", c.name)
		}
	}
	for _, rule := range ill.Table {
		if rule.Guard != ill.Never && !covered[rule.Action] {
			t.Errorf("no golden case for %s", rule.Action)
		}
	}
}

// asCopy makes the fixture request a copy request (an article).
func asCopy(r *ill.Request) {
	r.ServiceType = ill.ServiceCopy
	r.Citation = ill.Citation{JournalTitle: "计算机学报", ISSN: "0254-4164", Pages: "1-12"}
}

var (
	sys          = []ill.Role{ill.RoleSystem}
	lenderRole   = []ill.Role{ill.RoleLender}
	borrowerRole = []ill.Role{ill.RoleBorrower}
)

// TestDecideFollowsTable: for every rule and every state it may be taken
// from, the transition goes where the rule says, or, for Routes rules,
// where the rota says (REQUESTED at the next pending lender, UNFILLED when
// none is left); it records the move in its last line and says so in a
// StateChanged event.
func TestDecideFollowsTable(t *testing.T) {
	n := 0
	for _, rule := range ill.Table {
		if rule.Guard == ill.Never {
			continue
		}
		for _, from := range rule.From {
			for _, pending := range []bool{true, false} {
				if !pending && !rule.Routes {
					continue
				}
				r := fxRequest(from)
				r.ServiceType = rule.Service // a copy's rows on a copy request
				if !pending {
					r.Rota = slices.DeleteFunc(r.Rota, func(e ill.RotaEntry) bool { return e.Outcome == ill.OutcomePending })
				}
				name := fmt.Sprintf("%s/%s from %s (pending lender: %v)", rule.Action, rule.Variant, from, pending)
				tr, err := ill.Decide(ill.Attempt{Action: rule.Action, Variant: rule.Variant, From: from, Roles: rule.By[:1],
					At: fxNow, SubmittedAt: r.SubmittedAt, Actor: "X", Request: r, Facts: fxFacts(t)})
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				n++
				want := rule.To
				if rule.Routes && !pending {
					want = ill.Unfilled
				}
				if tr.To != want || tr.From != from || tr.Rule.Action != rule.Action || tr.Rule.Variant != rule.Variant {
					t.Errorf("%s: %s→%s by rule %s/%s, want %s→%s", name, tr.From, tr.To, tr.Rule.Action, tr.Rule.Variant, from, want)
				}
				if !tr.Moves() || len(tr.Lines) == 0 {
					t.Fatalf("%s: no move or no line", name)
				}
				if last := tr.Lines[len(tr.Lines)-1]; (last.From != from || last.To != tr.To || last.Action != rule.Action) && !chained(tr.Lines, from, tr.To) {
					t.Errorf("%s: last line %+v does not record the move", name, last)
				}
				want1 := ill.StateChanged{Action: rule.Action, Variant: rule.Variant, From: from, To: tr.To}
				if len(tr.Events) == 0 || tr.Events[0] != ill.DomainEvent(want1) {
					t.Errorf("%s: events %v, want %v first", name, tr.Events, want1)
				}
				if rule.Routes != tr.Rota.Routed {
					t.Errorf("%s: rota consulted %v, rule routes %v", name, tr.Rota.Routed, rule.Routes)
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d transitions checked", n)
	}
}

// TestDecideCheckOnly: without a request Decide only checks, as the API
// does: the rule and its target, no effects.
func TestDecideCheckOnly(t *testing.T) {
	tr, err := ill.Decide(ill.Attempt{Action: ill.ActShip, From: ill.WillSupply, Roles: lenderRole})
	if err != nil || tr.To != ill.Shipped || tr.Rule.Action != ill.ActShip || len(tr.Lines)+len(tr.Events)+len(tr.Notices) != 0 || tr.Shipment != nil {
		t.Errorf("check only: %+v %v", tr, err)
	}
	if _, err := ill.Decide(ill.Attempt{Action: ill.ActShip, From: ill.Requested, Roles: lenderRole}); ill.ErrorCode(err) != ill.CodeInvalidTransition {
		t.Errorf("ship from REQUESTED: %v", err)
	}
}

// TestNeedsAreEnough: Decide reads no closures and no lender terms besides
// those Rule.Needs names: with every other fact made absurd, the
// transition is the same.
func TestNeedsAreEnough(t *testing.T) {
	closedAll := []ill.DateRange{{From: d(2026, 1, 1), To: d(2026, 12, 31)}}
	for _, rule := range ill.Table {
		if rule.Guard == ill.Never {
			continue
		}
		for _, from := range rule.From {
			r := fxRequest(from)
			r.ServiceType = rule.Service
			at := ill.Attempt{Action: rule.Action, Variant: rule.Variant, From: from, Roles: rule.By[:1], At: fxNow,
				SubmittedAt: r.SubmittedAt, Actor: "X", Request: r}
			full := fxFacts(t)
			full.Closures = map[string][]ill.DateRange{"THU": closedAll, "PKU": closedAll, "RUC": closedAll}
			slow := ill.CopyTerms{RespondDays: 2, DeliverDays: 7, Limit: 1}
			full.CopyTerms = map[string]ill.CopyTerms{"THU": slow, "PKU": slow, "RUC": slow}
			needs := rule.Needs(r)
			only := ill.Facts{Calendar: full.Calendar, Closures: map[string][]ill.DateRange{}, LoanMonths: 99, RecallDays: 99,
				CopyTerms: map[string]ill.CopyTerms{}}
			for _, lib := range needs.Libraries {
				only.Closures[lib] = closedAll
				if needs.CopyTerms {
					only.CopyTerms[lib] = slow
				}
			}
			if needs.LenderTerms {
				only.LoanMonths, only.RecallDays = full.LoanMonths, full.RecallDays
			}
			at.Facts = full
			a, errA := ill.Decide(at)
			at.Facts = only
			b, errB := ill.Decide(at)
			if errA != nil || errB != nil || fmt.Sprintf("%#v", render(a)) != fmt.Sprintf("%#v", render(b)) {
				t.Errorf("%s/%s from %s: needs %+v are not enough:\n all facts %+v\nneeded only %+v", rule.Action, rule.Variant, from, needs, render(a), render(b))
			}
		}
	}
}

// TestApply: a transition leaves the request as it says and touches
// nothing else; one that does not move leaves it alone.
func TestApply(t *testing.T) {
	r := fxRequest(ill.Requested)
	r.Provisional = true
	tr, err := ill.Decide(ill.Attempt{Action: ill.ActRespond, Variant: "unfilled", From: r.State, Roles: lenderRole, At: fxNow,
		Actor: "PKU", Request: r, Body: ill.ActionBody{Reason: ill.ReasonNotOnShelf}, Facts: fxFacts(t)})
	if err != nil {
		t.Fatal(err)
	}
	tr.Apply(r, fxNow)
	respond := time.Date(2026, 3, 5, 23, 59, 59, 0, ill.Shanghai)
	if r.State != ill.Requested || r.Lender != "RUC" || !r.RespondBy.Equal(respond) || !r.ShipBy.IsZero() || r.Provisional ||
		!r.UpdatedAt.Equal(fxNow) || r.Reason != "" || r.Title != "电路" {
		t.Errorf("after unfilled: %+v", r)
	}
	if r.Rota[0].Outcome != ill.OutcomeUnfilled || r.Rota[1].Outcome != ill.OutcomeAsked {
		t.Errorf("rota after unfilled: %+v", r.Rota)
	}

	r = fxRequest(ill.Requested)
	before := *r
	ill.Refuse(ill.Attempt{Action: ill.ActShip, From: r.State, At: fxNow, Actor: "PKU"}, errors.New("x")).Apply(r, fxNow)
	if r.State != before.State || !r.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("a refusal changed the request: %+v", r)
	}
}

func TestRefuseAndInform(t *testing.T) {
	err := &ill.Error{Code: ill.CodeInvalidTransition, Message: "cannot ship a request in state REQUESTED"}
	at := ill.Attempt{Action: ill.ActShip, From: ill.Requested, At: fxNow, Actor: "PKU"}
	tr := ill.Refuse(at, err)
	want := []string{`PKU ship REQUESTED→REQUESTED "refused: invalid_transition: cannot ship a request in state REQUESTED"`}
	if got := render(tr); tr.Moves() || !slices.Equal(got.lines, want) || len(tr.Events) != 1 ||
		tr.Events[0] != ill.DomainEvent(ill.Refused{Action: ill.ActShip, From: ill.Requested, Err: err}) {
		t.Errorf("Refuse: %+v", tr)
	}
	iso := &ill.ISOContext{Kind: "requestingAgencyMessage", What: "StatusRequest"}
	if !(ill.Message{ISO: iso}).Informs() || (ill.Message{ISO: iso, Action: ill.ActReceive}).Informs() || (ill.Message{}).Informs() {
		t.Error("Informs: only a message from another system without an action informs")
	}
	tr = ill.Inform(at)
	if tr.Moves() || len(tr.Lines) != 0 || len(tr.Events) != 1 || tr.Events[0] != ill.DomainEvent(ill.Informed{}) {
		t.Errorf("Inform: %+v", tr)
	}
}

// TestExpire: what each scheduler deadline does to one request.
func TestExpire(t *testing.T) {
	f := fxFacts(t)
	day := func(m time.Month, dd, hh int) time.Time { return time.Date(2026, m, dd, hh, 0, 0, 0, ill.Shanghai) }
	respondBy := time.Date(2026, 3, 3, 23, 59, 59, 0, ill.Shanghai)
	shipBy := time.Date(2026, 3, 5, 23, 59, 59, 0, ill.Shanghai) // Thursday: grace until Monday 9 March
	due := time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)
	cases := []struct {
		name  string
		timer ill.Timer
		state ill.State
		set   func(r *ill.Request)
		now   time.Time
		sent  []ill.NoticeKey
		want  string // "to | lines | notices"
	}{
		{"respond: not yet", ill.TimerRespond, ill.Requested, func(r *ill.Request) { r.RespondBy = respondBy }, day(3, 3, 23), nil,
			"REQUESTED | 0 | []"},
		{"respond: passed", ill.TimerRespond, ill.Requested, func(r *ill.Request) { r.RespondBy = respondBy }, day(3, 4, 0), nil,
			"REQUESTED | 2 | [new_request/2 RUC 2026-03-05 23:59]"},
		{"respond: a person acted first", ill.TimerRespond, ill.WillSupply, func(r *ill.Request) { r.RespondBy = respondBy }, day(3, 4, 0), nil,
			"WILL_SUPPLY | 0 | []"},
		{"ship: late, a reminder", ill.TimerShip, ill.WillSupply, func(r *ill.Request) { r.ShipBy = shipBy }, day(3, 9, 12), nil,
			"WILL_SUPPLY | 0 | [ship_late/0 PKU 2026-03-05 23:59]"},
		{"ship: reminded already", ill.TimerShip, ill.WillSupply, func(r *ill.Request) { r.ShipBy = shipBy }, day(3, 9, 12),
			[]ill.NoticeKey{{Kind: ill.NoticeShipLate}}, "WILL_SUPPLY | 0 | []"},
		{"ship: past the grace", ill.TimerShip, ill.WillSupply, func(r *ill.Request) { r.ShipBy = shipBy }, day(3, 10, 0), nil,
			"REQUESTED | 2 | [new_request/2 RUC 2026-03-11 23:59]"},
		{"overdue: day 0", ill.TimerOverdue, ill.OnLoan, func(r *ill.Request) { r.DueAt = due }, day(4, 2, 23), nil,
			"ON_LOAN | 0 | []"},
		{"overdue: day 1", ill.TimerOverdue, ill.OnLoan, func(r *ill.Request) { r.DueAt = due }, day(4, 3, 0), nil,
			"OVERDUE | 1 | [overdue/1 THU/P1 2026-04-02 23:59 overdue_library/1 THU 2026-04-02 23:59]"},
		{"overdue: day 9 of a recall, step 8", ill.TimerOverdue, ill.Recalled, func(r *ill.Request) { r.DueAt = due }, day(4, 11, 9), nil,
			"OVERDUE | 1 | [overdue/8 THU/P1 2026-04-02 23:59 overdue_library/8 THU 2026-04-02 23:59]"},
		{"overdue already: the next step's notices only", ill.TimerOverdue, ill.Overdue, func(r *ill.Request) { r.DueAt = due }, day(4, 10, 0),
			[]ill.NoticeKey{{Kind: ill.NoticeOverdue, Step: 1}, {Kind: ill.NoticeOverdueLibrary, Step: 1}},
			"OVERDUE | 0 | [overdue/8 THU/P1 2026-04-02 23:59 overdue_library/8 THU 2026-04-02 23:59]"},
		{"overdue: notified for the step", ill.TimerOverdue, ill.Overdue, func(r *ill.Request) { r.DueAt = due }, day(4, 9, 0),
			[]ill.NoticeKey{{Kind: ill.NoticeOverdue, Step: 1}, {Kind: ill.NoticeOverdueLibrary, Step: 1}}, "OVERDUE | 0 | []"},
		{"overdue: returned meanwhile", ill.TimerOverdue, ill.Returned, func(r *ill.Request) { r.DueAt = due }, day(4, 9, 0), nil,
			"RETURNED | 0 | []"},
		{"courtesy: 4 days before", ill.TimerCourtesy, ill.OnLoan, func(r *ill.Request) { r.DueAt = due }, day(3, 29, 8), nil,
			"ON_LOAN | 0 | []"},
		{"courtesy: 3 days before", ill.TimerCourtesy, ill.OnLoan, func(r *ill.Request) { r.DueAt = due }, day(3, 30, 8), nil,
			"ON_LOAN | 0 | [courtesy/0 THU/P1 2026-04-02 23:59]"},
		{"courtesy: past due", ill.TimerCourtesy, ill.Recalled, func(r *ill.Request) { r.DueAt = due }, day(4, 3, 8), nil,
			"RECALLED | 0 | []"},
		{"courtesy: not a loan", ill.TimerCourtesy, ill.Overdue, func(r *ill.Request) { r.DueAt = due }, day(3, 30, 8), nil,
			"OVERDUE | 0 | []"},
	}
	for _, c := range cases {
		r := fxRequest(c.state)
		r.DueAt = time.Time{}
		c.set(r)
		g := f
		g.Sent = c.sent
		tr := ill.Expire(c.timer, r, c.now, g)
		got := fmt.Sprintf("%s | %d | %v", tr.To, len(tr.Lines), render(tr).notices)
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
		if tr.Moves() != (tr.To != c.state) && c.timer != ill.TimerRespond {
			t.Errorf("%s: moves %v", c.name, tr.Moves())
		}
	}
}

// TestOverdueWindows: a loan lies in the window of its overdue step
// (OverdueStep), in exactly one, and the windows reach the oldest loan.
func TestOverdueWindows(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 10, 0, 0, ill.Shanghai)
	oldest := time.Date(2025, 12, 1, 23, 59, 59, 0, ill.Shanghai)
	for _, p := range []struct{ first, every int }{{1, 7}, {2, 3}, {0, 0}, {5, 1}} {
		ws := ill.OverdueWindows(now, oldest, p.first, p.every)
		if len(ws) == 0 || !ws[len(ws)-1].From.Before(oldest.Add(time.Second)) {
			t.Fatalf("%+v: windows do not reach the oldest loan: %v", p, ws)
		}
		for due := oldest; due.Before(now); due = due.Add(7 * time.Hour) {
			step := ill.OverdueStep(due, now, p.first, p.every)
			var in []int
			for _, w := range ws {
				if !due.Before(w.From) && due.Before(w.To) {
					in = append(in, w.Step)
				}
			}
			switch {
			case step == 0 && len(in) != 0:
				t.Errorf("%+v: due %v at step 0 lies in windows %v", p, due, in)
			case step > 0 && (len(in) != 1 || in[0] != step):
				t.Errorf("%+v: due %v at step %d lies in windows %v", p, due, step, in)
			}
		}
	}
	if ws := ill.OverdueWindows(now, time.Time{}, 1, 7); ws != nil {
		t.Errorf("no loans: %v", ws)
	}
}

// TestTimerStates: the jobs claim requests in the states their system
// actions are taken from (SPEC §3), by the deadline they enforce.
func TestTimerStates(t *testing.T) {
	want := map[ill.Timer]string{
		ill.TimerRespond:  "[REQUESTED] respond_by",
		ill.TimerShip:     "[WILL_SUPPLY] ship_by",
		ill.TimerOverdue:  "[ON_LOAN RECALLED OVERDUE] due_at",
		ill.TimerCourtesy: "[ON_LOAN RECALLED] due_at",
	}
	for tm, w := range want {
		if got := fmt.Sprint(tm.States(), " ", tm.Deadline()); got != w {
			t.Errorf("%s: %s, want %s", tm, got, w)
		}
	}
	from, to := ill.CourtesyWindow(time.Date(2026, 3, 30, 8, 0, 0, 0, ill.Shanghai))
	if stampOf(from) != "2026-03-30 08:00" || stampOf(to) != "2026-04-03 00:00" {
		t.Errorf("courtesy window %s … %s", stampOf(from), stampOf(to))
	}
}

// TestTimerNeedsAreEnough: Expire reads no closures besides those
// Timer.Needs names.
func TestTimerNeedsAreEnough(t *testing.T) {
	closedAll := []ill.DateRange{{From: d(2026, 1, 1), To: d(2026, 12, 31)}}
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, ill.Shanghai)
	for _, tm := range []ill.Timer{ill.TimerRespond, ill.TimerShip, ill.TimerOverdue, ill.TimerCourtesy} {
		for _, s := range []ill.State{ill.Requested, ill.WillSupply, ill.OnLoan} {
			r := fxRequest(s)
			r.RespondBy = time.Date(2026, 3, 3, 23, 59, 59, 0, ill.Shanghai)
			r.ShipBy = r.RespondBy
			r.DueAt = time.Date(2026, 3, 22, 23, 59, 59, 0, ill.Shanghai)
			full := fxFacts(t)
			full.Closures = map[string][]ill.DateRange{"THU": closedAll, "PKU": closedAll, "RUC": closedAll}
			only := ill.Facts{Calendar: full.Calendar, Closures: map[string][]ill.DateRange{}}
			for _, lib := range tm.Needs(r).Libraries {
				only.Closures[lib] = closedAll
			}
			a, b := ill.Expire(tm, r, now, full), ill.Expire(tm, r, now, only)
			if fmt.Sprintf("%#v", render(a)) != fmt.Sprintf("%#v", render(b)) {
				t.Errorf("%s on %s: needs are not enough:\n%+v\n%+v", tm, s, render(a), render(b))
			}
		}
	}
}

// ExampleDecide shows the state table deciding what a lender's answer
// does: PKU cannot supply, so the request goes to the next lender of the
// rota, RUC, which has one working day to answer and is told so.
func ExampleDecide() {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai) // a Monday
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", Title: "电路", State: ill.Requested,
		Rota: []ill.RotaEntry{
			{Library: "PKU", Rank: 1, Outcome: ill.OutcomeAsked},
			{Library: "RUC", Rank: 2, Outcome: ill.OutcomePending},
		}}
	tr, err := ill.Decide(ill.Attempt{
		Action: ill.ActRespond, Variant: "unfilled", From: r.State, Roles: []ill.Role{ill.RoleLender}, At: now,
		Actor: "PKU", Request: r, Body: ill.ActionBody{Decision: "unfilled", Reason: ill.ReasonNotOnShelf},
		// Weekends only: no holidays loaded, no library closures.
		Facts: ill.Facts{Calendar: ill.NewCalendar(ill.CalendarYear{Year: 2026})},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.From, "→", tr.To, "asking", tr.Rota.Ask)
	for _, l := range tr.Lines {
		fmt.Println("timeline:", l.Note)
	}
	for _, d := range tr.Deadlines {
		if d.At.IsZero() {
			fmt.Println(d.Field, "cleared")
			continue
		}
		fmt.Println(d.Field, "=", d.At.In(ill.Shanghai).Format("2006-01-02 15:04"))
	}
	for _, n := range tr.Notices {
		fmt.Println("notice:", n.Kind, "to", n.Library)
	}

	// The consumer applies it to the request it locked.
	tr.Apply(r, now)
	fmt.Println(r.State, r.Lender, r.Rota[0].Outcome, r.Rota[1].Outcome)
	// Output:
	// REQUESTED → REQUESTED asking RUC
	// timeline: PKU unfilled: not_on_shelf
	// timeline: asked RUC (rank 2)
	// respond_by = 2026-03-03 23:59
	// ship_by cleared
	// notice: new_request to RUC
	// REQUESTED RUC unfilled asked
}

// chained reports whether lines record a combined step (supply_ship: the
// answer and the shipment) as moves from from to to, each line going on
// from where the one before ended.
func chained(lines []ill.Event, from, to ill.State) bool {
	at := from
	for _, l := range lines {
		if l.From != at && l.From != l.To {
			return false
		}
		at = l.To
	}
	return at == to
}

// fxLenderDue is a due date a lender sends with its shipment (ISO 18626).
var fxLenderDue = time.Date(2026, 3, 20, 23, 59, 59, 0, ill.Shanghai)

// TestLenderUnreachableOnlyForTheLenderAsked: a give-up that arrives after
// the request moved on from that lender changes nothing.
func TestLenderUnreachableOnlyForTheLenderAsked(t *testing.T) {
	r := fxRequest(ill.Requested)
	_, err := ill.Decide(ill.Attempt{Action: ill.ActLenderUnreachable, From: ill.Requested, Roles: []ill.Role{ill.RoleSystem},
		At: fxNow, Actor: ill.SystemActor, Request: r, Body: ill.ActionBody{Lenders: []string{"RUC"}}, Facts: fxFacts(t)})
	if codeOf(err) != ill.CodeInvalidTransition {
		t.Fatalf("give-up for a lender no longer asked: %v, want invalid_transition", err)
	}
	for _, who := range [][]ill.Role{{ill.RoleLender}, {ill.RoleBorrower}, {ill.RoleCentre}} {
		if _, err := ill.Allow(ill.Attempt{Action: ill.ActLenderUnreachable, From: ill.Requested, Roles: who}); codeOf(err) != ill.CodeForbidden {
			t.Errorf("%v may not give up on a lender: %v", who, err)
		}
	}
	for _, from := range []ill.State{ill.CancelPending, ill.Shipped, ill.Cancelled} {
		if _, err := ill.Allow(ill.Attempt{Action: ill.ActSupplyShip, From: from, Roles: []ill.Role{ill.RoleLender}}); codeOf(err) != ill.CodeInvalidTransition {
			t.Errorf("supply_ship from %s: %v, want invalid_transition", from, err)
		}
	}
}
