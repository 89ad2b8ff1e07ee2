package isoout_test

// Supplier flows as an independent ISO 18626 peer plays them: CrossLink's
// illmock supplier scenarios, modelled in iso18626/member (harness
// SimMember), each end to end through the hub with a JSON borrower (BNU)
// and the ISO lender PKU; then an unreachable lender and a lender that
// refuses the request with an ERROR confirmation.

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/iso18626"
)

// submitNote submits BNU's request for rec with a note that chooses the
// peer's scenario (illmock reads "MOCK:<symbol>:<scenario>" in the note the
// hub passes on).
func submitNote(h *harness.Harness, clientID, note string, rec int64) string {
	h.T.Helper()
	code, body := h.Call("POST", "/v1/requests", "BNU", map[string]any{
		"client_request_id": clientID, "note": note,
		"patron":    map[string]any{"id": "P-" + clientID, "name": "读者", "email": "r@example.edu.cn", "deposit_paid": false},
		"record_id": strconv.FormatInt(rec, 10),
	})
	if code != http.StatusAccepted {
		h.T.Fatalf("submit: %d %v", code, body)
	}
	return body["request_id"].(string)
}

func peerRequest(t *testing.T, pku *harness.MemberDouble, rid string) *iso18626.Request {
	t.Helper()
	return pku.WaitMessage("request "+rid, func(m *iso18626.Message) bool {
		return m.Request != nil && m.Request.Header.RequestingAgencyRequestID == rid
	}).Request
}

func eventNotes(b map[string]any) string {
	var s []string
	for _, e := range harness.Events(b) {
		n, _ := e["note"].(string)
		s = append(s, e["action"].(string)+": "+n)
	}
	return strings.Join(s, "\n")
}

// returnToLender: BNU returns and ships the book back; the peer answers
// ShippedReturn with LoanCompleted.
func returnToLender(h *harness.Harness, id string) {
	h.T.Helper()
	h.Act(id, "return", "BNU", map[string]any{"condition": "good"}, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.Returned)
	h.Act(id, "ship_return", "BNU", nil, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.Completed)
}

// TestPeerLoanedFirst: illmock's LOANED answers the request with Loaned
// directly (no WillSupply): WILL_SUPPLY and SHIPPED in one step, the
// barcode and the due date taken from the message; the book comes back
// and the peer completes the loan.
func TestPeerLoanedFirst(t *testing.T) {
	h := newISOHarness(t, 5)
	pku, _ := h.SimMember("PKU")
	rec := harness.ISORecord(t, h)

	id := submitNote(h, "bnu-loaned", "MOCK:PKU:LOANED", rec)
	req := peerRequest(t, pku, "bnu-loaned")
	if si := req.ServiceInfo; si == nil || len(si.RequestSubType) != 0 {
		t.Fatalf("a broker's request to a supplier carries no requestSubType (PatronRequest makes peers act as requester): %+v", si)
	}
	if len(req.RequestedDeliveryInfo) != 1 || req.RequestedDeliveryInfo[0].Address == nil || req.RequestedDeliveryInfo[0].Address.Physical == nil {
		t.Fatalf("the request names the borrower's desk as a physical delivery address: %+v", req.RequestedDeliveryInfo)
	}
	b := h.WaitState(id, "BNU", ill.Shipped)
	if b["item_barcode"] != "123456789" {
		t.Fatalf("barcode from deliveryInfo/itemId: %v", b["item_barcode"])
	}
	notes := eventNotes(b)
	if !strings.Contains(notes, "respond: will supply") || !strings.Contains(notes, "ship: item 123456789") {
		t.Fatalf("the timeline shows the answer and the shipment:\n%s", notes)
	}
	h.Act(id, "receive", "BNU", nil, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.Received)
	h.Act(id, "checkout", "BNU", nil, http.StatusAccepted)
	b = h.WaitState(id, "BNU", ill.OnLoan)
	due, _ := time.Parse(time.RFC3339, b["due_at"].(string))
	if want := h.Clock.Now().Add(14 * 24 * time.Hour); due.Sub(want).Abs() > time.Minute {
		t.Fatalf("due_at %v: the lender's dueDate (%v) is taken over, not R4's month", due, want)
	}
	returnToLender(h, id)
}

