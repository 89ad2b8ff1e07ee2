// Package iso18626 is the ISO 18626 v1.2 (2017) message model: encoding/xml
// types for the six messages, a lenient reader (Parse) and a strict writer
// (Marshal), the closed code lists, and the mapping between ISO actions and
// statuses and the hub's actions and states (mapping.go).
//
// Reading is lenient: element order, surrounding whitespace, elements of
// other namespaces and a qualified or bare version attribute are accepted.
// Writing is strict: every message Marshal produces validates against the
// embedded XSD (namespace-qualified ill:version, every required element,
// times with their offset); see iso18626/isotest.
package iso18626

import (
	_ "embed"
	"encoding/xml"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// Namespace is the ISO 18626 XML namespace; Version the version written.
const (
	Namespace = "http://illtransactions.org/2013/iso18626"
	Version   = "1.2"
)

// XSD is ISO-18626-v1_2.xsd (indexdata/crosslink copy, sha256 6e67223b…).
//
//go:embed ISO-18626-v1_2.xsd
var XSD []byte

// Message is the ISO18626Message root: exactly one of the six fields is set.
type Message struct {
	XMLName                             xml.Name                 `xml:"ISO18626Message"`
	Version                             string                   `xml:"version,attr"`
	Request                             *Request                 `xml:"request,omitempty"`
	RequestConfirmation                 *Confirmation            `xml:"requestConfirmation,omitempty"`
	SupplyingAgencyMessage              *SupplyingAgencyMessage  `xml:"supplyingAgencyMessage,omitempty"`
	SupplyingAgencyMessageConfirmation  *Confirmation            `xml:"supplyingAgencyMessageConfirmation,omitempty"`
	RequestingAgencyMessage             *RequestingAgencyMessage `xml:"requestingAgencyMessage,omitempty"`
	RequestingAgencyMessageConfirmation *Confirmation            `xml:"requestingAgencyMessageConfirmation,omitempty"`
}

// Kind names the message the root carries ("" when none).
func (m *Message) Kind() string {
	switch {
	case m.Request != nil:
		return "request"
	case m.RequestConfirmation != nil:
		return "requestConfirmation"
	case m.SupplyingAgencyMessage != nil:
		return "supplyingAgencyMessage"
	case m.SupplyingAgencyMessageConfirmation != nil:
		return "supplyingAgencyMessageConfirmation"
	case m.RequestingAgencyMessage != nil:
		return "requestingAgencyMessage"
	case m.RequestingAgencyMessageConfirmation != nil:
		return "requestingAgencyMessageConfirmation"
	}
	return ""
}

// Header returns the header of a business message (nil for confirmations).
func (m *Message) Header() *Header {
	switch {
	case m.Request != nil:
		return &m.Request.Header
	case m.SupplyingAgencyMessage != nil:
		return &m.SupplyingAgencyMessage.Header
	case m.RequestingAgencyMessage != nil:
		return &m.RequestingAgencyMessage.Header
	}
	return nil
}

// Confirmation returns whichever confirmation the message carries.
func (m *Message) Confirmation() *Confirmation {
	switch {
	case m.RequestConfirmation != nil:
		return m.RequestConfirmation
	case m.SupplyingAgencyMessageConfirmation != nil:
		return m.SupplyingAgencyMessageConfirmation
	case m.RequestingAgencyMessageConfirmation != nil:
		return m.RequestingAgencyMessageConfirmation
	}
	return nil
}

// DateTime is an xs:dateTime kept as text; Time formats one with its offset
// (+08:00) and Parse reads one leniently.
type DateTime string

// Time formats t as an xs:dateTime in Asia/Shanghai with its offset.
func Time(t time.Time) DateTime { return DateTime(t.In(ill.Shanghai).Format(time.RFC3339)) }

// Stamp formats t like Time with milliseconds: the hub's own message and
// confirmation timestamps, so that the order of messages written within
// one second stays visible to the member (as other implementations write
// them).
func Stamp(t time.Time) DateTime {
	return DateTime(t.In(ill.Shanghai).Format("2006-01-02T15:04:05.000Z07:00"))
}

// TimePtr is Time for optional elements (nil for the zero time).
func TimePtr(t time.Time) *DateTime {
	if t.IsZero() {
		return nil
	}
	d := Time(t)
	return &d
}

var dateTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05Z0700", "2006-01-02"}

// Parse reads the value; a time without an offset is taken in Asia/Shanghai.
func (d DateTime) Parse() (time.Time, error) {
	var err error
	for _, l := range dateTimeLayouts {
		var t time.Time
		if t, err = time.ParseInLocation(l, string(d), ill.Shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// SchemeValue is a type_schemeValuePair. The scheme is read but never
// written (it would need a qualified attribute; the hub uses none).
type SchemeValue struct {
	Scheme string `xml:"scheme,attr,omitempty"`
	Value  string `xml:",chardata"`
}

// MarshalXML writes the value only.
func (s SchemeValue) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(s.Value, xml.StartElement{Name: start.Name})
}

// AgencyID is a type_agencyId: agencyIdType (BALIS) and agencyIdValue (the symbol).
type AgencyID struct {
	Type  SchemeValue `xml:"agencyIdType"`
	Value string      `xml:"agencyIdValue"`
}

// Agency is an agency id of type BALIS.
func Agency(symbol string) AgencyID {
	return AgencyID{Type: SchemeValue{Value: "BALIS"}, Value: symbol}
}

// Authentication is requestingAgencyAuthentication.
type Authentication struct {
	AccountID    string `xml:"accountId,omitempty"`
	SecurityCode string `xml:"securityCode,omitempty"`
}

// Header is the header of the three business messages.
type Header struct {
	SupplyingAgencyID              AgencyID        `xml:"supplyingAgencyId"`
	RequestingAgencyID             AgencyID        `xml:"requestingAgencyId"`
	MultipleItemRequestID          string          `xml:"multipleItemRequestId"`
	Timestamp                      DateTime        `xml:"timestamp"`
	RequestingAgencyRequestID      string          `xml:"requestingAgencyRequestId"`
	SupplyingAgencyRequestID       string          `xml:"supplyingAgencyRequestId,omitempty"`
	RequestingAgencyAuthentication *Authentication `xml:"requestingAgencyAuthentication,omitempty"`
}

// BibliographicItemID is one bibliographicItemId (ISBN, ISSN, ...).
type BibliographicItemID struct {
	Identifier string      `xml:"bibliographicItemIdentifier"`
	Code       SchemeValue `xml:"bibliographicItemIdentifierCode"`
}

// BibliographicInfo describes the item (the hub uses a subset).
type BibliographicInfo struct {
	SupplierUniqueRecordID string `xml:"supplierUniqueRecordId,omitempty"`
	Title                  string `xml:"title,omitempty"`
	Author                 string `xml:"author,omitempty"`
	Subtitle               string `xml:"subtitle,omitempty"`
	Edition                string `xml:"edition,omitempty"`
	// A copy's part (serviceType Copy): the article (or chapter) and its
	// authors, the volume, issue and pages; title is then the journal's
	// (or the book's).
	TitleOfComponent    string                `xml:"titleOfComponent,omitempty"`
	AuthorOfComponent   string                `xml:"authorOfComponent,omitempty"`
	Volume              string                `xml:"volume,omitempty"`
	Issue               string                `xml:"issue,omitempty"`
	PagesRequested      string                `xml:"pagesRequested,omitempty"`
	BibliographicItemID []BibliographicItemID `xml:"bibliographicItemId,omitempty"`
}

// Identifier returns the first bibliographicItemId with code (ISBN, ISSN,
// DOI; matched without case), "" when none.
func (b BibliographicInfo) Identifier(code string) string {
	for _, id := range b.BibliographicItemID {
		if strings.EqualFold(id.Code.Value, code) {
			return id.Identifier
		}
	}
	return ""
}

// ISBN returns the first ISBN given ("" when none).
func (b BibliographicInfo) ISBN() string {
	for _, id := range b.BibliographicItemID {
		if id.Code.Value == "ISBN" {
			return id.Identifier
		}
	}
	return ""
}

// PublicationInfo is publicationInfo.
type PublicationInfo struct {
	Publisher       string `xml:"publisher,omitempty"`
	PublicationDate string `xml:"publicationDate,omitempty"`
}

// ServiceInfo is serviceInfo (serviceType is required in it).
type ServiceInfo struct {
	RequestType                       RequestType `xml:"requestType,omitempty"`
	RequestSubType                    []string    `xml:"requestSubType,omitempty"`
	RequestingAgencyPreviousRequestID string      `xml:"requestingAgencyPreviousRequestId,omitempty"`
	ServiceType                       ServiceType `xml:"serviceType"`
	NeedBeforeDate                    *DateTime   `xml:"needBeforeDate,omitempty"`
	Note                              string      `xml:"note,omitempty"`
}

// ElectronicAddress is an e-mail (or other) address.
type ElectronicAddress struct {
	Type SchemeValue `xml:"electronicAddressType"`
	Data string      `xml:"electronicAddressData"`
}

// Address is one address of a patron (electronic only are kept).
type Address struct {
	Electronic *ElectronicAddress `xml:"electronicAddress,omitempty"`
	Physical   *PhysicalAddress   `xml:"physicalAddress,omitempty"`
}

// PhysicalAddress is a postal address (the hub fills line1 and locality).
type PhysicalAddress struct {
	Line1    string `xml:"line1,omitempty"`
	Line2    string `xml:"line2,omitempty"`
	Locality string `xml:"locality,omitempty"`
}

// RequestedDeliveryInfo is where the requester wants the item delivered.
// The hub names the borrowing library's desk on the courier network, so
// that a supplier choosing its delivery method by address ships the book
// physically rather than electronically.
type RequestedDeliveryInfo struct {
	SortOrder int      `xml:"sortOrder,omitempty"`
	Address   *Address `xml:"address,omitempty"`
}

// PatronInfo is patronInfo.
type PatronInfo struct {
	PatronID  string    `xml:"patronId,omitempty"`
	Surname   string    `xml:"surname,omitempty"`
	GivenName string    `xml:"givenName,omitempty"`
	Address   []Address `xml:"address,omitempty"`
}

// Email returns the patron's first e-mail address.
func (p *PatronInfo) Email() string {
	if p == nil {
		return ""
	}
	for _, a := range p.Address {
		if a.Electronic != nil && (a.Electronic.Type.Value == "email" || a.Electronic.Type.Value == "Email") {
			return a.Electronic.Data
		}
	}
	return ""
}

// Request is the request message (requester → supplier, once).
type Request struct {
	Header            Header            `xml:"header"`
	BibliographicInfo BibliographicInfo `xml:"bibliographicInfo"`
	PublicationInfo   *PublicationInfo  `xml:"publicationInfo,omitempty"`
	ServiceInfo       *ServiceInfo      `xml:"serviceInfo,omitempty"`
	// RequestedDeliveryInfo follows serviceInfo (and supplierInfo, which
	// the hub neither reads nor writes) in the XSD's sequence.
	RequestedDeliveryInfo []RequestedDeliveryInfo `xml:"requestedDeliveryInfo,omitempty"`
	PatronInfo            *PatronInfo             `xml:"patronInfo,omitempty"`
}

// MessageInfo is a supplyingAgencyMessage's messageInfo.
type MessageInfo struct {
	ReasonForMessage ReasonForMessage `xml:"reasonForMessage"`
	AnswerYesNo      YesNo            `xml:"answerYesNo,omitempty"`
	Note             string           `xml:"note,omitempty"`
	ReasonUnfilled   *SchemeValue     `xml:"reasonUnfilled,omitempty"`
	ReasonRetry      *SchemeValue     `xml:"reasonRetry,omitempty"`
	RetryAfter       *DateTime        `xml:"retryAfter,omitempty"`
	RetryBefore      *DateTime        `xml:"retryBefore,omitempty"`
}

// StatusInfo is statusInfo (required in every supplyingAgencyMessage).
type StatusInfo struct {
	Status               Status    `xml:"status"`
	ExpectedDeliveryDate *DateTime `xml:"expectedDeliveryDate,omitempty"`
	DueDate              *DateTime `xml:"dueDate,omitempty"`
	LastChange           DateTime  `xml:"lastChange"`
}

// DeliveryInfo is deliveryInfo (dateSent required).
type DeliveryInfo struct {
	DateSent DateTime     `xml:"dateSent"`
	ItemID   string       `xml:"itemId,omitempty"`
	SentVia  *SchemeValue `xml:"sentVia,omitempty"`
}

// ReturnInfo is returnInfo.
type ReturnInfo struct {
	ReturnAgencyID *AgencyID `xml:"returnAgencyId,omitempty"`
	Name           string    `xml:"name,omitempty"`
}

// SupplyingAgencyMessage is supplier → requester (many).
type SupplyingAgencyMessage struct {
	Header       Header        `xml:"header"`
	MessageInfo  MessageInfo   `xml:"messageInfo"`
	StatusInfo   StatusInfo    `xml:"statusInfo"`
	DeliveryInfo *DeliveryInfo `xml:"deliveryInfo,omitempty"`
	ReturnInfo   *ReturnInfo   `xml:"returnInfo,omitempty"`
}

// RequestingAgencyMessage is requester → supplier (many).
type RequestingAgencyMessage struct {
	Header Header `xml:"header"`
	Action Action `xml:"action"`
	Note   string `xml:"note,omitempty"`
}

// ConfirmationHeader heads every confirmation.
type ConfirmationHeader struct {
	SupplyingAgencyID         *AgencyID     `xml:"supplyingAgencyId,omitempty"`
	RequestingAgencyID        *AgencyID     `xml:"requestingAgencyId,omitempty"`
	Timestamp                 DateTime      `xml:"timestamp"`
	RequestingAgencyRequestID string        `xml:"requestingAgencyRequestId,omitempty"`
	TimestampReceived         DateTime      `xml:"timestampReceived"`
	MessageStatus             MessageStatus `xml:"messageStatus"`
}

// ErrorData explains an ERROR confirmation.
type ErrorData struct {
	ErrorType  ErrorType `xml:"errorType"`
	ErrorValue string    `xml:"errorValue,omitempty"`
}

// Confirmation is any of the three confirmations. ReasonForMessage is only
// written in a supplyingAgencyMessageConfirmation and Action only in a
// requestingAgencyMessageConfirmation.
type Confirmation struct {
	ConfirmationHeader ConfirmationHeader `xml:"confirmationHeader"`
	ReasonForMessage   ReasonForMessage   `xml:"reasonForMessage,omitempty"`
	Action             Action             `xml:"action,omitempty"`
	ErrorData          *ErrorData         `xml:"errorData,omitempty"`
}

// Closed code lists (exact XSD values).
type (
	Action           string
	Status           string
	ReasonForMessage string
	ErrorType        string
	MessageStatus    string
	ServiceType      string
	RequestType      string
	YesNo            string
)

const (
	ActionStatusRequest  Action = "StatusRequest"
	ActionReceived       Action = "Received"
	ActionCancel         Action = "Cancel"
	ActionRenew          Action = "Renew"
	ActionShippedReturn  Action = "ShippedReturn"
	ActionShippedForward Action = "ShippedForward"
	ActionNotification   Action = "Notification"

	StatusRequestReceived        Status = "RequestReceived"
	StatusExpectToSupply         Status = "ExpectToSupply"
	StatusWillSupply             Status = "WillSupply"
	StatusLoaned                 Status = "Loaned"
	StatusOverdue                Status = "Overdue"
	StatusRecalled               Status = "Recalled"
	StatusRetryPossible          Status = "RetryPossible"
	StatusUnfilled               Status = "Unfilled"
	StatusCopyCompleted          Status = "CopyCompleted"
	StatusLoanCompleted          Status = "LoanCompleted"
	StatusCompletedWithoutReturn Status = "CompletedWithoutReturn"
	StatusCancelled              Status = "Cancelled"

	ReasonRequestResponse       ReasonForMessage = "RequestResponse"
	ReasonStatusRequestResponse ReasonForMessage = "StatusRequestResponse"
	ReasonRenewResponse         ReasonForMessage = "RenewResponse"
	ReasonCancelResponse        ReasonForMessage = "CancelResponse"
	ReasonStatusChange          ReasonForMessage = "StatusChange"
	ReasonNotification          ReasonForMessage = "Notification"

	ErrUnsupportedActionType           ErrorType = "UnsupportedActionType"
	ErrUnsupportedReasonForMessageType ErrorType = "UnsupportedReasonForMessageType"
	ErrUnrecognisedDataElement         ErrorType = "UnrecognisedDataElement"
	ErrUnrecognisedDataValue           ErrorType = "UnrecognisedDataValue"
	ErrBadlyFormedMessage              ErrorType = "BadlyFormedMessage"

	StatusOK    MessageStatus = "OK"
	StatusERROR MessageStatus = "ERROR"

	ServiceCopy       ServiceType = "Copy"
	ServiceLoan       ServiceType = "Loan"
	ServiceCopyOrLoan ServiceType = "CopyOrLoan"

	RequestNew      RequestType = "New"
	RequestRetry    RequestType = "Retry"
	RequestReminder RequestType = "Reminder"

	Yes YesNo = "Y"
	No  YesNo = "N"
)

var (
	actions  = []Action{ActionStatusRequest, ActionReceived, ActionCancel, ActionRenew, ActionShippedReturn, ActionShippedForward, ActionNotification}
	statuses = []Status{StatusRequestReceived, StatusExpectToSupply, StatusWillSupply, StatusLoaned, StatusOverdue, StatusRecalled,
		StatusRetryPossible, StatusUnfilled, StatusCopyCompleted, StatusLoanCompleted, StatusCompletedWithoutReturn, StatusCancelled}
	reasons = []ReasonForMessage{ReasonRequestResponse, ReasonStatusRequestResponse, ReasonRenewResponse, ReasonCancelResponse,
		ReasonStatusChange, ReasonNotification}
	errorTypes = []ErrorType{ErrUnsupportedActionType, ErrUnsupportedReasonForMessageType, ErrUnrecognisedDataElement,
		ErrUnrecognisedDataValue, ErrBadlyFormedMessage}
	subTypes = []string{"BookingRequest", "MultipleItemRequest", "PatronRequest", "TransferRequest", "SupplyingLibrarysChoice"}
)

// Valid reports whether the value is in the XSD's code list.
func (a Action) Valid() bool           { return slices.Contains(actions, a) }
func (s Status) Valid() bool           { return slices.Contains(statuses, s) }
func (r ReasonForMessage) Valid() bool { return slices.Contains(reasons, r) }
func (e ErrorType) Valid() bool        { return slices.Contains(errorTypes, e) }
func (s MessageStatus) Valid() bool    { return s == StatusOK || s == StatusERROR }
func (s ServiceType) Valid() bool {
	return s == ServiceCopy || s == ServiceLoan || s == ServiceCopyOrLoan
}
func (r RequestType) Valid() bool {
	return r == RequestNew || r == RequestRetry || r == RequestReminder
}
func (y YesNo) Valid() bool { return y == Yes || y == No }
