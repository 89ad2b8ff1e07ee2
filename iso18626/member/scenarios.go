package member

// The supplier scenarios of CrossLink's illmock (illmock/app/supplier.go),
// the independent ISO 18626 peer the hub is checked against, modelled so
// that the project's own tests play them: how illmock answers a request,
// what it sends on Received, Renew, Cancel and ShippedReturn, and how it
// picks its delivery method.

import (
	"strings"
	"time"

	"github.com/balis/illhub/iso18626"
)

// Scenarios (illmock's names).
const (
	ScenarioLoaned           = "LOANED"            // Loaned at once (no WillSupply), LoanCompleted after ShippedReturn
	ScenarioLoanedRecalled   = "LOANED_RECALLED"   // Loaned; Recalled once the requester says Received
	ScenarioLoanedOverdue    = "LOANED_OVERDUE"    // Loaned; Overdue once Received; Renew answered Y
	ScenarioWillSupplyLoaned = "WILLSUPPLY_LOANED" // WillSupply, then Loaned
	ScenarioWillSupply       = "WILLSUPPLY"        // WillSupply only
	ScenarioUnfilled         = "UNFILLED"          // Unfilled without reasonUnfilled (as illmock sends it)
	// ScenarioUnfilledReason is not illmock's: Unfilled with reasonUnfilled
	// NotOnShelf, as ReShare and others send it.
	ScenarioUnfilledReason = "UNFILLED_REASON"
	ScenarioError          = "ERROR"          // an ERROR confirmation to the request
	ScenarioHTTPError      = "HTTP-ERROR-500" // HTTP 500 to the request
)

var scenarios = map[string]bool{ScenarioLoaned: true, ScenarioLoanedRecalled: true, ScenarioLoanedOverdue: true,
	ScenarioWillSupplyLoaned: true, ScenarioWillSupply: true, ScenarioUnfilled: true, ScenarioUnfilledReason: true,
	ScenarioError: true, ScenarioHTTPError: true}

// loan is what the simulated supplier remembers of one request.
type loan struct {
	scenario  string
	loaned    bool
	recall    bool // send Recalled on Received
	overdue   bool // send Overdue on Received
	sentVia   string
	itemID    string
	presented bool // the first answer (RequestResponse) was sent
}

// scenarioOf is the scenario a request asks this supplier (symbol) to play:
// a "MOCK:<symbol>:<SCENARIO>" token in serviceInfo/note, else the
// supplierUniqueRecordId when it is a scenario's name; "" for none (the
// default script).
func scenarioOf(r *iso18626.Request, symbol string) string {
	if r.ServiceInfo != nil {
		note := r.ServiceInfo.Note
		for {
			i := strings.Index(note, "MOCK:")
			if i < 0 {
				break
			}
			v := note[i+len("MOCK:"):]
			if j := strings.IndexAny(v, "#,; \t\n\r"); j >= 0 {
				v = v[:j]
			}
			note = note[i+len("MOCK:")+len(v):]
			if sym, sc, ok := strings.Cut(v, ":"); ok && strings.EqualFold(sym, symbol) && sc != "" {
				return sc
			}
		}
	}
	if id := r.BibliographicInfo.SupplierUniqueRecordID; scenarios[id] {
		return id
	}
	return ""
}

// deliveryOf is how illmock delivers for a request: by Mail when the
// requester gives a physical address, else electronically (URL).
func deliveryOf(r *iso18626.Request) (via, itemID string) {
	for _, d := range r.RequestedDeliveryInfo {
		if d.Address != nil && d.Address.Physical != nil && d.Address.Physical.Line1 != "" {
			return "Mail", "123456789"
		}
	}
	return "URL", "http://example.com/123456789"
}

func key(h iso18626.Header) string {
	return h.RequestingAgencyID.Value + "/" + h.RequestingAgencyRequestID
}