// TestPeerLoanedRecalled: LOANED_RECALLED recalls once told Received.
func TestPeerLoanedRecalled(t *testing.T) {
	h := newISOHarness(t, 5)
	pku, _ := h.SimMember("PKU")
	rec := harness.ISORecord(t, h)
	id := submitNote(h, "bnu-recall", "MOCK:PKU:LOANED_RECALLED", rec)
	peerRequest(t, pku, "bnu-recall")
	h.WaitState(id, "BNU", ill.Shipped)
	h.Act(id, "receive", "BNU", nil, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.Recalled)
	returnToLender(h, id)
}

// TestPeerLoanedOverdue: LOANED_OVERDUE's Overdue is recorded (the hub's
// scheduler decides overdue); the loan goes on and completes.
func TestPeerLoanedOverdue(t *testing.T) {
	h := newISOHarness(t, 5)
	pku, _ := h.SimMember("PKU")
	rec := harness.ISORecord(t, h)
	id := submitNote(h, "bnu-overdue", "MOCK:PKU:LOANED_OVERDUE", rec)
	peerRequest(t, pku, "bnu-overdue")
	h.WaitState(id, "BNU", ill.Shipped)
	h.Act(id, "receive", "BNU", nil, http.StatusAccepted)
	h.WaitFor(id, "BNU", "Overdue recorded", func(b map[string]any) bool {
		return strings.Contains(eventNotes(b), "StatusChange/Overdue")
	})
	h.Act(id, "checkout", "BNU", nil, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.OnLoan)
	returnToLender(h, id)
}

// TestPeerWillSupplyThenLoaned: WILLSUPPLY_LOANED, one message after the
// other as the peer sends them.
func TestPeerWillSupplyThenLoaned(t *testing.T) {
	h := newISOHarness(t, 5)
	pku, _ := h.SimMember("PKU")
	rec := harness.ISORecord(t, h)
	id := submitNote(h, "bnu-ws", "MOCK:PKU:WILLSUPPLY_LOANED", rec)
	peerRequest(t, pku, "bnu-ws")
	b := h.WaitState(id, "BNU", ill.Shipped)
	if strings.Contains(eventNotes(b), "refused") {
		t.Fatalf("nothing refused:\n%s", eventNotes(b))
	}
	for _, m := range pku.Messages() {
		if r := m.RequestingAgencyMessage; r != nil && strings.Contains(r.Note, "refused") {
			t.Fatalf("the peer was told of a refusal: %s", r.Note)
		}
	}
}

// TestPeerUnfilled: UNFILLED (no reasonUnfilled, as illmock sends it) is
// recorded without an invented reason and the next lender asked; the ISO
// borrower of a request addressed to the peer alone gets Unfilled without
// reasonUnfilled, and with the peer's reason when it gives one.
func TestPeerUnfilled(t *testing.T) {
	h := newISOHarness(t, 5)
	pku, _ := h.SimMember("PKU")
	thu := harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	rec := harness.ISORecord(t, h)

	id := submitNote(h, "bnu-unf", "MOCK:PKU:UNFILLED", rec)
	peerRequest(t, pku, "bnu-unf")
	b := h.WaitFor(id, "BNU", "RUC asked", func(b map[string]any) bool { return b["lender"] == "RUC" })
	notes := eventNotes(b)
	if !strings.Contains(notes, "PKU unfilled: unspecified") || strings.Contains(notes, "policy_problem") {
		t.Fatalf("no reason invented:\n%s", notes)
	}

	now := h.Clock.Now()
	for _, c := range []struct{ rid, scenario, want string }{
		{"thu-unf", "UNFILLED", ""},
		{"thu-unf-r", "UNFILLED_REASON", "NotOnShelf"},
	} {
		m := harness.ISORequest("THU", "PKU", c.rid, "T-"+c.rid, "9787040406641", "数据库系统概论", now)
		m.Request.ServiceInfo.Note = "MOCK:PKU:" + c.scenario
		ok(h, m)
		got := thu.WaitMessage("Unfilled "+c.rid, func(m *iso18626.Message) bool {
			return sam(iso18626.ReasonRequestResponse, iso18626.StatusUnfilled)(m) && m.SupplyingAgencyMessage.Header.RequestingAgencyRequestID == c.rid
		})
		ru := ""
		if v := got.SupplyingAgencyMessage.MessageInfo.ReasonUnfilled; v != nil {
			ru = v.Value
		}
		if ru != c.want {
			t.Errorf("%s: reasonUnfilled %q, want %q", c.scenario, ru, c.want)
		}
	}
}

