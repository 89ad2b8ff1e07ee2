package iso18626

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
)

// Problem is why a message is refused: the confirmation's errorType and a
// precise errorValue ("element: what is wrong").
type Problem struct {
	Type  ErrorType
	Value string
}

func (p *Problem) Error() string { return string(p.Type) + ": " + p.Value }

func problem(t ErrorType, format string, args ...any) *Problem {
	return &Problem{Type: t, Value: fmt.Sprintf(format, args...)}
}

// elementNames are every element the XSD defines (any level).
var elementNames = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range regexp.MustCompile(`<xs:element name="(\w+)"`).FindAllSubmatch(XSD, -1) {
		m[string(s[1])] = true
	}
	return m
}()

// MaxDepth bounds element nesting (the deepest ISO 18626 path is 5).
const MaxDepth = 32

// Parse reads one ISO18626Message leniently and checks it. A nil Problem
// means the message is well formed, carries exactly one message, uses
// only ISO 18626 elements (elements of other namespaces are ignored), has
// every element the hub needs and only values of the code lists. A
// Message is always returned, even with a Problem, so that Confirm can
// answer with the matching confirmation and echo what could be read.
func Parse(b []byte) (*Message, *Problem) {
	c := &checker{d: xml.NewDecoder(bytes.NewReader(b))}
	c.d.Strict = true
	var m Message
	// One pass: the decoder reads its tokens through the checker.
	err := xml.NewTokenDecoder(c).Decode(&m)
	if err == nil {
		for { // what follows the root: only whitespace, comments, processing instructions
			if _, err := c.Token(); err != nil {
				break
			}
		}
	}
	if c.p == nil && (err != nil || m.Kind() == "") {
		switch {
		case errors.Is(err, io.EOF) && c.roots == 0:
			c.p = problem(ErrBadlyFormedMessage, "no XML document: ISO18626Message expected")
		case err != nil:
			c.p = problem(ErrBadlyFormedMessage, "not well-formed XML: %v", err)
		default:
			c.p = problem(ErrBadlyFormedMessage, "ISO18626Message contains no message")
		}
	}
	if err != nil || m.Kind() == "" {
		return guess(b), c.p
	}
	trimStrings(reflect.ValueOf(&m))
	if c.p != nil {
		return &m, c.p
	}
	return &m, m.check()
}

// guess returns an empty message of the kind the bytes seem to carry, so
// that an undecodable message still gets the matching confirmation.
func guess(b []byte) *Message {
	switch {
	case bytes.Contains(b, []byte("requestingAgencyMessage")):
		return &Message{RequestingAgencyMessage: &RequestingAgencyMessage{}}
	case bytes.Contains(b, []byte("supplyingAgencyMessage")):
		return &Message{SupplyingAgencyMessage: &SupplyingAgencyMessage{}}
	}
	return &Message{Request: &Request{}}
}

// checker is the xml.TokenReader Parse decodes through: it checks each
// token as the decoder takes it (well-formedness, the root and its version
// attribute, exactly one message, depth, unknown ISO elements). It keeps
// the first problem in p; a structural one also stops the decoding.
type checker struct {
	d        *xml.Decoder
	path     []string
	roots    int
	children int
	p        *Problem
}

var errStop = errors.New("iso18626: problem found")

// note keeps the first problem but lets decoding go on, so that the
// confirmation can still echo the header.
func (c *checker) note(p *Problem) {
	if c.p == nil {
		c.p = p
	}
}

func (c *checker) fail(p *Problem) (xml.Token, error) {
	c.p = p
	return nil, errStop
}

