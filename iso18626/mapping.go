package iso18626

import (
	"slices"

	"github.com/balis/illhub/ill"
)

// The mapping between ISO 18626 and the hub's state table (ill/table.go),
// as data. docs/iso18626.md prints these tables.

// StatusOf is the ISO status reported for a request in hub state s (in
// StatusRequestResponse and in every supplyingAgencyMessage's statusInfo).
var StatusOf = map[ill.State]Status{
	ill.Submitted:      StatusRequestReceived,
	ill.NeedsMediation: StatusRequestReceived,
	ill.Requested:      StatusRequestReceived,
	ill.WillSupply:     StatusWillSupply,
	ill.CancelPending:  StatusWillSupply,
	ill.Shipped:        StatusLoaned,
	ill.Received:       StatusLoaned,
	ill.OnLoan:         StatusLoaned,
	ill.Recalled:       StatusRecalled,
	ill.Overdue:        StatusOverdue,
	ill.Returned:       StatusLoaned,
	ill.ReturnShipped:  StatusLoaned,
	ill.Delivered:      StatusCopyCompleted,
	ill.Completed:      StatusLoanCompleted,
	ill.Unfilled:       StatusUnfilled,
	ill.Rejected:       StatusUnfilled,
	ill.Cancelled:      StatusCancelled,
	ill.Lost:           StatusCompletedWithoutReturn,
}

// StatusFor is the ISO status reported for r: StatusOf its state, but a
// copy request's COMPLETED is CopyCompleted, as its DELIVERED is.
func StatusFor(r *ill.Request) Status {
	if r.ServiceType.IsCopy() && r.State == ill.Completed {
		return StatusCopyCompleted
	}
	return StatusOf[r.State]
}

// Inbound is what an incoming ISO message becomes in the hub: an action of
// the state table with its variant (Decide), or nothing (Action "") when
// the message only informs (it is confirmed OK and recorded).
type Inbound struct {
	Action  ill.Action
	Variant ill.Variant
	// Then is a follow-up action the hub takes for an ISO member right
	// after Action succeeds, because ISO 18626 has one step where the
	// hub has two (Received = receive + checkout; ShippedReturn = return
	// + ship_return).
	Then ill.Action
}

// FromAction maps a requestingAgencyMessage's action (from a borrower).
// StatusRequest and Notification are answered without a state change;
// ShippedForward is not part of BALIS (returns go back to the lender).
var FromAction = map[Action]Inbound{
	ActionReceived:      {Action: ill.ActReceive, Then: ill.ActCheckout},
	ActionCancel:        {Action: ill.ActCancel, Variant: "staff"},
	ActionRenew:         {Action: ill.ActRenew},
	ActionShippedReturn: {Action: ill.ActReturn, Then: ill.ActShipReturn},
	ActionStatusRequest: {},
	ActionNotification:  {},
}

// FromSupplier maps a supplyingAgencyMessage (from a lender): by reason
// and status, or by status alone (reason ""). CancelResponse is decided
// by answerYesNo (see SupplierInbound).
var FromSupplier = map[Status]Inbound{
	StatusExpectToSupply: {Action: ill.ActRespond, Variant: "will_supply"},
	StatusWillSupply:     {Action: ill.ActRespond, Variant: "will_supply"},
	StatusUnfilled:       {Action: ill.ActRespond, Variant: "unfilled"},
	StatusRetryPossible:  {Action: ill.ActRespond, Variant: "unfilled"},
	// Loaned: the shipment, and from REQUESTED the answer too (a supplier
	// may answer a request with Loaned directly; supply_ship).
	StatusLoaned:        {Action: ill.ActSupplyShip},
	StatusRecalled:      {Action: ill.ActRecall},
	StatusLoanCompleted: {Action: ill.ActCheckin},
	// CompletedWithoutReturn: the lender closes the loan without the item
	// back, i.e. written off as lost (settled by the lender's rules, R11).
	StatusCompletedWithoutReturn: {Action: ill.ActReportLost},
	// CopyCompleted: a copy delivered (deliveryInfo/itemId the URL, sentVia
	// URL); the hub's deliver, from REQUESTED too.
	StatusCopyCompleted:   {Action: ill.ActDeliver},
	StatusRequestReceived: {},
	StatusOverdue:         {}, // the hub's scheduler decides overdue (R4)
}

// ElectronicDelivery are the sentVia values of delivery without a physical
// item (ISO 18626's list; matched without case): a copy's (CopyCompleted),
// never a loan's (Loaned).
var ElectronicDelivery = []string{"URL", "Email", "FTP", "ArticleExchange", "Odyssey"}

