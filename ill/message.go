package ill

import (
	"encoding/json"
	"strings"
	"time"
)

// Message types carried on the broker. Routing keys equal the type.
const (
	MsgSubmit   = "request.submit"   // intake → requests pool
	MsgAction   = "request.action"   // intake/scheduler → requests pool
	MsgHoldings = "holdings.batch"   // intake → holdings pool
	MsgNotice   = "notice.deliver"   // outbox → notifier pool
	MsgShipment = "shipment.created" // outbox → courier pool
	MsgISO      = "iso.outbound"     // outbox → iso pool: deliver one stored ISO 18626 message
)

// Message is the envelope of every message on the broker. ID is unique per
// logical message and is what consumers dedupe on (inbox); a retry by the
// producer of the same HTTP call reuses nothing, but a redelivery of the
// same message carries the same ID.
type Message struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Actor     string          `json:"actor"`     // library code, "CENTRE" or "system"
	IsCentre  bool            `json:"is_centre"` // the actor holds a centre key
	RequestID string          `json:"request_id,omitempty"`
	Action    Action          `json:"action,omitempty"`
	At        time.Time       `json:"at"` // when the intake accepted it: the time rules are judged at
	Body      json.RawMessage `json:"body,omitempty"`
	ISO       *ISOContext     `json:"iso,omitempty"` // set when the message came in as ISO 18626
	// Attempt is the delivery attempt the consumer is on (1 on first
	// delivery), set from the broker's delivery; it is not part of the
	// message (never marshalled) and 0 outside a consumer.
	Attempt int `json:"-"`
}

// Informs reports whether m carries no action, only information another
// system sent (an ISO 18626 status request or notification): it changes
// nothing, and the subscriber of that system records and answers it.
func (m Message) Informs() bool { return m.Action == "" && m.ISO != nil }

// ISOContext is what the hub keeps of an incoming ISO 18626 message that
// became a hub message: the ISO subscriber (consumers/isoout) answers ISO members from it (e.g.
// StatusRequest → StatusRequestResponse) and chains the second hub action
// of one ISO step (Received = receive + checkout).
type ISOContext struct {
	Kind string `json:"kind"`           // request, supplyingAgencyMessage, requestingAgencyMessage
	What string `json:"what"`           // the ISO action, or reasonForMessage/status
	Note string `json:"note,omitempty"` // the message's note
	Then Action `json:"then,omitempty"` // hub action to take right after this one succeeds
}

// SystemActor is the actor of hub-initiated transitions.
const SystemActor = "system"

// CentreCode is the pseudo library code of centre (admin) keys.
const CentreCode = "CENTRE"

// Patron is the reader a borrowing library vouches for.
type Patron struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	DepositPaid bool   `json:"deposit_paid"`
}

// Citation is a manual request's description of the item, and a copy
// request's citation (SPEC 5.4): an article (journal_title, issn, year,
// volume, issue, pages, article_title, authors, doi) or a part of a book
// (isbn, title, chapter, pages; book_pages, the book's extent when known,
// bounds the part: ValidateCopy).
type Citation struct {
	Title     string `json:"title"`
	Author    string `json:"author"`
	ISBN      string `json:"isbn"`
	Publisher string `json:"publisher"`
	Year      int    `json:"year"`
	Language  string `json:"language,omitempty"`
	Material  string `json:"material,omitempty"`

	// Copy requests only (service_type copy).
	JournalTitle string `json:"journal_title,omitempty"`
	ISSN         string `json:"issn,omitempty"`
	Volume       string `json:"volume,omitempty"`
	Issue        string `json:"issue,omitempty"`
	Pages        string `json:"pages,omitempty"`
	ArticleTitle string `json:"article_title,omitempty"`
	Authors      string `json:"authors,omitempty"`
	DOI          string `json:"doi,omitempty"`
	Chapter      string `json:"chapter,omitempty"`
	BookPages    int    `json:"book_pages,omitempty"`
}

// SubmitBody is the body of POST /v1/requests and of a request.submit message.
type SubmitBody struct {
	ClientRequestID string    `json:"client_request_id"`
	Patron          Patron    `json:"patron"`
	RecordID        string    `json:"record_id,omitempty"`
	Item            *Citation `json:"item,omitempty"`
	Note            string    `json:"note,omitempty"`
	// Source is who sent the reader (an OpenURL link's rfr_id or sid, see
	// ParseOpenURL); kept on the request for the reports. Optional.
	Source string `json:"source,omitempty"`
	// Lenders, when set, is the rota in this order instead of routing
	// (an ISO 18626 request addressed to one member goes to it first).
	// Not accepted from the JSON API.
	Lenders []string `json:"lenders,omitempty"`
	// ServiceType is loan ("" reads as loan) or copy.
	ServiceType ServiceType `json:"service_type,omitempty"`
	// Rush (copies only): deliver the same working day the request
	// reaches the lender instead of within its CopyTerms.DeliverDays.
	Rush bool `json:"rush,omitempty"`
}

