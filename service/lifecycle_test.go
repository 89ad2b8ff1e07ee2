package service_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
)

func TestHappyPathSubmittedToCompleted(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	// PKU has 2 available copies, RUC 1: PKU ranks first.
	rec := testenv.Record(t, h.St, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 0, Lendable: true})
	// Monday 2026-03-02 10:00 Shanghai.
	id := h.Submit("THU", "thu-0001", "2023001", rec)
	b := h.WaitState(id, "THU", ill.Requested)
	if b["lender"] != "PKU" {
		t.Fatalf("first lender: want PKU (available copies), got %v; rota %v", b["lender"], b["rota"])
	}
	if got, want := b["respond_by"], "2026-03-03T23:59:59+08:00"; got != want {
		t.Errorf("respond_by = %v, want %v", got, want)
	}
	rota := b["rota"].([]any)
	if len(rota) != 2 || rota[0].(map[string]any)["outcome"] != "asked" || rota[1].(map[string]any)["outcome"] != "pending" {
		t.Errorf("rota = %v", rota)
	}

	h.Act(id, "respond", "PKU", map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	b = h.WaitState(id, "THU", ill.WillSupply)
	if got, want := b["ship_by"], "2026-03-05T23:59:59+08:00"; got != want {
		t.Errorf("ship_by = %v, want %v", got, want)
	}
	h.Act(id, "ship", "PKU", map[string]any{"item_barcode": "PKU0012345"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Shipped)
	h.Act(id, "receive", "THU", nil, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Received)
	h.Clock.Set(harness.Shanghai(2026, 1, 31, 9, 0)) // R4: Jan 31 → Feb 28 (an adjusted working day)
	h.Act(id, "checkout", "THU", nil, http.StatusAccepted)
	b = h.WaitState(id, "THU", ill.OnLoan)
	if got, want := b["due_at"], "2026-02-28T23:59:59+08:00"; got != want {
		t.Errorf("due_at = %v, want %v", got, want)
	}
	h.Clock.Set(harness.Shanghai(2026, 2, 20, 9, 0))
	h.Act(id, "return", "THU", map[string]any{"condition": "good"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Returned)
	h.Act(id, "ship_return", "THU", nil, http.StatusAccepted)
	h.WaitState(id, "THU", ill.ReturnShipped)
	h.Act(id, "checkin", "PKU", map[string]any{"condition": "good"}, http.StatusAccepted)
	b = h.WaitState(id, "PKU", ill.Completed)

	var path []string
	for _, e := range harness.Events(b) {
		if e["from"] != e["to"] || e["action"] == "submit" {
			path = append(path, e["to"].(string))
		}
	}
	want := []string{"SUBMITTED", "REQUESTED", "WILL_SUPPLY", "SHIPPED", "RECEIVED", "ON_LOAN", "RETURNED", "RETURN_SHIPPED", "COMPLETED"}
	if fmt.Sprint(path) != fmt.Sprint(want) {
		t.Errorf("timeline = %v, want %v", path, want)
	}
	// Both shipments exist and the courier consumer put them on a run.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := h.St.DB.Get(&n, `SELECT COUNT(*) FROM shipments WHERE request_id = ? AND run_date IS NOT NULL`, id); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shipments on a courier run: %d, want 2", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The arrival notice was created once and handed to the notifier.
	var status string
	for time.Now().Before(deadline.Add(5 * time.Second)) {
		_ = h.St.DB.Get(&status, `SELECT status FROM notices WHERE request_id = ? AND kind = 'arrived'`, id)
		if status == "not_configured" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status != "not_configured" {
		t.Errorf("arrived notice status = %q, want not_configured (no SMTP configured)", status)
	}
}

func TestTwoLendersRefuseThenUnfilled(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "9787302000013", "计算机网络原理", "谢希仁",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 1, Lendable: true},
		testenv.Holding{Library: "BNU", Available: 1, Lendable: false}) // not lendable: never asked
	id := h.Submit("THU", "thu-unf", "2023002", rec)
	b := h.WaitState(id, "THU", ill.Requested)
	first := b["lender"].(string)
	second := map[string]string{"PKU": "RUC", "RUC": "PKU"}[first]
	if second == "" {
		t.Fatalf("first lender %q is not a lendable holder", first)
	}
	h.Act(id, "respond", first, map[string]any{"decision": "unfilled", "reason": "not_on_shelf"}, http.StatusAccepted)
	b = h.WaitFor(id, "THU", "second lender", func(b map[string]any) bool { return b["lender"] == second })
	if b["state"] != "REQUESTED" {
		t.Fatalf("state = %v", b["state"])
	}
	// The first lender may no longer act; it can still read the request.
	h.Act(id, "respond", first, map[string]any{"decision": "will_supply"}, http.StatusForbidden)
	if code, _ := h.Call("GET", "/v1/requests/"+id, first, nil); code != http.StatusOK {
		t.Errorf("former lender reading: %d", code)
	}
	h.Act(id, "respond", second, map[string]any{"decision": "unfilled", "reason": "poor_condition"}, http.StatusAccepted)
	b = h.WaitState(id, "THU", ill.Unfilled)
	if b["reason"] != "poor_condition" {
		t.Errorf("reason = %v", b["reason"])
	}
	outcomes := map[string]string{}
	for _, e := range b["rota"].([]any) {
		m := e.(map[string]any)
		outcomes[m["library"].(string)] = m["outcome"].(string)
	}
	if outcomes["PKU"] != "unfilled" || outcomes["RUC"] != "unfilled" || len(outcomes) != 2 {
		t.Errorf("rota outcomes = %v", outcomes)
	}
}

func TestConcurrentSubmitsRespectLimit(t *testing.T) {
	h := harness.New(t, 3)
	// Two consumers "processes", 4 workers each: submits really race.
	h.StartConsumers(nil)
	h.StartConsumers(nil)
	var recs []int64
	for i := 0; i < 12; i++ {
		recs = append(recs, testenv.Record(t, h.St, "", fmt.Sprintf("并发测试图书%02d", i), "张三",
			testenv.Holding{Library: "PKU", Available: 1, Lendable: true}))
	}
	// The reader already has 2 active requests.
	for i := 0; i < 2; i++ {
		h.WaitState(h.Submit("THU", fmt.Sprintf("pre-%d", i), "R3", recs[i]), "THU", ill.Requested)
	}
	ids := make([]string, 10)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ids[i] = h.Submit("THU", fmt.Sprintf("race-%d", i), "R3", recs[2+i])
		}(i)
	}
	wg.Wait()
	accepted, overLimit := 0, 0
	for _, id := range ids {
		b := h.WaitFor(id, "THU", "routed", func(b map[string]any) bool { return b["state"] != "SUBMITTED" })
		switch {
		case b["state"] == "REQUESTED":
			accepted++
		case b["state"] == "REJECTED" && b["reason"] == "over_limit":
			overLimit++
		default:
			t.Errorf("request %s: %v %v", id, b["state"], b["reason"])
		}
	}
	if accepted != 1 || overLimit != 9 {
		t.Fatalf("accepted %d, over_limit %d; want 1 and 9", accepted, overLimit)
	}
	var active int
	_ = h.St.DB.Get(&active, `SELECT COUNT(*) FROM requests WHERE patron_id = 'R3' AND state = 'REQUESTED'`)
	if active != 3 {
		t.Errorf("active requests in the database = %d, want 3", active)
	}
}

