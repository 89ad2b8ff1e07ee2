package ncipout_test

// NCIP end to end: the hub with two members whose ILSs speak NCIP
// (responder doubles that check every message against the NCIP 2.02
// XSD), one loan's whole life cycle, and a failing ILS.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/ncip/ncipmock"
)

// newNCIPHarness is a harness whose NCIP calls retry quickly, with THU
// (borrower) and PKU (lender) registered with the given ILS doubles.
func newNCIPHarness(t *testing.T, deliveryLimit int, thu, pku *ncipmock.Responder) *harness.Harness {
	h := harness.New(t, deliveryLimit)
	h.Cfg.NCIPBackoff = 10 * time.Millisecond
	for code, r := range map[string]*ncipmock.Responder{"THU": thu, "PKU": pku} {
		if err := h.St.SetNCIP(t.Context(), ill.NCIPRegistration{Code: code, Endpoint: r.URL(), ToAgency: code + "-ILS"}); err != nil {
			t.Fatal(err)
		}
	}
	h.StartConsumers(nil)
	return h
}

// lifecycle takes one request from submit to COMPLETED through the API
// and returns its id.
func lifecycle(h *harness.Harness, rec int64, patron string) string {
	h.T.Helper()
	id := h.Submit("THU", "ncip-"+patron, patron, rec)
	h.WaitState(id, "THU", ill.Requested)
	h.AdvanceToOnLoan(id, "PKU", "THU")
	h.Act(id, "return", "THU", map[string]any{"condition": "good"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Returned)
	h.Act(id, "ship_return", "THU", nil, http.StatusAccepted)
	h.WaitState(id, "THU", ill.ReturnShipped)
	h.Act(id, "checkin", "PKU", map[string]any{"condition": "good"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Completed)
	return id
}

// TestNCIPLifecycle: the borrower's ILS sees LookupUser, AcceptItem,
// CheckOutItem and CheckInItem in that order for one loan, the lender's
// CheckOutItem (to THU's ILL account) and CheckInItem; the reader's
// standing goes on the timeline.
func TestNCIPLifecycle(t *testing.T) {
	thu, pku := ncipmock.New(t), ncipmock.New(t)
	h := newNCIPHarness(t, 5, thu, pku)
	id := lifecycle(h, harness.ISORecord(t, h), "R1")

	got := thu.WaitCalls(4)
	if s := services(got); !slices.Equal(s, []string{"LookupUser", "AcceptItem", "CheckOutItem", "CheckInItem"}) {
		t.Fatalf("borrower's ILS saw %v", s)
	}
	if u := got[0].Msg.LookupUser.UserID.Value; u != "R1" {
		t.Fatalf("LookupUser for %q, want the reader R1", u)
	}
	a := got[1].Msg.AcceptItem
	if a.RequestID.Value != id || a.ItemID.Value != "B-"+id || a.UserID.Value != "R1" {
		t.Fatalf("AcceptItem: %+v", a)
	}
	if h := a.Header; h.ToAgencyID.AgencyID.Value != "THU-ILS" || h.FromAgencyID.AgencyID.Value != "BALIS" {
		t.Fatalf("AcceptItem header: %+v", h)
	}
	if co := got[2].Msg.CheckOutItem; co.UserID.Value != "R1" || co.DesiredDateDue == "" {
		t.Fatalf("borrower's CheckOutItem goes to the reader with the due date: %+v", co)
	}
	lend := pku.WaitCalls(2)
	if s := services(lend); !slices.Equal(s, []string{"CheckOutItem", "CheckInItem"}) {
		t.Fatalf("lender's ILS saw %v", s)
	}
	if co := lend[0].Msg.CheckOutItem; co.UserID.Value != "THU" || co.ItemID.Value != "B-"+id {
		t.Fatalf("lender's CheckOutItem goes to THU's ILL account: %+v", co)
	}
	// The ILS has answered the last call; the pool records the outcome
	// right after, in a transaction of its own.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		calls, err := h.St.NCIPCalls(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		pending := slices.IndexFunc(calls, func(c ill.NCIPCall) bool { return c.Status != ill.NCIPSent })
		if pending < 0 {
			break
		}
		if c := calls[pending]; time.Now().After(deadline) {
			t.Fatalf("call %d %s to %s: %s (%s)", c.ID, c.Service, c.LibraryCode, c.Status, c.LastError)
		}
	}
	b := h.WaitFor(id, "THU", "the reader's standing on the timeline", func(b map[string]any) bool {
		return noteWith(b, "NCIP LookupUser at THU's ILS: active, no blocks") != ""
	})
	if n := noteWith(b, "NCIP LookupUser"); !strings.Contains(n, "balance CNY 100.00") {
		t.Fatalf("standing line: %q", n)
	}
}

// TestNCIPFailingILS: an ILS answering 500 to everything does not stop the
// loan: the request completes, each call is failed after the delivery
// limit and the failures are on the timeline; the other party's ILS gets
// its calls. A blocked reader is recorded for staff, the request goes on.
func TestNCIPFailingILS(t *testing.T) {
	thu, pku := ncipmock.New(t), ncipmock.New(t)
	thu.FailAll(true)
	h := newNCIPHarness(t, 3, thu, pku)
	rec := harness.ISORecord(t, h)
	id := lifecycle(h, rec, "R2")

	if s := services(pku.WaitCalls(2)); !slices.Equal(s, []string{"CheckOutItem", "CheckInItem"}) {
		t.Fatalf("lender's ILS saw %v", s)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		calls, err := h.St.NCIPCalls(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, c := range calls {
			if c.LibraryCode == "THU" && c.Status == ill.NCIPFailed && c.Attempts == 3 {
				failed++
			}
		}
		if failed == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("THU's 4 calls should have failed after 3 attempts each: %+v", calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(thu.Calls()) != 0 {
		t.Fatal("the failing ILS answered nothing")
	}
	b := h.WaitState(id, "THU", ill.Completed)
	if n := noteWith(b, "NCIP CheckInItem to THU's ILS not done (failed): attempt 3 of 3"); n == "" {
		t.Fatalf("the failure must be on the timeline: %v", harness.Events(b))
	}

	// The ILS is back and knows the next reader as blocked: recorded,
	// the request is routed all the same.
	thu.FailAll(false)
	thu.Block("R3", "Overdue Items")
	id3 := h.Submit("THU", "ncip-R3", "R3", rec)
	h.WaitState(id3, "THU", ill.Requested)
	b = h.WaitFor(id3, "THU", "the blocked reader's standing", func(b map[string]any) bool {
		return noteWith(b, "BLOCKED (Overdue Items)") != ""
	})
	if b["state"] != string(ill.Requested) {
		t.Fatalf("a blocked reader must not change the request's state: %v", b["state"])
	}
}

func services(cs []ncipmock.Call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Service)
	}
	return out
}

// noteWith is the first timeline note containing s ("" when none).
func noteWith(b map[string]any, s string) string {
	for _, e := range harness.Events(b) {
		if n, _ := e["note"].(string); strings.Contains(n, s) {
			return n
		}
	}
	return ""
}
