package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// TestHomePage: an anonymous visitor sees the centre's home page in
// Chinese and English: the rules, the FAQ, the members with their public
// contacts and whether each lends today, and the announcements the centre
// published from the console (not its drafts).
func TestHomePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// Monday 2026-03-02: PKU is closed this week, RUC does not lend.
	if err := e.st.AddClosure(ctx, "PKU", ill.DateRange{From: ill.Date{Year: 2026, Month: 3, Day: 1},
		To: ill.Date{Year: 2026, Month: 3, Day: 6}}, "盘点"); err != nil {
		t.Fatal(err)
	}
	e.addStaff(ill.CentreCode, "admin", ill.StaffCentreAdmin)
	admin := e.browser()
	if p := admin.staffLogin(ill.CentreCode, "admin", "secret-admin"); p.status != http.StatusSeeOther {
		t.Fatalf("centre sign-in: %d", p.status)
	}
	admin.get("/console/admin/members")
	if p := admin.post("/console/admin/members/RUC/lending", url.Values{"lending": {"off"}}); p.status != http.StatusSeeOther {
		t.Fatalf("lending off: %d %s", p.status, p.body)
	}
	admin.get("/console/admin/members/THU")
	if p := admin.post("/console/admin/members", url.Values{"code": {"THU"}, "name_zh": {"清华大学图书馆"},
		"name_en": {"Tsinghua University Library"}, "lending": {"1"}, "loan_months": {"1"}, "recall_days": {"7"},
		"locale": {"zh"}, "contact_phone": {"010-62782137"}, "contact_email": {"ill@lib.tsinghua.example"},
		"contact_address": {"清华大学图书馆北馆 B201"}}); p.status != http.StatusSeeOther {
		t.Fatalf("member save: %d %s", p.status, p.body)
	}
	admin.get("/console/admin/announcements")
	if p := admin.post("/console/admin/announcements", url.Values{"title_zh": {"清明节物流安排"}, "body_zh": {"4月4日至6日物流暂停。\n4月7日恢复。"},
		"title_en": {"Courier over Qingming"}, "body_en": {"No courier from 4 to 6 April."}, "publish": {"1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("announcement: %d %s", p.status, p.body)
	}
	admin.post("/console/admin/announcements", url.Values{"title_zh": {"内部草稿"}, "body_zh": {"尚未发布"}})

	b := e.browser()
	p := b.get("/")
	if p.status != http.StatusOK {
		t.Fatalf("/ for a visitor: %d %q", p.status, p.location)
	}
	mustContain(t, "home zh", p, "BALIS 馆际互借中心", "中文普通图书", "最多借阅 3 册", "借期为一个月", "有权随时索回",
		"1 个工作日内作出应答", "3 个工作日内送出文献", "全部免费", "借入馆", "常见问题", "外借图书暂不支持续借",
		"1 个小时内", "申请单查询", "清明节物流安排", "4月7日恢复。", "010-62782137", "ill@lib.tsinghua.example",
		"目前要求读者缴纳押金的成员馆： BFSU图书馆", `href="/login"`)
	if strings.Contains(p.body, "内部草稿") {
		t.Fatal("a draft announcement is on the home page")
	}
	lends := func(body, code string) string {
		t.Helper()
		m := regexp.MustCompile(`data-code="` + code + `">[\s\S]*?data-lends="(\w+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no lends-today cell for %s", code)
		}
		return m[1]
	}
	if lends(p.body, "THU") != "yes" || lends(p.body, "PKU") != "no" || lends(p.body, "RUC") != "no" {
		t.Fatalf("lends today: THU %s PKU %s RUC %s", lends(p.body, "THU"), lends(p.body, "PKU"), lends(p.body, "RUC"))
	}
	mustContain(t, "PKU closed", p, "闭馆至 2026-03-06", "暂停出借")
	// the private notice e-mail is not shown
	if l, _ := e.st.Library(ctx, "THU"); l.Email != "" && strings.Contains(p.body, l.Email) {
		t.Fatal("the notice e-mail is on the home page")
	}

	p = b.get("/?lang=en")
	mustContain(t, "home en", p, "BALIS Interlibrary Loan Centre", "Chinese general books", "At most 3 books",
		"One month", "recall", "within 1 working day", "within 3 working days", "free of charge",
		"Frequently asked questions", "cannot be renewed", "Courier over Qingming", "No courier from 4 to 6 April.",
		"Tsinghua University Library", "Closed until 2026-03-06", "Not lending")

	// signed in: the home page with a way to the user's work
	p = admin.get("/")
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="/console" id="home-work"`) {
		t.Fatalf("home for staff: %d", p.status)
	}
}

// TestCentreRevokesKeyFromConsole: the centre issues a key in the console
// (shown once), the API takes it; the centre revokes it and the API
// refuses it within the key cache's TTL. The audit log names the console
// account.
func TestCentreRevokesKeyFromConsole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.addStaff(ill.CentreCode, "admin", ill.StaffCentreAdmin)
	admin := e.browser()
	admin.staffLogin(ill.CentreCode, "admin", "secret-admin")
	admin.get("/console/admin/keys")
	p := admin.post("/console/admin/keys/issue", url.Values{"owner": {"THU"}, "label": {"ILS"}})
	m := regexp.MustCompile(`id="new-key-value">([^<]+)<`).FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("issue: %d\n%s", p.status, p.body)
	}
	key := m[1]
	call := func() int {
		req, _ := http.NewRequest("GET", e.url+"/v1/libraries", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if c := call(); c != http.StatusOK {
		t.Fatalf("new key: %d", c)
	}
	// shown once: the keys page does not show it again
	if p := admin.get("/console/admin/keys"); strings.Contains(p.body, key) {
		t.Fatal("the keys page shows the key again")
	}
	keys, _ := e.st.Keys(ctx, "THU")
	var id int64
	for _, k := range keys {
		if k.Label == "ILS" {
			id = k.ID
		}
	}
	p = admin.post("/console/admin/keys/revoke", url.Values{"owner": {"THU"}, "id": {strconv.FormatInt(id, 10)}})
	mustContain(t, "revoked", p, `id="revoked"`)
	deadline := time.Now().Add(10 * time.Second)
	for call() != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("the API still takes the revoked key")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// the demo key of THU is untouched
	if c, _ := e.apiCall("GET", "/v1/libraries", "THU", nil); c != http.StatusOK {
		t.Fatalf("THU's other key: %d", c)
	}
	log, _ := e.st.AuditLog(ctx, "THU", 10)
	if len(log) < 2 || log[0].Action != ill.AuditKeyRevoke || log[0].Actor != "console:CENTRE/admin" {
		t.Fatalf("audit log: %+v", log)
	}
}

// TestAdminPagesRefuseMembers: member staff get 403 on every centre page
// and change nothing by posting.
func TestAdminPagesRefuseMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addStaff("THU", "thu", ill.StaffMember)
	b := e.browser()
	b.staffLogin("THU", "thu", "secret-thu")
	for _, path := range []string{"/console/admin", "/console/admin/members", "/console/admin/members/PKU",
		"/console/admin/keys", "/console/admin/calendar", "/console/admin/announcements"} {
		if p := b.get(path); p.status != http.StatusForbidden {
			t.Errorf("GET %s as member staff: %d", path, p.status)
		}
	}
	b.get("/console")
	for path, form := range map[string]url.Values{
		"/console/admin/keys/issue":          {"owner": {"THU"}},
		"/console/admin/members/PKU/lending": {"lending": {"off"}},
		"/console/admin/announcements":       {"title_zh": {"x"}, "body_zh": {"y"}, "publish": {"1"}},
		"/console/admin/closures":            {"library": {"PKU"}, "from": {"2026-03-02"}, "to": {"2026-03-03"}},
	} {
		if p := b.post(path, form); p.status != http.StatusForbidden {
			t.Errorf("POST %s as member staff: %d", path, p.status)
		}
	}
	ctx := context.Background()
	if ks, _ := e.st.Keys(ctx, "THU"); len(ks) != 1 { // the demo key only
		t.Fatalf("keys after refused posts: %+v", ks)
	}
	if l, _ := e.st.Library(ctx, "PKU"); !l.Lending {
		t.Fatal("a member switched PKU's lending off")
	}
	// not signed in: to the sign-in page
	if p := e.browser().get("/console/admin/keys"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/staff/login") {
		t.Fatalf("anonymous: %d %q", p.status, p.location)
	}
}

// TestCentreCalendarPage: the centre imports a calendar file by upload
// (a multipart form carrying the CSRF token), adds and removes a closure.
func TestCentreCalendarPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.addStaff(ill.CentreCode, "admin", ill.StaffCentreAdmin)
	admin := e.browser()
	admin.staffLogin(ill.CentreCode, "admin", "secret-admin")
	p := admin.get("/console/admin/calendar")
	mustContain(t, "calendar page", p, `id="calendar-coverage"`, "2026-12-31")
	upload := func(csrf string) page {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("csrf", csrf)
		fw, _ := mw.CreateFormFile("file", "2027.json")
		_, _ = fw.Write([]byte(`{"year":2027,"source":"国务院办公厅通知","days":[{"date":"2027-01-01","kind":"holiday","name":"元旦"}]}`))
		mw.Close()
		req, _ := http.NewRequest("POST", e.url+"/console/admin/calendar", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		for k, v := range admin.cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return page{status: res.StatusCode, location: res.Header.Get("Location")}
	}
	if p := upload("wrong"); p.status != http.StatusForbidden {
		t.Fatalf("upload without the token: %d", p.status)
	}
	if p := upload(admin.csrf); p.status != http.StatusSeeOther {
		t.Fatalf("upload: %d", p.status)
	}
	cal, err := e.st.LoadCalendar(ctx)
	if err != nil || !cal.Covers(ill.Date{Year: 2027, Month: 6, Day: 1}) {
		t.Fatalf("2027 not loaded: %v", err)
	}
	p = admin.get("/console/admin/calendar?imported=2027")
	mustContain(t, "imported", p, "2027 年工作日历已导入", "2027-12-31")
	if p := admin.post("/console/admin/closures", url.Values{"library": {"PKU"}, "from": {"2026-07-10"}, "to": {"2026-08-31"},
		"note": {"暑假"}}); p.status != http.StatusSeeOther {
		t.Fatalf("closure: %d %s", p.status, p.body)
	}
	if p := admin.post("/console/admin/closures", url.Values{"library": {"PKU"}, "from": {"2026-08-31"}, "to": {"2026-07-10"}}); p.status != http.StatusBadRequest {
		t.Fatalf("closure ending before it starts: %d", p.status)
	}
	all, _ := e.st.ClosuresByLibrary(ctx)
	if len(all["PKU"]) != 1 || all["PKU"][0].Note != "暑假" {
		t.Fatalf("closures: %+v", all)
	}
	p = admin.get("/console/admin/calendar?lang=en")
	mustContain(t, "closures en", p, "暑假", "2026-07-10", "Calendar and closures")
	if p := admin.post("/console/admin/closures/"+strconv.FormatInt(all["PKU"][0].ID, 10)+"/remove", nil); p.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", p.status)
	}
	if all, _ := e.st.ClosuresByLibrary(ctx); len(all["PKU"]) != 0 {
		t.Fatalf("after remove: %+v", all)
	}
	// the member pages render in both languages
	mustContain(t, "new member", admin.get("/console/admin/members/new"), `name="code"`)
	mustContain(t, "members en", admin.get("/console/admin/members?lang=en"), "Stop lending")
}
