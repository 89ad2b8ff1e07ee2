package ill

import "time"

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
}

// ViolationFilter selects violations for the report.
type ViolationFilter struct {
	Library  string // the caller's library: as lender or borrower ("" = all, centre)
	Lender   string // optional
	From, To Date   // days of creation, inclusive (Asia/Shanghai)
}
