package ill

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Return checks and violations (SPEC R11): when a loan ends (checked in by
// the lender, or reported lost) its return facts are checked against the
// barcode shipped, and the violations ComputeViolations finds are recorded
// once per request and kind, at the lender's prices.

// ReturnCheckStatus is where a loan's return check is.
type ReturnCheckStatus string

// Return check statuses.
const (
	ReturnPending ReturnCheckStatus = "pending" // facts recorded, not yet checked
	ReturnReview  ReturnCheckStatus = "review"  // the barcode did not match: on the staff review list
	ReturnChecked ReturnCheckStatus = "checked" // violations (if any) recorded
)

// ReturnCheck is a loan's return facts: the borrowing library's return and
// inspection, the lender's check-in, or a loss. Zero times are facts not
// (yet) known.
type ReturnCheck struct {
	RequestID        string
	Borrower         string
	Lender           string
	ItemBarcode      string // the barcode shipped
	ScannedBarcode   string // the barcode the borrowing library scanned at return ("" if none)
	DueAt            time.Time
	ReturnedAt       time.Time
	ReturnCondition  string // the borrowing library's inspection: good, damaged
	CheckinCondition string // the lender's check-in: good, damaged
	CheckedInAt      time.Time
	Lost             bool
	Status           ReturnCheckStatus
	// PatronID is the request's reader, and BarcodeLoan the lender's newest
	// request shipped with the barcode the check matches (ScannedBarcode,
	// else ItemBarcode; "" when none): both read with the check, not
	// columns of it.
	PatronID, BarcodeLoan string
}

// Facts is what ComputeViolations needs of the check.
func (rc ReturnCheck) Facts() ReturnFacts {
	return ReturnFacts{DueAt: rc.DueAt, ReturnedAt: rc.ReturnedAt, ReturnCondition: rc.ReturnCondition,
		CheckinCondition: rc.CheckinCondition, Lost: rc.Lost}
}

// ViolationRow is a recorded violation (a Violation of one loan, with the
// loan's parties), as the violations report lists it with the request's
// title. At most one is recorded per request and kind.
type ViolationRow struct {
	ID        int64
	RequestID string
	Kind      string // ViolationOverdue, ViolationDamaged, ViolationLost
	Lender    string
	Borrower  string
	PatronID  string
	Days      int
	AmountFen int
	Note      string
	CreatedAt time.Time
	Title     string // read only: "" when recording

	// Settlement (read only: a violation is recorded pending and settled
	// with SettleViolation). SettledBy is "LIBRARY/username" for a console
	// account, "LIBRARY" for an API key.
	State      SettlementState // "" is read as SettlementPending
	SettledBy  string
	SettledAt  time.Time
	SettleNote string
}

// SettlementState is where the settlement of a violation is: pending until
// the lender (or the centre) marks it paid or waived, once.
type SettlementState string

// Settlement states.
const (
	SettlementPending SettlementState = "pending"
	SettlementPaid    SettlementState = "paid"
	SettlementWaived  SettlementState = "waived"
)

// SettlementStates lists the states in display order.
var SettlementStates = []SettlementState{SettlementPending, SettlementPaid, SettlementWaived}

// ViolationKinds lists the violation kinds in display order.
var ViolationKinds = []string{ViolationOverdue, ViolationDamaged, ViolationLost}

// Settled reports whether v was paid or waived.
func (v ViolationRow) Settled() bool { return v.Status() != SettlementPending }

// Status is v's settlement state ("" read as pending).
func (v ViolationRow) Status() SettlementState {
	if v.State == "" {
		return SettlementPending
	}
	return v.State
}

// ParseSettlement reads the state a settlement sets: paid or waived
// (bad_request on field state otherwise; pending is where a violation
// starts, never a settlement).
func ParseSettlement(s string) (SettlementState, error) {
	switch st := SettlementState(strings.ToLower(strings.TrimSpace(s))); st {
	case SettlementPaid, SettlementWaived:
		return st, nil
	}
	return "", FieldError("state", "state must be paid or waived")
}

// MaxSettleNote is the longest settlement note, in characters (the column
// holds 400).
const MaxSettleNote = 400

// CheckSettle is who may settle v (R11: the lender's rules, so the
// lender's call): the lending library's staff or keys, and the centre.
// The borrowing library sees the violation but may not settle it
// (forbidden); any other library may not even see it (not_found). A
// violation settled already is a conflict naming its state: a
// settlement is never changed, so repeating one changes nothing.
func CheckSettle(v ViolationRow, library string, centre bool) error {
	switch {
	case centre || v.Lender == library:
	case v.Borrower == library:
		return Errorf(CodeForbidden, "only the lending library (%s) or the centre settles a violation", v.Lender)
	default:
		return Errorf(CodeNotFound, "violation %d not found", v.ID)
	}
	if v.Settled() {
		return Errorf(CodeConflict, "violation %d was settled already: %s by %s", v.ID, v.Status(), v.SettledBy)
	}
	return nil
}

// Settlement is what settling a violation records.
type Settlement struct {
	State SettlementState // paid or waived
	By    string          // "LIBRARY/username" or "LIBRARY" (an API key)
	Note  string
	At    time.Time
}

// SettledByName is how a settlement names who made it: the account's
// library and user name, or the library alone for an API key.
func SettledByName(library, username string) string {
	if username == "" {
		return library
	}
	return library + "/" + username
}

// ViolationQuery selects violations for the console's list, the monthly
// statement and GET /v1/violations. Zero fields select everything.
type ViolationQuery struct {
	Library   string          // as lender or borrower ("" = all: the centre's view)
	Role      string          // with Library: "lender" or "borrower" only ("" both)
	State     SettlementState // "" any
	Kind      string          // "" any
	RequestID string          // "" any
	From, To  Date            // days of creation (Asia/Shanghai), inclusive; zero: unbounded
	Limit     int             // at most this many, oldest first (0: MaxViolationRows)
}

// MaxViolationRows bounds one list of violations.
const MaxViolationRows = 20000

// Violation roles of a library in a ViolationQuery.
const (
	ViolationAsLender   = "lender"
	ViolationAsBorrower = "borrower"
)

// Validate checks q's closed values (bad_request naming the field).
func (q ViolationQuery) Validate() error {
	if q.Role != "" && q.Role != ViolationAsLender && q.Role != ViolationAsBorrower {
		return FieldError("role", "role must be lender or borrower")
	}
	if q.State != "" && q.State != SettlementPending && q.State != SettlementPaid && q.State != SettlementWaived {
		return FieldError("state", "state must be pending, paid or waived")
	}
	if q.Kind != "" && q.Kind != ViolationOverdue && q.Kind != ViolationDamaged && q.Kind != ViolationLost {
		return FieldError("kind", "kind must be overdue, damaged or lost")
	}
	return nil
}

// Matches reports whether v is selected by q (the in-memory form of the
// query the store runs).
func (q ViolationQuery) Matches(v ViolationRow) bool {
	if q.Library != "" {
		lender, borrower := v.Lender == q.Library, v.Borrower == q.Library
		switch q.Role {
		case ViolationAsLender:
			borrower = false
		case ViolationAsBorrower:
			lender = false
		}
		if !lender && !borrower {
			return false
		}
	}
	d := DateOf(v.CreatedAt)
	return (q.State == "" || v.Status() == q.State) && (q.Kind == "" || v.Kind == q.Kind) &&
		(q.RequestID == "" || v.RequestID == q.RequestID) &&
		(q.From == Date{} || !d.Before(q.From)) && (q.To == Date{} || !q.To.Before(d))
}

// ParseMonth reads "YYYY-MM" and returns its first and last day.
func ParseMonth(s string) (from, to Date, err error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), Shanghai)
	if err != nil {
		return Date{}, Date{}, FieldError("month", "month must be YYYY-MM")
	}
	from = Date{Year: t.Year(), Month: t.Month(), Day: 1}
	return from, AddMonthsClamped(from, 1).AddDays(-1), nil
}

