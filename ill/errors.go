package ill

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code. The set is closed: each
// code has one HTTP status (Code.HTTPStatus, which the JSON API, the ISO
// 18626 intake and the console answer with) and the consumers map errors
// to ack/requeue/dead-letter in one place (DispositionFor).
type Code string

const (
	CodeBadRequest        Code = "bad_request"          // malformed body or invalid field (400)
	CodeUnauthorized      Code = "unauthorized"         // missing or unknown API key (401)
	CodeForbidden         Code = "forbidden"            // caller is not a party for this (403)
	CodeNotFound          Code = "not_found"            // no such resource (404)
	CodeMethodNotAllowed  Code = "method_not_allowed"   // (405)
	CodeInvalidTransition Code = "invalid_transition"   // action not allowed in the current state (409)
	CodeRenewalNotAllowed Code = "renewal_not_allowed"  // R5 (409)
	CodeCancelWindow      Code = "cancel_window_passed" // R12: reader cancel after 1 hour (409)
	CodeConflict          Code = "conflict"             // e.g. client_request_id reused with other content (409)
	CodeTooLarge          Code = "payload_too_large"    // body over 1 MiB (413)
	CodeRateLimited       Code = "rate_limited"         // too many requests for this key (429, Retry-After)
	CodeUnsupportedMedia  Code = "unsupported_media_type"
	CodeUnavailable       Code = "unavailable"   // broker or database down (503, Retry-After)
	CodeInternal          Code = "internal"      // bug or unexpected failure (500)
	CodeTransient         Code = "transient"     // retry later (consumers: requeue)
	CodeUndeliverable     Code = "undeliverable" // a notice failed for good (consumers: dead-letter)
)

// Courier codes.
const (
	CodeUnknownBarcode  Code = "unknown_barcode"  // no shipment or loan carries this barcode (404); listed for review
	CodeBarcodeMismatch Code = "barcode_mismatch" // the barcode is not the one this request shipped (409); listed for review
)

// Copy request codes.
const (
	CodeCopyTooLarge Code = "copy_too_large" // a book part over a third of the book (422)
)

// Delivery codes.
const (
	// CodeLinkExpired: a genuine download link that is used up: past its
	// expiry, at its download limit, or its file deleted (410).
	CodeLinkExpired Code = "link_expired"
)

// HTTPStatus is the status every HTTP adapter answers an error of code c
// with (SPEC 5.1; docs/states.md lists it per code). It is the only
// mapping of codes to statuses: 500 for internal, undeliverable and any
// code outside the set. 503 and 429 answers carry Retry-After (the
// adapter's concern).
func (c Code) HTTPStatus() int {
	switch c {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound, CodeUnknownBarcode:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeInvalidTransition, CodeRenewalNotAllowed, CodeCancelWindow, CodeConflict, CodeBarcodeMismatch:
		return http.StatusConflict
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case CodeUnavailable, CodeTransient:
		return http.StatusServiceUnavailable
	case CodeCopyTooLarge:
		return http.StatusUnprocessableEntity
	case CodeLinkExpired:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

// Error is a domain error with a stable code, a human message and, for
// bad_request, the offending field.
type Error struct {
	Code    Code
	Message string
	Field   string
	State   State // for invalid_transition: the current state
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError is a bad_request naming the field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: CodeBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, CodeInternal for foreign errors and ""
// for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Disposition is what a consumer does with a delivery after its handler ran.
type Disposition int

const (
	Ack        Disposition = iota // done (including business refusals, recorded as events)
	Requeue                       // transient: try again later (counts towards the delivery limit)
	DeadLetter                    // can never succeed: send to the dead-letter queue now
)

// DispositionFor maps a handler error to what happens to the delivery. This
// is the only place that decides it.
func DispositionFor(err error) Disposition {
	switch ErrorCode(err) {
	case "":
		return Ack
	case CodeBadRequest, CodeNotFound, CodeForbidden, CodeUnauthorized, CodeTooLarge, CodeConflict,
		CodeUndeliverable, CodeInvalidTransition, CodeRenewalNotAllowed, CodeCancelWindow,
		CodeMethodNotAllowed, CodeUnsupportedMedia,
		CodeUnknownBarcode, CodeBarcodeMismatch, CodeCopyTooLarge, CodeLinkExpired:
		return DeadLetter
	default: // transient, unavailable, internal and foreign errors (consumers hold unavailable ones)
		return Requeue
	}
}

// Reason is the code stored with REJECTED, UNFILLED, CANCELLED and LOST
// requests and with unfilled rota entries. The values are part of the API.
type Reason string

const (
	ReasonOverLimit       Reason = "over_limit"
	ReasonNotEligible     Reason = "not_eligible"
	ReasonDepositRequired Reason = "deposit_required"
	ReasonHeldLocally     Reason = "held_locally"
	ReasonDuplicate       Reason = "duplicate"
	ReasonInvalid         Reason = "invalid"

	ReasonNotHeld            Reason = "not_held"
	ReasonNotOnShelf         Reason = "not_on_shelf"
	ReasonNonCirculating     Reason = "non_circulating"
	ReasonNotAvailableForILL Reason = "not_available_for_ill"
	ReasonPolicyProblem      Reason = "policy_problem"
	ReasonPoorCondition      Reason = "poor_condition"
	ReasonNoResponse         Reason = "no_response"
	ReasonNotShipped         Reason = "not_shipped"
	// ReasonNotDelivered: a copy's deliver_by passed at a lender.
	ReasonNotDelivered      Reason = "not_delivered"
	ReasonCancelledByReader Reason = "cancelled_by_reader"
	ReasonCancelledByStaff  Reason = "cancelled_by_staff"
	ReasonReportedLost      Reason = "reported_lost"
	// ReasonUnspecified: the lender declined without saying why (an ISO
	// 18626 Unfilled without reasonUnfilled); no reason is invented. Not
	// one of SPEC 5.1's LenderUnfilledReasons, but accepted with respond
	// unfilled like them.
	ReasonUnspecified Reason = "unspecified"
)

// LenderUnfilledReasons are the reasons a lender may give with respond
// decision=unfilled.
var LenderUnfilledReasons = map[Reason]bool{
	ReasonNotHeld: true, ReasonNotOnShelf: true, ReasonNonCirculating: true,
	ReasonNotAvailableForILL: true, ReasonPolicyProblem: true, ReasonPoorCondition: true,
}
