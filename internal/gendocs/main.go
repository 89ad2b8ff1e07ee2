// Command gendocs prints docs/states.md, the request life cycle as a
// document, from the code that enforces it: ill.States, ill.Table, the
// error codes and ill.DispositionFor. Regenerate after changing any of them:
//
//	go run ./internal/gendocs > docs/states.md
//
// main_test.go fails when docs/states.md differs from this program's output,
// and when a code or reason is added to package ill without being listed
// here. The HTTP statuses are ill.Code.HTTPStatus's, the one mapping.
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// main prints docs/states.md, or with the argument "packages" the package
// graph of docs/architecture.md (run from the module root).
func main() {
	out := Render
	if len(os.Args) > 1 && os.Args[1] == "packages" {
		out = func() string {
			g, err := LoadGraph(".")
			if err != nil {
				fmt.Fprintln(os.Stderr, "gendocs:", err)
				os.Exit(1)
			}
			return g.Diagram()
		}
	}
	if _, err := os.Stdout.WriteString(out()); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// codes lists every ill.Code with a one-line meaning, in the order of
// ill/errors.go. The test checks the list against that file.
var codes = []struct {
	code    ill.Code
	meaning string
}{
	{ill.CodeBadRequest, "malformed body or invalid field; `field` names it"},
	{ill.CodeUnauthorized, "missing, unknown or revoked API key"},
	{ill.CodeForbidden, "the caller is not a party for this request or action"},
	{ill.CodeNotFound, "no such request, record, library, endpoint or action"},
	{ill.CodeMethodNotAllowed, "method not allowed"},
	{ill.CodeInvalidTransition, "the action is not allowed in the current state; `state` names it"},
	{ill.CodeRenewalNotAllowed, "renew is always refused (R5)"},
	{ill.CodeCancelWindow, "a reader's cancel more than 1 hour after submission (R12)"},
	{ill.CodeConflict, "conflicting data (e.g. the request already exists)"},
	{ill.CodeTooLarge, "request body over ILL_MAX_BODY_BYTES (1 MiB)"},
	{ill.CodeRateLimited, "more than ILL_RATE_LIMIT requests per second for one API key; retry after `Retry-After` seconds"},
	{ill.CodeUnsupportedMedia, "unsupported media type"},
	{ill.CodeUnavailable, "broker or database unavailable; retry after `Retry-After` seconds"},
	{ill.CodeInternal, "a bug or unexpected failure (logged with the request id)"},
	{ill.CodeTransient, "temporary failure such as a database deadlock that outlived its retries"},
	{ill.CodeUndeliverable, "a notice failed for good (ILL_NOTICE_ATTEMPTS rounds, or a permanent error)"},
	{ill.CodeUnknownBarcode, "courier scan or return check: no shipment or loan carries this barcode; listed for staff review"},
	{ill.CodeBarcodeMismatch, "return/check-in: the barcode is not the one this request shipped; listed for staff review"},
	{ill.CodeCopyTooLarge, "a copy request for more than a third of a book whose page count (item.book_pages) is known (docs/copies.md)"},
	{ill.CodeLinkExpired, "a genuine download link that is used up: past its expiry, at its download limit, or its file deleted (docs/delivery.md)"},
}

// reasons lists every ill.Reason with the state it is stored with, in the
// order of ill/errors.go. The test checks the list against that file.
var reasons = []struct {
	reason ill.Reason
	with   string
}{
	{ill.ReasonOverLimit, "REJECTED: the reader already has 3 active requests (R3)"},
	{ill.ReasonNotEligible, "REJECTED: not lendable material under the policy (R2)"},
	{ill.ReasonDepositRequired, "REJECTED: the borrowing library requires a deposit the reader has not paid (R7)"},
	{ill.ReasonHeldLocally, "REJECTED: the borrowing library holds an available copy itself"},
	{ill.ReasonDuplicate, "REJECTED: the reader already has an active request for this record"},
	{ill.ReasonInvalid, "REJECTED: the record_id is not in the union catalogue (or no item was given)"},
	{ill.ReasonNotHeld, "a lender's unfilled answer; also UNFILLED when no member holds a lendable copy"},
	{ill.ReasonNotOnShelf, "a lender's unfilled answer"},
	{ill.ReasonNonCirculating, "a lender's unfilled answer"},
	{ill.ReasonNotAvailableForILL, "a lender's unfilled answer"},
	{ill.ReasonPolicyProblem, "a lender's unfilled answer"},
	{ill.ReasonPoorCondition, "a lender's unfilled answer"},
	{ill.ReasonNoResponse, "the scheduler: respond_by passed (R9)"},
	{ill.ReasonNotShipped, "the scheduler: ship_by plus 2 working days passed (R9)"},
	{ill.ReasonNotDelivered, "the scheduler: a copy's deliver_by passed at the lender (docs/copies.md)"},
	{ill.ReasonCancelledByReader, "CANCELLED by a reader's cancel"},
	{ill.ReasonCancelledByStaff, "CANCELLED by staff (directly or after the lender agreed)"},
	{ill.ReasonReportedLost, "LOST"},
	{ill.ReasonUnspecified, "an ISO 18626 lender's Unfilled without a reasonUnfilled the hub can read (no reason invented); also accepted from JSON lenders"},
}

// systemNotes says which part of the hub takes each system action; every
// system action in ill.Table must have one (Render panics otherwise).
var systemNotes = map[ill.Action]string{
	ill.ActRoute:          "requests consumer, after submit (or a mediate naming a record_id): rota built, first lender asked",
	ill.ActHold:           "requests consumer: a manual request not matched to the catalogue",
	ill.ActReject:         "requests consumer: a submit failing a rule (see reasons)",
	ill.ActRespondTimeout: "scheduler `respond-deadline`: respond_by passed (R9)",
	ill.ActShipTimeout:    "scheduler `ship-deadline`: ship_by + 2 working days passed (R9)",
	ill.ActMarkOverdue:    "scheduler `overdue` / `recall-expiry`: due_at passed",

	// ISO 18626 lenders
	ill.ActSupplyShip: "ISO 18626 intake: an ISO lender's `Loaned` (from `REQUESTED` the answer and the shipment in one step); not an API action",
	// Copy requests (docs/copies.md)
	ill.ActDeliverTimeout:    "scheduler `deliver-deadline`: a copy's deliver_by passed (answered or not); rota outcome `not_delivered`",
	ill.ActCloseDelivery:     "the hub, for a delivered copy: the reader used up the downloads (`downloaded`) or the link expired (`expired`); `app.Service.CloseDelivery`",
	ill.ActLenderUnreachable: "ISO delivery pool: the request to an ISO lender given up (unreachable after `ILL_DELIVERY_LIMIT` attempts, or an ERROR confirmation); rota outcome `unreachable`",
}

func code(s string) string { return "`" + s + "`" }

// hours writes a whole number of hours as words ("1 hour").
func hours(d time.Duration) string {
	if h := int(d / time.Hour); time.Duration(h)*time.Hour == d {
		if h == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", h)
	}
	return d.String()
}

func states(ss []ill.State) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(string(s))
	}
	return strings.Join(out, ", ")
}

