package iso18626

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"time"
)

// wire is the root as written: the ISO namespace as the default (so every
// element is qualified) and under the prefix ill for the version attribute,
// which the XSD's attributeFormDefault="qualified" requires qualified.
type wire struct {
	XMLName                             xml.Name                 `xml:"ISO18626Message"`
	XMLNS                               string                   `xml:"xmlns,attr"`
	XMLNSIll                            string                   `xml:"xmlns:ill,attr"`
	Version                             string                   `xml:"ill:version,attr"`
	Request                             *Request                 `xml:"request,omitempty"`
	RequestConfirmation                 *Confirmation            `xml:"requestConfirmation,omitempty"`
	SupplyingAgencyMessage              *SupplyingAgencyMessage  `xml:"supplyingAgencyMessage,omitempty"`
	SupplyingAgencyMessageConfirmation  *Confirmation            `xml:"supplyingAgencyMessageConfirmation,omitempty"`
	RequestingAgencyMessage             *RequestingAgencyMessage `xml:"requestingAgencyMessage,omitempty"`
	RequestingAgencyMessageConfirmation *Confirmation            `xml:"requestingAgencyMessageConfirmation,omitempty"`
}

// Marshal writes m as ISO 18626 v1.2. It refuses a message that would not
// validate against the XSD: not exactly one message, a missing required
// element, a value outside a code list, or a time without an offset.
func Marshal(m *Message) ([]byte, error) {
	if err := m.strict(); err != nil {
		return nil, err
	}
	w := wire{XMLNS: Namespace, XMLNSIll: Namespace, Version: Version,
		Request: m.Request, RequestConfirmation: m.RequestConfirmation,
		SupplyingAgencyMessage: m.SupplyingAgencyMessage, SupplyingAgencyMessageConfirmation: m.SupplyingAgencyMessageConfirmation,
		RequestingAgencyMessage: m.RequestingAgencyMessage, RequestingAgencyMessageConfirmation: m.RequestingAgencyMessageConfirmation}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func strictTime(at string, d DateTime) error {
	t, err := time.Parse(time.RFC3339Nano, string(d))
	if err != nil || t.IsZero() {
		return fmt.Errorf("iso18626: %s: %q is not a dateTime with offset", at, string(d))
	}
	return nil
}

func strictOptTime(at string, d *DateTime) error {
	if d == nil {
		return nil
	}
	return strictTime(at, *d)
}

func strictHeader(at string, h *Header) error {
	if h.SupplyingAgencyID.Value == "" || h.SupplyingAgencyID.Type.Value == "" ||
		h.RequestingAgencyID.Value == "" || h.RequestingAgencyID.Type.Value == "" {
		return fmt.Errorf("iso18626: %s: both agency ids need a type and a value", at)
	}
	if h.RequestingAgencyRequestID == "" {
		return fmt.Errorf("iso18626: %s: requestingAgencyRequestId is required", at)
	}
	return strictTime(at+"/timestamp", h.Timestamp)
}

// strict is the writer's check (the reader's is check).
func (m *Message) strict() error {
	n := 0
	for _, set := range []bool{m.Request != nil, m.RequestConfirmation != nil, m.SupplyingAgencyMessage != nil,
		m.SupplyingAgencyMessageConfirmation != nil, m.RequestingAgencyMessage != nil, m.RequestingAgencyMessageConfirmation != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("iso18626: a message carries exactly one of the six messages, not %d", n)
	}
	switch {
	case m.Request != nil:
		r := m.Request
		if err := strictHeader("request/header", &r.Header); err != nil {
			return err
		}
		if s := r.ServiceInfo; s != nil {
			if !s.ServiceType.Valid() || (s.RequestType != "" && !s.RequestType.Valid()) {
				return fmt.Errorf("iso18626: request/serviceInfo: bad serviceType %q or requestType %q", s.ServiceType, s.RequestType)
			}
			if len(s.RequestSubType) > 3 {
				return fmt.Errorf("iso18626: request/serviceInfo: at most 3 requestSubType")
			}
			if err := strictOptTime("request/serviceInfo/needBeforeDate", s.NeedBeforeDate); err != nil {
				return err
			}
		}
		return nil
	case m.SupplyingAgencyMessage != nil:
		s := m.SupplyingAgencyMessage
		if err := strictHeader("supplyingAgencyMessage/header", &s.Header); err != nil {
			return err
		}
		if !s.MessageInfo.ReasonForMessage.Valid() || !s.StatusInfo.Status.Valid() ||
			(s.MessageInfo.AnswerYesNo != "" && !s.MessageInfo.AnswerYesNo.Valid()) {
			return fmt.Errorf("iso18626: supplyingAgencyMessage: bad reasonForMessage %q, status %q or answerYesNo %q",
				s.MessageInfo.ReasonForMessage, s.StatusInfo.Status, s.MessageInfo.AnswerYesNo)
		}
		for at, d := range map[string]*DateTime{"dueDate": s.StatusInfo.DueDate, "expectedDeliveryDate": s.StatusInfo.ExpectedDeliveryDate,
			"retryAfter": s.MessageInfo.RetryAfter, "retryBefore": s.MessageInfo.RetryBefore} {
			if err := strictOptTime("supplyingAgencyMessage/"+at, d); err != nil {
				return err
			}
		}
		if err := strictTime("supplyingAgencyMessage/statusInfo/lastChange", s.StatusInfo.LastChange); err != nil {
			return err
		}
		if s.DeliveryInfo != nil {
			return strictTime("supplyingAgencyMessage/deliveryInfo/dateSent", s.DeliveryInfo.DateSent)
		}
		return nil
	case m.RequestingAgencyMessage != nil:
		r := m.RequestingAgencyMessage
		if err := strictHeader("requestingAgencyMessage/header", &r.Header); err != nil {
			return err
		}
		if !r.Action.Valid() {
			return fmt.Errorf("iso18626: requestingAgencyMessage: bad action %q", r.Action)
		}
		return nil
	}
	c := m.Confirmation()
	if m.SupplyingAgencyMessageConfirmation == nil && c.ReasonForMessage != "" {
		return fmt.Errorf("iso18626: only a supplyingAgencyMessageConfirmation carries reasonForMessage")
	}
	if m.RequestingAgencyMessageConfirmation == nil && c.Action != "" {
		return fmt.Errorf("iso18626: only a requestingAgencyMessageConfirmation carries action")
	}
	if (c.ReasonForMessage != "" && !c.ReasonForMessage.Valid()) || (c.Action != "" && !c.Action.Valid()) {
		return fmt.Errorf("iso18626: confirmation: bad reasonForMessage %q or action %q", c.ReasonForMessage, c.Action)
	}
	h := c.ConfirmationHeader
	if !h.MessageStatus.Valid() {
		return fmt.Errorf("iso18626: confirmation: bad messageStatus %q", h.MessageStatus)
	}
	if (h.MessageStatus == StatusERROR) != (c.ErrorData != nil) {
		return fmt.Errorf("iso18626: confirmation: errorData goes with ERROR and only with ERROR")
	}
	if c.ErrorData != nil && !c.ErrorData.ErrorType.Valid() {
		return fmt.Errorf("iso18626: confirmation: bad errorType %q", c.ErrorData.ErrorType)
	}
	for _, id := range []*AgencyID{h.SupplyingAgencyID, h.RequestingAgencyID} {
		if id != nil && (id.Value == "" || id.Type.Value == "") {
			return fmt.Errorf("iso18626: confirmation: an agency id needs a type and a value")
		}
	}
	if err := strictTime("confirmationHeader/timestamp", h.Timestamp); err != nil {
		return err
	}
	return strictTime("confirmationHeader/timestampReceived", h.TimestampReceived)
}

// Confirm builds the confirmation answering an incoming message: OK when p
// is nil, else ERROR with p's errorType and errorValue. in may be nil (the
// message could not be decoded); kind then selects the confirmation
// ("requestConfirmation" when unknown). Agency ids and the request id are
// echoed as received.
//
// timestampReceived echoes the confirmed message's own header timestamp
// (as CrossLink and other implementations do, so the sender can match the
// confirmation to its message); received is used only when the message
// has no readable timestamp. timestamp is now, with milliseconds.
func Confirm(in *Message, p *Problem, received, now time.Time) *Message {
	c := &Confirmation{ConfirmationHeader: ConfirmationHeader{Timestamp: Stamp(now), TimestampReceived: Stamp(received),
		MessageStatus: StatusOK}}
	if p != nil {
		c.ConfirmationHeader.MessageStatus = StatusERROR
		c.ErrorData = &ErrorData{ErrorType: p.Type, ErrorValue: p.Value}
	}
	out := &Message{}
	if in == nil {
		out.RequestConfirmation = c
		return out
	}
	if h := in.Header(); h != nil {
		if h.SupplyingAgencyID.Value != "" && h.SupplyingAgencyID.Type.Value != "" {
			id := AgencyID{Type: SchemeValue{Value: h.SupplyingAgencyID.Type.Value}, Value: h.SupplyingAgencyID.Value}
			c.ConfirmationHeader.SupplyingAgencyID = &id
		}
		if h.RequestingAgencyID.Value != "" && h.RequestingAgencyID.Type.Value != "" {
			id := AgencyID{Type: SchemeValue{Value: h.RequestingAgencyID.Type.Value}, Value: h.RequestingAgencyID.Value}
			c.ConfirmationHeader.RequestingAgencyID = &id
		}
		c.ConfirmationHeader.RequestingAgencyRequestID = h.RequestingAgencyRequestID
		if t, err := h.Timestamp.Parse(); err == nil && strictTime("", h.Timestamp) == nil {
			c.ConfirmationHeader.TimestampReceived = h.Timestamp // as sent, offset and precision kept
		} else if err == nil {
			c.ConfirmationHeader.TimestampReceived = Stamp(t) // sent without an offset: Asia/Shanghai
		}
	}
	switch {
	case in.SupplyingAgencyMessage != nil:
		if r := in.SupplyingAgencyMessage.MessageInfo.ReasonForMessage; r.Valid() {
			c.ReasonForMessage = r
		}
		out.SupplyingAgencyMessageConfirmation = c
	case in.RequestingAgencyMessage != nil:
		if a := in.RequestingAgencyMessage.Action; a.Valid() {
			c.Action = a
		}
		out.RequestingAgencyMessageConfirmation = c
	default:
		out.RequestConfirmation = c
	}
	return out
}
