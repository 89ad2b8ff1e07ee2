package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// The desk finds everything, on the real producer and consumers: the
// borrower finds its REQUESTED request by id, card and title (and by
// barcode once shipped), another library does not, the centre does; the
// borrower's "with a lender" queue counts it; the lender accepts two
// requests in one batch and ships one with its barcode; a note by the
// borrower shows as unread on the lender's console until the lender
// opens the request; the JSON API lists the same and exposes the notes.
func TestFindBatchAndNotes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec1 := testenv.Record(t, e.st, "", "信号与系统", "郑君里", testenv.Holding{Library: "PKU", Available: 2, Lendable: true})
	rec2 := testenv.Record(t, e.st, "", "数据结构", "严蔚敏", testenv.Holding{Library: "PKU", Available: 2, Lendable: true})
	e.addReader("THU", "T1", "123456", false)
	reader := e.browser()
	reader.readerLogin("THU", "T1", "123456")
	id1 := requestIDFrom(t, reader.post("/requests", url.Values{"record_id": {fmt.Sprint(rec1)}, "token": {"a"}}))
	id2 := requestIDFrom(t, reader.post("/requests", url.Values{"record_id": {fmt.Sprint(rec2)}, "token": {"b"}}))
	e.waitState(id1, ill.Requested)
	e.waitState(id2, ill.Requested)

	e.addStaff("PKU", "pku", "staff")
	e.addStaff("THU", "thu", "staff")
	e.addStaff("RUC", "ruc", "staff")
	e.addStaff("CENTRE", "admin", "centre_admin")
	pku, thu, ruc, admin := e.browser(), e.browser(), e.browser(), e.browser()
	pku.staffLogin("PKU", "pku", "secret-pku")
	thu.staffLogin("THU", "thu", "secret-thu")
	ruc.staffLogin("RUC", "ruc", "secret-ruc")
	admin.staffLogin("CENTRE", "admin", "secret-admin")

	// Search by id (straight to the request), card, title.
	if p := thu.get("/console/search?q=" + strings.ToLower(id1)); p.status != http.StatusSeeOther || p.location != "/console/requests/"+id1 {
		t.Fatalf("borrower searches by id: %d %q", p.status, p.location)
	}
	mustContain(t, "by card", thu.get("/console/search?q=T1"), `data-id="`+id1+`"`, `data-id="`+id2+`"`, "共 2 条申请")
	mustContain(t, "by title", thu.get("/console/search?q="+url.QueryEscape("信号")), `data-id="`+id1+`"`, "共 1 条申请")
	if p := ruc.get("/console/search?q=" + id1); p.status != http.StatusOK || strings.Contains(p.body, `data-id="`+id1+`"`) {
		t.Fatalf("another library finds the request: %d", p.status)
	}
	if p := admin.get("/console/search?q=" + id1); p.status != http.StatusSeeOther || p.location != "/console/requests/"+id1 {
		t.Fatalf("centre searches by id: %d %q", p.status, p.location)
	}
	mustContain(t, "centre by card", admin.get("/console/search?q=T1"), `data-id="`+id1+`"`)
	// The borrower sees both in "with a lender".
	mustContain(t, "borrower queues", thu.get("/console"), `data-count="with_lender">2<`, `data-count="finished">0<`)
	mustContain(t, "with a lender", thu.get("/console/queue/with_lender"), id1, id2)

	// A batch accept of two.
	p := pku.post("/console/batch/to_answer", url.Values{"id": {id1, id2}, "token": {"batch-1"}})
	mustContain(t, "batch accept", p, `data-id="`+id1+`" data-outcome="queued"`, `data-id="`+id2+`" data-outcome="queued"`)
	e.waitState(id1, ill.WillSupply)
	e.waitState(id2, ill.WillSupply)
	// A batch ship with a barcode per row; a row without one is refused.
	mustContain(t, "ship form", pku.get("/console/queue/to_ship"), `name="barcode-`+id1+`"`)
	p = pku.post("/console/batch/to_ship", url.Values{"id": {id1, id2}, "barcode-" + id1: {"PKU-BC-1"}, "token": {"batch-2"}})
	mustContain(t, "batch ship", p, `data-id="`+id1+`" data-outcome="queued"`, `data-id="`+id2+`" data-outcome="refused"`)
	e.waitState(id1, ill.Shipped)
	if p := thu.get("/console/search?q=PKU-BC-1"); p.status != http.StatusSeeOther || p.location != "/console/requests/"+id1 {
		t.Fatalf("borrower searches by barcode: %d %q", p.status, p.location)
	}
	mustContain(t, "still with a lender", thu.get("/console"), `data-count="with_lender">2<`)

	// A note from the borrower: unread on the lender's console until opened.
	if p := thu.post("/console/requests/"+id2+"/notes", url.Values{"text": {"读者下周出差，请本周寄出"}}); p.status != http.StatusSeeOther {
		t.Fatalf("note: %d %s", p.status, p.body)
	}
	mustContain(t, "lender console", pku.get("/console"), `data-count="unread_notes">1<`, `data-unread="`+id2+`"`)
	mustContain(t, "lender opens", pku.get("/console/requests/"+id2), "读者下周出差，请本周寄出")
	if p := pku.get("/console"); strings.Contains(p.body, `data-unread=`) {
		t.Fatal("unread notes still shown after the lender opened the request")
	}

	// The JSON API: the same filters, and the notes.
	code, out := e.apiCall("GET", "/v1/requests?text=T1", "THU", nil)
	if code != 200 || out["total"] != float64(2) {
		t.Fatalf("GET /v1/requests?text=T1: %d %v", code, out)
	}
	code, out = e.apiCall("GET", "/v1/requests?barcode=PKU-BC-1&library=THU", "PKU", nil)
	if code != 200 || out["total"] != float64(1) {
		t.Fatalf("GET /v1/requests?barcode=: %d %v", code, out)
	}
	code, out = e.apiCall("GET", "/v1/requests?text=T1", "PKU", nil)
	if code != 200 || out["total"] != float64(0) {
		t.Fatalf("the lender searches the borrower's card: %d %v", code, out)
	}
	code, out = e.apiCall("GET", "/v1/requests/"+id2+"/notes", "PKU", nil)
	if res, _ := out["results"].([]any); code != 200 || len(res) != 1 || res[0].(map[string]any)["text"] != "读者下周出差，请本周寄出" {
		t.Fatalf("GET notes: %d %v", code, out)
	}
	code, out = e.apiCall("POST", "/v1/requests/"+id2+"/notes", "PKU", map[string]any{"text": "已安排，明天寄出"})
	if code != 201 || out["to"] != "THU" || out["via"] != "api" {
		t.Fatalf("POST note: %d %v", code, out)
	}
	if code, out := e.apiCall("GET", "/v1/requests/"+id2+"/notes", "RUC", nil); code != 403 {
		t.Fatalf("a stranger reads the notes: %d %v", code, out)
	}
	if code, out := e.apiCall("POST", "/v1/requests/"+id2+"/notes", "THU", map[string]any{"text": ""}); code != 400 {
		t.Fatalf("empty note: %d %v", code, out)
	}
	mustContain(t, "borrower console", thu.get("/console"), `data-count="unread_notes">1<`, `data-unread="`+id2+`"`)
}