// SupplierInbound maps one supplyingAgencyMessage to a hub action. ok is
// false when the hub cannot take the status at all; an Inbound with
// Action "" only informs.
func SupplierInbound(s *SupplyingAgencyMessage) (in Inbound, ok bool) {
	switch s.MessageInfo.ReasonForMessage {
	case ReasonCancelResponse:
		if s.MessageInfo.AnswerYesNo == Yes || s.StatusInfo.Status == StatusCancelled {
			return Inbound{Action: ill.ActCancelResponse, Variant: "yes"}, true
		}
		return Inbound{Action: ill.ActCancelResponse, Variant: "no"}, true
	case ReasonNotification, ReasonStatusRequestResponse, ReasonRenewResponse:
		return Inbound{}, true
	}
	if s.StatusInfo.Status == StatusCancelled {
		return Inbound{Action: ill.ActCancelResponse, Variant: "yes"}, true
	}
	in, ok = FromSupplier[s.StatusInfo.Status]
	return in, ok
}

// UnfilledReasonFrom maps a reasonUnfilled value (ISO/ILL codes as crosslink
// and ReShare send them, or the hub's own reason codes) to a lender reason.
// No value, or one the hub does not know, is ill.ReasonUnspecified: the
// hub records that the lender gave no reason it can read rather than
// inventing one (the value itself goes on the timeline with the note).
func UnfilledReasonFrom(v string) ill.Reason {
	if r := ill.Reason(v); ill.LenderUnfilledReasons[r] || r == ill.ReasonUnspecified {
		return r
	}
	switch v {
	case "NotHeld", "not-held", "NotFound":
		return ill.ReasonNotHeld
	case "NotOnShelf", "not-on-shelf", "InUse", "OnLoan", "not-available":
		return ill.ReasonNotOnShelf
	case "NonCirculating", "non-circulating", "LibraryUseOnly":
		return ill.ReasonNonCirculating
	case "NotAvailableForILL", "not-available-for-ill":
		return ill.ReasonNotAvailableForILL
	case "PoorCondition", "poor-condition":
		return ill.ReasonPoorCondition
	case "PolicyProblem", "policy-problem":
		return ill.ReasonPolicyProblem
	}
	return ill.ReasonUnspecified
}

// ReasonUnfilledOf is the reasonUnfilled value written for a hub reason.
var ReasonUnfilledOf = map[ill.Reason]string{
	ill.ReasonNotHeld:            "NotHeld",
	ill.ReasonNotOnShelf:         "NotOnShelf",
	ill.ReasonNonCirculating:     "NonCirculating",
	ill.ReasonNotAvailableForILL: "NotAvailableForILL",
	ill.ReasonPolicyProblem:      "PolicyProblem",
	ill.ReasonPoorCondition:      "PoorCondition",
	ill.ReasonNoResponse:         "NoResponse",
	ill.ReasonNotShipped:         "NotShipped",
	ill.ReasonOverLimit:          "PolicyProblem",
	ill.ReasonNotEligible:        "NotAvailableForILL",
	ill.ReasonDepositRequired:    "PolicyProblem",
	ill.ReasonHeldLocally:        "HeldLocally",
	ill.ReasonDuplicate:          "Duplicate",
	ill.ReasonInvalid:            "Invalid",
}

// Ahead reports whether hub action a (variant v) is not allowed in state
// from yet but may be once messages of the same sender already on their
// way are applied: a state the action is allowed in is reachable from
// from through actions of the party that takes a (the lender for a
// supplier's message, the borrower for a requester's). Messages of one
// member travel through the queue concurrently, so a Loaned sent right
// after a WillSupply can meet the request still REQUESTED; such a
// message is accepted and retried. A message that only the other party
// could make possible (a LoanCompleted while the book is still with the
// borrower: the lender learns of the return from the hub, after the hub
// applied it) can never become allowed by waiting, and is refused at once.
func Ahead(a ill.Action, v ill.Variant, from ill.State) bool {
	if from.Terminal() {
		return false
	}
	party := map[ill.Role]bool{}
	allowedIn := map[ill.State]bool{}
	for _, r := range ill.Table {
		if r.Action != a || r.Variant != v {
			continue
		}
		for _, by := range r.By {
			if by == ill.RoleBorrower || by == ill.RoleLender {
				party[by] = true
			}
		}
		for _, st := range r.From {
			allowedIn[st] = true
		}
	}
	if allowedIn[from] || len(party) == 0 {
		return false
	}
	// The states the party's own actions lead to from from (To "" keeps
	// the state; a routing rule's outcome is the router's, not the
	// party's, and is left out).
	seen := map[ill.State]bool{from: true}
	next := []ill.State{from}
	for len(next) > 0 {
		st := next[0]
		next = next[1:]
		for _, r := range ill.Table {
			if r.To == "" || r.Routes || seen[r.To] || !slices.Contains(r.From, st) ||
				!slices.ContainsFunc(r.By, func(by ill.Role) bool { return party[by] }) {
				continue
			}
			if allowedIn[r.To] {
				return true
			}
			seen[r.To] = true
			next = append(next, r.To)
		}
	}
	return false
}
