package ill

import "time"

// Queue is a console work queue: requests in some states where the
// library is the current lender (Side RoleLender) or the borrower (Side
// RoleBorrower).
type Queue struct {
	Key    string
	Side   Role
	States []State
	// Order is the request time the queue is sorted by, ascending, unset
	// last: respond_by, ship_by, due_at, deliver_by, updated_at or
	// submitted_at.
	Order string
	// Service, when set, keeps the queue to one service type (the
	// supplier's copies to deliver); "" lists both.
	Service ServiceType
	// Desc sorts by Order descending instead (unset still last): the
	// finished requests, the most recent first.
	Desc bool
}

// MissedDeadline is a lender's missed response or shipping deadline (R9):
// the rota outcome OutcomeNoResponse or OutcomeNotShipped.
type MissedDeadline struct {
	RequestID string
	Library   string
	Outcome   Outcome
	At        time.Time // when the deadline was recorded as missed; zero if unknown
	Title     string
}

// PullSlipItem is one WILL_SUPPLY request on a lender's pull slip, with
// the call number and local id of the copy to fetch.
type PullSlipItem struct {
	RequestID  string    `json:"request_id"`
	Borrower   string    `json:"borrower"`
	Title      string    `json:"title"`
	Author     string    `json:"author"`
	ISBN       string    `json:"isbn"`
	CallNumber string    `json:"call_number"`
	LocalID    string    `json:"local_id"`
	ShipBy     time.Time `json:"-"` // zero when not set
}
