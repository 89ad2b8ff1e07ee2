package ill

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Fee rules (R11): what a lending library charges for a late, damaged or
// lost loan, and its courier cut-off. They are edited in the console by
// the library's admin (StaffLibraryAdmin) or by the centre, every change
// kept in the library's policy history. ComputeViolations reads the
// lender's rules when a return is checked, so a change applies to the
// violations computed after it, never to those recorded before.

// FeeRules are a library's prices (in fen) and its courier cut-off.
type FeeRules struct {
	FinePerDayFen int
	DamageFeeFen  int
	LossFeeFen    int
	CourierCutoff string // "HH:MM", Asia/Shanghai
}

// Sane upper bounds of the prices, in fen: a typing slip (an extra zero
// or two) is refused rather than charged.
const (
	MaxFinePerDayFen = 100_00     // 100 元 a day
	MaxItemFeeFen    = 100_000_00 // 100,000 元 for a damaged or lost item
)

// Fee rule fields, as the policy history names them.
const (
	FeeFinePerDay    = "fine_per_day_fen"
	FeeDamage        = "damage_fee_fen"
	FeeLoss          = "loss_fee_fen"
	FeeCourierCutoff = "courier_cutoff"
)

// FeeRules is l's current fee rules.
func (l Library) FeeRules() FeeRules {
	return FeeRules{FinePerDayFen: l.FinePerDayFen, DamageFeeFen: l.DamageFeeFen, LossFeeFen: l.LossFeeFen,
		CourierCutoff: l.CourierCutoff}
}

// Policy is the part of the rules that prices violations.
func (f FeeRules) Policy() LenderPolicy {
	return LenderPolicy{FinePerDayFen: f.FinePerDayFen, DamageFeeFen: f.DamageFeeFen, LossFeeFen: f.LossFeeFen}
}

// Normalize validates f and returns it with the cut-off written "HH:MM":
// prices non-negative and at most the Max constants, the cut-off a time
// of day. Errors are bad_request naming the field.
func (f FeeRules) Normalize() (FeeRules, error) {
	for _, c := range []struct {
		field    string
		v, limit int
	}{{FeeFinePerDay, f.FinePerDayFen, MaxFinePerDayFen}, {FeeDamage, f.DamageFeeFen, MaxItemFeeFen},
		{FeeLoss, f.LossFeeFen, MaxItemFeeFen}} {
		if c.v < 0 || c.v > c.limit {
			return f, FieldError(c.field, "%s must be between 0 and %s 元", c.field, FormatCNY(c.limit))
		}
	}
	m, err := ParseCutoff(f.CourierCutoff)
	if err != nil {
		return f, FieldError(FeeCourierCutoff, "courier_cutoff must be a time of day HH:MM")
	}
	f.CourierCutoff = fmt.Sprintf("%02d:%02d", m/60, m%60)
	return f, nil
}

// PolicyChange is one field of a library's fee rules changed: who, when,
// the old and the new value (prices in fen, the cut-off as HH:MM).
type PolicyChange struct {
	ID      int64
	Library string
	Field   string // FeeFinePerDay, FeeDamage, FeeLoss, FeeCourierCutoff
	Old     string
	New     string
	By      string // "LIBRARY/username" of the console account
	At      time.Time
}

// Changes lists the fields in which next differs from f (the library's
// current rules), in a fixed order, each with the old and new value; By,
// At and Library are left to the caller.
func (f FeeRules) Changes(next FeeRules) []PolicyChange {
	var out []PolicyChange
	num := func(field string, a, b int) {
		if a != b {
			out = append(out, PolicyChange{Field: field, Old: strconv.Itoa(a), New: strconv.Itoa(b)})
		}
	}
	num(FeeFinePerDay, f.FinePerDayFen, next.FinePerDayFen)
	num(FeeDamage, f.DamageFeeFen, next.DamageFeeFen)
	num(FeeLoss, f.LossFeeFen, next.LossFeeFen)
	if f.CourierCutoff != next.CourierCutoff {
		out = append(out, PolicyChange{Field: FeeCourierCutoff, Old: f.CourierCutoff, New: next.CourierCutoff})
	}
	return out
}

// StaffActor is a signed-in console account as the use cases that depend
// on its role see it.
type StaffActor struct {
	Library  string // the account's library (CentreCode for the centre)
	Username string
	Role     StaffRole
}

// Name is how records name the account ("LIBRARY/username").
func (a StaffActor) Name() string { return SettledByName(a.Library, a.Username) }

// Principal is who the account acts and reads as.
func (a StaffActor) Principal() Principal {
	if a.Role == StaffCentreAdmin {
		return Principal{Library: CentreCode, Centre: true}
	}
	return Principal{Library: a.Library}
}

// MayEditFees is who may change library's fee rules: the centre's admins
// for any library, a member's library_admin for its own; forbidden for
// everyone else (a member's plain staff, another library's admin).
func (a StaffActor) MayEditFees(library string) error {
	switch {
	case a.Role == StaffCentreAdmin && a.Library == CentreCode:
		return nil
	case a.Role == StaffLibraryAdmin && a.Library == library && library != CentreCode:
		return nil
	case a.Role == StaffLibraryAdmin:
		return Errorf(CodeForbidden, "a library admin edits only its own library's fee rules")
	}
	return Errorf(CodeForbidden, "fee rules are edited by the library's admin or the centre")
}

// LibraryFees stores the libraries' fee rules and their history (tables
// libraries and library_policy_history).
type LibraryFees interface {
	// SetFeeRules sets library's fee rules, and only them (no other
	// column of the library changes), and records one history row per
	// field that changed, by and at, in one transaction under the
	// library row's lock; it returns the changes (none when f equals the
	// stored rules). f must be valid (FeeRules.Normalize). not_found when
	// library is not a member.
	SetFeeRules(ctx context.Context, library string, f FeeRules, by string, at time.Time) ([]PolicyChange, error)
	// FeeHistory lists library's recorded changes, newest first, at most
	// limit ("" = every library's).
	FeeHistory(ctx context.Context, library string, limit int) ([]PolicyChange, error)
}
