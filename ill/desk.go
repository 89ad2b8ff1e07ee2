package ill

import (
	"context"
	"strings"
	"time"
)

// DepositChange is one change of a reader's deposit status made by a
// library's staff in the console (reader_deposit_log): the audit trail of
// who said the reader paid, or no longer has, the deposit R7 asks for.
type DepositChange struct {
	Library  string // the reader's library
	PatronID string // the reader's card number
	Paid     bool   // the status set
	By       string // the staff member's user name
	At       time.Time
}

// Desk is what the ILL desk of a library reads and writes beyond the
// requests themselves: a reader's deposit status as staff set it (with its
// audit trail), the reader's active requests (R3), and the requests an
// item's barcode belongs to.
type Desk interface {
	// SetDeposit sets the deposit status of reader id of library (both
	// compared case-insensitively) and, when it changed, appends a
	// DepositChange in the same transaction. It reports whether it
	// changed; not_found when the library never registered the reader.
	SetDeposit(ctx context.Context, library, id string, paid bool, by string, at time.Time) (bool, error)
	// DepositChanges lists the deposit changes of reader id of library,
	// newest first, at most limit.
	DepositChanges(ctx context.Context, library, id string, limit int) ([]DepositChange, error)
	// SetReaderCategory sets the category of reader id of library (both
	// compared case-insensitively), which the copy fees booked after it
	// are subsidised by; not_found when the library never registered the
	// reader.
	SetReaderCategory(ctx context.Context, library, id string, c ReaderCategory) error
	// ActiveRequestCount counts reader id's requests (as borrower
	// library's) in the states that count for R3 (ActiveStates). A plain
	// read: the authoritative count is the submit's, under the reader's
	// row lock.
	ActiveRequestCount(ctx context.Context, library, id string) (int, error)
	// RequestsByBarcode lists at most limit requests whose item barcode
	// is barcode (compared case-insensitively, as the database does) and
	// of which library is the borrower or the current lender ("": every
	// library's), the most recently updated first, without rota or
	// timeline.
	RequestsByBarcode(ctx context.Context, barcode, library string, limit int) ([]*Request, error)
}

// DeskActions are the actions a desk's barcode scan can offer, in the
// order a loan meets them: the borrower receives the item, lends it to the
// reader, takes it back and sends it back; the lender checks it in.
var DeskActions = []Action{ActReceive, ActCheckout, ActReturn, ActShipReturn, ActCheckin}

// CleanBarcode is a barcode as a scanner typed it, without the spaces,
// tabs and the trailing CR/LF scanners add around it.
func CleanBarcode(s string) string {
	return strings.TrimSpace(strings.Trim(s, "\r\n\t "))
}