// scenarioScript is the scenario's answer to m; ok is false when m belongs
// to no scenario (the default script answers it).
func (s *Sim) scenarioScript(m *iso18626.Message) ([]*iso18626.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loans == nil {
		s.loans = map[string]*loan{}
	}
	if r := m.Request; r != nil {
		sc := scenarioOf(r, s.Symbol)
		if sc == "" {
			return nil, false
		}
		l := &loan{scenario: sc}
		l.sentVia, l.itemID = deliveryOf(r)
		s.loans[key(r.Header)] = l
		h := r.Header
		switch sc {
		case ScenarioLoaned:
			return []*iso18626.Message{s.loanedMsg(h, l)}, true
		case ScenarioLoanedRecalled:
			l.recall = true
			return []*iso18626.Message{s.loanedMsg(h, l)}, true
		case ScenarioLoanedOverdue:
			l.overdue = true
			return []*iso18626.Message{s.loanedMsg(h, l)}, true
		case ScenarioWillSupplyLoaned:
			return []*iso18626.Message{s.statusMsg(h, l, iso18626.StatusWillSupply), s.loanedMsg(h, l)}, true
		case ScenarioWillSupply:
			return []*iso18626.Message{s.statusMsg(h, l, iso18626.StatusWillSupply)}, true
		case ScenarioUnfilled:
			return []*iso18626.Message{s.statusMsg(h, l, iso18626.StatusUnfilled)}, true
		case ScenarioUnfilledReason:
			u := s.statusMsg(h, l, iso18626.StatusUnfilled)
			u.SupplyingAgencyMessage.MessageInfo.ReasonUnfilled = &iso18626.SchemeValue{Value: "NotOnShelf"}
			return []*iso18626.Message{u}, true
		}
		return nil, true // ERROR, HTTP error: answered in the confirmation
	}
	ram := m.RequestingAgencyMessage
	if ram == nil {
		return nil, false
	}
	l := s.loans[key(ram.Header)]
	if l == nil {
		return nil, false
	}
	h := ram.Header
	switch ram.Action {
	case iso18626.ActionCancel:
		if l.loaned {
			return []*iso18626.Message{s.answer(h, iso18626.ReasonCancelResponse, iso18626.StatusLoaned, iso18626.No)}, true
		}
		delete(s.loans, key(h))
		return []*iso18626.Message{s.answer(h, iso18626.ReasonCancelResponse, iso18626.StatusCancelled, iso18626.Yes)}, true
	case iso18626.ActionRenew:
		return []*iso18626.Message{s.answer(h, iso18626.ReasonRenewResponse, iso18626.StatusLoaned, iso18626.Yes)}, true
	case iso18626.ActionReceived:
		var out []*iso18626.Message
		if l.overdue {
			l.overdue = false
			out = append(out, s.answer(h, iso18626.ReasonStatusChange, iso18626.StatusOverdue, ""))
		}
		if l.recall {
			l.recall = false
			out = append(out, s.answer(h, iso18626.ReasonStatusChange, iso18626.StatusRecalled, ""))
		}
		return out, true
	case iso18626.ActionShippedReturn:
		delete(s.loans, key(h))
		return []*iso18626.Message{s.answer(h, iso18626.ReasonStatusChange, iso18626.StatusLoanCompleted, "")}, true
	}
	return nil, true
}

// statusMsg is the supplier's next status: a RequestResponse the first
// time, a StatusChange after (as illmock sends them).
func (s *Sim) statusMsg(h iso18626.Header, l *loan, st iso18626.Status) *iso18626.Message {
	reason := iso18626.ReasonStatusChange
	if !l.presented {
		l.presented, reason = true, iso18626.ReasonRequestResponse
	}
	return s.answer(h, reason, st, "")
}

// loanedMsg is illmock's Loaned: due in 14 days, delivered by l's method.
func (s *Sim) loanedMsg(h iso18626.Header, l *loan) *iso18626.Message {
	m := s.statusMsg(h, l, iso18626.StatusLoaned)
	l.loaned = true
	sm := m.SupplyingAgencyMessage
	sm.StatusInfo.DueDate = iso18626.TimePtr(s.now().Add(14 * 24 * time.Hour).Truncate(time.Second))
	sm.DeliveryInfo = &iso18626.DeliveryInfo{ItemID: l.itemID, SentVia: &iso18626.SchemeValue{Value: l.sentVia}}
	return m
}