func TestSameClientRequestIDGivesOneRequest(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "线性代数教程", "李四", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id1 := h.Submit("THU", "same-1", "P1", rec)
	h.WaitState(id1, "THU", ill.Requested)
	code, body := h.Call("POST", "/v1/requests", "THU", map[string]any{
		"client_request_id": "same-1", "patron": map[string]any{"id": "P1"}, "record_id": fmt.Sprint(rec)})
	if code != http.StatusOK || body["request_id"] != id1 || body["state"] != "REQUESTED" {
		t.Fatalf("repeat submit: %d %v (first id %s)", code, body, id1)
	}
	// A repeat racing the first (usually before the consumer ran: then it
	// publishes again with the same message id; if the consumer was
	// quicker, it is answered as a duplicate); still one request.
	id2 := h.Submit("THU", "same-2", "P1", rec)
	code, body = h.Call("POST", "/v1/requests", "THU", map[string]any{
		"client_request_id": "same-2", "patron": map[string]any{"id": "P1"}, "record_id": fmt.Sprint(rec)})
	if (code != http.StatusAccepted && code != http.StatusOK) || body["request_id"] != id2 {
		t.Fatalf("racing repeat: %d %v (first id %s)", code, body, id2)
	}
	h.WaitFor(id2, "THU", "processed", func(b map[string]any) bool { return b["state"] != "SUBMITTED" })
	time.Sleep(300 * time.Millisecond)
	var n int
	_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM requests WHERE borrower = 'THU' AND client_request_id IN ('same-1','same-2')`)
	if n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
	var evs int
	_ = h.St.DB.Get(&evs, `SELECT COUNT(*) FROM events WHERE request_id = ? AND action = 'submit'`, id2)
	if evs != 1 {
		t.Fatalf("submit events = %d, want 1", evs)
	}
	// The same client id from another library is another request.
	if other := h.Submit("RUC", "same-1", "P1", rec); other == id1 {
		t.Fatal("client_request_id must be scoped per library")
	}
}

func TestReaderCancelWindow(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "宏观经济学导论", "王五", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	start := h.Clock.Now()
	inside := h.Submit("THU", "c-in", "P2", rec)
	outside := h.Submit("THU", "c-out", "P3", rec)
	h.WaitState(inside, "THU", ill.Requested)
	h.WaitState(outside, "THU", ill.Requested)

	h.Clock.Set(start.Add(59 * time.Minute))
	h.Act(inside, "cancel", "THU", map[string]any{"by": "reader"}, http.StatusAccepted)
	b := h.WaitState(inside, "THU", ill.Cancelled)
	if b["reason"] != "cancelled_by_reader" {
		t.Errorf("reason = %v", b["reason"])
	}
	h.Clock.Set(start.Add(61 * time.Minute))
	out := h.Act(outside, "cancel", "THU", map[string]any{"by": "reader"}, http.StatusConflict)
	if harness.ErrCode(out) != "cancel_window_passed" {
		t.Fatalf("code = %v", out)
	}
	// Staff may still cancel before acceptance; after acceptance the
	// lender must agree.
	h.Act(outside, "respond", "PKU", map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	h.WaitState(outside, "THU", ill.WillSupply)
	h.Act(outside, "cancel", "THU", map[string]any{"by": "staff"}, http.StatusAccepted)
	h.WaitState(outside, "THU", ill.CancelPending)
	h.Act(outside, "cancel_response", "PKU", map[string]any{"accept": false}, http.StatusAccepted)
	h.WaitState(outside, "THU", ill.WillSupply)
}

func TestRenewRefusedAndRecallMovesDueDate(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "中国近代史纲要", "赵六", testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	id := h.Submit("THU", "rr-1", "P4", rec)
	h.WaitState(id, "THU", ill.Requested)
	// Monday 2026-03-02: due one month later, 2026-04-02 (Thursday).
	b := h.AdvanceToOnLoan(id, "RUC", "THU")
	if b["due_at"] != "2026-04-02T23:59:59+08:00" {
		t.Fatalf("due_at = %v", b["due_at"])
	}
	out := h.Act(id, "renew", "THU", nil, http.StatusConflict)
	if harness.ErrCode(out) != "renewal_not_allowed" {
		t.Fatalf("renew: %v", out)
	}
	// Recall on Thursday 2026-03-26: +7 days = 2026-04-02, not earlier
	// than the due date → unchanged. Recall on 2026-03-20 (Friday): +7 =
	// Friday 2026-03-27, earlier → moves.
	h.Clock.Set(harness.Shanghai(2026, 3, 20, 15, 0))
	h.Act(id, "recall", "RUC", map[string]any{"note": "needed for course reserve"}, http.StatusAccepted)
	b = h.WaitState(id, "THU", ill.Recalled)
	if b["due_at"] != "2026-03-27T23:59:59+08:00" {
		t.Fatalf("recalled due_at = %v, want 2026-03-27T23:59:59+08:00", b["due_at"])
	}
	// The reader and the borrowing library were notified.
	var n int
	_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'recalled'`, id)
	if n != 2 {
		t.Errorf("recall notices = %d, want 2", n)
	}
	// Only the lender may recall.
	out = h.Act(id, "recall", "THU", nil, http.StatusForbidden)
	if harness.ErrCode(out) != "forbidden" {
		t.Errorf("borrower recall: %v", out)
	}
}

