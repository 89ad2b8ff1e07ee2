package ill

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// NoticeStatus is where a stored notice's delivery stands (notices.status).
type NoticeStatus string

const (
	NoticePending       NoticeStatus = "pending"        // not yet delivered on every channel; will be retried
	NoticeSent          NoticeStatus = "sent"           // delivered on every configured channel
	NoticeNotConfigured NoticeStatus = "not_configured" // no channel configured: stored for staff, not delivered
	NoticeFailed        NoticeStatus = "failed"         // gave up after ILL_NOTICE_ATTEMPTS (or a permanent error)
)

// Settled reports whether a notice in this status needs no further
// delivery: a redelivered message for it does nothing.
func (s NoticeStatus) Settled() bool {
	return s == NoticeSent || s == NoticeNotConfigured || s == NoticeFailed
}

// Notice is a message to a reader or library, as the transaction that
// causes it writes it (status pending). (RequestID, Kind, Step) identifies
// it: it is stored once however often its cause runs.
type Notice struct {
	ID        int64
	RequestID string
	Kind      string // one of the Notice kinds (NoticeArrived, …)
	Step      int    // tells repeats of one kind apart (overdue day, rota rank, recipient, …)
	Library   string // the library it is to or about
	PatronID  string // the reader it is to; "" for a library notice
	Recipient string // e-mail address; "" when none is known
	// ReaderOf, for a notice to a reader (PatronID) without a Recipient,
	// is the reader's library: the store takes the address the reader has
	// there when it stores the notice.
	ReaderOf string
	Locale   string // "zh" or "en"
	Subject  string
	Body     string
	At       time.Time
}

// NoticeRef is the body of a notice delivery message (MsgNotice): the
// notice's id, or its key (request, kind, step) when the transaction that
// stored it did not wait to learn the id.
type NoticeRef struct {
	NoticeID  int64  `json:"notice_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Step      int    `json:"step"`
}

// ByKey reports whether r names its notice by key rather than by id.
func (r NoticeRef) ByKey() bool { return r.NoticeID == 0 && r.RequestID != "" && r.Kind != "" }

// MessageID is the delivery message's id of a notice named by key: one per
// notice, whichever transaction queues it.
func (r NoticeRef) MessageID() string {
	sum := sha256.Sum256([]byte(r.RequestID + "\x00" + r.Kind + "\x00" + strconv.Itoa(r.Step)))
	return "notice:" + hex.EncodeToString(sum[:16])
}

// StoredNotice is a notice with its delivery record, as the notices
// consumer and staff read it.
type StoredNotice struct {
	ID           int64
	RequestID    string
	Kind         string
	Step         int
	Library      string
	PatronID     string
	Recipient    string
	Locale       string
	Subject      string
	Body         string
	Status       NoticeStatus
	Attempts     int
	DeliveredVia string // comma-separated channels that delivered it
	LastError    string
	CreatedAt    time.Time
	SentAt       time.Time // zero until the status is sent
}

// NoticeOutcome is the result of one delivery round of a notice.
type NoticeOutcome struct {
	Status       NoticeStatus
	Attempted    bool   // a delivery was tried: attempts is incremented
	DeliveredVia string // channels delivered so far (replaces the stored list)
	LastError    string // "" clears it
}
