package iso18626

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// MaxHeaderBytes bounds how much of a message is read before its sender is
// authenticated: the root, the message element and its header must fit.
// A real header is well under 2 KiB.
const MaxHeaderBytes = 16 << 10

// Envelope is what ReadHeader learns of a message before it is
// authenticated: which message it is and its header (agency ids, request
// ids, requestingAgencyAuthentication).
type Envelope struct {
	Kind   string // request, supplyingAgencyMessage, requestingAgencyMessage, or a confirmation's name
	Header Header
}

// Sender is the agency that sent the message and must authenticate: the
// supplying agency of a supplyingAgencyMessage, else the requesting agency.
func (e *Envelope) Sender() AgencyID {
	if e.Kind == "supplyingAgencyMessage" {
		return e.Header.SupplyingAgencyID
	}
	return e.Header.RequestingAgencyID
}

// Message is an empty message of the envelope's kind carrying its header,
// enough for Confirm to answer with the matching confirmation.
func (e *Envelope) Message() *Message {
	h := e.Header
	switch e.Kind {
	case "supplyingAgencyMessage":
		return &Message{SupplyingAgencyMessage: &SupplyingAgencyMessage{Header: h}}
	case "requestingAgencyMessage":
		return &Message{RequestingAgencyMessage: &RequestingAgencyMessage{Header: h}}
	}
	return &Message{Request: &Request{Header: h}}
}

// ReadHeader reads a message from r only as far as the end of its header
// (plus the decoder's read-ahead, at most MaxHeaderBytes in all) and
// decodes nothing else, so that the sender can be authenticated before
// the body is read, parsed or stored. It returns the envelope and the
// bytes consumed; the message is those bytes followed by the rest of r.
//
// The header must be the first element of the message, as the schema
// orders it. Like Parse it accepts no DTD entities (encoding/xml expands
// none), so neither external entities nor entity expansion can be used.
func ReadHeader(r io.Reader) (*Envelope, []byte, *Problem) {
	var consumed bytes.Buffer
	limited := &io.LimitedReader{R: r, N: MaxHeaderBytes}
	d := xml.NewDecoder(io.TeeReader(limited, &consumed))
	d.Strict = true
	env := &Envelope{}
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			switch {
			case limited.N == 0:
				return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "the message's header must end within its first %d bytes", MaxHeaderBytes)
			case errors.Is(err, io.EOF):
				return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "no ISO18626Message header found")
			}
			return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "not well-formed XML: %v", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			if end, ok := tok.(xml.EndElement); ok && depth > 0 {
				return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "%s has no header", end.Name.Local)
			}
			continue
		}
		if start.Name.Space != Namespace && start.Name.Space != "" {
			return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "%s: not in namespace %s", start.Name.Local, Namespace)
		}
		switch depth {
		case 0:
			if start.Name.Local != "ISO18626Message" {
				return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "root element must be ISO18626Message in namespace %s, not %s", Namespace, start.Name.Local)
			}
		case 1:
			env.Kind = start.Name.Local
		case 2:
			if start.Name.Local != "header" && start.Name.Local != "confirmationHeader" {
				return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "%s/%s: the header must come first", env.Kind, start.Name.Local)
			}
			if strings.HasSuffix(env.Kind, "Confirmation") {
				return env, consumed.Bytes(), nil // refused by the caller: confirmations are not posted
			}
			if err := d.DecodeElement(&env.Header, &start); err != nil {
				if limited.N == 0 {
					return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "the message's header must end within its first %d bytes", MaxHeaderBytes)
				}
				return nil, consumed.Bytes(), problem(ErrBadlyFormedMessage, "%s/header: %v", env.Kind, err)
			}
			trimHeader(&env.Header)
			return env, consumed.Bytes(), nil
		}
		depth++
	}
}

func trimHeader(h *Header) {
	for _, s := range []*string{&h.SupplyingAgencyID.Type.Value, &h.SupplyingAgencyID.Value,
		&h.RequestingAgencyID.Type.Value, &h.RequestingAgencyID.Value, &h.RequestingAgencyRequestID,
		&h.SupplyingAgencyRequestID, &h.MultipleItemRequestID} {
		*s = strings.TrimSpace(*s)
	}
	if a := h.RequestingAgencyAuthentication; a != nil {
		a.AccountID, a.SecurityCode = strings.TrimSpace(a.AccountID), strings.TrimSpace(a.SecurityCode)
	}
}
