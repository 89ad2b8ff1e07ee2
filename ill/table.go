package ill

import (
	"fmt"
	"slices"
	"time"
)

// Action is something a party does to a request. API actions are the path
// segment of POST /v1/requests/{id}/{action}; system actions are taken by the
// hub's consumers and the scheduler.
type Action string

const (
	ActSubmit         Action = "submit"
	ActMediate        Action = "mediate"
	ActRespond        Action = "respond"
	ActShip           Action = "ship"
	ActReceive        Action = "receive"
	ActCheckout       Action = "checkout"
	ActRecall         Action = "recall"
	ActRenew          Action = "renew"
	ActReturn         Action = "return"
	ActShipReturn     Action = "ship_return"
	ActCheckin        Action = "checkin"
	ActCancel         Action = "cancel"
	ActCancelResponse Action = "cancel_response"
	ActReportLost     Action = "report_lost"
	// ActDeliver: the lender delivered a copy request electronically
	// (body file_id), from REQUESTED or WILL_SUPPLY.
	ActDeliver Action = "deliver"

	// System actions (hub consumers and scheduler).
	ActRoute          Action = "route"            // SUBMITTED → REQUESTED / UNFILLED
	ActHold           Action = "hold"             // SUBMITTED → NEEDS_MEDIATION
	ActReject         Action = "reject"           // SUBMITTED → REJECTED
	ActRespondTimeout Action = "respond_deadline" // R9: no response
	ActShipTimeout    Action = "ship_deadline"    // R9: not shipped
	ActMarkOverdue    Action = "overdue"
	// ActDeliverTimeout: a copy's deliver_by passed (the lender neither
	// delivered nor declined): the next lender is asked at once.
	ActDeliverTimeout Action = "deliver_deadline"
	// ActCloseDelivery ends a delivered copy: the reader used up the
	// downloads (variant downloaded) or the link expired (expired).
	ActCloseDelivery Action = "close_delivery"

	// ActSupplyShip is an ISO 18626 lender's Loaned: from REQUESTED the
	// answer and the shipment in one step (ISO 18626 lets a supplier
	// answer a request with Loaned, no WillSupply first), from WILL_SUPPLY
	// the shipment. Not an API action: JSON lenders respond, then ship.
	ActSupplyShip Action = "supply_ship"
	// ActLenderUnreachable: the hub gave up delivering the request to the
	// current lender's ISO 18626 system (dead-lettered, or refused with an
	// ERROR confirmation); the next lender is asked at once instead of at
	// respond_by. Body.Lenders names the lender given up on: the action is
	// refused when the request has moved on from it since.
	ActLenderUnreachable Action = "lender_unreachable"
)

// APIActions are the actions a member library may post, in SPEC order.
var APIActions = []Action{
	ActMediate, ActRespond, ActShip, ActReceive, ActCheckout, ActRecall, ActRenew,
	ActReturn, ActShipReturn, ActCheckin, ActCancel, ActCancelResponse, ActReportLost,
	ActDeliver, // copy requests (SPEC 5.4)
}

// IsAPIAction reports whether a may be posted by a library.
func IsAPIAction(a Action) bool { return slices.Contains(APIActions, a) }

// Role is the capacity in which a caller acts on one request.
type Role string

const (
	RoleBorrower Role = "borrower" // the library whose reader asked
	RoleLender   Role = "lender"   // the current lender in the rota
	RoleCentre   Role = "centre"   // the BALIS management centre
	RoleSystem   Role = "system"   // the hub itself: consumers and scheduler
)

// Guard is an extra condition a rule checks beyond state and role.
type Guard int

const (
	NoGuard      Guard = iota
	ReaderWindow       // R12: only within 1 hour of submission
	Never              // R5: the action exists but is always refused
)

// ReaderCancelWindow is R12's window for a reader's own cancel.
const ReaderCancelWindow = time.Hour

// Variant selects one outcome of an action from its body: respond's decision,
// cancel's "by", cancel_response's accept ("yes"/"no").
type Variant string

// Rule is one row of the state table: action (and variant), the states it
// may be taken from, who may take it, and where it leads. When Routes is set
// the target is decided by the rota: REQUESTED at the next lender, or
// UNFILLED when none is left. Service, when set, is the only service type
// the row applies to (loans ship and return, copies are delivered); ""
// applies to both.
type Rule struct {
	Action  Action
	Variant Variant
	From    []State
	By      []Role
	To      State
	Routes  bool
	Guard   Guard
	Service ServiceType
}

