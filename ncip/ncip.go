// Package ncip is NCIP 2.02 (ANSI/NISO Z39.83-1-2012) as the hub speaks it
// to the members' local library systems (docs/ncip.md): the four
// initiation messages it sends (LookupUser, AcceptItem, CheckOutItem,
// CheckInItem), their responses, a strict writer (Marshal: documents valid
// against schema/ncip_v2_02.xsd, checked by the tests with xmllint) and a
// lenient reader (Parse: any namespace prefix, unknown elements ignored),
// and the HTTP client (client.go). It has no state and no database.
package ncip

import (
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Namespace is the NCIP 2 target namespace; Version the value of the
// NCIPMessage version attribute for 2.02.
const (
	Namespace = "http://www.niso.org/2008/ncip"
	Version   = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
)

// XSD is the NCIP 2.02 schema as NISO published it (schema/README.md).
//
//go:embed schema/ncip_v2_02.xsd
var XSD []byte

// Message is an NCIPMessage holding exactly one service message (or, from
// a responder that could not read the initiation, a bare Problem).
type Message struct {
	XMLName xml.Name `xml:"NCIPMessage"`
	Version string   `xml:"version,attr"`

	LookupUser           *LookupUser           `xml:"LookupUser,omitempty"`
	LookupUserResponse   *LookupUserResponse   `xml:"LookupUserResponse,omitempty"`
	AcceptItem           *AcceptItem           `xml:"AcceptItem,omitempty"`
	AcceptItemResponse   *AcceptItemResponse   `xml:"AcceptItemResponse,omitempty"`
	CheckOutItem         *CheckOutItem         `xml:"CheckOutItem,omitempty"`
	CheckOutItemResponse *CheckOutItemResponse `xml:"CheckOutItemResponse,omitempty"`
	CheckInItem          *CheckInItem          `xml:"CheckInItem,omitempty"`
	CheckInItemResponse  *CheckInItemResponse  `xml:"CheckInItemResponse,omitempty"`
	Problem              []Problem             `xml:"Problem,omitempty"`
}

// SchemeValue is NCIP's SchemeValuePair: a value with an optional scheme
// URI.
type SchemeValue struct {
	Scheme string `xml:"Scheme,attr,omitempty"`
	Value  string `xml:",chardata"`
}

// SV is a SchemeValue without a scheme.
func SV(v string) SchemeValue { return SchemeValue{Value: v} }

// AgencyRef is FromAgencyId / ToAgencyId.
type AgencyRef struct {
	AgencyID SchemeValue `xml:"AgencyId"`
}

// InitiationHeader names the initiating agency (the hub) and the
// responding one (the member's ILS).
type InitiationHeader struct {
	FromAgencyID AgencyRef `xml:"FromAgencyId"`
	ToAgencyID   AgencyRef `xml:"ToAgencyId"`
}

// ResponseHeader is the responder's header (read only).
type ResponseHeader struct {
	FromAgencyID AgencyRef `xml:"FromAgencyId"`
	ToAgencyID   AgencyRef `xml:"ToAgencyId"`
}

// UserID identifies a user (a reader, or a library's ILL patron account).
type UserID struct {
	AgencyID *SchemeValue `xml:"AgencyId,omitempty"`
	Value    string       `xml:"UserIdentifierValue"`
}

// ItemID identifies an item by its barcode.
type ItemID struct {
	AgencyID *SchemeValue `xml:"AgencyId,omitempty"`
	Value    string       `xml:"ItemIdentifierValue"`
}

// RequestID identifies the hub's request.
type RequestID struct {
	AgencyID *SchemeValue `xml:"AgencyId,omitempty"`
	Value    string       `xml:"RequestIdentifierValue"`
}

// Problem is an NCIP Problem: what went wrong, where.
type Problem struct {
	Type    SchemeValue `xml:"ProblemType"`
	Detail  string      `xml:"ProblemDetail,omitempty"`
	Element string      `xml:"ProblemElement,omitempty"`
	Value   string      `xml:"ProblemValue,omitempty"`
}

func (p Problem) String() string {
	s := p.Type.Value
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if p.Element != "" || p.Value != "" {
		s += " (" + strings.TrimSpace(p.Element+" "+p.Value) + ")"
	}
	return s
}

// Empty is an element with no content (the NCIP "…Desired" flags).
type Empty struct{}

// LookupUser asks the ILS about a reader: its privileges (status), blocks
// and fiscal account.
type LookupUser struct {
	Header                   *InitiationHeader `xml:"InitiationHeader,omitempty"`
	UserID                   UserID            `xml:"UserId"`
	UserElementType          []SchemeValue     `xml:"UserElementType,omitempty"`
	UserFiscalAccountDesired *Empty            `xml:"UserFiscalAccountDesired,omitempty"`
}

// LookupUserResponse is the ILS's answer: Problems, or the user.
type LookupUserResponse struct {
	Header            *ResponseHeader     `xml:"ResponseHeader,omitempty"`
	Problem           []Problem           `xml:"Problem,omitempty"`
	UserID            *UserID             `xml:"UserId,omitempty"`
	UserFiscalAccount []UserFiscalAccount `xml:"UserFiscalAccount,omitempty"`
	Optional          *UserOptionalFields `xml:"UserOptionalFields,omitempty"`
}

// UserFiscalAccount is the reader's account balance in the ILS (minor
// units of the currency: MonetaryValue is an integer).
type UserFiscalAccount struct {
	Balance AccountBalance `xml:"AccountBalance"`
}

// AccountBalance is a currency and an amount in its minor unit.
type AccountBalance struct {
	Currency SchemeValue `xml:"CurrencyCode"`
	Value    int64       `xml:"MonetaryValue"`
}

// UserOptionalFields are the user elements the hub asks for.
type UserOptionalFields struct {
	UserPrivilege []UserPrivilege `xml:"UserPrivilege,omitempty"`
	BlockOrTrap   []BlockOrTrap   `xml:"BlockOrTrap,omitempty"`
}

// UserPrivilege is one privilege of the reader at an agency, with its
// status (e.g. Active, Expired).
type UserPrivilege struct {
	AgencyID    SchemeValue          `xml:"AgencyId"`
	Type        SchemeValue          `xml:"AgencyUserPrivilegeType"`
	ValidTo     string               `xml:"ValidToDate,omitempty"`
	Status      *UserPrivilegeStatus `xml:"UserPrivilegeStatus,omitempty"`
	Description string               `xml:"UserPrivilegeDescription,omitempty"`
}

// UserPrivilegeStatus is a privilege's status.
type UserPrivilegeStatus struct {
	Type SchemeValue `xml:"UserPrivilegeStatusType"`
}

// BlockOrTrap is a block on the reader at an agency.
type BlockOrTrap struct {
	AgencyID SchemeValue `xml:"AgencyId"`
	Type     SchemeValue `xml:"BlockOrTrapType"`
	ValidTo  string      `xml:"ValidToDate,omitempty"`
}

// AcceptItem asks the borrowing library's ILS to create a temporary item
// for the hub's request, held for the reader.
type AcceptItem struct {
	Header              *InitiationHeader   `xml:"InitiationHeader,omitempty"`
	RequestID           RequestID           `xml:"RequestId"`
	RequestedActionType SchemeValue         `xml:"RequestedActionType"`
	UserID              *UserID             `xml:"UserId,omitempty"`
	ItemID              *ItemID             `xml:"ItemId,omitempty"`
	DateForReturn       string              `xml:"DateForReturn,omitempty"`
	ItemOptional        *ItemOptionalFields `xml:"ItemOptionalFields,omitempty"`
	PickupLocation      *SchemeValue        `xml:"PickupLocation,omitempty"`
}

// ItemOptionalFields carries the item's description.
type ItemOptionalFields struct {
	Bib *BibliographicDescription `xml:"BibliographicDescription,omitempty"`
}

// BibliographicDescription is the title and author (the XSD's order:
// Author before Title).
type BibliographicDescription struct {
	Author string `xml:"Author,omitempty"`
	Title  string `xml:"Title,omitempty"`
}

// AcceptItemResponse: Problems, or the request (and the item created).
type AcceptItemResponse struct {
	Header    *ResponseHeader `xml:"ResponseHeader,omitempty"`
	Problem   []Problem       `xml:"Problem,omitempty"`
	RequestID *RequestID      `xml:"RequestId,omitempty"`
	ItemID    *ItemID         `xml:"ItemId,omitempty"`
}

// CheckOutItem lends an item to a user.
type CheckOutItem struct {
	Header         *InitiationHeader `xml:"InitiationHeader,omitempty"`
	UserID         UserID            `xml:"UserId"`
	ItemID         ItemID            `xml:"ItemId"`
	RequestID      *RequestID        `xml:"RequestId,omitempty"`
	DesiredDateDue string            `xml:"DesiredDateDue,omitempty"`
}

// CheckOutItemResponse: Problems, or the loan and its due date.
type CheckOutItemResponse struct {
	Header  *ResponseHeader `xml:"ResponseHeader,omitempty"`
	Problem []Problem       `xml:"Problem,omitempty"`
	ItemID  *ItemID         `xml:"ItemId,omitempty"`
	UserID  *UserID         `xml:"UserId,omitempty"`
	DateDue string          `xml:"DateDue,omitempty"`
	// IndeterminateLoanPeriodFlag or NonReturnableFlag stand for DateDue.
	Indeterminate *Empty `xml:"IndeterminateLoanPeriodFlag,omitempty"`
	NonReturnable *Empty `xml:"NonReturnableFlag,omitempty"`
}

// CheckInItem ends an item's loan.
type CheckInItem struct {
	Header *InitiationHeader `xml:"InitiationHeader,omitempty"`
	ItemID ItemID            `xml:"ItemId"`
}

// CheckInItemResponse: Problems, or the item checked in.
type CheckInItemResponse struct {
	Header  *ResponseHeader `xml:"ResponseHeader,omitempty"`
	Problem []Problem       `xml:"Problem,omitempty"`
	ItemID  *ItemID         `xml:"ItemId,omitempty"`
	UserID  *UserID         `xml:"UserId,omitempty"`
}

// Service names the one service message m holds ("" when none, "Problem"
// for a bare Problem).
func (m *Message) Service() string {
	switch {
	case m.LookupUser != nil:
		return "LookupUser"
	case m.LookupUserResponse != nil:
		return "LookupUserResponse"
	case m.AcceptItem != nil:
		return "AcceptItem"
	case m.AcceptItemResponse != nil:
		return "AcceptItemResponse"
	case m.CheckOutItem != nil:
		return "CheckOutItem"
	case m.CheckOutItemResponse != nil:
		return "CheckOutItemResponse"
	case m.CheckInItem != nil:
		return "CheckInItem"
	case m.CheckInItemResponse != nil:
		return "CheckInItemResponse"
	case len(m.Problem) > 0:
		return "Problem"
	}
	return ""
}

// count is how many service messages m holds.
func (m *Message) count() int {
	n := 0
	for _, p := range []bool{m.LookupUser != nil, m.LookupUserResponse != nil, m.AcceptItem != nil,
		m.AcceptItemResponse != nil, m.CheckOutItem != nil, m.CheckOutItemResponse != nil,
		m.CheckInItem != nil, m.CheckInItemResponse != nil, len(m.Problem) > 0} {
		if p {
			n++
		}
	}
	return n
}

// Problems are the Problems of the response m holds (or of a bare
// Problem message).
func (m *Message) Problems() []Problem {
	switch {
	case m.LookupUserResponse != nil:
		return m.LookupUserResponse.Problem
	case m.AcceptItemResponse != nil:
		return m.AcceptItemResponse.Problem
	case m.CheckOutItemResponse != nil:
		return m.CheckOutItemResponse.Problem
	case m.CheckInItemResponse != nil:
		return m.CheckInItemResponse.Problem
	}
	return m.Problem
}

// Time writes t as an xs:dateTime in Asia/Shanghai (what the members' staff
// read), to the second.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(shanghai).Format(time.RFC3339)
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// Marshal writes m as an NCIP 2.02 document: the namespace and the
// (qualified) version attribute are set here, every element is in the
// NCIP namespace. It refuses a message that holds no or several service
// messages.
func Marshal(m *Message) ([]byte, error) {
	if n := m.count(); n != 1 {
		return nil, fmt.Errorf("ncip: a message holds exactly one service message, not %d", n)
	}
	c := *m
	c.Version = Version
	body, err := xml.Marshal(&c)
	if err != nil {
		return nil, err
	}
	// encoding/xml cannot write a prefixed attribute in the default
	// namespace; the schema's attributeFormDefault="qualified" requires
	// ns1:version. The root element is rewritten here (its name and
	// attribute are fixed, nothing user-supplied is in it).
	const root = `<NCIPMessage version="`
	if !strings.HasPrefix(string(body), root) {
		return nil, errors.New("ncip: unexpected root element")
	}
	rest := string(body[len(root):])
	end := strings.Index(rest, `">`)
	if end < 0 {
		return nil, errors.New("ncip: unexpected root element")
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<ns1:NCIPMessage xmlns:ns1="` + Namespace + `" xmlns="` + Namespace + `" ns1:version="`)
	b.WriteString(rest[:end])
	b.WriteString(`">`)
	inner := strings.TrimSuffix(rest[end+2:], `</NCIPMessage>`)
	b.WriteString(inner)
	b.WriteString(`</ns1:NCIPMessage>`)
	return []byte(b.String()), nil
}

// maxDoc bounds the documents Parse reads.
const maxDoc = 1 << 20

// Parse reads an NCIP document leniently: element names are matched
// whatever their namespace prefix, unknown elements are skipped. It fails
// on what is not XML, not an NCIPMessage, or holds no service message.
func Parse(doc []byte) (*Message, error) {
	if len(doc) > maxDoc {
		return nil, fmt.Errorf("ncip: document of %d bytes is too large", len(doc))
	}
	var m Message
	d := xml.NewDecoder(strings.NewReader(string(doc)))
	d.Strict = true
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("ncip: not an NCIP message: %w", err)
	}
	if m.XMLName.Local != "NCIPMessage" {
		return nil, fmt.Errorf("ncip: root element is %s, not NCIPMessage", m.XMLName.Local)
	}
	if m.count() == 0 {
		return nil, errors.New("ncip: the NCIPMessage holds no service message")
	}
	return &m, nil
}
