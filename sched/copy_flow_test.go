package sched_test

// Copy requests (文献传递) end to end against the real MariaDB and
// RabbitMQ, with the consumers running: an article routed by its journal's
// serial holdings, answered, delivered and closed; the limits; a missed
// deliver deadline moving the request on (docs/copies.md).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/pdf/pdftest"
	"github.com/balis/illhub/service"
)

// serials posts holdings of the journal ISSN 0254-4164 (计算机学报) for
// PKU (1998-2010, 2015 on) and RUC (every year), and one of another
// journal for BNU, through the API's holdings batch, and waits until the
// holdings consumer stored them.
func serials(t *testing.T, h *harness.Harness) {
	t.Helper()
	for _, c := range []struct{ lib, issn, coverage string }{
		{"PKU", "0254-4164", "1998-2010,2015-"}, {"RUC", "02544164", ""}, {"BNU", "0378-5955", ""},
	} {
		code, body := h.Call("POST", "/v1/holdings", c.lib, map[string]any{"upserts": []map[string]any{{
			"local_id": "J-" + c.lib, "title": "计算机学报 " + c.issn, "material": "journal", "issn": c.issn,
			"coverage": c.coverage, "copies": 1, "available": 1}}})
		if code != http.StatusAccepted {
			t.Fatalf("holdings %s: %d %v", c.lib, code, body)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM holdings WHERE issn IN ('0254-4164', '0378-5955')`)
		if n == 3 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("serial holdings not stored")
}

func submitCopy(t *testing.T, h *harness.Harness, borrower, client, patron string, item map[string]any, extra map[string]any) (int, map[string]any) {
	t.Helper()
	body := map[string]any{"client_request_id": client, "service_type": "copy",
		"patron": map[string]any{"id": patron, "name": "读者" + patron}, "item": item}
	for k, v := range extra {
		body[k] = v
	}
	return h.Call("POST", "/v1/requests", borrower, body)
}

func article(year int) map[string]any {
	return map[string]any{"journal_title": "计算机学报", "issn": "0254-4164", "year": year, "volume": "43",
		"issue": "1", "pages": "1-12", "article_title": "深度学习研究综述", "authors": "张三; 李四",
		"doi": "10.11897/SP.J.1016.2020.00001"}
}

func TestCopyArticleRoutedDeliveredClosed(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	serials(t, h)

	// 2012 lies outside PKU's runs: only RUC (every year) is a candidate.
	code, b := submitCopy(t, h, "THU", "c-2012", "C1", article(2012), nil)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %v", code, b)
	}
	r := h.WaitState(b["request_id"].(string), "THU", ill.Requested)
	if rota := r["rota"].([]any); len(rota) != 1 || rota[0].(map[string]any)["library"] != "RUC" {
		t.Fatalf("2012: rota %v, want RUC only", rota)
	}

	// 2020: PKU and RUC hold it; submitted Monday 2026-03-02 10:00.
	code, b = submitCopy(t, h, "THU", "c-2020", "C1", article(2020), nil)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %v", code, b)
	}
	id := b["request_id"].(string)
	r = h.WaitState(id, "THU", ill.Requested)
	if r["service_type"] != "copy" || len(r["rota"].([]any)) != 2 {
		t.Fatalf("request %v", r)
	}
	lender := r["lender"].(string)
	if r["respond_by"] != "2026-03-03T23:59:59+08:00" || r["deliver_by"] != "2026-03-05T23:59:59+08:00" || r["ship_by"] != nil {
		t.Fatalf("deadlines: respond %v deliver %v ship %v", r["respond_by"], r["deliver_by"], r["ship_by"])
	}
	item := r["item"].(map[string]any)
	if item["issn"] != "0254-4164" || item["pages"] != "1-12" || item["doi"] != "10.11897/SP.J.1016.2020.00001" ||
		item["year"] != float64(2020) || r["title"] != "深度学习研究综述" {
		t.Fatalf("citation %v title %v", item, r["title"])
	}
	// A copy is not shipped: refused at once, in its state.
	if out := h.Act(id, "ship", lender, map[string]any{"item_barcode": "B1"}, http.StatusConflict); harness.ErrCode(out) != "invalid_transition" {
		t.Fatalf("ship a copy: %v", out)
	}
	h.Act(id, "respond", lender, map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	r = h.WaitState(id, "THU", ill.WillSupply)
	if r["deliver_by"] != "2026-03-05T23:59:59+08:00" || r["ship_by"] != nil {
		t.Fatalf("will supply keeps deliver_by, sets no ship_by: %v %v", r["deliver_by"], r["ship_by"])
	}
	if out := h.Act(id, "deliver", lender, map[string]any{}, http.StatusBadRequest); harness.ErrCode(out) != "bad_request" {
		t.Fatalf("deliver without a file: %v", out)
	}
	h.Act(id, "deliver", lender, map[string]any{"file_id": "F-test-1"}, http.StatusAccepted)
	r = h.WaitState(id, "THU", ill.Delivered)
	if r["delivery_file_id"] != "F-test-1" || r["deliver_by"] != nil {
		t.Fatalf("delivered: file %v deliver_by %v", r["delivery_file_id"], r["deliver_by"])
	}
	var notices int
	_ = h.St.DB.Get(&notices, `SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'copy_delivered' AND patron_id = 'C1'`, id)
	if notices != 1 {
		t.Fatalf("copy_delivered notices to the reader: %d", notices)
	}

	// The hub closes it (the download limit reached): COMPLETED; a repeat
	// is the same message, applied once.
	uses := app.New(app.Config{Store: h.St, Publisher: h.Pub, Clock: h.Clock})
	for range 2 {
		if err := uses.CloseDelivery(context.Background(), id, ill.CloseDownloaded); err != nil {
			t.Fatal(err)
		}
	}
	r = h.WaitState(id, "THU", ill.Completed)
	closes := 0
	for _, e := range harness.Events(r) {
		if e["action"] == "close_delivery" {
			closes++
		}
	}
	if closes != 1 {
		t.Fatalf("close_delivery lines: %d, want 1: %v", closes, harness.Events(r))
	}
	if err := uses.CloseDelivery(context.Background(), id, "read"); ill.ErrorCode(err) != ill.CodeBadRequest {
		t.Fatalf("close_delivery for no reason: %v", err)
	}
}

func TestCopyLimitsAndRefusals(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	serials(t, h)
	rec := testenv.Record(t, h.St, "", "电路", "邱关源", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})

	// A book part over a third of the book: refused at once with the code.
	code, b := submitCopy(t, h, "THU", "p-big", "C2", map[string]any{"pages": "1-120", "book_pages": 300},
		map[string]any{"record_id": fmt.Sprint(rec)})
	if code != http.StatusUnprocessableEntity || harness.ErrCode(b) != "copy_too_large" {
		t.Fatalf("over a third: %d %v", code, b)
	}
	// A third is fine, routed to the book's holder.
	code, b = submitCopy(t, h, "THU", "p-ok", "C2", map[string]any{"pages": "1-100", "book_pages": 300, "chapter": "第1章"},
		map[string]any{"record_id": fmt.Sprint(rec)})
	if code != http.StatusAccepted {
		t.Fatalf("a third: %d %v", code, b)
	}
	r := h.WaitState(b["request_id"].(string), "THU", ill.Requested)
	if r["lender"] != "PKU" || r["item"].(map[string]any)["pages"] != "1-100" {
		t.Fatalf("book part: %v", r)
	}
	// Copy fields on a loan, rush on a loan: bad requests.
	for _, extra := range []map[string]any{{"service_type": "loan"}, {"service_type": "scan"}} {
		if code, b := submitCopy(t, h, "THU", "p-bad", "C2", article(2020), extra); code != http.StatusBadRequest {
			t.Fatalf("%v: %d %v", extra, code, b)
		}
	}
	// A DOI without a journal: held for mediation, as an unknown item is.
	code, b = submitCopy(t, h, "THU", "p-doi", "C2", map[string]any{"doi": "10.1000/182"}, nil)
	if code != http.StatusAccepted {
		t.Fatalf("doi: %d %v", code, b)
	}
	h.WaitState(b["request_id"].(string), "THU", ill.NeedsMediation)

	// The copy limit (THU's copy_limit lowered to 3) counts open copies
	// only; the loan limit (R3, 3) ignores copies.
	if err := h.St.SetCopyTerms(context.Background(), "THU", ill.CopyTerms{RespondDays: 1, DeliverDays: 3, Limit: 3}); err != nil {
		t.Fatal(err)
	}
	code, b = submitCopy(t, h, "THU", "p-3", "C2", article(2021), nil) // C2 has 2 open copies: the third
	if code != http.StatusAccepted {
		t.Fatal(code, b)
	}
	h.WaitState(b["request_id"].(string), "THU", ill.Requested)
	code, b = submitCopy(t, h, "THU", "p-4", "C2", article(2022), nil)
	if code != http.StatusAccepted {
		t.Fatal(code, b)
	}
	r = h.WaitState(b["request_id"].(string), "THU", ill.Rejected)
	if r["reason"] != "over_limit" {
		t.Fatalf("the fourth copy: %v", r["reason"])
	}
	loan := h.Submit("THU", "l-1", "C2", rec) // C2 has 3 open copies but no loan
	h.WaitState(loan, "THU", ill.Requested)
	// The borrower holding the journal itself copies the article locally.
	code, b = submitCopy(t, h, "PKU", "own", "P9", article(2020), nil)
	if code != http.StatusAccepted {
		t.Fatal(code, b)
	}
	if r := h.WaitState(b["request_id"].(string), "PKU", ill.Rejected); r["reason"] != "held_locally" {
		t.Fatalf("held locally: %v", r["reason"])
	}
}

func TestCopyDeliverDeadlineMovesToNextSupplier(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	serials(t, h)
	code, b := submitCopy(t, h, "THU", "d-1", "C3", article(2020), nil)
	if code != http.StatusAccepted {
		t.Fatal(code, b)
	}
	id := b["request_id"].(string)
	r := h.WaitState(id, "THU", ill.Requested)
	first := r["lender"].(string)
	h.Act(id, "respond", first, map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.WillSupply)
	jobs := h.Jobs()
	if n := harness.RunJob(t, jobs, "deliver-deadline", harness.Shanghai(2026, 3, 5, 23, 0)); n != 0 {
		t.Fatalf("before deliver_by the job moved %d", n)
	}
	// Friday 2026-03-06: deliver_by (Thursday's end) passed; run twice.
	now := harness.Shanghai(2026, 3, 6, 9, 0)
	if n := harness.RunJob(t, jobs, "deliver-deadline", now); n != 1 {
		t.Fatalf("moved %d, want 1", n)
	}
	harness.RunJob(t, jobs, "deliver-deadline", now)
	r = h.WaitFor(id, "THU", "the next supplier", func(b map[string]any) bool { return b["lender"] != first })
	if r["state"] != string(ill.Requested) || r["respond_by"] != "2026-03-09T23:59:59+08:00" ||
		r["deliver_by"] != "2026-03-11T23:59:59+08:00" {
		t.Fatalf("at the next supplier: %v %v %v", r["state"], r["respond_by"], r["deliver_by"])
	}
	if o := r["rota"].([]any)[0].(map[string]any)["outcome"]; o != "not_delivered" {
		t.Fatalf("the first supplier's outcome %v", o)
	}
	// The last supplier misses it too: UNFILLED, not_delivered.
	if n := harness.RunJob(t, jobs, "deliver-deadline", harness.Shanghai(2026, 3, 12, 9, 0)); n != 1 {
		t.Fatalf("moved %d, want 1", n)
	}
	if r = h.WaitState(id, "THU", ill.Unfilled); r["reason"] != "not_delivered" {
		t.Fatalf("reason %v", r["reason"])
	}
}

// TestCopyISO18626BothWays: an ISO 18626 member (THU) asks the hub for a
// copy of an article (serviceType Copy); it is routed to the serial's
// holder PKU, itself an ISO member, which gets a Copy request with the
// article's fields, delivers it with CopyCompleted and a URL; THU gets
// CopyCompleted with that URL. Every message either way is checked
// against the XSD (the doubles and PostISO).
func TestCopyISO18626BothWays(t *testing.T) {
	h := harness.New(t, 3)
	thu, pku := harness.NewMemberDouble(t), harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	harness.RegisterISO(t, h.St, "PKU", pku.URL(), "")
	h.Cfg.PublicURL = h.API.URL // the base of the hub's signed links for ISO borrowers
	h.StartConsumers(nil)
	serials(t, h)
	now := h.Clock.Now()
	m := harness.ISORequest("THU", "BALIS", "iso-copy-1", "T77", "", "计算机学报", now)
	m.Request.ServiceInfo.ServiceType = iso18626.ServiceCopy
	m.Request.BibliographicInfo = iso18626.BibliographicInfo{Title: "计算机学报", TitleOfComponent: "深度学习研究综述",
		AuthorOfComponent: "张三", Volume: "43", Issue: "1", PagesRequested: "1-12",
		BibliographicItemID: []iso18626.BibliographicItemID{{Identifier: "0254-4164", Code: iso18626.SchemeValue{Value: "ISSN"}},
			{Identifier: "10.11897/SP.J.1016.2020.00001", Code: iso18626.SchemeValue{Value: "DOI"}}}}
	m.Request.PublicationInfo = &iso18626.PublicationInfo{PublicationDate: "2020"}
	if _, c := h.PostISOMessage(m); c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
		t.Fatalf("request refused: %+v", c)
	}
	id := ill.RequestID("THU", "iso-copy-1")
	r := h.WaitState(id, "THU", ill.Requested)
	if r["service_type"] != "copy" || r["lender"] != "PKU" || r["item"].(map[string]any)["issn"] != "0254-4164" {
		t.Fatalf("routed: %v", r)
	}
	got := pku.WaitMessage("the Copy request", func(m *iso18626.Message) bool { return m.Request != nil })
	bi := got.Request.BibliographicInfo
	if got.Request.ServiceInfo.ServiceType != iso18626.ServiceCopy || bi.Title != "计算机学报" || bi.TitleOfComponent != "深度学习研究综述" ||
		bi.PagesRequested != "1-12" || bi.Identifier("ISSN") != "0254-4164" || bi.Identifier("DOI") != "10.11897/SP.J.1016.2020.00001" {
		t.Fatalf("request to PKU: %+v %+v", got.Request.ServiceInfo, bi)
	}
	// A CopyCompleted without the URL is refused; with it, delivered.
	done := harness.ISOSAM("PKU", "THU", "iso-copy-1", iso18626.ReasonRequestResponse, iso18626.StatusCopyCompleted, now)
	if _, c := h.PostISOMessage(done); c.ConfirmationHeader.MessageStatus == iso18626.StatusOK {
		t.Fatal("CopyCompleted without a URL accepted")
	}
	url := "https://ill.pku.edu.cn/copies/iso-copy-1.pdf"
	done.SupplyingAgencyMessage.DeliveryInfo = &iso18626.DeliveryInfo{DateSent: iso18626.Time(now), ItemID: url,
		SentVia: &iso18626.SchemeValue{Value: "URL"}}
	if _, c := h.PostISOMessage(done); c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
		t.Fatalf("CopyCompleted refused: %+v", c)
	}
	r = h.WaitState(id, "THU", ill.Delivered)
	if r["delivery_file_id"] != ill.CopyFileRef(url) {
		t.Fatalf("file %v", r["delivery_file_id"])
	}
	told := thu.WaitMessage("CopyCompleted to the borrower", func(m *iso18626.Message) bool {
		s := m.SupplyingAgencyMessage
		return s != nil && s.StatusInfo.Status == iso18626.StatusCopyCompleted
	})
	if d := told.SupplyingAgencyMessage.DeliveryInfo; d == nil || d.ItemID != url || d.SentVia == nil || d.SentVia.Value != "URL" {
		t.Fatalf("delivery info to THU: %+v", told.SupplyingAgencyMessage.DeliveryInfo)
	}

	// A copy a hub member uploads: the ISO borrower gets the hub's signed
	// download link. 2012 lies outside PKU's runs, so RUC (no ISO) supplies.
	m = harness.ISORequest("THU", "BALIS", "iso-copy-2", "T78", "", "计算机学报", now)
	m.Request.ServiceInfo.ServiceType = iso18626.ServiceCopy
	m.Request.BibliographicInfo = iso18626.BibliographicInfo{Title: "计算机学报", TitleOfComponent: "深度学习研究综述",
		PagesRequested: "1-12", BibliographicItemID: []iso18626.BibliographicItemID{{Identifier: "0254-4164", Code: iso18626.SchemeValue{Value: "ISSN"}}}}
	m.Request.PublicationInfo = &iso18626.PublicationInfo{PublicationDate: "2012"}
	if _, c := h.PostISOMessage(m); c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
		t.Fatalf("request refused: %+v", c)
	}
	id2 := ill.RequestID("THU", "iso-copy-2")
	if r := h.WaitState(id2, "THU", ill.Requested); r["lender"] != "RUC" {
		t.Fatalf("2012 routed to %v, want RUC", r["lender"])
	}
	req, _ := http.NewRequest("POST", h.API.URL+"/v1/requests/"+id2+"/file", bytes.NewReader(pdftest.Pages(2)))
	req.Header.Set("Authorization", "Bearer "+ill.DemoKey("RUC"))
	req.Header.Set("Content-Type", "application/pdf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	h.WaitState(id2, "THU", ill.Delivered)
	told = thu.WaitMessage("CopyCompleted with the hub's link", func(m *iso18626.Message) bool {
		s := m.SupplyingAgencyMessage
		return s != nil && s.StatusInfo.Status == iso18626.StatusCopyCompleted && s.Header.RequestingAgencyRequestID == "iso-copy-2"
	})
	d := told.SupplyingAgencyMessage.DeliveryInfo
	if d == nil || d.SentVia == nil || d.SentVia.Value != "URL" || !strings.HasPrefix(d.ItemID, h.API.URL+"/download/") {
		t.Fatalf("delivery info to THU: %+v", d)
	}
	token := strings.TrimPrefix(d.ItemID, h.API.URL+"/download/")
	secret, err := service.LinkSecret(h.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	link, err := ill.VerifyLink(secret, token, h.Clock.Now())
	if err != nil || link.RequestID != id2 {
		t.Fatalf("the link does not verify for %s: %+v %v", id2, link, err)
	}
	got2, err := http.Get(d.ItemID)
	if err != nil {
		t.Fatal(err)
	}
	pdfBytes, _ := io.ReadAll(got2.Body)
	_ = got2.Body.Close()
	if got2.StatusCode != http.StatusOK || !ill.LooksLikePDF(pdfBytes) {
		t.Fatalf("download: %d %q", got2.StatusCode, pdfBytes[:min(len(pdfBytes), 40)])
	}
}

// The daily roll-up is split by service type: one loan (shipped and
// received) and one copy (delivered) borrowed by THU on the same day give a
// loan row and a copy row; the copy's deliver counts as its lender's fill
// and its borrower's receipt; the summary report filters by service type.
func TestRollupSplitByServiceType(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	serials(t, h)
	loansDue(h, 1, "rs", harness.Shanghai(2026, 3, 2, 10, 0))
	code, b := submitCopy(t, h, "THU", "rs-copy", "C9", article(2020), nil)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %v", code, b)
	}
	id := b["request_id"].(string)
	lender := h.WaitState(id, "THU", ill.Requested)["lender"].(string)
	h.Clock.Set(harness.Shanghai(2026, 3, 2, 15, 0))
	h.Act(id, "respond", lender, map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.WillSupply)
	h.Act(id, "deliver", lender, map[string]any{"file_id": "F-rs-1"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Delivered)

	jobs := h.Jobs()
	for range 2 { // a rerun replaces the day
		harness.RunJob(t, jobs, "rollup", harness.Shanghai(2026, 3, 3, 1, 30))
	}
	type row struct {
		Library  string `db:"library_code"`
		Service  string `db:"service_type"`
		Borrowed int    `db:"borrowed"`
		Lent     int    `db:"lent"`
		Filled   int    `db:"filled"`
		Received int    `db:"received"`
		Turn     int64  `db:"turnaround_sum_s"`
		Transit  int64  `db:"transit_sum_s"`
	}
	var rows []row
	if err := h.St.DB.Select(&rows, `SELECT library_code, service_type, borrowed, lent, filled, received, turnaround_sum_s,
		transit_sum_s FROM stats_daily WHERE day = '2026-03-02' ORDER BY library_code, service_type`); err != nil {
		t.Fatal(err)
	}
	got := map[string]row{}
	for _, r := range rows {
		got[r.Library+"/"+r.Service] = r
	}
	if len(rows) != 4 && !(lender == "PKU" && len(rows) == 3) {
		t.Fatalf("rows %+v (copy lender %s)", rows, lender)
	}
	if l := got["THU/loan"]; l.Borrowed != 1 || l.Received != 1 {
		t.Errorf("THU loans: %+v", l)
	}
	// The copy: submitted at 10:00, delivered at 15:00, no transit.
	if c := got["THU/copy"]; c.Borrowed != 1 || c.Received != 1 || c.Turn != 5*3600 || c.Transit != 0 {
		t.Errorf("THU copies: %+v", c)
	}
	if l := got["PKU/loan"]; l.Lent != 1 || l.Filled != 1 {
		t.Errorf("PKU loans: %+v", l)
	}
	if c := got[lender+"/copy"]; c.Lent != 1 || c.Filled != 1 {
		t.Errorf("%s copies: %+v", lender, c)
	}

	// The summary report: copies only, loans only, both.
	for _, c := range []struct {
		service        string
		borrowed, recv float64
		turnaroundH    float64
	}{{"copy", 1, 1, 5}, {"loan", 1, 1, -1}, {"all", 2, 2, -1}, {"", 2, 2, -1}} {
		status, rep := h.Call("GET", "/v1/reports/summary?from=2026-03-02&to=2026-03-02&service_type="+c.service, "THU", nil)
		if status != http.StatusOK {
			t.Fatalf("summary %q: %d %v", c.service, status, rep)
		}
		rs := rep["rows"].([]any)
		if len(rs) != 1 {
			t.Fatalf("summary %q rows %v", c.service, rs)
		}
		r := rs[0].(map[string]any)
		if r["borrowed"] != c.borrowed || r["received"] != c.recv || (c.turnaroundH >= 0 && r["turnaround_h"] != c.turnaroundH) {
			t.Errorf("summary %q: %v", c.service, r)
		}
		if want := map[string]any{"copy": "copy", "loan": "loan"}[c.service]; rep["service_type"] != want {
			t.Errorf("summary %q: service_type %v", c.service, rep["service_type"])
		}
	}
	if status, rep := h.Call("GET", "/v1/reports/summary?service_type=book", "THU", nil); status != http.StatusBadRequest {
		t.Fatalf("service_type=book: %d %v", status, rep)
	}

	// The request list filters by service type too.
	for _, c := range []struct {
		service string
		total   float64
	}{{"copy", 1}, {"loan", 1}, {"all", 2}, {"", 2}} {
		status, list := h.Call("GET", "/v1/requests?service_type="+c.service, "THU", nil)
		if status != http.StatusOK || list["total"] != c.total {
			t.Fatalf("list %q: %d %v", c.service, status, list["total"])
		}
		for _, r := range list["results"].([]any) {
			if st := r.(map[string]any)["service_type"]; c.service == "copy" && st != "copy" || c.service == "loan" && st != "loan" {
				t.Fatalf("list %q: a %v request", c.service, st)
			}
		}
	}
	if status, _ := h.Call("GET", "/v1/requests?service_type=book", "THU", nil); status != http.StatusBadRequest {
		t.Fatalf("list service_type=book: %d", status)
	}
}
