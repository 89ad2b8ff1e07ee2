package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
	"github.com/xuri/excelize/v2"
)

// rawKey finds a translation key shown as text: ">report.summary<".
var rawKey = regexp.MustCompile(`>\s*(reports?\.[a-z_.-]+)\s*<`)

// The lender evaluation in the console: in Chinese with the libraries'
// names and the consortium totals row, no raw keys; a member sees its
// own row and the totals; CSV and XLSX carry names, codes and the totals
// row; the monthly summary's schedule is the centre's only.
func TestReportsLenderEvaluationPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // today 2026-03-02 10:00
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := e.st.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	sh := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, ill.Shanghai).UTC() }
	// THU supplied PKU's request (asked 08:00, accepted 08:30, shipped
	// 09:00); RUC could not supply THU's (not on shelf).
	exec(`INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state, lender, submitted_at, updated_at)
		VALUES ('ILL-W1', 'PKU', 'w1', 'P1', '书一', 'SHIPPED', 'THU', ?, ?), ('ILL-W2', 'THU', 'w2', 'P2', '书二', 'UNFILLED', 'RUC', ?, ?)`,
		sh(8, 0), sh(9, 0), sh(8, 0), sh(8, 40))
	exec(`INSERT INTO rota (request_id, rank_no, library_code, outcome, reasons, asked_at, answered_at)
		VALUES ('ILL-W1', 1, 'THU', 'will_supply', '', ?, ?), ('ILL-W2', 1, 'RUC', 'unfilled', 'not_on_shelf', ?, ?)`,
		sh(8, 0), sh(8, 30), sh(8, 0), sh(8, 40))
	exec(`INSERT INTO events (request_id, at, actor, action, from_state, to_state) VALUES ('ILL-W1', ?, 'THU', 'ship', 'WILL_SUPPLY', 'SHIPPED')`, sh(9, 0))

	e.addStaff("THU", "thu", "staff")
	e.addStaff("CENTRE", "admin", "centre_admin")
	thu, admin := e.browser(), e.browser()
	thu.staffLogin("THU", "thu", "secret-thu")
	admin.staffLogin("CENTRE", "admin", "secret-admin")

	// Every report's page in Chinese: translated names, no raw keys.
	for _, name := range reports.Names {
		p := admin.get("/console/reports?report=" + name)
		if p.status != http.StatusOK {
			t.Fatalf("%s: status %d", name, p.status)
		}
		if m := rawKey.FindAllStringSubmatch(p.body, -1); m != nil {
			t.Errorf("%s: raw keys on the page: %v", name, m)
		}
		if strings.Contains(p.body, ">"+name+"<") {
			t.Errorf("%s: the report's name is shown untranslated", name)
		}
	}

	p := admin.get("/console/reports?report=lenders")
	mustContain(t, "centre lenders report", p, `/console/reports/lenders/download?format=csv&amp;from=2026-03-01&amp;lang=zh&amp;to=2026-03-02"`, "出借馆考核", "THU图书馆", "PKU图书馆", "RUC图书馆", `id="report-total"`, "全体成员馆合计",
		`data-code="THU"`, "未满足：不在架", `id="schedule"`, "月度统计邮件")
	if strings.Contains(p.body, `data-code="THU">THU<`) {
		t.Errorf("THU shown by its code")
	}
	// THU's row: 1 received, 1 supplied, fill rate 100%; the totals: 2
	// received, fill rate 50%.
	row := regexp.MustCompile(`(?s)<tr><td data-key="lender" data-code="THU">THU图书馆</td><td class="num" data-key="received">1</td><td class="num" data-key="filled">1</td>.*?data-key="fill_rate">100.0%<`)
	if !row.MatchString(p.body) {
		t.Errorf("THU's row is not 1 received, 1 supplied, 100%%:\n%s", p.body)
	}
	total := regexp.MustCompile(`(?s)<tr id="report-total"><th scope="row" data-key="lender">全体成员馆合计</th><td class="num" data-key="received">2</td>.*?data-key="fill_rate">50.0%<`)
	if !total.MatchString(p.body) {
		t.Errorf("the totals row is not 2 received, 50%%:\n%s", p.body)
	}

	// A member: its own row and the consortium's totals, no schedule.
	p = thu.get("/console/reports?report=lenders")
	mustContain(t, "THU lenders report", p, `data-code="THU"`, `id="report-total"`)
	if strings.Contains(p.body, `data-code="PKU"`) || strings.Contains(p.body, `data-code="RUC"`) || strings.Contains(p.body, `id="schedule"`) {
		t.Errorf("THU sees other members' rows or the schedule:\n%s", p.body)
	}

	// CSV: name and code columns, the totals row last.
	c := admin.get("/console/reports/lenders/download?format=csv")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.body, "\xEF\xBB\xBF"))).ReadAll()
	if err != nil || len(recs) < 3 {
		t.Fatalf("csv %v %q", err, c.body)
	}
	if got := strings.Join(recs[0][:4], ","); got != "出借馆,出借馆代码,收到申请,已提供" {
		t.Errorf("csv header %q", got)
	}
	last := recs[len(recs)-1]
	if last[0] != "全体成员馆合计" || last[1] != "" || last[2] != "2" || last[3] != "1" {
		t.Errorf("csv totals %v", last)
	}
	found := false
	for _, r := range recs[1:] {
		found = found || (r[0] == "RUC图书馆" && r[1] == "RUC" && r[2] == "1" && r[3] == "0")
	}
	if !found {
		t.Errorf("csv has no RUC row: %v", recs)
	}

	// XLSX of the borrow/lend balance per library: names, codes, totals.
	x := admin.get("/console/reports/library-balance/download?format=xlsx")
	wb, err := excelize.OpenReader(strings.NewReader(x.body))
	if err != nil {
		t.Fatalf("xlsx: %v (status %d)", err, x.status)
	}
	rows, err := wb.GetRows("library-balance")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"THU": "THU图书馆,THU,1,0,1", "PKU": "PKU图书馆,PKU,0,1,-1"}
	for _, r := range rows[1:] {
		if w, ok := want[r[1]]; ok {
			if got := strings.Join(r, ","); got != w {
				t.Errorf("xlsx %s row %q, want %q", r[1], got, w)
			}
			delete(want, r[1])
		}
	}
	if len(want) > 0 || strings.Join(rows[len(rows)-1], ",") != "全体成员馆合计,,1,1,0" {
		t.Errorf("xlsx rows %v (missing %v)", rows, want)
	}

	// The JSON API: THU's own row, the totals and the names.
	code, body := e.apiCall("GET", "/v1/reports/lenders", "THU", nil)
	if code != 200 || len(body["rows"].([]any)) != 1 || fmt.Sprint(body["total"].(map[string]any)["received"]) != "2" ||
		fmt.Sprint(body["libraries"]) != "map[THU:map[name_en:THU Library name_zh:THU图书馆]]" {
		t.Fatalf("GET /v1/reports/lenders: %d %v", code, body)
	}

	// The schedule: the centre sets it; a member cannot.
	form := url.Values{"enabled": {"on"}, "working_day": {"3"}, "console_url": {"https://ill.example.edu.cn/"}}
	if p := thu.post("/console/reports/schedule", form); p.status != http.StatusForbidden {
		t.Errorf("THU staff sets the schedule: %d", p.status)
	}
	if p := admin.post("/console/reports/schedule", url.Values{"working_day": {"99"}}); p.status != http.StatusBadRequest {
		t.Errorf("working day 99: %d", p.status)
	}
	if p := admin.post("/console/reports/schedule", form); p.status != http.StatusSeeOther {
		t.Fatalf("save schedule: %d %s", p.status, p.body)
	}
	sc, err := e.st.ReportSchedule(ctx)
	if err != nil || !sc.Enabled || sc.WorkingDay != 3 || sc.ConsoleURL != "https://ill.example.edu.cn" || sc.UpdatedBy != "console:CENTRE/admin" {
		t.Fatalf("schedule %+v %v", sc, err)
	}
	// In English, names in English.
	mustContain(t, "english lenders report", admin.get("/console/reports?report=lenders&lang=en"), "Lender evaluation", "THU Library", "Consortium total")
	mustContain(t, "saved schedule", admin.get("/console/reports?lang=zh"), `name="enabled" checked`, `<option value="3" selected>每月第 3 个工作日</option>`)
}