var (
	borrower        = []Role{RoleBorrower}
	lender          = []Role{RoleLender}
	borrowerOrCtr   = []Role{RoleBorrower, RoleCentre}
	system          = []Role{RoleSystem}
	beforeAccept    = []State{Submitted, NeedsMediation, Requested}
	lenderAnswering = []State{Requested, WillSupply}
	loans           = ServiceLoan
	copies          = ServiceCopy
)

// Table is the whole request life cycle of SPEC §3 as data. The HTTP API (to
// answer 403/409 synchronously), the ISO 18626 adapter and the console
// consult it through Decide (or Allow) to check an attempt; the consumers,
// authoritatively under a row lock, get from Decide the transition they
// carry out, and the scheduler from Expire, which decides its system
// actions through Decide too.
var Table = []Rule{
	// A mediated request (NEEDS_MEDIATION, given a record) is checked and
	// routed like a new one: it may be rejected or routed from there too.
	{Action: ActRoute, From: []State{Submitted, NeedsMediation}, By: system, To: Requested, Routes: true},
	{Action: ActHold, From: []State{Submitted}, By: system, To: NeedsMediation},
	{Action: ActReject, From: []State{Submitted, NeedsMediation}, By: system, To: Rejected},
	{Action: ActMediate, From: []State{NeedsMediation}, By: borrowerOrCtr, To: Requested, Routes: true},
	{Action: ActRespond, Variant: "will_supply", From: []State{Requested}, By: lender, To: WillSupply},
	{Action: ActRespond, Variant: "unfilled", From: lenderAnswering, By: lender, To: Requested, Routes: true},
	{Action: ActShip, From: []State{WillSupply}, By: lender, To: Shipped, Service: loans},
	{Action: ActReceive, From: []State{Shipped}, By: borrower, To: Received, Service: loans},
	{Action: ActCheckout, From: []State{Received}, By: borrower, To: OnLoan, Service: loans},
	{Action: ActRecall, From: []State{OnLoan, Overdue, Received}, By: lender, To: Recalled, Service: loans},
	{Action: ActRenew, From: []State{Received, OnLoan, Recalled, Overdue}, By: borrower, Guard: Never, Service: loans},
	{Action: ActReturn, From: []State{OnLoan, Overdue, Recalled}, By: borrower, To: Returned, Service: loans},
	{Action: ActShipReturn, From: []State{Returned}, By: borrower, To: ReturnShipped, Service: loans},
	{Action: ActCheckin, From: []State{ReturnShipped}, By: lender, To: Completed, Service: loans},
	{Action: ActCancel, Variant: "reader", From: beforeAccept, By: borrower, To: Cancelled, Guard: ReaderWindow},
	{Action: ActCancel, Variant: "reader", From: []State{WillSupply}, By: borrower, To: CancelPending, Guard: ReaderWindow},
	{Action: ActCancel, Variant: "staff", From: beforeAccept, By: borrower, To: Cancelled},
	{Action: ActCancel, Variant: "staff", From: []State{WillSupply}, By: borrower, To: CancelPending},
	{Action: ActCancelResponse, Variant: "yes", From: []State{CancelPending}, By: lender, To: Cancelled},
	{Action: ActCancelResponse, Variant: "no", From: []State{CancelPending}, By: lender, To: WillSupply},
	{Action: ActReportLost, From: LoanStates, By: []Role{RoleBorrower, RoleLender}, To: Lost, Service: loans},
	{Action: ActRespondTimeout, From: []State{Requested}, By: system, To: Requested, Routes: true},
	{Action: ActShipTimeout, From: []State{WillSupply}, By: system, To: Requested, Routes: true, Service: loans},
	{Action: ActMarkOverdue, From: []State{OnLoan, Recalled}, By: system, To: Overdue, Service: loans},
	{Action: ActSupplyShip, From: lenderAnswering, By: lender, To: Shipped, Service: loans},
	{Action: ActLenderUnreachable, From: []State{Requested}, By: system, To: Requested, Routes: true},

	// Copy requests (文献传递): delivered electronically instead of
	// shipped; no courier, no due date, nothing comes back.
	{Action: ActDeliver, From: lenderAnswering, By: lender, To: Delivered, Service: copies},
	{Action: ActDeliverTimeout, From: lenderAnswering, By: system, To: Requested, Routes: true, Service: copies},
	{Action: ActCloseDelivery, Variant: CloseDownloaded, From: []State{Delivered}, By: system, To: Completed, Service: copies},
	{Action: ActCloseDelivery, Variant: CloseExpired, From: []State{Delivered}, By: system, To: Completed, Service: copies},
}

