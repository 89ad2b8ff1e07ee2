package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/xuri/excelize/v2"
)

// addViolations records violations straight into the store (as the
// courier pool's return check does) and returns their ids, in order.
func (e *env) addViolations(vs ...ill.ViolationRow) []int64 {
	e.t.Helper()
	ctx := context.Background()
	for _, v := range vs {
		if err := e.st.InTx(ctx, func(tx *mysql.Tx) error { _, err := tx.AddViolation(ctx, v); return err }); err != nil {
			e.t.Fatal(err)
		}
	}
	rows, err := e.st.ViolationList(ctx, ill.ViolationQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]int64, len(rows))
	for i, v := range rows {
		ids[i] = v.ID
	}
	return ids
}

// The lender settles from the console, once; the borrower sees the
// violation and its settlement but gets no form and is refused; the
// monthly statement (CSV with a BOM, XLSX, HTML) lists the month's
// violations of the library with the right totals, Excel-safe.
func TestMoneySettleAndStatement(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addStaff("PKU", "li", ill.StaffMember)
	e.addStaff("THU", "wang", ill.StaffMember)
	mar := time.Date(2026, 3, 1, 9, 0, 0, 0, ill.Shanghai)
	ids := e.addViolations(
		ill.ViolationRow{RequestID: "ILL-A", Kind: ill.ViolationOverdue, Lender: "PKU", Borrower: "THU", PatronID: "=1+1",
			Days: 3, AmountFen: 150, Note: "returned 3 day(s) after the due date", CreatedAt: mar},
		ill.ViolationRow{RequestID: "ILL-A", Kind: ill.ViolationDamaged, Lender: "PKU", Borrower: "THU", PatronID: "P2",
			AmountFen: 2000, CreatedAt: mar.Add(time.Hour)},
		ill.ViolationRow{RequestID: "ILL-B", Kind: ill.ViolationLost, Lender: "THU", Borrower: "RUC", PatronID: "P3",
			AmountFen: 8000, CreatedAt: mar.Add(2 * time.Hour)},
		ill.ViolationRow{RequestID: "ILL-C", Kind: ill.ViolationLost, Lender: "PKU", Borrower: "THU", PatronID: "P4",
			AmountFen: 9900, CreatedAt: mar.AddDate(0, -1, 0)}, // February: not on March's statement
	)
	overdue := ids[1] // ids are oldest first: February's is ids[0]
	pku, thu := e.browser(), e.browser()
	pku.staffLogin("PKU", "li", "secret-li")
	thu.staffLogin("THU", "wang", "secret-wang")

	p := thu.get("/console/violations?month=2026-03&role=borrower")
	mustContain(t, "borrower's list", p, `data-violation="`+strconv.FormatInt(overdue, 10)+`"`, "待结算", "PKU图书馆")
	if strings.Contains(p.body, "data-settle=") {
		t.Fatalf("the borrower is offered a settle form:\n%s", p.body)
	}
	settle := "/console/violations/" + strconv.FormatInt(overdue, 10) + "/settle"
	if p := thu.post(settle, url.Values{"state": {"paid"}}); p.status != http.StatusForbidden {
		t.Fatalf("the borrower settles: %d", p.status)
	}
	p = pku.get("/console/violations?state=pending")
	mustContain(t, "lender's list", p, `data-settle="`+strconv.FormatInt(overdue, 10)+`"`)
	if p := pku.post(settle, url.Values{"state": {"paid"}, "csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", p.status)
	}
	p = pku.post(settle, url.Values{"state": {"paid"}, "note": {"现金"}, "back": {"/console/violations?state=pending"}})
	if p.status != http.StatusSeeOther || p.location != "/console/violations?state=pending&msg=money.settled" {
		t.Fatalf("settle: %d %q\n%s", p.status, p.location, p.body)
	}
	v, err := e.st.ViolationByID(context.Background(), overdue)
	if err != nil || v.State != ill.SettlementPaid || v.SettledBy != "PKU/li" || v.SettleNote != "现金" || v.SettledAt.IsZero() {
		t.Fatalf("after settling: %+v %v", v, err)
	}
	if p := pku.post(settle, url.Values{"state": {"waived"}}); p.status != http.StatusConflict {
		t.Fatalf("settling again: %d", p.status)
	}
	mustContain(t, "borrower sees the settlement", thu.get("/console/violations"), "已缴纳", "PKU/li")

	// the statement: THU is party to three of March's violations
	p = thu.get("/console/violations/statement?month=2026-03")
	mustContain(t, "statement page", p, `data-total="all"`, "101.50", "2026-03")
	res := thu.do("GET", "/console/violations/statement?month=2026-03&format=csv&lang=en", nil)
	if res.status != 200 || !strings.HasPrefix(res.body, "\uFEFF") {
		t.Fatalf("CSV: %d, starts %q", res.status, res.body[:min(len(res.body), 20)])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.body, "\uFEFF")))
	r.FieldsPerRecord = -1 // the rows, an empty separator row, then the totals
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "Recorded" || len(recs) < 4 {
		t.Fatalf("CSV header %v (%d records)", recs[0], len(recs))
	}
	lines := map[string][]string{}
	var patrons []string
	for _, r := range recs[1:] {
		if len(r) >= 14 {
			patrons = append(patrons, r[6])
			if r[1] == "ILL-C" {
				t.Errorf("February's violation on March's statement: %v", r)
			}
		}
		if len(r) == 4 {
			lines[r[0]+"/"+r[1]] = r
		}
	}
	if len(patrons) != 3 || patrons[0] != "'=1+1" {
		t.Errorf("statement rows' cards %v (want 3, the formula neutralised)", patrons)
	}
	for key, want := range map[string][2]string{"Total/": {"3", "101.50"}, "By settlement/Pending": {"2", "100.00"},
		"By settlement/Paid": {"1", "1.50"}, "By settlement/Waived": {"0", "0.00"}, "By kind/Lost": {"1", "80.00"},
		"By kind/Damaged": {"1", "20.00"}} {
		if got := lines[key]; got == nil || got[2] != want[0] || got[3] != want[1] {
			t.Errorf("total %s: %v, want %v", key, got, want)
		}
	}
	if hd := thu.headers("/console/violations/statement?month=2026-03&format=csv"); hd.Get("Content-Disposition") != "attachment; filename=statement_2026-03_THU.csv" ||
		hd.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(hd.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV headers %v", hd)
	}

	res = thu.do("GET", "/console/violations/statement?month=2026-03&format=xlsx&lang=zh", nil)
	f, err := excelize.OpenReader(bytes.NewReader([]byte(res.body)))
	if err != nil {
		t.Fatalf("XLSX: %d %v", res.status, err)
	}
	defer f.Close()
	rows, err := f.GetRows("statement")
	if err != nil || len(rows) < 4 || rows[0][0] != "记录日期" {
		t.Fatalf("XLSX rows %v %v", rows, err)
	}
	typ, _ := f.GetCellType("statement", "I2")
	val, _ := f.GetCellValue("statement", "I2")
	if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString || val != "1.50" {
		t.Errorf("amount cell I2: %q (type %v), want the number 1.50", val, typ)
	}
	if p := thu.get("/console/violations/statement?month=2026-3x"); p.status != http.StatusBadRequest {
		t.Errorf("bad month: %d", p.status)
	}
}