// TestPeerCancel: the peer said WillSupply; the borrower cancels, the hub
// asks the peer (Cancel) and the peer agrees (CancelResponse Y).
func TestPeerCancel(t *testing.T) {
	h := newISOHarness(t, 5)
	pku, _ := h.SimMember("PKU")
	rec := harness.ISORecord(t, h)
	id := submitNote(h, "bnu-cancel", "MOCK:PKU:WILLSUPPLY", rec)
	peerRequest(t, pku, "bnu-cancel")
	h.WaitState(id, "BNU", ill.WillSupply)
	h.Act(id, "cancel", "BNU", map[string]any{"by": "staff"}, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.Cancelled)
}

// TestPeerUnreachableMovesOn: a lender whose system cannot be reached is
// given up once delivery is (ILL_DELIVERY_LIMIT attempts), and the next
// lender is asked then, not at respond_by; the rota says unreachable.
func TestPeerUnreachableMovesOn(t *testing.T) {
	h := newISOHarness(t, 3)
	dead := harness.NewMemberDouble(t)
	dead.FailNext(1000)
	harness.RegisterISO(t, h.St, "PKU", dead.URL(), "")
	rec := harness.ISORecord(t, h)
	id := h.Submit("BNU", "bnu-down", "P9", rec)
	b := h.WaitFor(id, "BNU", "RUC asked", func(b map[string]any) bool { return b["lender"] == "RUC" })
	wantUnreachable(t, h, b, id, 3)
}

// TestPeerErrorConfirmationMovesOn: illmock's ERROR scenario refuses the
// request with an ERROR confirmation: given up at once (no retries).
func TestPeerErrorConfirmationMovesOn(t *testing.T) {
	h := newISOHarness(t, 5)
	pku, _ := h.SimMember("PKU")
	rec := harness.ISORecord(t, h)
	id := submitNote(h, "bnu-err", "MOCK:PKU:ERROR", rec)
	b := h.WaitFor(id, "BNU", "RUC asked", func(b map[string]any) bool { return b["lender"] == "RUC" })
	wantUnreachable(t, h, b, id, 1)
	_ = pku
}

func wantUnreachable(t *testing.T, h *harness.Harness, b map[string]any, id string, attempts int) {
	t.Helper()
	if b["state"] != string(ill.Requested) {
		t.Fatalf("state %v", b["state"])
	}
	var pkuOutcome any
	for _, e := range b["rota"].([]any) {
		if e := e.(map[string]any); e["library"] == "PKU" {
			pkuOutcome = e["outcome"]
		}
	}
	if pkuOutcome != string(ill.OutcomeUnreachable) {
		t.Fatalf("PKU's rota outcome %v, want unreachable", pkuOutcome)
	}
	out := waitOutbound(t, h, id, func(out []ill.ISOMessage) bool { return len(out) == 1 && out[0].Status == ill.ISOFailed })
	if out[0].Attempts != attempts || out[0].Kind != "request" {
		t.Fatalf("the request to PKU: %+v, want failed after %d attempt(s)", out[0], attempts)
	}
	if !strings.Contains(eventNotes(b), "PKU unreachable") {
		t.Fatalf("timeline:\n%s", eventNotes(b))
	}
	missed, err := h.St.MissedDeadlines(t.Context(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range missed {
		if m.RequestID == id && m.Library == "PKU" && m.Outcome == ill.OutcomeUnreachable {
			return
		}
	}
	t.Fatalf("the centre's missed-deadlines list lacks PKU unreachable: %+v", missed)
}

// TestLoanedByURLRefused: a Loaned delivered by URL (an electronic copy)
// for a returnable loan is refused at once with a reason.
func TestLoanedByURLRefused(t *testing.T) {
	h := newISOHarness(t, 5)
	pku := harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "PKU", pku.URL(), "")
	rec := harness.ISORecord(t, h)
	id := h.Submit("BNU", "bnu-url", "P8", rec)
	h.WaitState(id, "BNU", ill.Requested)
	m := harness.ISOSAM("PKU", "BNU", "bnu-url", iso18626.ReasonRequestResponse, iso18626.StatusLoaned, h.Clock.Now())
	m.SupplyingAgencyMessage.DeliveryInfo = &iso18626.DeliveryInfo{DateSent: iso18626.Time(h.Clock.Now()),
		ItemID: "http://example.com/123456789", SentVia: &iso18626.SchemeValue{Value: "URL"}}
	status, c := h.PostISOMessage(m)
	wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "electronic delivery")
	if b := h.WaitState(id, "BNU", ill.Requested); b["item_barcode"] != nil && b["item_barcode"] != "" {
		t.Fatalf("nothing shipped: %v", b["item_barcode"])
	}
}
