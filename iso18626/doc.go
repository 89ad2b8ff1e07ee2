package iso18626

import (
	"fmt"
	"strings"

	"github.com/balis/illhub/ill"
)

// MappingMarkdown renders the mapping tables of mapping.go as the
// Markdown that docs/iso18626.md carries between its mapping markers
// (TestDocMapping keeps the two equal).
func MappingMarkdown() string {
	var b strings.Builder
	b.WriteString("| ISO `action` (requestingAgencyMessage, from a borrower) | hub action | then |\n|---|---|---|\n")
	for _, a := range actions {
		in, ok := FromAction[a]
		switch {
		case !ok:
			fmt.Fprintf(&b, "| `%s` | not supported: ERROR `UnsupportedActionType` | |\n", a)
		case in.Action == "":
			fmt.Fprintf(&b, "| `%s` | none: recorded on the timeline%s | |\n", a, informNote(a))
		default:
			fmt.Fprintf(&b, "| `%s` | `%s`%s |%s|\n", a, in.Action, variantNote(in.Variant), code(string(in.Then)))
		}
	}
	b.WriteString("\n| ISO `status` (supplyingAgencyMessage, from a lender) | hub action |\n|---|---|\n")
	for _, s := range statuses {
		in, ok := FromSupplier[s]
		switch {
		case s == StatusCancelled:
			b.WriteString("| `Cancelled` | `cancel_response` yes |\n")
		case !ok:
			fmt.Fprintf(&b, "| `%s` | not supported: ERROR `UnrecognisedDataValue` |\n", s)
		case in.Action == "":
			fmt.Fprintf(&b, "| `%s` | none: recorded on the timeline |\n", s)
		default:
			fmt.Fprintf(&b, "| `%s` | `%s`%s |\n", s, in.Action, variantNote(in.Variant))
		}
	}
	b.WriteString("\nWhatever the status, `reasonForMessage` `CancelResponse` is `cancel_response` (yes when `answerYesNo` is Y or the\n" +
		"status `Cancelled`), and `Notification`, `StatusRequestResponse` and `RenewResponse` change nothing.\n")
	b.WriteString("\n| hub state | ISO `status` reported |\n|---|---|\n")
	for _, s := range ill.States {
		fmt.Fprintf(&b, "| `%s` | `%s` |\n", s, StatusOf[s])
	}
	b.WriteString("\n| hub reason | `reasonUnfilled` written |\n|---|---|\n")
	for _, r := range []ill.Reason{ill.ReasonNotHeld, ill.ReasonNotOnShelf, ill.ReasonNonCirculating, ill.ReasonNotAvailableForILL,
		ill.ReasonPolicyProblem, ill.ReasonPoorCondition, ill.ReasonNoResponse, ill.ReasonNotShipped, ill.ReasonOverLimit,
		ill.ReasonNotEligible, ill.ReasonDepositRequired, ill.ReasonHeldLocally, ill.ReasonDuplicate, ill.ReasonInvalid} {
		fmt.Fprintf(&b, "| `%s` | `%s` |\n", r, ReasonUnfilledOf[r])
	}
	return b.String()
}

func informNote(a Action) string {
	switch a {
	case ActionStatusRequest:
		return "; answered with a StatusRequestResponse"
	case ActionNotification:
		return "; passed on to an ISO lender"
	}
	return ""
}

func variantNote(v ill.Variant) string {
	if v == "" {
		return ""
	}
	return " " + string(v)
}

func code(s string) string {
	if s == "" {
		return " "
	}
	return " `" + s + "` "
}
