package service_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
)

func TestBadInputGetsStableCodes(t *testing.T) {
	h := harness.New(t, 3)
	big := `{"client_request_id":"x","note":"` + strings.Repeat("a", 1<<20) + `"}`
	cases := []struct {
		name, method, path, key string
		body                    any
		status                  int
		code, field             string
	}{
		{"no key", "GET", "/v1/requests", "", nil, 401, "unauthorized", ""},
		{"unknown key", "GET", "/v1/requests", "NOPE", nil, 401, "unauthorized", ""},
		{"oversize body", "POST", "/v1/requests", "THU", big, 413, "payload_too_large", ""},
		{"malformed JSON", "POST", "/v1/requests", "THU", `{"client_request_id": "a",`, 400, "bad_request", "body"},
		{"syntax error", "POST", "/v1/requests", "THU", `{"client_request_id" "a"}`, 400, "bad_request", "body"},
		{"wrong type", "POST", "/v1/requests", "THU", `{"client_request_id":"a","patron":{"id":"p","deposit_paid":"yes"}}`, 400, "bad_request", "patron.deposit_paid"},
		{"empty body", "POST", "/v1/requests", "THU", "", 400, "bad_request", "body"},
		{"missing client id", "POST", "/v1/requests", "THU", `{"patron":{"id":"p"},"record_id":"1"}`, 400, "bad_request", "client_request_id"},
		{"missing patron", "POST", "/v1/requests", "THU", `{"client_request_id":"a","record_id":"1"}`, 400, "bad_request", "patron.id"},
		{"neither record nor item", "POST", "/v1/requests", "THU", `{"client_request_id":"a","patron":{"id":"p"}}`, 400, "bad_request", "record_id"},
		{"bad record id", "POST", "/v1/requests", "THU", `{"client_request_id":"a","patron":{"id":"p"},"record_id":"abc"}`, 400, "bad_request", "record_id"},
		{"item without title", "POST", "/v1/requests", "THU", `{"client_request_id":"a","patron":{"id":"p"},"item":{"author":"x"}}`, 400, "bad_request", "item.title"},
		{"bad email", "POST", "/v1/requests", "THU", `{"client_request_id":"a","patron":{"id":"p","email":"nope"},"record_id":"1"}`, 400, "bad_request", "patron.email"},
		{"centre cannot submit", "POST", "/v1/requests", "CENTRE", `{"client_request_id":"a","patron":{"id":"p"},"record_id":"1"}`, 403, "forbidden", ""},
		{"unknown request", "GET", "/v1/requests/ILL-0000000000000000", "THU", nil, 404, "not_found", ""},
		{"unknown action", "POST", "/v1/requests/ILL-0000000000000000/steal", "THU", `{}`, 404, "not_found", ""},
		{"per_page too big", "GET", "/v1/requests?per_page=101", "THU", nil, 400, "bad_request", "per_page"},
		{"bad state filter", "GET", "/v1/requests?state=LOST_IN_SPACE", "THU", nil, 400, "bad_request", "state"},
		{"bad date filter", "GET", "/v1/requests?from=2026-13-01", "THU", nil, 400, "bad_request", "from"},
		{"empty id in ids", "GET", "/v1/requests?ids=a,,b", "THU", nil, 400, "bad_request", "ids"},
		{"too many ids", "GET", "/v1/requests?ids=" + strings.Repeat("x,", 100) + "x", "THU", nil, 400, "bad_request", "ids"},
		{"bad isbn", "GET", "/v1/catalog/search?isbn=9787040406640", "THU", nil, 400, "bad_request", "isbn"},
		{"empty search", "GET", "/v1/catalog/search", "THU", nil, 400, "bad_request", "q"},
		{"empty holdings batch", "POST", "/v1/holdings", "THU", `{}`, 400, "bad_request", "upserts"},
		{"holding without local id", "POST", "/v1/holdings", "THU", `{"upserts":[{"title":"x"}]}`, 400, "bad_request", "upserts[0].local_id"},
		{"unknown endpoint", "GET", "/v2/whatever", "THU", nil, 404, "not_found", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := h.Call(c.method, c.path, c.key, c.body)
			e, _ := body["error"].(map[string]any)
			if status != c.status || e["code"] != c.code || (c.field != "" && e["field"] != c.field) {
				t.Fatalf("got %d %v; want %d %s field %q", status, body, c.status, c.code, c.field)
			}
			if msg, _ := e["message"].(string); msg == "" {
				t.Fatal("error without a message")
			}
		})
	}
	var n int
	_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM requests`)
	if n != 0 {
		t.Fatalf("refused input created %d requests", n)
	}
}

func TestRoutingRefusals(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "操作系统教程", "吴十",
		testenv.Holding{Library: "THU", Available: 1, Lendable: true},
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	// THU holds an available copy itself.
	b := h.WaitState(h.Submit("THU", "local-1", "Q1", rec), "THU", ill.Rejected)
	if b["reason"] != "held_locally" {
		t.Errorf("held locally: %v", b["reason"])
	}
	// BFSU requires a deposit; this reader has not paid.
	b = h.WaitState(h.Submit("BFSU", "dep-1", "Q2", rec), "BFSU", ill.Rejected)
	if b["reason"] != "deposit_required" {
		t.Errorf("deposit: %v", b["reason"])
	}
	// The same reader asking twice for one record.
	first := h.Submit("RUC", "dup-1", "Q3", rec)
	h.WaitState(first, "RUC", ill.Requested)
	b = h.WaitState(h.Submit("RUC", "dup-2", "Q3", rec), "RUC", ill.Rejected)
	if b["reason"] != "duplicate" {
		t.Errorf("duplicate: %v", b["reason"])
	}
	// A journal is not lendable (R2 policy).
	jr := testenv.Record(t, h.St, "", "计算机学报", "编辑部", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	if _, err := h.St.DB.Exec(`UPDATE records SET material = 'journal' WHERE id = ?`, jr); err != nil {
		t.Fatal(err)
	}
	b = h.WaitState(h.Submit("RUC", "jr-1", "Q4", jr), "RUC", ill.Rejected)
	if b["reason"] != "not_eligible" {
		t.Errorf("journal: %v", b["reason"])
	}
	// Nobody else holds it.
	only := testenv.Record(t, h.St, "", "孤本图书", "无名", testenv.Holding{Library: "RUC", Available: 0, Lendable: true})
	b = h.WaitState(h.Submit("RUC", "none-1", "Q5", only), "RUC", ill.Unfilled)
	if b["reason"] != "not_held" {
		t.Errorf("no holder: %v", b["reason"])
	}
}

func TestManualRequestMatchOrMediation(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "9787040406641", "数据库系统概论", "王珊", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	// ISBN-10 with hyphens matches the ISBN-13 record.
	code, body := h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "m-1",
		"patron": map[string]any{"id": "M1"}, "item": map[string]any{"title": "数据库系统概论（第5版）", "isbn": "7-04-040664-0"}})
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, body)
	}
	b := h.WaitState(body["request_id"].(string), "THU", ill.Requested)
	if b["record_id"] != fmt.Sprint(rec) || b["lender"] != "PKU" {
		t.Errorf("matched manual request: %v", b)
	}
	// Not in the catalogue: staff mediation within 1 working day.
	code, body = h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "m-2",
		"patron": map[string]any{"id": "M2"}, "item": map[string]any{"title": "北京地方志稀见文献", "author": "佚名"}})
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, body)
	}
	id := body["request_id"].(string)
	b = h.WaitState(id, "THU", ill.NeedsMediation)
	if b["respond_by"] != "2026-03-03T23:59:59+08:00" {
		t.Errorf("mediation deadline %v", b["respond_by"])
	}
	h.Act(id, "mediate", "THU", map[string]any{"lenders": []string{"BNU", "RUC"}}, http.StatusAccepted)
	b = h.WaitState(id, "THU", ill.Requested)
	if b["lender"] != "BNU" {
		t.Errorf("mediated lender %v, rota %v", b["lender"], b["rota"])
	}
}

func TestHoldingsThroughQueueAndCatalogue(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	batch := map[string]any{"upserts": []map[string]any{
		{"local_id": "b1", "isbn": "978-7-302-33098-1", "title": "算法导论", "author": "科尔曼", "publisher": "机械工业出版社", "year": 2013, "language": "chi", "material": "book", "call_number": "TP301.6/12", "copies": 2, "available": 1},
		{"local_id": "b2", "isbn": "", "title": "数据结构（C语言版）", "author": "严蔚敏", "publisher": "清华大学出版社", "year": 2007, "call_number": "TP311.12/5", "copies": 1, "available": 1},
	}}
	code, body := h.Call("POST", "/v1/holdings", "PKU", batch)
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, body)
	}
	code, body = h.Call("POST", "/v1/holdings", "RUC", map[string]any{"upserts": []map[string]any{
		{"local_id": "r9", "isbn": "9787302330981", "title": "算法导论", "author": "科尔曼", "copies": 1, "available": 0}}})
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, body)
	}
	var hits []any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, body = h.Call("GET", "/v1/catalog/search?q=算法", "THU", nil)
		hits, _ = body["results"].([]any)
		if len(hits) == 1 && hits[0].(map[string]any)["holdings"].(float64) == 2 {
			break
		}
	}
	if len(hits) != 1 {
		t.Fatalf("search 算法: %v", body)
	}
	hit := hits[0].(map[string]any)
	if hit["holdings"].(float64) != 2 || hit["available"].(float64) != 1 || hit["isbn"] != "9787302330981" {
		t.Fatalf("one union record for both libraries expected: %v", hit)
	}
	_, rec := h.Call("GET", "/v1/catalog/records/"+hit["record_id"].(string), "THU", nil)
	if libs := rec["holding_libraries"].([]any); len(libs) != 2 {
		t.Fatalf("record holdings: %v", rec)
	}
	_, body = h.Call("GET", "/v1/catalog/search?isbn=7302330980", "THU", nil) // ISBN-10 form
	if body["total"].(float64) != 1 {
		t.Errorf("isbn search: %v", body)
	}
	_, body = h.Call("GET", "/v1/catalog/search?q=严蔚敏&library=PKU&available=true", "THU", nil)
	if body["total"].(float64) != 1 {
		t.Errorf("author search: %v", body)
	}
	// Deleting a holding through the queue.
	h.Call("POST", "/v1/holdings", "RUC", map[string]any{"deletes": []string{"r9"}})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body = h.Call("GET", "/v1/catalog/search?q=算法导论", "THU", nil)
		if r, _ := body["results"].([]any); len(r) == 1 && r[0].(map[string]any)["holdings"].(float64) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delete not applied: %v", body)
		}
	}
}

func TestHistoryQuery(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	r1 := testenv.Record(t, h.St, "", "概率论与数理统计", "盛骤", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	r2 := testenv.Record(t, h.St, "", "数学分析", "华东师大", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	a := h.Submit("THU", "h-1", "H1", r1)
	h.Clock.Advance(48 * time.Hour)
	b := h.Submit("THU", "h-2", "H1", r2)
	h.WaitState(a, "THU", ill.Requested)
	h.WaitState(b, "THU", ill.Requested)
	h.Act(a, "cancel", "THU", map[string]any{"by": "staff"}, http.StatusAccepted)
	h.WaitState(a, "THU", ill.Cancelled)
	var checkTotal func(q string, total int, want ...string)
	check := func(q string, want ...string) {
		t.Helper()
		checkTotal(q, len(want), want...)
	}
	checkTotal = func(q string, total int, want ...string) {
		t.Helper()
		_, body := h.Call("GET", "/v1/requests?"+q, "THU", nil)
		var got []string
		for _, r := range body["results"].([]any) {
			got = append(got, r.(map[string]any)["request_id"].(string))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || int(body["total"].(float64)) != total {
			t.Errorf("%s: got %v (total %v), want %v", q, got, body["total"], want)
		}
	}
	check("patron_id=H1", b, a) // newest first
	check("patron_id=H1&state=CANCELLED", a)
	check("patron_id=H1&q=数学", b)
	check("patron_id=H1&from=2026-03-03", b)
	check("patron_id=H1&to=2026-03-02", a)
	checkTotal("patron_id=H1&per_page=1&page=2", 2, a)
	checkTotal("patron_id=H1&per_page=1&page=3", 2) // past the end: counted, nothing listed
	// A member system refreshes several requests at once (one query when
	// the page is not full); unknown ids are simply absent.
	check("ids="+a+","+b+",nonexistent", b, a)
	check("ids=" + b + "&state=CANCELLED")
	checkTotal("ids="+a+","+b+"&per_page=1", 2, b) // a full page: the total is counted
	// Another library's ids filter does not reveal THU's requests to it.
	if _, body := h.Call("GET", "/v1/requests?ids="+a+","+b, "RUC", nil); body["total"].(float64) != 0 {
		t.Errorf("RUC sees THU's requests by id: %v", body)
	}
	if _, body := h.Call("GET", "/v1/requests?ids="+a+","+b, ill.CentreCode, nil); body["total"].(float64) != 2 {
		t.Errorf("the centre by ids: %v", body)
	}
	// The lender sees both (it was asked), but not by THU's reader id.
	_, body := h.Call("GET", "/v1/requests", "PKU", nil)
	if body["total"].(float64) != 2 {
		t.Errorf("lender list: %v", body["total"])
	}
}
