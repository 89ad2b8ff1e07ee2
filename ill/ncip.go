package ill

import (
	"context"
	"time"
)

// NCIP 2.0 to the members' local library systems (docs/ncip.md). A member
// may register the NCIP endpoint of its own ILS; the hub then tells that
// ILS, as NCIP follow-on calls of the request's transitions, what it must
// know: the reader on submit (LookupUser), the temporary item at the
// borrowing library (AcceptItem), the loans (CheckOutItem) and their ends
// (CheckInItem). The calls never decide anything about the request: they
// are written to the outbox in the transaction of the transition and
// delivered afterwards, and their outcomes only go on the timeline.

// MsgNCIP is the message type (routing key) of one stored NCIP call to
// deliver: outbox → ncip pool, body {"ncip_call_id": N}.
const MsgNCIP = "ncip.call"

// AuditNCIPRegistration is the audit action of a change to a member's NCIP
// registration (illctl library ncip).
const AuditNCIPRegistration AuditAction = "ncip.register"

// ActNCIP is the timeline action of NCIP outcomes (they change no state).
const ActNCIP Action = "ncip"

// NCIPMember is a member library's NCIP registration: the endpoint of its
// ILS's NCIP responder ("" when it has none: no calls), the agency id the
// hub sends as FromAgencyId ("" → the hub's own symbol) and the ILS's own
// agency id, sent as ToAgencyId ("" → the library's code).
type NCIPMember struct {
	Code       string
	Endpoint   string
	FromAgency string
	ToAgency   string
}

// Enabled reports whether the member's ILS takes NCIP calls; a nil member
// (none registered) does not.
func (m *NCIPMember) Enabled() bool { return m != nil && m.Endpoint != "" }

// NCIPRegistration is what `illctl library ncip` sets. Empty agencies keep
// the stored values; Endpoint is always set ("" switches NCIP off for the
// member).
type NCIPRegistration struct {
	Code, Endpoint, FromAgency, ToAgency string
}

// NCIPService is an NCIP 2.02 service the hub initiates.
type NCIPService string

const (
	NCIPLookupUser   NCIPService = "LookupUser"
	NCIPAcceptItem   NCIPService = "AcceptItem"
	NCIPCheckOutItem NCIPService = "CheckOutItem"
	NCIPCheckInItem  NCIPService = "CheckInItem"
)

// NCIPStatus is a stored NCIP call's delivery status (ncip_calls.status).
type NCIPStatus string

const (
	NCIPPending NCIPStatus = "pending" // not delivered yet: retried
	NCIPSent    NCIPStatus = "sent"    // the ILS answered without a Problem
	NCIPFailed  NCIPStatus = "failed"  // given up: attempts spent, or the ILS answered a Problem
)

// NCIPCall is one stored NCIP call: the request it belongs to, the member
// whose ILS it goes to, the service and the XML body (written when the
// transition was applied), its delivery status and attempts, and the
// ILS's answer as the hub summarised it (Outcome).
type NCIPCall struct {
	ID          int64
	RequestID   string
	LibraryCode string
	Service     NCIPService
	Body        string
	Status      NCIPStatus
	Attempts    int
	LastError   string
	Outcome     string
	CreatedAt   time.Time
	SentAt      time.Time
}

// NCIPCallSpec is one call a transition asks for: which service at which
// party's ILS.
type NCIPCallSpec struct {
	Service NCIPService
	Side    Role // RoleBorrower or RoleLender
}

// NCIPCallsFor is the mapping of state changes to NCIP calls (the table in
// docs/ncip.md):
//
//   - submit (SUBMITTED → REQUESTED or NEEDS_MEDIATION): LookupUser at the
//     borrower (the reader's standing in its ILS, recorded on the timeline);
//   - SHIPPED: CheckOutItem at the lender (the item leaves as a loan to the
//     borrowing library's ILL patron account);
//   - RECEIVED: AcceptItem at the borrower (a temporary item held for the
//     reader);
//   - ON_LOAN (checkout): CheckOutItem at the borrower, to the reader;
//   - RETURNED, or RETURN_SHIPPED without RETURNED before it: CheckInItem at
//     the borrower;
//   - COMPLETED (checkin): CheckInItem at the lender.
//
// Everything else (recall, overdue, renew, cancel, lost, timeouts) asks
// for nothing: the ILS's own loan is left as the member's staff handle it.
func NCIPCallsFor(action Action, from, to State) []NCIPCallSpec {
	switch {
	case from == Submitted && (to == Requested || to == NeedsMediation):
		return []NCIPCallSpec{{NCIPLookupUser, RoleBorrower}}
	case from == to:
		return nil
	case to == Shipped:
		return []NCIPCallSpec{{NCIPCheckOutItem, RoleLender}}
	case to == Received:
		return []NCIPCallSpec{{NCIPAcceptItem, RoleBorrower}}
	case to == OnLoan && action == ActCheckout:
		return []NCIPCallSpec{{NCIPCheckOutItem, RoleBorrower}}
	case to == Returned, to == ReturnShipped && from != Returned:
		return []NCIPCallSpec{{NCIPCheckInItem, RoleBorrower}}
	case to == Completed:
		return []NCIPCallSpec{{NCIPCheckInItem, RoleLender}}
	}
	return nil
}

// NCIPDirectory is the members' NCIP registrations.
type NCIPDirectory interface {
	// NCIPMember returns member code's NCIP registration; nil (and no
	// error) when it has none.
	NCIPMember(ctx context.Context, code string) (*NCIPMember, error)
	// SetNCIP stores a registration (see NCIPRegistration); not_found
	// when reg.Code is not a member.
	SetNCIP(ctx context.Context, reg NCIPRegistration) error
}