// Token implements xml.TokenReader.
func (c *checker) Token() (xml.Token, error) {
	tok, err := c.d.Token()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			return c.fail(problem(ErrBadlyFormedMessage, "not well-formed XML: %v", err))
		}
		return nil, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		ours := t.Name.Space == Namespace || t.Name.Space == ""
		if len(c.path) == 0 {
			c.roots++
			if c.roots > 1 {
				return c.fail(problem(ErrBadlyFormedMessage, "more than one root element"))
			}
			if t.Name.Local != "ISO18626Message" || !ours {
				return c.fail(problem(ErrBadlyFormedMessage, "root element must be ISO18626Message in namespace %s, not %s", Namespace, t.Name.Local))
			}
			version := ""
			for _, a := range t.Attr {
				if a.Name.Local == "version" && (a.Name.Space == "" || a.Name.Space == Namespace) {
					version = strings.TrimSpace(a.Value)
				}
			}
			if version == "" {
				return c.fail(problem(ErrBadlyFormedMessage, "ISO18626Message: the version attribute is required"))
			}
			if !strings.HasPrefix(version, "1.") {
				c.note(problem(ErrUnrecognisedDataValue, "ISO18626Message/@version: %q is not supported (1.2)", version))
			}
		} else if len(c.path) == 1 {
			c.children++
			if c.children > 1 {
				return c.fail(problem(ErrBadlyFormedMessage, "ISO18626Message must contain exactly one message"))
			}
		}
		if ours && !elementNames[t.Name.Local] {
			c.note(problem(ErrUnrecognisedDataElement, "%s: not an ISO 18626 v1.2 element", strings.Join(append(c.path, t.Name.Local), "/")))
		}
		c.path = append(c.path, t.Name.Local)
		if len(c.path) > MaxDepth {
			return c.fail(problem(ErrBadlyFormedMessage, "elements nested deeper than %d", MaxDepth))
		}
	case xml.EndElement:
		c.path = c.path[:len(c.path)-1]
		if len(c.path) == 0 && c.children == 0 {
			return c.fail(problem(ErrBadlyFormedMessage, "ISO18626Message contains no message"))
		}
	case xml.CharData:
		if len(c.path) == 0 && len(bytes.TrimSpace(t)) > 0 {
			return c.fail(problem(ErrBadlyFormedMessage, "text outside the root element"))
		}
	}
	return tok, nil
}

// trimStrings trims surrounding whitespace from every string field.
func trimStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			trimStrings(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				trimStrings(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			trimStrings(v.Index(i))
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(strings.TrimSpace(v.String()))
		}
	}
}