// ActionBody is the union of every action's body (SPEC 5.1).
type ActionBody struct {
	Decision    string   `json:"decision,omitempty"`     // respond
	Reason      Reason   `json:"reason,omitempty"`       // respond unfilled
	ItemBarcode string   `json:"item_barcode,omitempty"` // ship
	Condition   string   `json:"condition,omitempty"`    // return, checkin
	By          string   `json:"by,omitempty"`           // cancel
	Accept      *bool    `json:"accept,omitempty"`       // cancel_response
	RecordID    string   `json:"record_id,omitempty"`    // mediate
	Lenders     []string `json:"lenders,omitempty"`      // mediate
	Note        string   `json:"note,omitempty"`

	// DueAt is the lender's own due date sent with the shipment (ISO 18626
	// Loaned/dueDate): checkout keeps it instead of computing R4's.
	DueAt *time.Time `json:"due_at,omitempty"` // ship, supply_ship

	// FileID is the delivered copy's file (deliver): the id the upload
	// returned, or CopyFileRef of an ISO 18626 supplier's URL.
	FileID string `json:"file_id,omitempty"`
}

// MaxFileIDLength bounds ActionBody.FileID (a URL reference included).
const MaxFileIDLength = 500

// Variant derives the state-table variant from the body and validates the
// fields the action needs. It is the single place the API and the consumers
// interpret action bodies.
func (b ActionBody) Variant(a Action) (Variant, error) {
	if len(b.Note) > 2000 {
		return "", FieldError("note", "note is longer than 2000 characters")
	}
	switch a {
	case ActRespond:
		switch b.Decision {
		case "will_supply":
			return "will_supply", nil
		case "unfilled":
			if b.Reason == "" {
				return "", FieldError("reason", "reason is required with decision unfilled")
			}
			if !LenderUnfilledReasons[b.Reason] && b.Reason != ReasonUnspecified {
				return "", FieldError("reason", "unknown unfilled reason %q", b.Reason)
			}
			return "unfilled", nil
		case "":
			return "", FieldError("decision", "decision is required (will_supply or unfilled)")
		}
		return "", FieldError("decision", "decision must be will_supply or unfilled, not %q", b.Decision)
	case ActCancel:
		switch b.By {
		case "reader", "staff":
			return Variant(b.By), nil
		case "":
			return "", FieldError("by", "by is required (reader or staff)")
		}
		return "", FieldError("by", "by must be reader or staff, not %q", b.By)
	case ActCancelResponse:
		if b.Accept == nil {
			return "", FieldError("accept", "accept (true or false) is required")
		}
		if *b.Accept {
			return "yes", nil
		}
		return "no", nil
	case ActShip, ActSupplyShip:
		if b.ItemBarcode == "" {
			return "", FieldError("item_barcode", "item_barcode is required")
		}
		if len(b.ItemBarcode) > 64 {
			return "", FieldError("item_barcode", "item_barcode is longer than 64 characters")
		}
	case ActReturn, ActCheckin:
		switch b.Condition {
		case "good", "damaged":
		case "":
			return "", FieldError("condition", "condition is required (good or damaged)")
		default:
			return "", FieldError("condition", "condition must be good or damaged, not %q", b.Condition)
		}
	case ActMediate:
		if (b.RecordID == "") == (len(b.Lenders) == 0) {
			return "", FieldError("record_id", "give either record_id or lenders")
		}
	case ActDeliver:
		if strings.TrimSpace(b.FileID) == "" {
			return "", FieldError("file_id", "file_id is required (the uploaded copy)")
		}
		if len(b.FileID) > MaxFileIDLength {
			return "", FieldError("file_id", "file_id is longer than %d characters", MaxFileIDLength)
		}
	case ActCloseDelivery:
		switch v := Variant(b.Reason); v {
		case CloseDownloaded, CloseExpired:
			return v, nil
		case "":
			return "", FieldError("reason", "reason is required (downloaded or expired)")
		}
		return "", FieldError("reason", "reason must be downloaded or expired, not %q", b.Reason)
	}
	return "", nil
}

// HoldingsBatch is the body of POST /v1/holdings.
type HoldingsBatch struct {
	Upserts []Holding `json:"upserts"`
	Deletes []string  `json:"deletes"`
}

// Holding is one row of a library's holdings.
type Holding struct {
	LocalID    string `json:"local_id"`
	ISBN       string `json:"isbn"`
	Title      string `json:"title"`
	Author     string `json:"author"`
	Publisher  string `json:"publisher"`
	Year       int    `json:"year"`
	Language   string `json:"language"`
	Material   string `json:"material"`
	CallNumber string `json:"call_number"`
	Copies     int    `json:"copies"`
	Available  int    `json:"available"`
	Lendable   *bool  `json:"lendable"`
	// ISSN and Coverage describe a serial (material journal): copy
	// requests for an article are routed to the holders of its ISSN
	// whose coverage (runs of years, "1998-2010,2015-"; "" every year)
	// holds the article's year.
	ISSN     string `json:"issn,omitempty"`
	Coverage string `json:"coverage,omitempty"`
}

// MaxHoldingsBatch is the largest holdings batch accepted in one call.
const MaxHoldingsBatch = 10000
