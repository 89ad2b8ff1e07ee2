package ill

import (
	"context"
	"time"
)

// Ports: what the use cases (package app), the intakes and the console
// need from storage and the broker, each named for the capability it
// provides. mysql.Store implements the storage ports (mysql/ports.go
// asserts it), rabbitmq.Publisher the Publisher, rabbitmq.DLQ the
// DeadLetterQueue, and internal/memstore the storage ports and the
// Publisher in memory for unit tests.
//
// Contracts common to every storage port: reads take no locks and see
// committed data; errors are *Error values with the closed codes
// (not_found for a missing row, unavailable when the database cannot be
// reached), or plain errors for the unexpected (answered as internal). A
// library argument "" means every library (the centre's view); any other
// value restricts the answer to what concerns that library, as each method
// says. Who may pass "" is decided by the caller (app), never here.

// Requests reads requests (no locks: the consumers lock and decide).
type Requests interface {
	// GetRequest reads request id with its rota and timeline; not_found
	// when there is none.
	GetRequest(ctx context.Context, id string) (*Request, error)
	// RequestForAccess reads request id with its rota but no timeline:
	// enough to authorise a read or an action (Request.VisibleTo,
	// RolesOf); not_found when there is none.
	RequestForAccess(ctx context.Context, id string) (*Request, error)
	// RequestForAction reads what checking an action of library (centre:
	// a centre key) needs: the request, and its rota when the caller is
	// neither the borrower, the current lender nor the centre (the one
	// case where the rota decides visibility). not_found when there is
	// none.
	RequestForAction(ctx context.Context, id, library string, centre bool) (*Request, error)
	// RequestIDByClientID finds the request borrower submitted as
	// clientID, with its state; "" (and no error) when there is none.
	RequestIDByClientID(ctx context.Context, borrower, clientID string) (string, State, error)
	// ListRequests lists, newest first with the total, the requests
	// f.Caller is a party to (the borrower, or a lender the rota asked);
	// every request when f.Centre. A patron filter matches the caller's
	// own readers only.
	ListRequests(ctx context.Context, f ListFilter) ([]*Request, int, error)
}

// Directory is the consortium's membership: libraries and their ISO 18626
// registrations.
type Directory interface {
	// Library reads member code (case-insensitive); not_found when it is
	// not a member.
	Library(ctx context.Context, code string) (*Library, error)
	// Libraries lists every member, by code.
	Libraries(ctx context.Context) ([]Library, error)
	// LibraryNames maps every member code to its Chinese and English
	// names (the pages' labels of library codes).
	LibraryNames(ctx context.Context) (map[string][2]string, error)
	// ISOMemberBySymbol finds the member whose ISO 18626 symbol is symbol
	// (case-insensitive); not_found when none.
	ISOMemberBySymbol(ctx context.Context, symbol string) (*ISOMember, error)
}

// Catalogue is the union catalogue: records, the members' holdings of
// them and the conflicts holdings ingestion reported.
type Catalogue interface {
	// SearchFull runs a catalogue search (bounded by SearchTerms,
	// SearchTotalCap and SearchScanCap).
	SearchFull(ctx context.Context, q SearchQuery) (SearchResults, error)
	// RecordWithHoldings reads record id with every member's holdings of
	// it; not_found when there is no such record.
	RecordWithHoldings(ctx context.Context, id int64) (*Record, []HoldingView, error)
	// Conflicts lists library's matching conflicts ("": every library's),
	// newest first, one page, with the total.
	Conflicts(ctx context.Context, library string, page, perPage int) ([]Conflict, int, error)
	// RecordByLocalID maps a member's own record id to the union record;
	// 0 when unknown.
	RecordByLocalID(ctx context.Context, library, localID string) (int64, error)
	// MatchCitation finds the union record of a citation (ISBN, then
	// title/author/publisher/year); 0 when none.
	MatchCitation(ctx context.Context, c Citation) (int64, error)
}

