package isoout_test

// ISO 18626 flows end to end with member-system doubles, as
// borrower (ISO borrower, JSON lender) and as lender (JSON borrower, ISO
// lender), and delivery failures.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/rabbitmq"
)

// newISOHarness is a harness whose ISO deliveries retry quickly.
func newISOHarness(t *testing.T, deliveryLimit int) *harness.Harness {
	h := harness.New(t, deliveryLimit)
	h.Cfg.ISOBackoff = 10 * time.Millisecond
	h.StartConsumers(nil)
	return h
}

func ok(h *harness.Harness, m *iso18626.Message) {
	h.T.Helper()
	status, c := h.PostISOMessage(m)
	wantConfirm(h.T, status, c, "", "")
}

func summaries(ms []*iso18626.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, harness.ISOSummary(m))
	}
	return out
}

func wantTime(t *testing.T, what string, got *iso18626.DateTime, want any) {
	t.Helper()
	if got == nil || string(*got) != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// TestISOBorrowerWithJSONLender: THU's own system borrows through the hub
// from PKU, which uses the JSON API; every change reaches THU in order.
func TestISOBorrowerWithJSONLender(t *testing.T) {
	h := newISOHarness(t, 5)
	thu := harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	harness.ISORecord(t, h)
	now := h.Clock.Now()

	ok(h, harness.ISORequest("THU", "BALIS", "thu-loan-1", "R1", "9787040406641", "数据库系统概论", now))
	id := ill.RequestID("THU", "thu-loan-1")
	h.WaitState(id, "THU", ill.Requested)

	h.Act(id, "respond", "PKU", map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	m := thu.WaitMessage("WillSupply", sam(iso18626.ReasonRequestResponse, iso18626.StatusWillSupply))
	hd := m.SupplyingAgencyMessage.Header
	if hd.SupplyingAgencyID.Value != "PKU" || hd.RequestingAgencyID.Value != "THU" || hd.RequestingAgencyRequestID != "thu-loan-1" ||
		hd.SupplyingAgencyRequestID != id {
		t.Fatalf("transparent header expected (PKU → THU, THU's own id): %+v", hd)
	}
	h.WaitState(id, "THU", ill.WillSupply)
	h.Act(id, "ship", "PKU", map[string]any{"item_barcode": "PKU0012345"}, http.StatusAccepted)
	m = thu.WaitMessage("Loaned", sam(iso18626.ReasonStatusChange, iso18626.StatusLoaned))
	if d := m.SupplyingAgencyMessage.DeliveryInfo; d == nil || d.ItemID != "PKU0012345" || d.SentVia.Value != "Courier" {
		t.Fatalf("deliveryInfo: %+v", d)
	}
	h.WaitState(id, "THU", ill.Shipped)

	// Cancel once shipped: refused, CancelResponse N.
	ok(h, harness.ISORAM("THU", "PKU", "thu-loan-1", iso18626.ActionCancel, "reader changed mind", now))
	m = thu.WaitMessage("CancelResponse N", sam(iso18626.ReasonCancelResponse, iso18626.StatusLoaned))
	if m.SupplyingAgencyMessage.MessageInfo.AnswerYesNo != iso18626.No {
		t.Fatalf("cancel after shipping must be answered N: %+v", m.SupplyingAgencyMessage.MessageInfo)
	}

	// Received = receive + checkout: ON_LOAN, THU learns the due date.
	ok(h, harness.ISORAM("THU", "PKU", "thu-loan-1", iso18626.ActionReceived, "", now))
	b := h.WaitState(id, "THU", ill.OnLoan)
	m = thu.WaitMessage("due date", sam(iso18626.ReasonNotification, iso18626.StatusLoaned))
	wantTime(t, "dueDate after checkout", m.SupplyingAgencyMessage.StatusInfo.DueDate, b["due_at"])

	// Renew: RenewResponse N (R5), state unchanged.
	ok(h, harness.ISORAM("THU", "PKU", "thu-loan-1", iso18626.ActionRenew, "", now))
	m = thu.WaitMessage("RenewResponse", sam(iso18626.ReasonRenewResponse, iso18626.StatusLoaned))
	if m.SupplyingAgencyMessage.MessageInfo.AnswerYesNo != iso18626.No {
		t.Fatal("renew must be answered N")
	}
	ok(h, harness.ISORAM("THU", "PKU", "thu-loan-1", iso18626.ActionStatusRequest, "", now))
	thu.WaitMessage("StatusRequestResponse", sam(iso18626.ReasonStatusRequestResponse, iso18626.StatusLoaned))

	// Recall by the JSON lender: Recalled with the new due date.
	h.Act(id, "recall", "PKU", map[string]any{"note": "course reserve"}, http.StatusAccepted)
	b = h.WaitState(id, "THU", ill.Recalled)
	m = thu.WaitMessage("Recalled", sam(iso18626.ReasonStatusChange, iso18626.StatusRecalled))
	wantTime(t, "dueDate after recall", m.SupplyingAgencyMessage.StatusInfo.DueDate, b["due_at"])
	due, _ := time.Parse(time.RFC3339, b["due_at"].(string))

	// Overdue (scheduler).
	if n := harness.RunJob(t, h.Jobs(), "overdue", due.Add(time.Hour)); n != 1 {
		t.Fatalf("overdue job changed %d", n)
	}
	h.WaitState(id, "THU", ill.Overdue)
	thu.WaitMessage("Overdue", sam(iso18626.ReasonStatusChange, iso18626.StatusOverdue))

	// ShippedReturn = return + ship_return; the JSON lender checks it in.
	ok(h, harness.ISORAM("THU", "PKU", "thu-loan-1", iso18626.ActionShippedReturn, "", now))
	h.WaitState(id, "THU", ill.ReturnShipped)
	h.Act(id, "checkin", "PKU", map[string]any{"condition": "good"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Completed)
	thu.WaitMessage("LoanCompleted", sam(iso18626.ReasonStatusChange, iso18626.StatusLoanCompleted))

	want := []string{"RequestResponse/WillSupply/", "StatusChange/Loaned/", "CancelResponse/Loaned/N", "Notification/Loaned/",
		"RenewResponse/Loaned/N", "StatusRequestResponse/Loaned/", "StatusChange/Recalled/", "StatusChange/Overdue/",
		"StatusChange/LoanCompleted/"}
	if got := summaries(thu.Messages()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("THU received, in order:\n got %v\nwant %v", got, want)
	}

	// A cancel before acceptance is accepted: CancelResponse Y.
	ok(h, harness.ISORequest("THU", "BALIS", "thu-cancel-1", "R2", "9787040406641", "数据库系统概论", now))
	id2 := ill.RequestID("THU", "thu-cancel-1")
	h.WaitState(id2, "THU", ill.Requested)
	ok(h, harness.ISORAM("THU", "PKU", "thu-cancel-1", iso18626.ActionCancel, "", now))
	h.WaitState(id2, "THU", ill.Cancelled)
	m = thu.WaitMessage("CancelResponse Y", func(m *iso18626.Message) bool {
		return sam(iso18626.ReasonCancelResponse, iso18626.StatusCancelled)(m) &&
			m.SupplyingAgencyMessage.Header.RequestingAgencyRequestID == "thu-cancel-1"
	})
	if m.SupplyingAgencyMessage.MessageInfo.AnswerYesNo != iso18626.Yes {
		t.Fatal("CancelResponse must say Y")
	}
}

// TestISOUnfilledThenNextLender: THU (ISO) asks through the hub; PKU (ISO)
// gets the request with its own record id and THU's note, answers
// Unfilled; THU hears a Notification and RUC (JSON) is asked; RUC's
// unfilled, the last in the rota, reaches THU as Unfilled.
func TestISOUnfilledThenNextLender(t *testing.T) {
	h := newISOHarness(t, 5)
	thu, pku := harness.NewMemberDouble(t), harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	harness.RegisterISO(t, h.St, "PKU", pku.URL(), "")
	rec := harness.ISORecord(t, h)
	now := h.Clock.Now()

	ok(h, harness.ISORequest("THU", "BALIS", "thu-unf-1", "R3", "9787040406641", "数据库系统概论", now))
	id := ill.RequestID("THU", "thu-unf-1")
	h.WaitState(id, "THU", ill.Requested)
	m := pku.WaitMessage("request", func(m *iso18626.Message) bool { return m.Request != nil })
	var local string
	if err := h.St.DB.Get(&local, `SELECT local_id FROM holdings WHERE library_code = 'PKU' AND record_id = ?`, rec); err != nil {
		t.Fatal(err)
	}
	r := m.Request
	if r.BibliographicInfo.SupplierUniqueRecordID != local || r.ServiceInfo.Note != "课程需要" ||
		r.Header.RequestingAgencyID.Value != "THU" || r.Header.SupplyingAgencyID.Value != "PKU" ||
		r.Header.RequestingAgencyRequestID != "thu-unf-1" || r.BibliographicInfo.ISBN() != "9787040406641" {
		t.Fatalf("request to the ISO lender: %+v %+v", r.Header, r.BibliographicInfo)
	}

	unf := harness.ISOSAM("PKU", "THU", "thu-unf-1", iso18626.ReasonRequestResponse, iso18626.StatusUnfilled, now)
	unf.SupplyingAgencyMessage.MessageInfo.ReasonUnfilled = &iso18626.SchemeValue{Value: "NotOnShelf"}
	ok(h, unf)
	b := h.WaitFor(id, "THU", "RUC asked", func(b map[string]any) bool { return b["lender"] == "RUC" })
	if rota := b["rota"].([]any); rota[0].(map[string]any)["outcome"] != "unfilled" {
		t.Fatalf("rota %v", rota)
	}
	m = thu.WaitMessage("Notification", sam(iso18626.ReasonNotification, iso18626.StatusRequestReceived))
	if !strings.Contains(m.SupplyingAgencyMessage.MessageInfo.Note, "PKU cannot supply") {
		t.Fatalf("note %q", m.SupplyingAgencyMessage.MessageInfo.Note)
	}
	// PKU is out of the rota: its late WillSupply is refused.
	status, c := h.PostISOMessage(harness.ISOSAM("PKU", "THU", "thu-unf-1", iso18626.ReasonRequestResponse, iso18626.StatusWillSupply, now.Add(time.Minute)))
	wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "no longer the supplier")

	h.Act(id, "respond", "RUC", map[string]any{"decision": "unfilled", "reason": "not_held"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Unfilled)
	m = thu.WaitMessage("Unfilled", sam(iso18626.ReasonRequestResponse, iso18626.StatusUnfilled))
	if ru := m.SupplyingAgencyMessage.MessageInfo.ReasonUnfilled; ru == nil || ru.Value != "NotHeld" {
		t.Fatalf("reasonUnfilled %+v", ru)
	}
	if got := summaries(thu.Messages()); strings.Join(got, " ") != "Notification/RequestReceived/ RequestResponse/Unfilled/" {
		t.Fatalf("THU received %v: one Notification, then Unfilled only at the end of the rota", got)
	}
}

// TestISOLenderWithJSONBorrower: BNU (JSON) borrows from PKU's own ISO
// system: the loan to COMPLETED, a recall, a cancel accepted and one
// refused.
func TestISOLenderWithJSONBorrower(t *testing.T) {
	h := newISOHarness(t, 5)
	pku := harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "PKU", pku.URL(), "")
	rec := harness.ISORecord(t, h)
	now := h.Clock.Now()
	request := func(rid string) *iso18626.Message {
		return pku.WaitMessage("request "+rid, func(m *iso18626.Message) bool {
			return m.Request != nil && m.Request.Header.RequestingAgencyRequestID == rid
		})
	}
	ram := func(rid string, a iso18626.Action) {
		pku.WaitMessage(string(a)+" "+rid, func(m *iso18626.Message) bool {
			return m.RequestingAgencyMessage != nil && m.RequestingAgencyMessage.Action == a &&
				m.RequestingAgencyMessage.Header.RequestingAgencyRequestID == rid
		})
	}

	id := h.Submit("BNU", "bnu-1", "B1", rec)
	h.WaitState(id, "BNU", ill.Requested)
	if hd := request("bnu-1").Request.Header; hd.RequestingAgencyID.Value != "BNU" {
		t.Fatalf("header %+v", hd)
	}
	// WillSupply and Loaned back to back: the second may meet the request
	// still REQUESTED (at the intake or in a consumer); it is applied after
	// the first all the same.
	ok(h, harness.ISOSAM("PKU", "BNU", "bnu-1", iso18626.ReasonRequestResponse, iso18626.StatusWillSupply, now))
	loaned := harness.ISOSAM("PKU", "BNU", "bnu-1", iso18626.ReasonStatusChange, iso18626.StatusLoaned, now)
	loaned.SupplyingAgencyMessage.DeliveryInfo = &iso18626.DeliveryInfo{DateSent: iso18626.Time(now), ItemID: "31000012345678"}
	ok(h, loaned)
	if b := h.WaitState(id, "BNU", ill.Shipped); b["item_barcode"] != "31000012345678" {
		t.Fatalf("item %v", b["item_barcode"])
	}
	h.Act(id, "receive", "BNU", nil, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.Received)
	ram("bnu-1", iso18626.ActionReceived)
	h.Act(id, "checkout", "BNU", nil, http.StatusAccepted)
	before := h.WaitState(id, "BNU", ill.OnLoan)["due_at"]
	ok(h, harness.ISOSAM("PKU", "BNU", "bnu-1", iso18626.ReasonStatusChange, iso18626.StatusRecalled, now.Add(time.Minute)))
	if after := h.WaitState(id, "BNU", ill.Recalled)["due_at"].(string); after >= before.(string) {
		t.Fatalf("recall must move the due date earlier: %v → %v", before, after)
	}
	h.Act(id, "return", "BNU", map[string]any{"condition": "good"}, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.Returned)
	h.Act(id, "ship_return", "BNU", nil, http.StatusAccepted)
	h.WaitState(id, "BNU", ill.ReturnShipped)
	ram("bnu-1", iso18626.ActionShippedReturn)
	ok(h, harness.ISOSAM("PKU", "BNU", "bnu-1", iso18626.ReasonStatusChange, iso18626.StatusLoanCompleted, now))
	h.WaitState(id, "BNU", ill.Completed)

	for _, c := range []struct {
		rid    string
		answer iso18626.YesNo
		want   ill.State
	}{{"bnu-c-yes", iso18626.Yes, ill.Cancelled}, {"bnu-c-no", iso18626.No, ill.WillSupply}} {
		id := h.Submit("BNU", c.rid, "P"+c.rid, rec)
		h.WaitState(id, "BNU", ill.Requested)
		request(c.rid)
		ok(h, harness.ISOSAM("PKU", "BNU", c.rid, iso18626.ReasonRequestResponse, iso18626.StatusWillSupply, now))
		h.WaitState(id, "BNU", ill.WillSupply)
		h.Act(id, "cancel", "BNU", map[string]any{"by": "staff"}, http.StatusAccepted)
		h.WaitState(id, "BNU", ill.CancelPending)
		ram(c.rid, iso18626.ActionCancel)
		resp := harness.ISOSAM("PKU", "BNU", c.rid, iso18626.ReasonCancelResponse, iso18626.StatusWillSupply, now.Add(time.Minute))
		resp.SupplyingAgencyMessage.MessageInfo.AnswerYesNo = c.answer
		if c.answer == iso18626.Yes {
			resp.SupplyingAgencyMessage.StatusInfo.Status = iso18626.StatusCancelled
		}
		ok(h, resp)
		h.WaitState(id, "BNU", c.want)
	}

	// CompletedWithoutReturn: the lender writes the loan off (report_lost).
	id = h.Submit("BNU", "bnu-lost", "B-lost", rec)
	h.WaitState(id, "BNU", ill.Requested)
	request("bnu-lost")
	ok(h, harness.ISOSAM("PKU", "BNU", "bnu-lost", iso18626.ReasonRequestResponse, iso18626.StatusWillSupply, now))
	ok(h, harness.ISOSAM("PKU", "BNU", "bnu-lost", iso18626.ReasonStatusChange, iso18626.StatusLoaned, now))
	h.WaitState(id, "BNU", ill.Shipped)
	ok(h, harness.ISOSAM("PKU", "BNU", "bnu-lost", iso18626.ReasonStatusChange, iso18626.StatusCompletedWithoutReturn, now))
	if b := h.WaitState(id, "BNU", ill.Lost); b["reason"] != "reported_lost" {
		t.Fatalf("reason %v", b["reason"])
	}
}

// TestISODeliveryRetriesAndDeadLetters: a member down (HTTP 503) gets the
// message on a later attempt; one answering ERROR every time gets N
// attempts, then the message is dead-lettered; both are on the timeline,
// and later messages still flow.
func TestISODeliveryRetriesAndDeadLetters(t *testing.T) {
	const limit = 3
	h := newISOHarness(t, limit)
	thu := harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	harness.ISORecord(t, h)
	now := h.Clock.Now()
	ok(h, harness.ISORequest("THU", "BALIS", "thu-r-1", "R9", "9787040406641", "数据库系统概论", now))
	id := ill.RequestID("THU", "thu-r-1")
	h.WaitState(id, "THU", ill.Requested)

	thu.FailNext(2)
	h.Act(id, "respond", "PKU", map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	thu.WaitMessage("WillSupply", sam(iso18626.ReasonRequestResponse, iso18626.StatusWillSupply))
	out := waitOutbound(t, h, id, func(out []ill.ISOMessage) bool { return len(out) == 1 && out[0].Status != ill.ISOPending })
	if out[0].Status != ill.ISOSent || out[0].Attempts != 3 {
		t.Fatalf("want one message sent at the 3rd attempt: %+v", out)
	}

	thu.ErrNext(1000)
	h.Act(id, "ship", "PKU", map[string]any{"item_barcode": "PKU1"}, http.StatusAccepted)
	dlq := rabbitmq.DLQ{URL: h.Cfg.AMQPURL, Topo: rabbitmq.Topology{Prefix: h.Cfg.AMQPPrefix, DeliveryLimit: limit}}
	var dead []rabbitmq.DeadLetter
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(dead) == 0; time.Sleep(50 * time.Millisecond) {
		var err error
		if dead, err = dlq.List(10); err != nil {
			t.Fatal(err)
		}
	}
	if len(dead) != 1 || dead[0].RoutingKey != ill.MsgISO {
		t.Fatalf("dead letters: %+v", dead)
	}
	out = waitOutbound(t, h, id, func(out []ill.ISOMessage) bool { return len(out) == 2 && out[1].Status != ill.ISOPending })
	if out[1].Status != ill.ISOFailed || out[1].Attempts != limit || !strings.Contains(out[1].LastError, "ERROR confirmation") {
		t.Fatalf("want the Loaned message failed after %d attempts: %+v", limit, out[1])
	}
	h.WaitFor(id, "THU", "errors on the timeline", func(b map[string]any) bool {
		n503, nERR := 0, 0
		for _, e := range harness.Events(b) {
			note, _ := e["note"].(string)
			if e["action"] == "iso18626" && strings.Contains(note, "HTTP 503") {
				n503++
			}
			if e["action"] == "iso18626" && strings.Contains(note, "ERROR confirmation: UnrecognisedDataValue") {
				nERR++
			}
		}
		return n503 == 2 && nERR == limit
	})

	thu.ErrNext(0)
	ok(h, harness.ISORAM("THU", "PKU", "thu-r-1", iso18626.ActionStatusRequest, "", now))
	thu.WaitMessage("StatusRequestResponse after a dead message", sam(iso18626.ReasonStatusRequestResponse, iso18626.StatusLoaned))
}

// waitOutbound waits until the request's outbound ISO messages satisfy cond.
func waitOutbound(t *testing.T, h *harness.Harness, id string, cond func([]ill.ISOMessage) bool) []ill.ISOMessage {
	t.Helper()
	var out []ill.ISOMessage
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		all, err := h.St.ISOMessages(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out = out[:0]
		for _, m := range all {
			if m.Direction == "out" {
				out = append(out, m)
			}
		}
		if cond(out) {
			return out
		}
	}
	t.Fatalf("outbound ISO messages never as expected: %+v", out)
	return nil
}

// TestISORequestToAMemberAndTimeout: a request addressed to a member goes
// to it first (its own record id identifies the book); an ISO lender that
// lets the response deadline pass is told it is no longer needed.
func TestISORequestToAMemberAndTimeout(t *testing.T) {
	h := newISOHarness(t, 5)
	thu, pku := harness.NewMemberDouble(t), harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	harness.RegisterISO(t, h.St, "PKU", pku.URL(), "")
	rec := harness.ISORecord(t, h) // PKU ranks before RUC
	now := h.Clock.Now()

	var rucLocal string
	if err := h.St.DB.Get(&rucLocal, `SELECT local_id FROM holdings WHERE library_code = 'RUC' AND record_id = ?`, rec); err != nil {
		t.Fatal(err)
	}
	m := harness.ISORequest("THU", "RUC", "thu-to-ruc", "R5", "", "", now)
	m.Request.BibliographicInfo = iso18626.BibliographicInfo{SupplierUniqueRecordID: rucLocal}
	ok(h, m)
	b := h.WaitState(ill.RequestID("THU", "thu-to-ruc"), "THU", ill.Requested)
	if b["lender"] != "RUC" || b["record_id"] != strconv.FormatInt(rec, 10) || len(b["rota"].([]any)) != 1 {
		t.Fatalf("a request addressed to RUC goes to RUC (by its own record id): %v", b)
	}

	// Routed by the hub: PKU (ISO) first; it does not answer in time.
	ok(h, harness.ISORequest("THU", "BALIS", "thu-late", "R6", "9787040406641", "数据库系统概论", now))
	id := ill.RequestID("THU", "thu-late")
	b = h.WaitState(id, "THU", ill.Requested)
	pku.WaitMessage("request", func(m *iso18626.Message) bool { return m.Request != nil })
	respondBy, _ := time.Parse(time.RFC3339, b["respond_by"].(string))
	if n := harness.RunJob(t, h.Jobs(), "respond-deadline", respondBy.Add(time.Hour)); n != 2 { // RUC missed thu-to-ruc's too
		t.Fatalf("respond-deadline changed %d", n)
	}
	h.WaitFor(id, "THU", "RUC asked", func(b map[string]any) bool { return b["lender"] == "RUC" })
	n := pku.WaitMessage("no longer needed", func(m *iso18626.Message) bool {
		r := m.RequestingAgencyMessage
		return r != nil && r.Action == iso18626.ActionNotification && r.Header.RequestingAgencyRequestID == "thu-late"
	})
	if !strings.Contains(n.RequestingAgencyMessage.Note, "no longer needed") {
		t.Fatalf("note %q", n.RequestingAgencyMessage.Note)
	}
	m2 := thu.WaitMessage("Notification", func(m *iso18626.Message) bool {
		return sam(iso18626.ReasonNotification, iso18626.StatusRequestReceived)(m) &&
			m.SupplyingAgencyMessage.Header.RequestingAgencyRequestID == "thu-late"
	})
	if !strings.Contains(m2.SupplyingAgencyMessage.MessageInfo.Note, "no_response") {
		t.Fatalf("note %q", m2.SupplyingAgencyMessage.MessageInfo.Note)
	}
}
