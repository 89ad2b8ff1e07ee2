// Package member is a tiny ISO 18626 member library system: what `illctl
// iso18626 simulate` runs beside the demo so that the demo's ISO 18626
// member (CNU) answers like a real system. It confirms every message it
// receives and, as a lender, plays a simple script against the hub:
//
//	request              → RequestResponse WillSupply, then StatusChange Loaned
//	Cancel               → CancelResponse Y (Cancelled)
//	ShippedReturn        → StatusChange LoanCompleted
//	StatusRequest, other → nothing further
//
// Messages it receives as a borrower (supplyingAgencyMessages) are logged.
//
// As a lender it also plays the supplier scenarios of CrossLink's illmock
// (the independent peer the hub is checked against; scenarios.go), chosen
// like illmock chooses them: a "MOCK:<symbol>:<SCENARIO>" token in the
// request's serviceInfo/note, else the supplierUniqueRecordId when it names
// a scenario. Without one it plays the script above.
package member

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/balis/illhub/iso18626"
)

// Sim is the simulated member system. Construct it with its fields set;
// it is an http.Handler for the member's ISO 18626 endpoint.
type Sim struct {
	Symbol string // the member's agency id value (e.g. CNU)
	// SecurityCode is the member's secret, sent in every message's
	// requestingAgencyAuthentication (the hub refuses messages without it).
	SecurityCode string
	Hub          string        // the hub's ISO 18626 endpoint; "" answers nothing
	Delay        time.Duration // pause before each answer (a librarian at work)
	Log          *slog.Logger
	Client       *http.Client // nil: 10 s timeout
	// Now is the member system's clock (nil: time.Now); tests set the
	// hub's, so the lender's due dates fall where the hub's time is.
	Now func() time.Time

	mu    sync.Mutex
	loans map[string]*loan // by requesting agency + request id: scenario state
}

// ServeHTTP confirms one message and reacts to it in the background.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var m *iso18626.Message
	var p *iso18626.Problem
	if err != nil {
		p = &iso18626.Problem{Type: iso18626.ErrBadlyFormedMessage, Value: err.Error()}
	} else {
		m, p = iso18626.Parse(body)
	}
	if p == nil && m.Request != nil {
		switch scenarioOf(m.Request, s.Symbol) {
		case ScenarioError: // illmock: an ERROR confirmation to the request
			p = &iso18626.Problem{Type: iso18626.ErrUnrecognisedDataValue, Value: "MOCK ERROR"}
		case ScenarioHTTPError: // illmock: HTTP 500, no confirmation
			http.Error(w, "MOCK HTTP-ERROR-500", http.StatusInternalServerError)
			return
		}
	}
	out, err := iso18626.Marshal(iso18626.Confirm(m, p, received, time.Now()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(out)
	if p != nil {
		s.Log.Warn("simulate: refused a message", "error", p.Error())
		return
	}
	s.Log.Info("simulate: received", "message", Describe(m))
	if next := s.script(m); len(next) > 0 && s.Hub != "" {
		go s.play(next)
	}
}

// Describe is a one-line summary of a message.
func Describe(m *iso18626.Message) string {
	switch {
	case m.Request != nil:
		h := m.Request.Header
		return fmt.Sprintf("request %s from %s: %s", h.RequestingAgencyRequestID, h.RequestingAgencyID.Value, m.Request.BibliographicInfo.Title)
	case m.SupplyingAgencyMessage != nil:
		s := m.SupplyingAgencyMessage
		return fmt.Sprintf("supplyingAgencyMessage %s for %s: %s/%s %s", s.Header.SupplyingAgencyID.Value, s.Header.RequestingAgencyRequestID,
			s.MessageInfo.ReasonForMessage, s.StatusInfo.Status, s.MessageInfo.Note)
	case m.RequestingAgencyMessage != nil:
		a := m.RequestingAgencyMessage
		return fmt.Sprintf("requestingAgencyMessage %s for %s: %s %s", a.Header.RequestingAgencyID.Value, a.Header.RequestingAgencyRequestID, a.Action, a.Note)
	}
	return m.Kind()
}

// script returns the lender's answers to a message, in order.
func (s *Sim) script(m *iso18626.Message) []*iso18626.Message {
	if out, ok := s.scenarioScript(m); ok {
		return out
	}
	switch {
	case m.Request != nil:
		h := m.Request.Header
		return []*iso18626.Message{
			s.answer(h, iso18626.ReasonRequestResponse, iso18626.StatusWillSupply, ""),
			s.answer(h, iso18626.ReasonStatusChange, iso18626.StatusLoaned, ""),
		}
	case m.RequestingAgencyMessage != nil:
		h := m.RequestingAgencyMessage.Header
		switch m.RequestingAgencyMessage.Action {
		case iso18626.ActionCancel:
			return []*iso18626.Message{s.answer(h, iso18626.ReasonCancelResponse, iso18626.StatusCancelled, iso18626.Yes)}
		case iso18626.ActionShippedReturn:
			return []*iso18626.Message{s.answer(h, iso18626.ReasonStatusChange, iso18626.StatusLoanCompleted, "")}
		}
	}
	return nil
}

// answer builds a supplyingAgencyMessage to the requester of header h.
// Times are set when it is sent.
func (s *Sim) answer(h iso18626.Header, reason iso18626.ReasonForMessage, status iso18626.Status, yn iso18626.YesNo) *iso18626.Message {
	out := &iso18626.SupplyingAgencyMessage{
		Header: iso18626.Header{SupplyingAgencyID: iso18626.Agency(s.Symbol), RequestingAgencyID: h.RequestingAgencyID,
			RequestingAgencyRequestID: h.RequestingAgencyRequestID, SupplyingAgencyRequestID: s.Symbol + "-" + h.RequestingAgencyRequestID,
			RequestingAgencyAuthentication: s.auth()},
		MessageInfo: iso18626.MessageInfo{ReasonForMessage: reason, AnswerYesNo: yn},
		StatusInfo:  iso18626.StatusInfo{Status: status},
	}
	if status == iso18626.StatusLoaned {
		out.DeliveryInfo = &iso18626.DeliveryInfo{ItemID: s.Symbol + "-ITEM-" + h.RequestingAgencyRequestID,
			SentVia: &iso18626.SchemeValue{Value: "Courier"}}
	}
	return &iso18626.Message{SupplyingAgencyMessage: out}
}

func (s *Sim) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sim) auth() *iso18626.Authentication {
	if s.SecurityCode == "" {
		return nil
	}
	return &iso18626.Authentication{SecurityCode: s.SecurityCode}
}

