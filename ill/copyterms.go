package ill

import (
	"context"
	"strconv"
	"time"
)

// Copy settings fields, as the policy history (library_policy_history)
// names them.
const (
	CopyRespondDaysField = "copy_respond_days"
	CopyDeliverDaysField = "copy_deliver_days"
	CopyLimitField       = "copy_limit"
)

// Bounds of the copy settings: a working-day window longer than a month or
// a limit beyond MaxCopyLimit is a typing error, not a policy.
const (
	MaxCopyDays  = 20
	MaxCopyLimit = 100
)

// Validate checks settings a library admin or the centre enters: every
// field set (1..MaxCopyDays working days, 1..MaxCopyLimit open requests)
// and the delivery window not shorter than the answer window.
func (c CopyTerms) Validate() error {
	switch {
	case c.RespondDays < 1 || c.RespondDays > MaxCopyDays:
		return FieldError("copy_respond_days", "copy_respond_days must be 1 to %d working days", MaxCopyDays)
	case c.DeliverDays < 1 || c.DeliverDays > MaxCopyDays:
		return FieldError("copy_deliver_days", "copy_deliver_days must be 1 to %d working days", MaxCopyDays)
	case c.DeliverDays < c.RespondDays:
		return FieldError("copy_deliver_days", "copy_deliver_days must not be shorter than copy_respond_days")
	case c.Limit < 1 || c.Limit > MaxCopyLimit:
		return FieldError("copy_limit", "copy_limit must be 1 to %d open copy requests", MaxCopyLimit)
	}
	return nil
}

// Changes lists the fields that differ from c to next, as history lines
// (no library, author or time yet).
func (c CopyTerms) Changes(next CopyTerms) []PolicyChange {
	var out []PolicyChange
	for _, f := range []struct {
		field string
		a, b  int
	}{{CopyRespondDaysField, c.RespondDays, next.RespondDays}, {CopyDeliverDaysField, c.DeliverDays, next.DeliverDays},
		{CopyLimitField, c.Limit, next.Limit}} {
		if f.a != f.b {
			out = append(out, PolicyChange{Field: f.field, Old: strconv.Itoa(f.a), New: strconv.Itoa(f.b)})
		}
	}
	return out
}

// LibraryCopyTerms stores the libraries' copy settings with their history.
type LibraryCopyTerms interface {
	// SetCopyTermsBy sets library's copy settings (and nothing else of the
	// library), recording each changed field in the policy history by by
	// at at; it returns the changes (none when nothing changed). Errors:
	// not_found for a library that is not a member.
	SetCopyTermsBy(ctx context.Context, library string, ct CopyTerms, by string, at time.Time) ([]PolicyChange, error)
}