// Courier is the consortium's courier: shipments, runs and their
// manifests, exceptions, the staff review list, violations and the
// lenders' pull slips.
type Courier interface {
	// ShipmentsForScan lists the undelivered shipments carrying barcode,
	// newest first; delivered reports whether a delivered one exists.
	ShipmentsForScan(ctx context.Context, barcode string) (open []Shipment, delivered bool, err error)
	// AddReview puts an entry on the staff review list and returns its
	// id (its ID and resolution fields are ignored; barcode and detail
	// may be cut to their stored widths).
	AddReview(ctx context.Context, it ReviewItem) (int64, error)
	// ReviewList lists the entries naming library (as Library or
	// OtherLibrary; "": all), oldest first, open ones only unless all.
	ReviewList(ctx context.Context, library string, all bool) ([]ReviewItem, error)
	// ResolveReview closes entry id, recording by, note and at.
	// not_found when there is no such entry; forbidden when library is
	// not "" and the entry does not name it; conflict when it was
	// resolved already (of two concurrent resolutions one wins).
	ResolveReview(ctx context.Context, id int64, library, by, note string, at time.Time) error
	// CourierRuns lists the runs between two days (inclusive), newest
	// first; Items counts the shipments touching library ("": all).
	CourierRuns(ctx context.Context, from, to Date, library string) ([]RunSummary, error)
	// CourierRunByID reads run id with its manifest snapshot (if closed);
	// not_found when there is none.
	CourierRunByID(ctx context.Context, id int64) (*CourierRun, error)
	// ManifestItems lists the shipments on run runID (for a live
	// manifest of an open run).
	ManifestItems(ctx context.Context, runID int64) ([]ManifestItem, error)
	// OpenExceptions lists the shipments in exception leaving from or
	// going to library ("": all).
	OpenExceptions(ctx context.Context, library string) ([]ExceptionRow, error)
	// CourierVolume is the volume per route of day's run, counting the
	// shipments touching library ("": all).
	CourierVolume(ctx context.Context, day Date, library string) ([]RouteVolume, error)
	// Violations lists the violations f selects (f.Library: as lender
	// or borrower, "" all).
	Violations(ctx context.Context, f ViolationFilter) ([]ViolationRow, error)
	// PullSlip lists lender's WILL_SUPPLY requests with the call number
	// of the copy to fetch, in no particular order (callers sort with
	// SortShelf).
	PullSlip(ctx context.Context, lender string) ([]PullSlipItem, error)
}

// Accounts holds who may call: API keys and courier credentials (stored
// as HashKey hashes only), the readers libraries register for the portal
// and the console's staff accounts (PINs and passwords stored as bcrypt
// hashes only).
type Accounts interface {
	// PrincipalByKeyHash resolves an API key's hash; not_found when the
	// key is unknown or revoked.
	PrincipalByKeyHash(ctx context.Context, hash string) (Principal, error)
	// CourierKeyValid reports whether hash is a live courier credential.
	CourierKeyValid(ctx context.Context, hash string) (bool, error)
	// PutReader registers or updates r (keyed by r.Library and r.ID,
	// case-insensitively); an empty PINHash keeps the stored one.
	PutReader(ctx context.Context, r Reader, at time.Time) error
	// Reader reads reader id of library (both compared
	// case-insensitively) with its PIN hash; not_found when the library
	// never registered it.
	Reader(ctx context.Context, library, id string) (Reader, error)
	// PutStaff creates or updates console account u (keyed by u.Library
	// and u.Username, case-insensitively); an empty PasswordHash keeps
	// the stored one.
	PutStaff(ctx context.Context, u Staff) error
	// StaffUser reads console account username of library with its
	// password hash, disabled or not; not_found when there is none.
	StaffUser(ctx context.Context, library, username string) (Staff, error)
}

// Sessions are the sign-ins of the reader portal and the staff console.
// Only the HashKey of a session's cookie is stored, so a copy of the
// table signs no one in.
type Sessions interface {
	// AddSession stores new session s (and may drop expired ones).
	AddSession(ctx context.Context, s Session) error
	// SessionByHash reads the session whose cookie hashes to hash if it
	// is live at now: not expired and, for a staff session, its account
	// still there and enabled (disabling an account ends its sessions at
	// their next request); not_found otherwise.
	SessionByHash(ctx context.Context, hash string, now time.Time) (Session, error)
	// DeleteSession ends session hash (signing out); ending a session
	// that is gone is no error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteSessionsOf ends every session of one account (kind "reader"
	// or "staff"; library and subject compared case-insensitively) and
	// returns how many there were.
	DeleteSessionsOf(ctx context.Context, kind, library, subject string) (int64, error)
}