// The JSON API: GET /v1/violations filters, POST /v1/violations/{id}/settle
// is the lender's (or the centre's), once.
func TestMoneyAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := e.addViolations(ill.ViolationRow{RequestID: "ILL-A", Kind: ill.ViolationOverdue, Lender: "PKU", Borrower: "THU",
		Days: 2, AmountFen: 100, CreatedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, ill.Shanghai)})
	path := "/v1/violations/" + strconv.FormatInt(ids[0], 10) + "/settle"
	if code, out := e.apiCall("POST", path, "THU", map[string]any{"state": "paid"}); code != 403 {
		t.Fatalf("borrower settles: %d %v", code, out)
	}
	if code, out := e.apiCall("POST", path, "RUC", map[string]any{"state": "paid"}); code != 404 {
		t.Fatalf("stranger settles: %d %v", code, out)
	}
	if code, out := e.apiCall("POST", path, "PKU", map[string]any{"state": "owed"}); code != 400 {
		t.Fatalf("bad state: %d %v", code, out)
	}
	code, out := e.apiCall("POST", path, "PKU", map[string]any{"state": "waived", "note": "首次"})
	if code != 200 || out["state"] != "waived" || out["settled_by"] != "PKU" || out["settled_at"] == nil || out["amount_cny"] != "1.00" {
		t.Fatalf("settle: %d %v", code, out)
	}
	if code, out := e.apiCall("POST", path, ill.CentreCode, map[string]any{"state": "paid"}); code != 409 {
		t.Fatalf("settle again: %d %v", code, out)
	}
	code, out = e.apiCall("GET", "/v1/violations?state=waived&month=2026-03&role=borrower", "THU", nil)
	if code != 200 || out["total"] != float64(1) {
		t.Fatalf("THU's waived: %d %v", code, out)
	}
	if code, out := e.apiCall("GET", "/v1/violations", "RUC", nil); code != 200 || out["total"] != float64(0) {
		t.Fatalf("RUC sees: %d %v", code, out)
	}
	if code, _ := e.apiCall("GET", "/v1/violations?library=THU", "PKU", nil); code != 403 {
		t.Fatalf("PKU asks for THU's: %d", code)
	}
}