// MonthOf is d's month as "YYYY-MM".
func MonthOf(d Date) string { return fmt.Sprintf("%04d-%02d", d.Year, d.Month) }

// ViolationTotal is a count and a sum of violations of one group.
type ViolationTotal struct {
	Key       string // a state, a kind, or "" for the grand total
	Count     int
	AmountFen int
}

// ViolationTotals sums rows by settlement state and by kind (each in
// display order, every state and kind listed even when 0) and overall.
func ViolationTotals(rows []ViolationRow) (byState, byKind []ViolationTotal, all ViolationTotal) {
	for _, s := range SettlementStates {
		byState = append(byState, ViolationTotal{Key: string(s)})
	}
	for _, k := range ViolationKinds {
		byKind = append(byKind, ViolationTotal{Key: k})
	}
	add := func(ts []ViolationTotal, key string, fen int) {
		for i := range ts {
			if ts[i].Key == key {
				ts[i].Count++
				ts[i].AmountFen += fen
			}
		}
	}
	for _, v := range rows {
		add(byState, string(v.Status()), v.AmountFen)
		add(byKind, v.Kind, v.AmountFen)
		all.Count++
		all.AmountFen += v.AmountFen
	}
	return byState, byKind, all
}

// ViolationLedger is the settlement side of violations (table
// violations): reading them by query or id and settling them. Reads take
// no locks.
type ViolationLedger interface {
	// ViolationList lists the violations q selects, oldest first, with
	// the request's title, at most q.Limit (MaxViolationRows when 0).
	ViolationList(ctx context.Context, q ViolationQuery) ([]ViolationRow, error)
	// ViolationByID reads violation id with its title; not_found when
	// there is none.
	ViolationByID(ctx context.Context, id int64) (ViolationRow, error)
	// SettleViolation records s on violation id if it is still pending
	// (of two concurrent settlements one wins); not_found when there is
	// no such violation, conflict when it was settled already. Who may
	// settle is the caller's check (CheckSettle).
	SettleViolation(ctx context.Context, id int64, s Settlement) error
}

// ViolationFilter selects violations for the report.
type ViolationFilter struct {
	Library  string // the caller's library: as lender or borrower ("" = all, centre)
	Lender   string // optional
	From, To Date   // days of creation, inclusive (Asia/Shanghai)
}
