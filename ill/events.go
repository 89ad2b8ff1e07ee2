package ill

// DomainEvent is something that happened to a request which parts of the
// hub other than the state table act on: the subscribers the consumers
// register (courier records, ISO 18626 messages to member systems). Events
// are facts, computed by Decide, Refuse and Inform; a subscriber switches
// on the type of those it handles and ignores the others.
//
// Not to be confused with Event, a line of the request's timeline.
type DomainEvent interface{ domainEvent() }

// StateChanged: an action of the state table was applied (From may equal
// To, e.g. a timeout that asks the next lender).
type StateChanged struct {
	Action  Action
	Variant Variant
	From    State
	To      State
}

// Refused: the consumer refused an action (Err says why, with its code);
// nothing changed.
type Refused struct {
	Action  Action
	Variant Variant
	From    State
	Err     error
}

// Informed: a message without an action arrived (it changes nothing).
type Informed struct{}

// ItemArrived: the library at the end of the shipment in Direction has the
// item in hand (receive, checkin), whatever the courier has scanned.
type ItemArrived struct{ Direction Direction }

// ItemReturned: the reader returned the item to the borrowing library,
// which inspected it (Condition) and scanned Barcode (may be empty).
type ItemReturned struct{ Condition, Barcode string }

// ItemCheckedIn: the lender checked the item in, in Condition.
type ItemCheckedIn struct{ Condition string }

// ItemLost: the item was reported lost.
type ItemLost struct{}

func (StateChanged) domainEvent()  {}
func (Refused) domainEvent()       {}
func (Informed) domainEvent()      {}
func (ItemArrived) domainEvent()   {}
func (ItemReturned) domainEvent()  {}
func (ItemCheckedIn) domainEvent() {}
func (ItemLost) domainEvent()      {}