// Fee rules: plain staff see them, the library admin edits them (only
// them), the centre edits any library's, and every change is in the
// history shown on the page.
func TestMoneyFeeRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addStaff("PKU", "li", ill.StaffMember)
	e.addStaff("PKU", "boss", ill.StaffLibraryAdmin)
	e.addStaff(ill.CentreCode, "admin", ill.StaffCentreAdmin)
	ctx := context.Background()
	before, err := e.st.Library(ctx, "PKU")
	if err != nil {
		t.Fatal(err)
	}
	staff, admin, centre := e.browser(), e.browser(), e.browser()
	staff.staffLogin("PKU", "li", "secret-li")
	admin.staffLogin("PKU", "boss", "secret-boss")
	centre.staffLogin(ill.CentreCode, "admin", "secret-admin")

	form := url.Values{"fine_per_day": {"0.5"}, "damage_fee": {"20"}, "loss_fee": {"80.00"}, "courier_cutoff": {"15:30"}}
	p := staff.get("/console/fees")
	mustContain(t, "staff's fee page", p, `id="fees-current"`)
	if strings.Contains(p.body, `id="fees-form"`) {
		t.Fatal("plain staff get the fee form")
	}
	if p := staff.post("/console/fees", form); p.status != http.StatusForbidden {
		t.Fatalf("plain staff edit fees: %d", p.status)
	}
	bad := url.Values{"fine_per_day": {"-1"}, "damage_fee": {"20"}, "loss_fee": {"80"}, "courier_cutoff": {"15:30"}}
	if p := admin.post("/console/fees", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `value="-1"`) {
		t.Fatalf("negative fine: %d\n%s", p.status, p.body)
	}
	other := url.Values{"library": {"THU"}}
	for k, v := range form {
		other[k] = v
	}
	if p := admin.post("/console/fees", other); p.status != http.StatusForbidden {
		t.Fatalf("PKU's admin edits THU's fees: %d", p.status)
	}
	p = admin.post("/console/fees", form)
	if p.status != http.StatusSeeOther || p.location != "/console/fees?msg=money.fees_saved" {
		t.Fatalf("admin saves: %d %q\n%s", p.status, p.location, p.body)
	}
	after, _ := e.st.Library(ctx, "PKU")
	want := *before
	want.FinePerDayFen, want.DamageFeeFen, want.LossFeeFen, want.CourierCutoff = 50, 2000, 8000, "15:30"
	if *after != want {
		t.Fatalf("library after the edit:\n%+v\nwant\n%+v", *after, want)
	}
	centreForm := url.Values{"library": {"pku"}, "fine_per_day": {"0.50"}, "damage_fee": {"20"}, "loss_fee": {"100"}, "courier_cutoff": {"15:30"}}
	if p := centre.post("/console/fees", centreForm); p.status != http.StatusSeeOther || p.location != "/console/fees?msg=money.fees_saved&library=PKU" {
		t.Fatalf("centre saves: %d %q\n%s", p.status, p.location, p.body)
	}
	p = staff.get("/console/fees")
	mustContain(t, "history", p, `id="fees-history"`, "CENTRE/admin", "PKU/boss", "80.00", "100.00", "15:30", "0.50")
	h, err := e.st.FeeHistory(ctx, "PKU", 10)
	if err != nil || len(h) != 5 || h[0].By != "CENTRE/admin" || h[0].Field != ill.FeeLoss {
		t.Fatalf("history %+v %v", h, err)
	}
	mustContain(t, "centre's fee page", centre.get("/console/fees?library=PKU"), `id="fees-form"`, "100.00")
	mustContain(t, "centre's choice of library", centre.get("/console/fees?lang=en"), `id="f-lib"`, "Choose a library")
	mustContain(t, "centre's violations", centre.get("/console/violations?lang=en&library=PKU&role=lender"), "Violations", "Lender or borrower")
	mustContain(t, "centre's statement", centre.get("/console/violations/statement?lang=en&month=2026-03"), "all libraries")
}

// The request page shows the request's violations, with the settle form
// for the lender only.
func TestMemViolationsPanel(t *testing.T) {
	m := newMemEnv(t)
	m.st.PutViolation(ill.ViolationRow{ID: 41, RequestID: "REQ-1", Kind: ill.ViolationDamaged, Lender: "PKU", Borrower: "THU",
		AmountFen: 2000, CreatedAt: memNow})
	pku, thu := m.browser(), m.browser()
	pku.staffLogin("PKU", "pku", "secret-pw")
	thu.staffLogin("THU", "thu", "secret-pw")
	p := pku.get("/console/requests/REQ-1")
	mustContain(t, "lender's panel", p, `id="violations"`, `data-settle="41"`, "20.00", "损坏")
	p = pku.post("/console/violations/41/settle", url.Values{"state": {"paid"}, "back": {"/console/requests/REQ-1#violations"}})
	if p.status != http.StatusSeeOther || p.location != "/console/requests/REQ-1?msg=money.settled#violations" {
		t.Fatalf("settle from the panel: %d %q\n%s", p.status, p.location, p.body)
	}
	p = thu.get("/console/requests/REQ-1?lang=en")
	mustContain(t, "borrower's panel", p, `id="violations"`, "Paid", "PKU/pku")
	if strings.Contains(p.body, "data-settle=") {
		t.Fatal("the borrower gets the settle form")
	}
}

// headers GETs path with b's cookies and returns the response's headers.
func (b *browser) headers(path string) http.Header {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.url+path, nil)
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	res.Body.Close()
	return res.Header
}
