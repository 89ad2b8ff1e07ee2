package ill

import "time"

// MaxListIDs bounds ListFilter.IDs (GET /v1/requests?ids=).
const MaxListIDs = 100

// ListFilter is the history query of R13 / GET /v1/requests: the requests
// the caller is a party to (the borrower, or a lender the rota asked),
// newest first.
type ListFilter struct {
	Caller   string // library code of the caller
	Centre   bool   // centre keys see every request
	PatronID string
	State    State
	From, To *Date  // Asia/Shanghai dates, inclusive
	Q        string // words that must all occur in the title
	// Barcode, when set, is the item barcode the request shipped
	// (exact).
	Barcode string
	// ISBN, when set, is the request's ISBN (as sent, or normalised).
	ISBN string
	// Library, when set, is a party to the request: its borrower or its
	// current lender (for a member, the other library).
	Library string
	// Service, when set, is the request's service type (loan or copy).
	Service ServiceType
	// Text finds a request from one value a librarian has at hand: the
	// request id (or a prefix of at least 8 characters starting with
	// "ILL-"), the borrower's client request id, the item barcode, the
	// ISBN, the reader's card number or name (the caller's own readers
	// only, like PatronID), or words that all occur in the title.
	Text string
	// IDs, when not empty, restricts the list to these requests (at most
	// MaxListIDs; those the caller may not see are simply absent): a
	// member system refreshes the states of many requests in one call.
	IDs     []string
	Page    int
	PerPage int
}

// RequestBrief is what courier notices need of a request.
type RequestBrief struct {
	ID       string
	Borrower string
	Lender   string // "" before a lender was chosen
	PatronID string
	Title    string
	DueAt    time.Time // zero when not on loan
	State    State
}

// EventLine is a timeline line of a request, caused by message MessageID
// (the sweeps write many at once).
type EventLine struct {
	RequestID string
	MessageID string
	Event     Event
}
