package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// The console's search, borrower queues, batch accept and notes over the
// in-memory ports: what the pages show and what they publish.
func TestMemFindBatchAndNotes(t *testing.T) {
	m := newMemEnv(t)
	ctx := context.Background()
	pw, _ := app.HashPIN("secret-pw")
	if err := m.st.PutStaff(ctx, ill.Staff{Library: "RUC", Username: "ruc", Role: ill.StaffMember, PasswordHash: pw}); err != nil {
		t.Fatal(err)
	}
	m.st.PutRequest(ill.Request{ID: "REQ-2", Borrower: "THU", ClientRequestID: "c2", PatronID: "R1", Title: "数据结构",
		State: ill.Requested, Lender: "PKU", SubmittedAt: memNow.Add(-2 * time.Hour), UpdatedAt: memNow.Add(-2 * time.Hour),
		RespondBy: memNow.Add(22 * time.Hour), Rota: []ill.RotaEntry{{Library: "PKU", Rank: 1, Outcome: ill.OutcomeAsked}}})
	m.st.PutRequest(ill.Request{ID: "REQ-9", Borrower: "THU", ClientRequestID: "c9", PatronID: "R1", Title: "旧书",
		State: ill.Completed, Lender: "PKU", SubmittedAt: memNow.AddDate(0, -1, 0), UpdatedAt: memNow.AddDate(0, 0, -3)})
	thu, pku, ruc := m.browser(), m.browser(), m.browser()
	thu.staffLogin("THU", "thu", "secret-pw")
	pku.staffLogin("PKU", "pku", "secret-pw")
	ruc.staffLogin("RUC", "ruc", "secret-pw")

	// Search: an id goes straight to the request; card and title list it.
	if p := thu.get("/console/search?q=req-1"); p.status != http.StatusSeeOther || p.location != "/console/requests/REQ-1" {
		t.Fatalf("search by id: %d %q", p.status, p.location)
	}
	mustContain(t, "search by card", thu.get("/console/search?q=R1"), `data-id="REQ-1"`, `data-id="REQ-2"`, `data-id="REQ-9"`)
	mustContain(t, "search by title", thu.get("/console/search?q=信号"), `data-id="REQ-1"`, "共 1 条申请")
	mustContain(t, "search with state", thu.get("/console/search?q=R1&state=COMPLETED"), `data-id="REQ-9"`, "共 1 条申请")
	if p := ruc.get("/console/search?q=REQ-1"); p.status != http.StatusOK || strings.Contains(p.body, `data-id="REQ-1"`) {
		t.Fatalf("another library finds the request: %d", p.status)
	}
	if p := thu.get("/console/search?from=2026-02-31"); p.status != http.StatusBadRequest {
		t.Fatalf("bad date: %d", p.status)
	}
	mustContain(t, "console search box", thu.get("/console"), `action="/console/search"`, `id="nav-find"`,
		`data-count="with_lender">2<`, `data-count="finished">1<`)

	// Notes: THU writes to PKU; PKU sees the unread count until it opens the request.
	if p := thu.post("/console/requests/REQ-1/notes", url.Values{"text": {"  读者急需，请尽快答复  "}}); p.status != http.StatusSeeOther {
		t.Fatalf("note: %d %s", p.status, p.body)
	}
	if p := thu.post("/console/requests/REQ-1/notes", url.Values{"text": {" "}}); p.status != http.StatusBadRequest {
		t.Fatalf("empty note: %d", p.status)
	}
	if p := ruc.post("/console/requests/REQ-1/notes", url.Values{"text": {"hi"}}); p.status != http.StatusForbidden {
		t.Fatalf("stranger's note: %d", p.status)
	}
	mustContain(t, "lender console", pku.get("/console"), `data-count="unread_notes">1<`, `data-unread="REQ-1"`, "1 条未读留言")
	mustContain(t, "lender queue", pku.get("/console/queue/to_answer"), `data-unread="REQ-1"`)
	mustContain(t, "lender opens", pku.get("/console/requests/REQ-1"), "读者急需，请尽快答复", `id="notes"`, `action="/console/requests/REQ-1/notes"`)
	if p := pku.get("/console"); strings.Contains(p.body, `data-unread=`) {
		t.Fatal("unread notes still shown after opening the request")
	}
	if p := thu.get("/console"); strings.Contains(p.body, `data-unread=`) {
		t.Fatal("the author sees its own note as unread")
	}

	// Batch accept from the queue page: one message per request.
	q := pku.get("/console/queue/to_answer")
	mustContain(t, "batch form", q, `id="batch"`, `form="batch" name="id" value="REQ-1"`, `form="batch" name="id" value="REQ-2"`)
	before := len(m.pub.Messages())
	p := pku.post("/console/batch/to_answer", url.Values{"id": {"REQ-1", "REQ-2", "REQ-9"}, "token": {"bt1"}})
	mustContain(t, "batch result", p, `data-id="REQ-1" data-outcome="queued"`, `data-id="REQ-2" data-outcome="queued"`,
		`data-id="REQ-9" data-outcome="refused"`, "3 条申请中已提交 2 条")
	msgs := m.pub.Messages()[before:]
	if len(msgs) != 2 || msgs[0].Action != ill.ActRespond || msgs[0].ID == msgs[1].ID {
		t.Fatalf("batch published %+v", msgs)
	}
	if p := thu.post("/console/batch/to_answer", url.Values{"id": {"REQ-1"}, "token": {"bt2"}}); !strings.Contains(p.body, `data-outcome="refused"`) {
		t.Fatalf("the borrower's batch accept was not refused: %s", p.body)
	}
	if p := pku.post("/console/batch/cancel_asks", url.Values{"id": {"REQ-1"}}); p.status != http.StatusNotFound {
		t.Fatalf("a queue without batch: %d", p.status)
	}
}