// Worklists are the staff console's lists of work: the requests waiting
// in a queue, the shipments on their way and the deadlines lenders
// missed. No locks; library "" is every library's.
type Worklists interface {
	// QueueRequests lists at most limit requests of queue q where library
	// is on the queue's side (q.Side: the current lender or the
	// borrower), ordered by q.Order (unset last, then by id), with the
	// total. A queue with another Side or Order is an internal error.
	QueueRequests(ctx context.Context, q Queue, library string, limit int) ([]*Request, int, error)
	// OpenShipments lists at most limit shipments neither delivered nor
	// cancelled leaving from or going to library, newest run first
	// (those on no run yet last).
	OpenShipments(ctx context.Context, library string, limit int) ([]ShipmentRow, error)
	// MissedDeadlines lists at most limit of lender library's missed
	// deadlines (rota outcomes no_response and not_shipped), the most
	// recent first.
	MissedDeadlines(ctx context.Context, library string, limit int) ([]MissedDeadline, error)
}

// ISOLog keeps the ISO 18626 messages members sent (iso18626_messages).
type ISOLog interface {
	// LogISOMessage stores an inbound message and its confirmation
	// status.
	LogISOMessage(ctx context.Context, m ISOMessage) error
}

// Figures are the staff reports' figures (package reports): daily
// statistics, flows between libraries, overdue loans and the most
// requested titles, of library ("": every library).
type Figures interface {
	// StatsRange returns the daily figures of the days from to to
	// (inclusive): stored roll-ups before today, live figures for today.
	StatsRange(ctx context.Context, from, to, today Date, library string) ([]DayStats, error)
	// Flows counts the items shipped forward in [from, to) per lender →
	// borrower pair (library: the pairs it is part of).
	Flows(ctx context.Context, from, to time.Time, library string) ([]Flow, error)
	// OverdueLoans lists at most limit requests in OVERDUE (library: as
	// borrower or lender), longest overdue first.
	OverdueLoans(ctx context.Context, library string, limit int) ([]OverdueRow, error)
	// TopTitles counts the requests submitted in [from, to) per title,
	// the limit most requested first.
	TopTitles(ctx context.Context, from, to time.Time, library string, limit int) ([]TitleCount, error)
}

// CalendarSource serves the national working-day calendar (cached by the
// adapter; a failed reload serves the calendar loaded before).
type CalendarSource interface {
	Get(ctx context.Context) (*Calendar, error)
}

// Publisher is the broker as the intakes need it.
type Publisher interface {
	// Publish sends body under routingKey with messageID and returns
	// once the broker confirmed it, or an *Error with code unavailable
	// (nothing may be assumed sent). Publishing the same messageID twice
	// is harmless: consumers dedupe on it.
	Publish(ctx context.Context, routingKey, messageID string, body []byte) error
	// Ready reports whether the broker can take messages now
	// (readiness).
	Ready() error
}

// Backlog is how much accepted work waits to be started: the messages
// ready in the queues that new requests feed (the requests and ISO 18626
// queues), as the broker last reported them. The intake holds new
// requests while it is above a limit (app.Config.IntakeBacklog).
type Backlog interface {
	Waiting(ctx context.Context) (int, error)
}

// DeadMessage is a message the broker dead-lettered: it can never
// succeed (a consumer rejected it), reached the delivery limit, or
// expired.
type DeadMessage struct {
	MessageID  string
	RoutingKey string
	Queue      string // the queue it died in
	Reason     string // rejected, delivery_limit, expired
	Count      int64
	Body       []byte
}

// DeadLetterQueue is the broker's dead-letter queue as the centre's admin
// page shows it (replaying is illctl's, on the broker itself).
type DeadLetterQueue interface {
	// List returns up to limit dead letters, oldest first, without
	// removing them.
	List(limit int) ([]DeadMessage, error)
}