// check verifies what the hub needs of an incoming message.
func (m *Message) check() *Problem {
	switch {
	case m.Request != nil:
		r := m.Request
		if p := checkHeader("request/header", &r.Header); p != nil {
			return p
		}
		if s := r.ServiceInfo; s != nil {
			if s.ServiceType == "" {
				return problem(ErrBadlyFormedMessage, "request/serviceInfo/serviceType: missing required element")
			}
			if !s.ServiceType.Valid() {
				return problem(ErrUnrecognisedDataValue, "request/serviceInfo/serviceType: %q is not a serviceType", s.ServiceType)
			}
			if s.RequestType != "" && !s.RequestType.Valid() {
				return problem(ErrUnrecognisedDataValue, "request/serviceInfo/requestType: %q is not a requestType", s.RequestType)
			}
			for _, st := range s.RequestSubType {
				if !contains(subTypes, st) {
					return problem(ErrUnrecognisedDataValue, "request/serviceInfo/requestSubType: %q is not a requestSubType", st)
				}
			}
			if p := checkTime("request/serviceInfo/needBeforeDate", s.NeedBeforeDate, false); p != nil {
				return p
			}
		}
		return nil
	case m.SupplyingAgencyMessage != nil:
		s := m.SupplyingAgencyMessage
		if p := checkHeader("supplyingAgencyMessage/header", &s.Header); p != nil {
			return p
		}
		mi := s.MessageInfo
		if mi.ReasonForMessage == "" {
			return problem(ErrBadlyFormedMessage, "supplyingAgencyMessage/messageInfo/reasonForMessage: missing required element")
		}
		if !mi.ReasonForMessage.Valid() {
			return problem(ErrUnsupportedReasonForMessageType, "supplyingAgencyMessage/messageInfo/reasonForMessage: %q is not supported", mi.ReasonForMessage)
		}
		if mi.AnswerYesNo != "" && !mi.AnswerYesNo.Valid() {
			return problem(ErrUnrecognisedDataValue, "supplyingAgencyMessage/messageInfo/answerYesNo: %q is not Y or N", mi.AnswerYesNo)
		}
		if s.StatusInfo.Status == "" {
			return problem(ErrBadlyFormedMessage, "supplyingAgencyMessage/statusInfo/status: missing required element")
		}
		if !s.StatusInfo.Status.Valid() {
			return problem(ErrUnrecognisedDataValue, "supplyingAgencyMessage/statusInfo/status: %q is not a status", s.StatusInfo.Status)
		}
		for _, t := range []struct {
			name string
			v    *DateTime
		}{{"statusInfo/dueDate", s.StatusInfo.DueDate}, {"statusInfo/expectedDeliveryDate", s.StatusInfo.ExpectedDeliveryDate},
			{"messageInfo/retryAfter", mi.RetryAfter}, {"messageInfo/retryBefore", mi.RetryBefore}} {
			if p := checkTime("supplyingAgencyMessage/"+t.name, t.v, false); p != nil {
				return p
			}
		}
		// lastChange is required by the XSD; Alma-like senders leave it
		// out: tolerated when absent, refused when unreadable.
		if s.StatusInfo.LastChange != "" {
			if p := checkTime("supplyingAgencyMessage/statusInfo/lastChange", &s.StatusInfo.LastChange, false); p != nil {
				return p
			}
		}
		return nil
	case m.RequestingAgencyMessage != nil:
		r := m.RequestingAgencyMessage
		if p := checkHeader("requestingAgencyMessage/header", &r.Header); p != nil {
			return p
		}
		if r.Action == "" {
			return problem(ErrBadlyFormedMessage, "requestingAgencyMessage/action: missing required element")
		}
		if !r.Action.Valid() {
			return problem(ErrUnsupportedActionType, "requestingAgencyMessage/action: %q is not an ISO 18626 action", r.Action)
		}
		return nil
	}
	c := m.Confirmation()
	if c == nil {
		return problem(ErrBadlyFormedMessage, "ISO18626Message contains no message")
	}
	if !c.ConfirmationHeader.MessageStatus.Valid() {
		return problem(ErrUnrecognisedDataValue, "confirmationHeader/messageStatus: %q is not OK or ERROR", c.ConfirmationHeader.MessageStatus)
	}
	if e := c.ErrorData; e != nil && !e.ErrorType.Valid() {
		return problem(ErrUnrecognisedDataValue, "errorData/errorType: %q is not an errorType", e.ErrorType)
	}
	return nil
}

func checkHeader(at string, h *Header) *Problem {
	switch {
	case h.SupplyingAgencyID.Value == "":
		return problem(ErrBadlyFormedMessage, "%s/supplyingAgencyId/agencyIdValue: missing required element", at)
	case h.RequestingAgencyID.Value == "":
		return problem(ErrBadlyFormedMessage, "%s/requestingAgencyId/agencyIdValue: missing required element", at)
	case h.RequestingAgencyRequestID == "":
		return problem(ErrBadlyFormedMessage, "%s/requestingAgencyRequestId: missing required element", at)
	case len(h.RequestingAgencyRequestID) > 100:
		return problem(ErrUnrecognisedDataValue, "%s/requestingAgencyRequestId: longer than 100 characters", at)
	case h.Timestamp == "":
		return problem(ErrBadlyFormedMessage, "%s/timestamp: missing required element", at)
	}
	return checkTime(at+"/timestamp", &h.Timestamp, true)
}

func checkTime(at string, d *DateTime, required bool) *Problem {
	if d == nil || *d == "" {
		if required {
			return problem(ErrBadlyFormedMessage, "%s: missing required element", at)
		}
		return nil
	}
	if _, err := d.Parse(); err != nil {
		return problem(ErrUnrecognisedDataValue, "%s: %q is not an xs:dateTime", at, string(*d))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