func TestOtherLibraryIsForbidden(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "有机化学", "钱七",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	id := h.Submit("THU", "f-1", "P5", rec)
	b := h.WaitState(id, "THU", ill.Requested)
	pending := map[string]string{"PKU": "RUC", "RUC": "PKU"}[b["lender"].(string)]
	for _, lib := range []string{"BNU", pending} { // a stranger; a lender not yet asked
		if code, body := h.Call("GET", "/v1/requests/"+id, lib, nil); code != http.StatusForbidden || harness.ErrCode(body) != "forbidden" {
			t.Errorf("%s reading: %d %v", lib, code, body)
		}
		out := h.Act(id, "respond", lib, map[string]any{"decision": "will_supply"}, http.StatusForbidden)
		if harness.ErrCode(out) != "forbidden" {
			t.Errorf("%s acting: %v", lib, out)
		}
		_, list := h.Call("GET", "/v1/requests?patron_id=P5", lib, nil)
		if list["total"].(float64) != 0 {
			t.Errorf("%s listing THU's reader: %v", lib, list)
		}
	}
	// The centre sees everything; no key is 401.
	if code, _ := h.Call("GET", "/v1/requests/"+id, "CENTRE", nil); code != http.StatusOK {
		t.Errorf("centre: %d", code)
	}
	if code, body := h.Call("GET", "/v1/requests/"+id, "", nil); code != http.StatusUnauthorized || harness.ErrCode(body) != "unauthorized" {
		t.Errorf("no key: %d %v", code, body)
	}
}