func (s *Sim) play(msgs []*iso18626.Message) {
	for _, m := range msgs {
		time.Sleep(s.Delay)
		now := s.now()
		sm := m.SupplyingAgencyMessage
		sm.Header.Timestamp, sm.StatusInfo.LastChange = iso18626.Stamp(now), iso18626.Time(now)
		if sm.DeliveryInfo != nil {
			sm.DeliveryInfo.DateSent = iso18626.Time(now)
		}
		c, err := s.Send(context.Background(), m)
		if err != nil {
			s.Log.Warn("simulate: sending failed", "message", Describe(m), "err", err)
			return
		}
		if c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
			s.Log.Warn("simulate: the hub refused", "message", Describe(m), "error", c.ErrorData.ErrorType, "value", c.ErrorData.ErrorValue)
			return
		}
		s.Log.Info("simulate: sent", "message", Describe(m))
	}
}

// Send posts one message to the hub and returns its confirmation.
func (s *Sim) Send(ctx context.Context, m *iso18626.Message) (*iso18626.Confirmation, error) {
	doc, err := iso18626.Marshal(m)
	if err != nil {
		return nil, err
	}
	return Post(ctx, s.Client, s.Hub, doc)
}

// Post sends an ISO 18626 document to endpoint and reads the confirmation.
func Post(ctx context.Context, c *http.Client, endpoint string, doc []byte) (*iso18626.Confirmation, error) {
	return PostAs(ctx, c, endpoint, doc, "", "")
}

// PostAs is Post with HTTP Basic credentials (the agency's symbol and its
// secret), the hub's alternative to a securityCode in the document. A
// refusal that carries a confirmation (401, 429 from the hub) returns it.
func PostAs(ctx context.Context, c *http.Client, endpoint string, doc []byte, symbol, secret string) (*iso18626.Confirmation, error) {
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	if symbol != "" {
		req.SetBasicAuth(symbol, secret)
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	m, p := iso18626.Parse(body)
	if p != nil || m.Confirmation() == nil {
		if res.StatusCode/100 != 2 {
			return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, bytes.TrimSpace(body))
		}
		return nil, fmt.Errorf("the answer is not an ISO 18626 confirmation: %s", body)
	}
	return m.Confirmation(), nil
}
