package ill

import "time"

// DayStats is one library's figures for one Asia/Shanghai day (as the
// scheduler's daily roll-up stores them, or live for today), for one
// service type: a library has a row per service type it had activity in.
// For copies, Filled counts the lender's deliveries and Received the
// borrower's (the same deliver event: a copy has no transit, so its
// TransitSumS is 0), Missed includes not_delivered outcomes.
type DayStats struct {
	Day            time.Time
	Library        string
	Service        ServiceType
	Borrowed       int
	Lent           int
	Filled         int
	Unfilled       int
	Missed         int
	Received       int
	TurnaroundSumS int64
	// Answered counts the lender's answers (will supply or unfilled) of the
	// day, NoResponse its respond timeouts (part of Missed; the rest of
	// Missed are ship timeouts), TransitSumS Σ (received - shipped)
	// seconds of the items counted in Received.
	Answered    int
	NoResponse  int
	TransitSumS int64
}

// Flow is the number of items one lender shipped to one borrower.
type Flow struct {
	Lender   string
	Borrower string
	Items    int
}

// OverdueRow is a loan past its due date.
type OverdueRow struct {
	ID       string
	Borrower string
	Lender   string
	PatronID string
	Title    string
	DueAt    time.Time
}

// TitleCount is how often a title was requested.
type TitleCount struct {
	RecordID int64
	Title    string
	Author   string
	Requests int
}