func roles(rs []ill.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		if r == ill.RoleLender {
			out[i] = "lender (current)"
			continue
		}
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// bodyOf finds the action body field that selects variant v, by asking
// ill.ActionBody.Variant (the code the API and consumers use).
func bodyOf(a ill.Action, v ill.Variant) string {
	if v == "" {
		return ""
	}
	yes, no := true, false
	tries := []struct {
		b    ill.ActionBody
		text string
	}{
		{ill.ActionBody{Decision: string(v), Reason: ill.ReasonNotHeld}, `"decision": "` + string(v) + `"`},
		{ill.ActionBody{By: string(v)}, `"by": "` + string(v) + `"`},
		{ill.ActionBody{Accept: &yes}, `"accept": true`},
		{ill.ActionBody{Accept: &no}, `"accept": false`},
	}
	for _, t := range tries {
		if got, err := t.b.Variant(a); err == nil && got == v {
			return code(t.text)
		}
	}
	return code(string(v))
}

func target(r ill.Rule) string {
	switch {
	case r.Guard == ill.Never:
		return "— (always refused)"
	case r.Routes:
		return code(string(ill.Requested)) + " at the next lender in the rota, or " + code(string(ill.Unfilled)) + " when none is left"
	}
	return code(string(r.To))
}

func condition(r ill.Rule) string {
	var out []string
	switch r.Guard {
	case ill.ReaderWindow:
		out = append(out, fmt.Sprintf("only within %s of submission (R12), else `%s`", hours(ill.ReaderCancelWindow), ill.CodeCancelWindow))
	case ill.Never:
		out = append(out, fmt.Sprintf("answered `%s` (%d) in every state (R5)", ill.CodeRenewalNotAllowed, ill.CodeRenewalNotAllowed.HTTPStatus()))
	}
	switch r.Service {
	case ill.ServiceLoan:
		out = append(out, "loans only")
	case ill.ServiceCopy:
		out = append(out, "copy requests only ([copies.md](copies.md))")
	}
	if !ill.IsAPIAction(r.Action) {
		note, ok := systemNotes[r.Action]
		if !ok {
			panic("gendocs: no systemNotes entry for system action " + string(r.Action))
		}
		out = append(out, note)
	}
	return strings.Join(out, "; ")
}

func dispositionOf(c ill.Code) string {
	switch ill.DispositionFor(&ill.Error{Code: c}) {
	case ill.Ack:
		return "ack"
	case ill.Requeue:
		return "requeue (dead-letter at ILL_DELIVERY_LIMIT)"
	case ill.DeadLetter:
		return "dead-letter at once"
	}
	return "?"
}

// edge is one arrow of the diagram with its labels merged.
type edge struct {
	from, to string
	labels   []string
}

func diagram(b *strings.Builder) {
	var edges []*edge
	add := func(from, to, label string) {
		for _, e := range edges {
			if e.from == from && e.to == to {
				if !slices.Contains(e.labels, label) {
					e.labels = append(e.labels, label)
				}
				return
			}
		}
		edges = append(edges, &edge{from, to, []string{label}})
	}
	add("[*]", string(ill.Submitted), string(ill.ActSubmit))
	for _, r := range ill.Table {
		if r.Guard == ill.Never {
			continue
		}
		label := string(r.Action)
		if r.Variant != "" {
			label += " " + string(r.Variant)
		}
		for _, f := range r.From {
			add(string(f), string(r.To), label)
			if r.Routes {
				add(string(f), string(ill.Unfilled), label)
			}
		}
	}
	for _, s := range ill.States {
		if s.Terminal() {
			add(string(s), "[*]", "")
		}
	}
	b.WriteString("```mermaid\nstateDiagram-v2\n")
	for _, e := range edges {
		label := strings.Join(slices.DeleteFunc(e.labels, func(s string) bool { return s == "" }), ", ")
		if label == "" {
			fmt.Fprintf(b, "    %s --> %s\n", e.from, e.to)
		} else {
			fmt.Fprintf(b, "    %s --> %s : %s\n", e.from, e.to, label)
		}
	}
	b.WriteString("```\n")
}

// Render returns docs/states.md.
func Render() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Request states and actions\n\n")
	w("<!-- Generated by `go run ./internal/gendocs > docs/states.md` from ill.States, ill.Table, the codes in\n")
	w("     ill/errors.go and ill.DispositionFor. Do not edit: `go test ./internal/gendocs/` fails when this file\n")
	w("     and the code disagree. -->\n\n")
	w("One request is one book for one reader (SPEC §3). Its life cycle is the declarative table `ill.Table`\n")
	w("(`ill/table.go`): the JSON API checks an action against it (`ill.Allow`) to answer 403/409 at once, and the\n")
	w("requests consumer decides it again, authoritatively, under the request's row lock (`SELECT … FOR UPDATE`):\n")
	w("`ill.Decide` computes the whole transition (next state, deadlines, rota step, notices, shipment, events) and\n")
	w("the consumer carries it out. Every transition writes an immutable event (at, actor, action, from, to, note).\n\n")

	w("## States\n\n")
	w("| state | 中文 | English | counts for R3 | terminal |\n|---|---|---|---|---|\n")
	yn := func(v bool) string {
		if v {
			return "yes"
		}
		return ""
	}
	for _, s := range ill.States {
		w("| `%s` | %s | %s | %s | %s |\n", s, s.Label("zh"), s.Label("en"), yn(s.Active()), yn(s.Terminal()))
	}
	w("\nA reader may have at most %d requests in the states that count for R3.\n\n", ill.MaxActiveRequests)

	w("## Diagram\n\n")
	var routing []string
	for _, r := range ill.Table {
		if r.Routes {
			label := string(r.Action)
			if r.Variant != "" {
				label += " " + string(r.Variant)
			}
			routing = append(routing, code(label))
		}
	}
	w("Every row of `ill.Table` is an arrow (a row with several source states gives several arrows). The rows\n")
	w("that route (%s) lead to `REQUESTED` at the next lender in the rota, or to `UNFILLED`\n", strings.Join(routing, ", "))
	w("when none is left; both arrows are drawn. `renew` has no arrow: it is always refused.\n\n")
	diagram(&b)

	w("\n## Actions\n\n")
	w("`submit` (`POST /v1/requests`) creates the request in `SUBMITTED`; the requests consumer then takes one of\n")
	w("the system actions `route`, `hold` or `reject` in the same transaction. API actions are posted as\n")
	w("`POST /v1/requests/{id}/{action}` by a member library's key (the centre key holds the `centre` role);\n")
	w("system actions are taken by the hub's consumers and scheduler only.\n\n")
	w("| action | kind | body selects | by | from | to | condition / taken by |\n|---|---|---|---|---|---|---|\n")
	for _, r := range ill.Table {
		kind := "system"
		if ill.IsAPIAction(r.Action) {
			kind = "API"
		}
		w("| `%s` | %s | %s | %s | %s | %s | %s |\n", r.Action, kind, bodyOf(r.Action, r.Variant), roles(r.By),
			states(r.From), target(r), condition(r))
	}
	w("\nRoles: `borrower` is the library whose reader asked, `lender (current)` the library the request is with\n")
	w("now (for `recall` and `checkin`, the lender that supplied it), `centre` a BALIS centre key, `system` the hub.\n\n")
	w("A refused attempt is explained with one code, checked in this order (`ill.Allow`):\n\n")
	w("1. `%s`: no such action, or a body value that selects no row (the field is named);\n", ill.CodeBadRequest)
	w("2. `%s`: the caller holds none of the roles the action needs;\n", ill.CodeForbidden)
	w("3. `%s`: `renew`, always (R5);\n", ill.CodeRenewalNotAllowed)
	w("4. `%s`: not allowed from the current state (the error names it in `state`);\n", ill.CodeInvalidTransition)
	w("5. `%s`: a reader's cancel after %s (R12).\n\n", ill.CodeCancelWindow, hours(ill.ReaderCancelWindow))
	w("When the consumer finds the state changed between the API's check and processing, it records the\n")
	w("refusal as an event on the request (state unchanged) and acks the message; a system action that lost such a\n")
	w("race, or whose deadline has moved since the scheduler looked, is dropped without an event.\n\n")

	w("## Error codes\n\n")
	w("The set is closed (`ill/errors.go`). Errors are answered as `{\"error\": {\"code\", \"message\", \"field\", \"state\"}}`.\n")
	w("Each mapping is made in one place: the HTTP status in `ill.Code.HTTPStatus`, and what a consumer does with\n")
	w("a delivery whose handler returned the error in `ill.DispositionFor`. A handler that returns no error acks;\n")
	w("an error without a code counts as `internal`.\n\n")
	w("| code | HTTP status | consumer | meaning |\n|---|---|---|---|\n")
	for _, c := range codes {
		w("| `%s` | %d | %s | %s |\n", c.code, c.code.HTTPStatus(), dispositionOf(c.code), c.meaning)
	}
	w("\n\"requeue\" means the message is redelivered; on the delivery numbered ILL_DELIVERY_LIMIT (default 5, from\n")
	w("the quorum queue's `x-delivery-count`) it is dead-lettered instead. State-table refusals in a consumer never\n")
	w("reach `DispositionFor`: they are recorded as events and acked (see above).\n\n")

	w("## Reasons\n\n")
	w("Stored in `reason` with `REJECTED`, `UNFILLED`, `CANCELLED` and `LOST` requests, and in unfilled rota entries.\n\n")
	w("| reason | lender may give it | where it comes from |\n|---|---|---|\n")
	for _, r := range reasons {
		w("| `%s` | %s | %s |\n", r.reason, yn(ill.LenderUnfilledReasons[r.reason]), r.with)
	}
	return b.String()
}
