package ill

import "time"

// ISOMember is a library as an ISO 18626 peer: its symbol, the endpoint
// its own ILL system listens on ("" for members that use the JSON API
// only), the hash of the secret it must send, and whether it may post
// without one (ClosedNetwork: reached over a closed network only).
type ISOMember struct {
	Code          string
	Symbol        string
	Endpoint      string
	SecretHash    string
	ClosedNetwork bool
}

// Speaks reports whether the member's own system speaks ISO 18626 (an
// endpoint is registered): the hub then sends it ISO messages. A nil
// member (none found) does not.
func (m *ISOMember) Speaks() bool { return m != nil && m.Endpoint != "" }

// ISORegistration is what `illctl library add` sets of a member's ISO
// 18626 registration. Empty strings and a nil ClosedNetwork keep the
// stored value; the secret is stored hashed (HashKey).
type ISORegistration struct {
	Code, Symbol, Endpoint, Secret string
	ClosedNetwork                  *bool
}

// ISOStatus is the status of a stored ISO 18626 message: an outbound
// message's delivery (pending until sent or failed for good), an inbound
// one's confirmation as the hub answered it. The values are stored
// (iso18626_messages.status).
type ISOStatus string

const (
	ISOPending ISOStatus = "pending" // outbound, not delivered yet: retried, never purged
	ISOSent    ISOStatus = "sent"    // outbound, the member confirmed it
	ISOFailed  ISOStatus = "failed"  // outbound, given up after the delivery attempts
	ISOInOK    ISOStatus = "OK"      // inbound, confirmed
	ISOInError ISOStatus = "ERROR"   // inbound, refused with an error confirmation
)

// ISOMessage is one stored ISO 18626 message: inbound as logged by the
// intake (authenticated senders only), outbound from the outbox until
// delivered. Direction is "in" or "out"; Kind the message type (request,
// supplyingAgencyMessage, …); SentAt is zero until an outbound message is
// delivered.
type ISOMessage struct {
	ID          int64
	RequestID   string
	Direction   string
	LibraryCode string
	Kind        string
	Summary     string
	Body        string
	Status      ISOStatus
	Attempts    int
	LastError   string
	CreatedAt   time.Time
	SentAt      time.Time
}