// Attempt is one party's try at an action, as Allow and Decide see it.
// The first seven fields are the check (who may do what from where, for
// which service); the rest are what Decide computes the effects from.
type Attempt struct {
	Action      Action
	Variant     Variant
	From        State
	Roles       []Role      // every capacity the caller holds on this request
	At          time.Time   // when the action was taken (the intake's clock)
	SubmittedAt time.Time   // the request's submission time, for R12
	Service     ServiceType // the request's service type ("" is a loan)

	// Actor is who acts, as the timeline names it: a library code,
	// CentreCode or SystemActor.
	Actor string
	// Request is the request as the consumer locked it (Decide reads it,
	// never writes it). Nil: Decide only checks the attempt, as the API
	// does to answer 403/409 at once, and the transition has no effects.
	Request *Request
	Body    ActionBody // the action's body (respond's reason, ship's barcode, …)
	Facts   Facts      // what only the consumer can look up (Rule.Needs says which)
}

// Allow finds the rule that allows the attempt, or explains the refusal
// with a stable code, checked in this order:
//   - bad_request: no such action or variant;
//   - forbidden: the caller holds none of the roles the action needs;
//   - invalid_transition: the action does not apply to the request's
//     service type (a copy is not shipped, a loan not delivered);
//   - renewal_not_allowed: R5;
//   - invalid_transition: not allowed from the current state (names it);
//   - cancel_window_passed: a reader's cancel after 1 hour (R12).
//
// Allow reads only the first seven fields of the attempt (and the
// request's service type when Request is set).
func Allow(at Attempt) (Rule, error) {
	var known, permitted []Rule
	for _, r := range Table {
		if r.Action != at.Action || r.Variant != at.Variant {
			continue
		}
		known = append(known, r)
		if hasAnyRole(r.By, at.Roles) {
			permitted = append(permitted, r)
		}
	}
	if len(known) == 0 {
		if at.Variant != "" {
			return Rule{}, FieldError(variantField(at.Action), "%q is not a valid value for %s", at.Variant, at.Action)
		}
		return Rule{}, Errorf(CodeBadRequest, "unknown action %q", at.Action)
	}
	if len(permitted) == 0 {
		return Rule{}, Errorf(CodeForbidden, "you may not %s this request", at.Action)
	}
	service := at.Service.OrLoan()
	if at.Request != nil {
		service = at.Request.ServiceType.OrLoan() // the request is the authority
	}
	permitted = slices.DeleteFunc(permitted, func(r Rule) bool { return r.Service != "" && r.Service != service })
	if len(permitted) == 0 {
		return Rule{}, &Error{Code: CodeInvalidTransition, State: at.From,
			Message: fmt.Sprintf("cannot %s a %s request (state %s)", at.Action, service, at.From)}
	}
	for _, r := range permitted {
		if !slices.Contains(r.From, at.From) {
			continue
		}
		switch r.Guard {
		case Never:
			return Rule{}, &Error{Code: CodeRenewalNotAllowed, State: at.From,
				Message: "BALIS interlibrary loans cannot be renewed (本馆际互借服务不提供续借)"}
		case ReaderWindow:
			if at.At.Sub(at.SubmittedAt) > ReaderCancelWindow {
				return Rule{}, &Error{Code: CodeCancelWindow, State: at.From,
					Message: "a reader may cancel only within 1 hour of submitting; ask library staff (读者仅可在提交后1小时内撤销)"}
			}
		}
		return r, nil
	}
	if permitted[0].Guard == Never {
		return Rule{}, &Error{Code: CodeRenewalNotAllowed, State: at.From,
			Message: "BALIS interlibrary loans cannot be renewed (本馆际互借服务不提供续借)"}
	}
	return Rule{}, &Error{Code: CodeInvalidTransition, State: at.From,
		Message: fmt.Sprintf("cannot %s a request in state %s", at.Action, at.From)}
}

// Variants lists the valid variants of an action ("" when it has none).
func Variants(a Action) []Variant {
	var out []Variant
	for _, r := range Table {
		if r.Action == a && !slices.Contains(out, r.Variant) {
			out = append(out, r.Variant)
		}
	}
	return out
}

func variantField(a Action) string {
	switch a {
	case ActRespond:
		return "decision"
	case ActCancel:
		return "by"
	case ActCancelResponse:
		return "accept"
	case ActCloseDelivery:
		return "reason"
	}
	return "action"
}

func hasAnyRole(need, have []Role) bool {
	for _, r := range have {
		if slices.Contains(need, r) {
			return true
		}
	}
	return false
}
