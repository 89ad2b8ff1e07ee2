package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"
)

// env is a producer (API + web) and a consumers process on a fresh
// database and queue prefix.
type env struct {
	t     *testing.T
	st    *mysql.Store
	url   string
	clock *testenv.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dsn, st := testenv.DB(t, "web")
	amqpURL, topo := testenv.AMQP(t, 3)
	cfg := config.Config{MySQLDSN: dsn, AMQPURL: amqpURL, AMQPPrefix: topo.Prefix, Workers: 2, Prefetch: 4,
		DeliveryLimit: 3, OutboxPoll: 50 * time.Millisecond, RotaLength: 5, PublishTimeout: 10 * time.Second,
		MaxBodyBytes: 1 << 20, ShutdownTimeout: 5 * time.Second, GroupMax: 8, Demo: true} // the test keys are demo keys
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := testenv.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai))
	testenv.LoadCalendar2026(t, st)
	testenv.Libraries(t, st, "THU", "PKU", "RUC", "BNU", "BFSU*")
	srv, pub := service.NewProducer(cfg, st, clock, log, prometheus.NewRegistry())
	api := httptest.NewServer(srv)
	c, err := service.NewConsumers(cfg, st, log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { api.Close(); pub.Close(); cancel(); <-done })
	return &env{t: t, st: st, url: api.URL, clock: clock}
}

// apiCall calls the JSON API with a library's demo key.
func (e *env) apiCall(method, path, key string, body any) (int, map[string]any) {
	e.t.Helper()
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.url+path, bytes.NewReader(j))
	req.Header.Set("Authorization", "Bearer "+ill.DemoKey(key))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// browser is a cookie-keeping client that does not follow redirects
// (the Secure cookies are kept by hand: the test server is plain HTTP on
// loopback, where browsers accept them).
type browser struct {
	e       *env
	cookies map[string]string
	csrf    string
}

func (e *env) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(method, path string, form url.Values) page {
	b.e.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.url+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	raw, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(raw)}
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return p
}

func (b *browser) get(path string) page { return b.do("GET", path, nil) }

// post sends a form with the last seen CSRF token.
func (b *browser) post(path string, form url.Values) page {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if f.Get("csrf") == "" {
		f.Set("csrf", b.csrf)
	}
	return b.do("POST", path, f)
}

func (b *browser) readerLogin(lib, card, pin string) page {
	b.get("/login")
	p := b.post("/login", url.Values{"library": {lib}, "card": {card}, "pin": {pin}})
	if p.status == http.StatusSeeOther {
		b.get(p.location) // picks up the session's CSRF token
	}
	return p
}

func (b *browser) staffLogin(lib, user, pw string) page {
	b.get("/staff/login")
	p := b.post("/staff/login", url.Values{"library": {lib}, "username": {user}, "password": {pw}})
	if p.status == http.StatusSeeOther {
		b.get(p.location)
	}
	return p
}

func (e *env) addReader(lib, card, pin string, deposit bool) {
	e.t.Helper()
	code, out := e.apiCall("POST", "/v1/readers", lib, map[string]any{"id": card, "name": "读者" + card,
		"email": strings.ToLower(card) + "@example.edu.cn", "pin": pin, "deposit_paid": deposit})
	if code != 200 {
		e.t.Fatalf("POST /v1/readers: %d %v", code, out)
	}
}

func (e *env) addStaff(lib, user string, role ill.StaffRole) {
	e.t.Helper()
	hash, _ := bcryptHash("secret-" + user)
	if err := e.st.PutStaff(context.Background(), ill.Staff{Library: lib, Username: user, Role: role, PasswordHash: hash}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) waitState(id string, want ill.State) *ill.Request {
	e.t.Helper()
	var last *ill.Request
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
		r, err := e.st.GetRequest(context.Background(), id)
		if err == nil {
			last = r
			if r.State == want {
				return r
			}
		}
	}
	e.t.Fatalf("request %s never reached %s (last %+v)", id, want, last)
	return nil
}

func mustContain(t *testing.T, what string, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			t.Fatalf("%s: page (status %d) lacks %q:\n%s", what, p.status, s, p.body)
		}
	}
}

func requestIDFrom(t *testing.T, p page) string {
	t.Helper()
	m := regexp.MustCompile(`^/history/([^?]+)`).FindStringSubmatch(p.location)
	if m == nil {
		t.Fatalf("answer %d, redirect %q is not a request page: %s", p.status, p.location, p.body)
	}
	return m[1]
}

func TestReaderPortalFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true}, testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	e.addReader("THU", "T001", "123456", false)

	b := e.browser()
	p := b.get("/") // the centre's public home page (home_test.go), with the way to sign in
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="/login"`) {
		t.Fatalf("/ without a session: %d %q", p.status, p.location)
	}
	p = b.get("/login")
	if csp := "default-src 'none'"; !strings.Contains(p.body, "读者登录") {
		t.Fatalf("login page: %s", p.body)
	} else {
		_ = csp
	}
	if p := b.readerLogin("THU", "T001", "654321"); p.status != http.StatusUnauthorized {
		t.Fatalf("wrong PIN: %d", p.status)
	}
	if p := b.readerLogin("PKU", "T001", "123456"); p.status != http.StatusUnauthorized {
		t.Fatalf("right PIN at the wrong library: %d", p.status)
	}
	// A login post without the form's token is refused.
	if p := b.do("POST", "/login", url.Values{"library": {"THU"}, "card": {"T001"}, "pin": {"123456"}}); p.status != http.StatusForbidden {
		t.Fatalf("login without CSRF token: %d", p.status)
	}
	if p := b.readerLogin("THU", "T001", "123456"); p.status != http.StatusSeeOther || p.location != "/search" {
		t.Fatalf("login: %d %q %s", p.status, p.location, p.body)
	}

	p = b.get("/search?q=" + url.QueryEscape("数据库"))
	mustContain(t, "search", p, "数据库系统概论", fmt.Sprintf("/records/%d", rec))
	mustContain(t, "year filter", b.get("/search?q="+url.QueryEscape("数据库")+"&year_from=2010&year_to=2020"), "数据库系统概论")
	if p := b.get("/search?q=" + url.QueryEscape("数据库") + "&year_from=2015"); strings.Contains(p.body, "数据库系统概论") {
		t.Fatal("a 2014 book is found with year_from=2015")
	}
	if p := b.get("/search?q=x&year_from=abc"); p.status != http.StatusBadRequest {
		t.Fatalf("bad year: %d", p.status)
	}
	if p := b.get("/search?msg=" + url.QueryEscape("任意文字")); strings.Contains(p.body, "任意文字") {
		t.Fatal("an arbitrary ?msg= is shown on the page")
	}
	p = b.get(fmt.Sprintf("/records/%d", rec))
	mustContain(t, "record", p, "TP311.13/12", "PKU", "RUC", "馆际互借")

	// A form post without the session's CSRF token is refused.
	if p := b.do("POST", "/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Fatalf("submit with a forged CSRF token: %d", p.status)
	}
	p = b.post("/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {"tok1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", p.status, p.body)
	}
	id := requestIDFrom(t, p)
	e.waitState(id, ill.Requested)
	p = b.get("/history")
	mustContain(t, "history", p, "数据库系统概论", "已发送至出借馆", id)
	p = b.get("/history?state=CANCELLED")
	if strings.Contains(p.body, id) {
		t.Fatal("history filter by state CANCELLED lists a REQUESTED request")
	}
	p = b.get("/history?q=" + url.QueryEscape("概论") + "&from=2026-03-01&to=2026-03-02")
	mustContain(t, "history filtered", p, id)
	p = b.get("/history?from=2026-03-03")
	if strings.Contains(p.body, id) {
		t.Fatal("history from a later date lists the request")
	}
	p = b.get("/history/" + id)
	mustContain(t, "request page", p, "撤销申请", "PKU图书馆")

	// Another reader of the same library can neither see nor cancel it.
	e.addReader("THU", "T002", "222222", false)
	other := e.browser()
	other.readerLogin("THU", "T002", "222222")
	if p := other.get("/history/" + id); p.status != http.StatusForbidden {
		t.Fatalf("another reader reads the request: %d", p.status)
	}
	if p := other.post("/history/"+id+"/cancel", nil); p.status != http.StatusForbidden {
		t.Fatalf("another reader cancels the request: %d", p.status)
	}

	// Cancel within the hour.
	p = b.post("/history/"+id+"/cancel", url.Values{"token": {"c1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", p.status, p.body)
	}
	e.waitState(id, ill.Cancelled)
	p = b.get("/history/" + id)
	mustContain(t, "cancelled", p, "已撤销")

	// After an hour a reader's cancel is refused with a clear message.
	id2 := requestIDFrom(t, b.post("/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {"tok2"}}))
	e.waitState(id2, ill.Requested)
	e.clock.Advance(61 * time.Minute)
	p = b.post("/history/"+id2+"/cancel", url.Values{"token": {"c2"}})
	if p.status != http.StatusConflict {
		t.Fatalf("cancel after an hour: %d", p.status)
	}
	mustContain(t, "late cancel", p, "1 小时")

	// English switch.
	p = b.get("/history?lang=en")
	mustContain(t, "english", p, "My requests", "Requested from lender")
	p = b.get("/search")
	mustContain(t, "english kept by cookie", p, "Union search")

	// Logout ends the session server-side.
	cookie := b.cookies["illhub_session"]
	if p := b.post("/logout", nil); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	b.cookies["illhub_session"] = cookie
	if p := b.get("/history"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Fatalf("old session after logout: %d %q", p.status, p.location)
	}
}

func TestReaderRefusalMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "", "红楼梦", "曹雪芹", testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "THU", Available: 1, Lendable: true})
	journal := testenv.Record(t, e.st, "", "中国图书馆学报", "", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	if _, err := e.st.DB.Exec(`UPDATE records SET material = 'journal' WHERE id = ?`, journal); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, lib, card string
		deposit         bool
		record          int64
		want            string
	}{
		{"deposit", "BFSU", "F1", false, rec, "押金"},
		{"held locally", "THU", "T1", false, rec, "本馆有可借复本"},
		{"not eligible", "RUC", "R1", false, journal, "不在馆际互借范围内"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.addReader(c.lib, c.card, "123456", c.deposit)
			b := e.browser()
			b.readerLogin(c.lib, c.card, "123456")
			p := b.post("/requests", url.Values{"record_id": {fmt.Sprint(c.record)}, "token": {"x"}})
			id := requestIDFrom(t, p)
			e.waitState(id, ill.Rejected)
			mustContain(t, c.name, b.get("/history/"+id), `id="refusal"`, c.want)
		})
	}
	t.Run("quota", func(t *testing.T) {
		e.addReader("RUC", "R9", "123456", false)
		b := e.browser()
		b.readerLogin("RUC", "R9", "123456")
		var last string
		for i := 0; i < 4; i++ {
			r := testenv.Record(t, e.st, "", fmt.Sprintf("测试图书%d", i), "作者", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
			last = requestIDFrom(t, b.post("/requests", url.Values{"record_id": {fmt.Sprint(r)}, "token": {fmt.Sprint("q", i)}}))
			if i < 3 {
				e.waitState(last, ill.Requested)
			}
		}
		e.waitState(last, ill.Rejected)
		mustContain(t, "quota", b.get("/history/"+last), "3 册上限")
	})
	t.Run("manual request goes to mediation; missing title is named", func(t *testing.T) {
		e.addReader("BNU", "B1", "123456", false)
		b := e.browser()
		b.readerLogin("BNU", "B1", "123456")
		b.get("/request/new")
		p := b.post("/requests", url.Values{"author": {"佚名"}, "token": {"m0"}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("manual form without title: %d", p.status)
		}
		mustContain(t, "manual error", p, "题名", "佚名")
		p = b.post("/requests", url.Values{"title": {"一本目录里没有的书"}, "author": {"佚名"}, "year": {"1990"}, "token": {"m1"}})
		e.waitState(requestIDFrom(t, p), ill.NeedsMediation)
	})
}

func TestConsoleActionsAndAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "", "信号与系统", "郑君里", testenv.Holding{Library: "PKU", Available: 2, Lendable: true})
	e.addReader("THU", "T1", "123456", false)
	reader := e.browser()
	reader.readerLogin("THU", "T1", "123456")
	id := requestIDFrom(t, reader.post("/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {"a"}}))
	e.waitState(id, ill.Requested)

	e.addStaff("PKU", "pku", "staff")
	e.addStaff("THU", "thu", "staff")
	e.addStaff("RUC", "ruc", "staff")
	e.addStaff("CENTRE", "admin", "centre_admin")
	pku, thu, ruc, admin := e.browser(), e.browser(), e.browser(), e.browser()
	for _, s := range []struct {
		b         *browser
		lib, user string
	}{{pku, "PKU", "pku"}, {thu, "THU", "thu"}, {ruc, "RUC", "ruc"}, {admin, "CENTRE", "admin"}} {
		if p := s.b.staffLogin(s.lib, s.user, "secret-"+s.user); p.status != http.StatusSeeOther || p.location != "/console" {
			t.Fatalf("staff login %s: %d %q", s.user, p.status, p.location)
		}
	}
	if p := e.browser().staffLogin("PKU", "pku", "wrong"); p.status != http.StatusUnauthorized {
		t.Fatalf("wrong staff password: %d", p.status)
	}

	// The lender sees it in "to answer" with a countdown.
	p := pku.get("/console")
	mustContain(t, "lender console", p, `data-count="to_answer">1<`, id, "剩余", `data-action="respond-will_supply"`)
	// The borrower's staff does not see it there.
	mustContain(t, "borrower console", thu.get("/console"), `data-count="to_answer">0<`)

	// Not the party: refused server-side, whatever the page showed.
	will := url.Values{"variant": {"will_supply"}, "token": {"w"}}
	for _, c := range []struct {
		who  string
		b    *browser
		want int
	}{{"borrower staff", thu, 403}, {"stranger", ruc, 403}, {"centre", admin, 403}} {
		if p := c.b.post("/console/requests/"+id+"/respond", will); p.status != c.want {
			t.Errorf("%s answers for the lender: %d, want %d", c.who, p.status, c.want)
		}
	}
	if p := ruc.get("/console/requests/" + id); p.status != http.StatusForbidden {
		t.Errorf("stranger reads the request: %d", p.status)
	}
	// A reader session cannot use the console, a staff session not the portal.
	if p := reader.post("/console/requests/"+id+"/respond", will); p.status != http.StatusUnauthorized {
		t.Errorf("reader posts a console action: %d %s", p.status, p.body)
	}
	if p := pku.get("/history"); p.status != http.StatusSeeOther {
		t.Errorf("staff opens the reader history: %d", p.status)
	}
	// Lender actions by the borrower in a later state: receive before shipping is a 409 for the borrower.
	if p := thu.post("/console/requests/"+id+"/receive", url.Values{"token": {"r0"}}); p.status != http.StatusConflict {
		t.Errorf("receive before shipping: %d", p.status)
	}

	// One click: the lender accepts.
	if p := pku.post("/console/requests/"+id+"/respond", will); p.status != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", p.status, p.body)
	}
	e.waitState(id, ill.WillSupply)
	mustContain(t, "pull slip", pku.get("/console/pull-slip"), "信号与系统", "TP311.13/12")
	if p := admin.get("/console/pull-slip"); p.status != http.StatusForbidden {
		t.Errorf("centre pull slip: %d", p.status)
	}
	mustContain(t, "to ship", pku.get("/console/queue/to_ship"), id, `name="item_barcode"`)
	if p := pku.post("/console/requests/"+id+"/ship", url.Values{"item_barcode": {"PKU0001"}, "token": {"s"}}); p.status != http.StatusSeeOther {
		t.Fatalf("ship: %d %s", p.status, p.body)
	}
	e.waitState(id, ill.Shipped)
	// The shipment is on a courier run; its manifest lists the item.
	var runLink []string
	for deadline := time.Now().Add(10 * time.Second); runLink == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		runLink = regexp.MustCompile(`href="(/console/courier/\d+)"`).FindStringSubmatch(pku.get("/console/courier").body)
	}
	if runLink == nil {
		t.Fatal("no courier run listed after shipping")
	}
	mustContain(t, "manifest", pku.get(runLink[1]), "PKU0001", "信号与系统")
	mustContain(t, "courier volume report", pku.get("/console/reports?report=courier-volume"), `data-key="forward">1<`, "<svg")
	if p := ruc.get(runLink[1]); strings.Contains(p.body, "PKU0001") {
		t.Error("a stranger library sees another library's manifest items")
	}
	mustContain(t, "borrower to receive", thu.get("/console"), `data-count="to_receive">1<`)
	thu.post("/console/requests/"+id+"/receive", url.Values{"token": {"r"}})
	e.waitState(id, ill.Received)
	thu.post("/console/requests/"+id+"/checkout", url.Values{"token": {"c"}})
	e.waitState(id, ill.OnLoan)
	// Every console action by a library that is not the party for it is
	// refused server-side (403), whatever the state.
	for _, c := range []struct {
		who     string
		b       *browser
		actions []string
	}{
		{"stranger", ruc, []string{"mediate", "respond", "ship", "receive", "checkout", "recall", "return", "ship_return", "checkin", "cancel", "cancel_response", "report_lost"}},
		{"borrower doing the lender's part", thu, []string{"respond", "ship", "recall", "checkin", "cancel_response"}},
		{"lender doing the borrower's part", pku, []string{"mediate", "receive", "checkout", "return", "ship_return", "cancel"}},
	} {
		for _, a := range c.actions {
			form := url.Values{"token": {"x-" + a}, "variant": {"will_supply"}, "item_barcode": {"B"}, "condition": {"good"}, "lenders": {"BNU"}}
			if a == "cancel_response" {
				form.Set("variant", "yes")
			}
			if p := c.b.post("/console/requests/"+id+"/"+a, form); p.status != http.StatusForbidden {
				t.Errorf("%s: %s answered %d, want 403", c.who, a, p.status)
			}
		}
	}
	if r, _ := e.st.GetRequest(context.Background(), id); r.State != ill.OnLoan {
		t.Fatalf("refused actions changed the request: %s", r.State)
	}
	// Timeline on the console request page.
	// Timeline on the console request page, in the librarian's words:
	// who (library names), what happened, the hub's notes reworded.
	mustContain(t, "timeline", thu.get("/console/requests/"+id), "出借馆答复", "寄出", "收到图书", "借给读者",
		"PKU图书馆", "同意出借", "图书条码", `data-action="return"`)
	// Centre admin sees every library's queues and the admin page.
	mustContain(t, "centre console", admin.get("/console"), "全部成员馆", `data-count="on_loan">1<`)
	mustContain(t, "admin page", admin.get("/console/admin"), "死信队列", "工作日历")
	if p := pku.get("/console/admin"); p.status != http.StatusForbidden {
		t.Errorf("library staff opens the centre admin page: %d", p.status)
	}

	// Reports: the page renders a chart and a table; the XLSX download opens
	// with excelize and holds the same numbers; a library sees only its own.
	p = thu.get("/console/reports?report=summary")
	mustContain(t, "report page", p, `<svg`, `class="bar"`, `data-key="borrowed">1<`)
	x := thu.get("/console/reports/summary/download?format=xlsx")
	wb, err := excelize.OpenReader(strings.NewReader(x.body))
	if err != nil {
		t.Fatalf("xlsx: %v (status %d)", err, x.status)
	}
	rows, err := wb.GetRows("summary")
	// Library columns are a name and a code; the consortium totals row is last.
	if err != nil || len(rows) != 3 || rows[1][0] != "THU图书馆" || rows[1][1] != "THU" || rows[1][2] != "1" || rows[1][5] != "1" ||
		rows[2][0] != "全体成员馆合计" {
		t.Fatalf("xlsx rows %v %v", rows, err)
	}
	c := thu.get("/console/reports/summary/download?format=csv")
	if !strings.HasPrefix(c.body, "\xEF\xBB\xBF图书馆,") {
		t.Fatalf("csv %q", c.body)
	}
	if p := thu.get("/console/reports?report=summary&library=PKU"); p.status != http.StatusForbidden {
		t.Errorf("THU staff reads PKU's report: %d", p.status)
	}
	mustContain(t, "centre balance", admin.get("/console/reports?report=balance"), `id="matrix"`, "<svg")
	// The JSON API gives the same figures.
	code, body := e.apiCall("GET", "/v1/reports/summary", "THU", nil)
	if code != 200 || fmt.Sprint(body["rows"]) != "[map[answered_on_time:<nil> borrowed:1 fill_rate:1 filled:0 lent:0 library:THU missed_deadlines:0 received:1 ship_to_receive_h:0 shipped_on_time:<nil> sla:<nil> submit_to_ship_h:0 turnaround_h:0 unfilled:0]]" {
		t.Fatalf("GET /v1/reports/summary: %d %v", code, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := http.Get(e.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	var login *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "illhub_login" {
			login = c
		}
	}
	if login == nil || !login.HttpOnly || !login.Secure || login.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login cookie %+v", login)
	}
	// The API keeps answering JSON 404 under /v1/.
	res, err = http.Get(e.url + "/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("/v1/nothing: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
