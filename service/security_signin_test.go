package service_test

// Security replays for sign-in, the reader portal and the console's
// sign-in parts, against the real producer (MariaDB, RabbitMQ): each test
// replays a finding of the security review from the outside and fails on
// the old behaviour.

import (
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
)

// siBrowser is a browser at one client address: every 127.0.0.0/8 address
// is loopback on Linux, so dialling from 127.0.0.N gives the producer a
// distinct RemoteAddr per "client". It keeps cookies and follows no
// redirects.
type siBrowser struct {
	t       *testing.T
	base    string
	c       *http.Client
	mu      sync.Mutex
	cookies map[string]string
	csrf    string
	next    string // the sign-in form's hidden next field
}

type siPage struct {
	status   int
	location string
	body     string
	header   http.Header
}

func siFrom(t *testing.T, h *harness.Harness, ip string) *siBrowser {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &siBrowser{t: t, base: h.API.URL, cookies: map[string]string{},
		c: &http.Client{Transport: tr, Timeout: 2 * time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var (
	siCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	siNext = regexp.MustCompile(`name="next" value="([^"]*)"`)
)

func (b *siBrowser) do(method, path string, form url.Values) siPage {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	b.mu.Lock()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	b.mu.Unlock()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	p := siPage{status: res.StatusCode, location: res.Header.Get("Location"), body: string(raw), header: res.Header}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	if m := siCSRF.FindStringSubmatch(p.body); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	if m := siNext.FindStringSubmatch(p.body); m != nil {
		b.next = html.UnescapeString(m[1])
	}
	return p
}

func (b *siBrowser) get(path string) siPage { return b.do("GET", path, nil) }

// post sends a form with the last CSRF token seen.
func (b *siBrowser) post(path string, form url.Values) siPage {
	b.mu.Lock()
	f := url.Values{"csrf": {b.csrf}}
	b.mu.Unlock()
	for k, v := range form {
		f[k] = v
	}
	return b.do("POST", path, f)
}

// login posts a sign-in form (reader: /login, staff: /staff/login) after
// loading it; on success it loads the landing page (the session's token).
func (b *siBrowser) login(staff bool, lib, user, secret string) siPage {
	b.t.Helper()
	path, f := "/login", url.Values{"library": {lib}, "card": {user}, "pin": {secret}}
	if staff {
		path, f = "/staff/login", url.Values{"library": {lib}, "username": {user}, "password": {secret}}
	}
	if b.csrf == "" {
		b.get(path)
	}
	p := b.post(path, f)
	if p.status == http.StatusSeeOther {
		b.get(p.location)
	}
	return p
}

func (b *siBrowser) signedIn() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.cookies["illhub_session"]
	return ok
}

// siSetup is a harness with library BUCT, its reader BUCTPTLOCK (PIN
// 246810) and its staff account StAfF (password secret-pw).
func siSetup(t *testing.T) *harness.Harness {
	t.Helper()
	h := harness.New(t, 5)
	testenv.Libraries(t, h.St, "BUCT")
	if code, body := h.Call("POST", "/v1/readers", "BUCT", map[string]any{"id": "BUCTPTLOCK", "name": "锁定测试", "pin": "246810"}); code != 200 {
		t.Fatalf("POST /v1/readers: %d %v", code, body)
	}
	siStaff(t, h, "BUCT", "StAfF", "staff")
	return h
}

func siStaff(t *testing.T, h *harness.Harness, lib, user string, role ill.StaffRole) {
	t.Helper()
	hash, err := app.HashPIN("secret-pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.St.PutStaff(context.Background(), ill.Staff{Library: lib, Username: user, Role: role, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
}

func siWant(t *testing.T, what string, p siPage, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: answered %d (Location %q), want %d", what, p.status, p.location, status)
	}
	if status == http.StatusTooManyRequests && p.header.Get("Retry-After") == "" {
		t.Fatalf("%s: 429 without Retry-After", what)
	}
}

// Finding 1 and 7: after 5 wrong PINs for BUCT/BUCTPTLOCK from one address
// every spelling the database matches to that reader is refused with 429,
// even with the right PIN, and so is one more U+200B every 5 tries; the
// same for staff. Another address signs in (as `buct`), and the request it
// submits has borrower BUCT, which BUCT's key reads. The library's staff
// unlock the card; another library's staff cannot.
func TestSecuritySignInLockoutSeesEverySpelling(t *testing.T) {
	h := siSetup(t)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "9787040406641", "数据库系统概论", "王珊", testenv.Holding{Library: "THU", Available: 2, Lendable: true})

	attacker := siFrom(t, h, "127.0.0.2")
	for i := 0; i < 5; i++ {
		siWant(t, fmt.Sprintf("wrong PIN %d", i+1), attacker.login(false, "BUCT", "BUCTPTLOCK", "000000"), http.StatusUnauthorized)
	}
	for _, v := range [][2]string{{"buct", "BUCTPTLOCK"}, {"ＢＵＣＴ", "BUCTPTLOCK"}, {"BÚCT", "BUCTPTLOCK"},
		{"BUCT", "buctptlock"}, {"BUCT", "BUCTPTLOCK\u200b"}, {"BUCT", "BUCTPTLOCK"}} {
		p := attacker.login(false, v[0], v[1], "246810")
		if attacker.signedIn() || !strings.Contains(p.body, "登录尝试过多") {
			t.Fatalf("locked account as %q/%q with the right PIN: %d, signed in %v", v[0], v[1], p.status, attacker.signedIn())
		}
		siWant(t, fmt.Sprintf("%q/%q with the right PIN", v[0], v[1]), p, http.StatusTooManyRequests)
	}
	for i := 0; i < 50; i++ {
		card := "BUCTPTLOCK" + strings.Repeat("\u200b", i/5+1)
		siWant(t, fmt.Sprintf("try %d with %d U+200B", i, i/5+1), attacker.login(false, "BUCT", card, "246810"), http.StatusTooManyRequests)
	}

	// Staff: five cases of one user name are one account.
	staffAttacker := siFrom(t, h, "127.0.0.3")
	for _, u := range []string{"StAfF", "staff", "STAFF", "sTaFf", "Staff"} {
		siWant(t, "wrong staff password as "+u, staffAttacker.login(true, "BUCT", u, "wrong-pw"), http.StatusUnauthorized)
	}
	for _, u := range []string{"StAfF", "staff", "ｓｔａｆｆ", "StAfF\u200b"} {
		siWant(t, "staff "+u+" with the right password", staffAttacker.login(true, "buct", u, "secret-pw"), http.StatusTooManyRequests)
	}

	// The reader, elsewhere, is not locked out by a stranger's failures;
	// signed in as `buct` the session is BUCT's.
	reader := siFrom(t, h, "127.0.0.4")
	siWant(t, "the reader from another address", reader.login(false, "buct", "buctptlock", "246810"), http.StatusSeeOther)
	p := reader.post("/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {"t1"}})
	siWant(t, "portal submit", p, http.StatusSeeOther)
	id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/history/")
	got := h.WaitFor(id, "BUCT", "stored", func(b map[string]any) bool { return b["state"] != "SUBMITTED" })
	if got["borrower"] != "BUCT" || got["patron_id"] != "BUCTPTLOCK" {
		t.Fatalf("request of a reader signed in as buct/buctptlock: borrower %v patron %v", got["borrower"], got["patron_id"])
	}
	siWant(t, "the reader's own request page", reader.get("/history/"+id), http.StatusOK)

	// Another library's staff cannot unlock BUCT's card (the library is
	// the session's, whatever the form says) …
	siStaff(t, h, "THU", "thu", "staff")
	thu := siFrom(t, h, "127.0.0.5")
	siWant(t, "THU staff sign-in", thu.login(true, "THU", "thu", "secret-pw"), http.StatusSeeOther)
	siWant(t, "THU staff unlock", thu.post("/console/unlock", url.Values{"library": {"BUCT"}, "account": {"BUCTPTLOCK"}}), http.StatusSeeOther)
	siWant(t, "still locked after another library's unlock", attacker.login(false, "BUCT", "BUCTPTLOCK", "246810"), http.StatusTooManyRequests)
	// … a reader session cannot use it, nor a post without the token …
	siWant(t, "reader posts unlock", reader.post("/console/unlock", url.Values{"account": {"BUCTPTLOCK"}}), http.StatusUnauthorized)
	buct := siFrom(t, h, "127.0.0.6")
	siWant(t, "BUCT staff sign-in", buct.login(true, "BUCT", "StAfF", "secret-pw"), http.StatusSeeOther)
	if c := buct.get("/console"); !strings.Contains(c.body, `action="/console/unlock"`) || !strings.Contains(c.body, "解除登录限制") {
		t.Fatalf("console home has no unlock form: %s", c.body)
	}
	siWant(t, "unlock without the CSRF token", buct.do("POST", "/console/unlock", url.Values{"account": {"BUCTPTLOCK"}, "csrf": {"forged"}}), http.StatusForbidden)
	siWant(t, "still locked", attacker.login(false, "BUCT", "BUCTPTLOCK", "246810"), http.StatusTooManyRequests)
	// … BUCT's staff can, for every address at once, whatever the spelling.
	if p := buct.post("/console/unlock", url.Values{"account": {"buctptlock\u200b"}}); p.status != http.StatusSeeOther || !strings.Contains(buct.get(p.location).body, "已解除") {
		t.Fatalf("BUCT staff unlock: %d %q", p.status, p.location)
	}
	siWant(t, "after the library's unlock", attacker.login(false, "ＢＵＣＴ", "BUCTPTLOCK", "246810"), http.StatusSeeOther)
	// The English console labels the form too.
	if c := buct.get("/console?lang=en"); !strings.Contains(c.body, "Unlock sign-in") {
		t.Fatal("English console lacks the unlock form's title")
	}
}

// Finding 4 and 9: 500 failed sign-ins with random 30 KB card numbers from
// one address: after the address's budget (20) every one is refused with
// 429 before any work, the producer's heap does not keep them, and another
// address still signs in.
func TestSecuritySignInFloodIsBoundedAndCheap(t *testing.T) {
	h := siSetup(t)
	b := siFrom(t, h, "127.0.0.7")
	b.get("/login")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[int]int{}
	letters := "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for i := 0; i < 500; i++ {
		card := make([]byte, 30<<10)
		for j := range card {
			card[j] = letters[rng.IntN(len(letters))]
		}
		p := b.post("/login", url.Values{"library": {"BUCT"}, "card": {string(card)}, "pin": {"000000"}})
		counts[p.status]++
		if p.status == http.StatusTooManyRequests && p.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if counts[http.StatusUnauthorized] > 21 || counts[http.StatusTooManyRequests] < 479 || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != 500 {
		t.Fatalf("500 failed sign-ins from one address: %v, want at most 21 × 401 then 429", counts)
	}
	b.c.Transport.(*http.Transport).CloseIdleConnections()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 6<<20 {
		t.Fatalf("the heap kept %d MB after 500 × 30 KB failed sign-ins", grew>>20)
	}
	siWant(t, "another address", siFrom(t, h, "127.0.0.8").login(false, "BUCT", "BUCTPTLOCK", "246810"), http.StatusSeeOther)
}

// Finding 5: `next` with a tab (and other spellings a browser turns into
// another host) redirects on this site only; a real path is kept.
func TestSecuritySignInRedirectStaysOnSite(t *testing.T) {
	h := siSetup(t)
	for i, c := range []struct{ next, want string }{
		{"%2F%09%2Fevil.example%2F", "/search"}, {"%2F%2Fevil.example%2F", "/search"}, {"%2F%5Cevil.example", "/search"},
		{"https%3A%2F%2Fevil.example%2F", "/search"}, {"%2F%0D%0A%2Fevil.example", "/search"}, {"%2F%20%2Fevil.example", "/search"},
		{"%2Fhistory%3Fstate%3DREQUESTED", "/history?state=REQUESTED"},
	} {
		// as a browser does it (the form carries next on), and with next
		// posted as it came
		raw, _ := url.QueryUnescape(c.next)
		for j, next := range []string{"", raw} {
			b := siFrom(t, h, fmt.Sprintf("127.0.1.%d", 2*i+j+1))
			b.get("/login?next=" + c.next)
			if j == 0 {
				next = b.next
			}
			p := b.post("/login", url.Values{"library": {"BUCT"}, "card": {"BUCTPTLOCK"}, "pin": {"246810"}, "next": {next}})
			if p.status != http.StatusSeeOther || p.location != c.want {
				t.Errorf("next=%q: %d Location %q, want %q", next, p.status, p.location, c.want)
			}
			base, _ := url.Parse(h.API.URL + "/login")
			if u, err := base.Parse(strings.NewReplacer("\t", "", "\r", "", "\n", "", "\\", "/").Replace(p.location)); err != nil || u.Host != base.Host {
				t.Errorf("next=%q: Location %q resolves to %v", next, p.location, u)
			}
		}
	}
	// Staff too.
	b := siFrom(t, h, "127.0.1.100")
	b.get("/staff/login?next=%2F%09%2Fevil.example%2F")
	if p := b.post("/staff/login", url.Values{"library": {"BUCT"}, "username": {"StAfF"}, "password": {"secret-pw"}, "next": {b.next}}); p.location != "/console" {
		t.Errorf("staff next with a tab: Location %q", p.location)
	}
}

// Finding 9: a 90-byte PIN is a 400 on pin at registration and a plain
// refusal at sign-in, never a 500.
func TestSecuritySignInLongPIN(t *testing.T) {
	h := siSetup(t)
	long := strings.Repeat("密", 30) // 30 characters, 90 bytes
	code, body := h.Call("POST", "/v1/readers", "BUCT", map[string]any{"id": "LONGPIN", "pin": long})
	if e, _ := body["error"].(map[string]any); code != http.StatusBadRequest || e["field"] != "pin" {
		t.Fatalf("POST /v1/readers with a 90-byte PIN: %d %v", code, body)
	}
	siWant(t, "sign-in with a 90-byte PIN", siFrom(t, h, "127.0.2.1").login(false, "BUCT", "BUCTPTLOCK", long), http.StatusUnauthorized)
	siWant(t, "staff sign-in with a 90-byte password", siFrom(t, h, "127.0.2.1").login(true, "BUCT", "StAfF", long), http.StatusUnauthorized)
}

// Finding 9: a reader without a PIN gets the same answer as a wrong PIN;
// an unknown card costs as much time as a known one (one bcrypt
// comparison either way).
func TestSecuritySignInNoEnumeration(t *testing.T) {
	h := siSetup(t)
	if err := h.St.PutReader(context.Background(), ill.Reader{Library: "BUCT", ID: "NOPIN", Name: "无密码"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	wrong := siFrom(t, h, "127.0.2.2").login(false, "BUCT", "BUCTPTLOCK", "000000")
	nopin := siFrom(t, h, "127.0.2.3").login(false, "BUCT", "NOPIN", "000000")
	unknown := siFrom(t, h, "127.0.2.4").login(false, "BUCT", "NOSUCHCARD", "000000")
	for what, p := range map[string]siPage{"no PIN": nopin, "unknown card": unknown} {
		if p.status != wrong.status || !strings.Contains(p.body, "图书馆、证号或密码不正确") || strings.Contains(p.body, "尚未开通") {
			t.Errorf("%s: %d, page differs from a wrong PIN's (%d)", what, p.status, wrong.status)
		}
	}

	// Timing: the fastest of 3 unknown-card sign-ins is not much faster
	// than the fastest of 3 wrong PINs (bcrypt dominates both).
	fastest := func(card string, from int) time.Duration {
		best := time.Hour
		for i := 0; i < 3; i++ {
			b := siFrom(t, h, fmt.Sprintf("127.0.3.%d", from+i))
			b.get("/login")
			start := time.Now()
			p := b.post("/login", url.Values{"library": {"BUCT"}, "card": {card}, "pin": {"000000"}})
			best = min(best, time.Since(start))
			siWant(t, "timed sign-in "+card, p, http.StatusUnauthorized)
		}
		return best
	}
	known, unk := fastest("BUCTPTLOCK", 10), fastest("NOSUCHCARD", 20)
	if unk < known/3 {
		t.Fatalf("unknown card answered in %v, a known card's wrong PIN in %v: the timing tells them apart", unk, known)
	}
}

// Finding 10: a disabled staff member's open session is refused at once.
func TestSecurityDisabledStaffLosesSession(t *testing.T) {
	h := siSetup(t)
	b := siFrom(t, h, "127.0.4.1")
	siWant(t, "staff sign-in", b.login(true, "BUCT", "StAfF", "secret-pw"), http.StatusSeeOther)
	siWant(t, "console while enabled", b.get("/console"), http.StatusOK)
	hash, _ := app.HashPIN("secret-pw")
	if err := h.St.PutStaff(context.Background(), ill.Staff{Library: "BUCT", Username: "StAfF", Role: "staff", PasswordHash: hash, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/console"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/staff/login") {
		t.Fatalf("console after the account was disabled: %d %q", p.status, p.location)
	}
	if p := b.post("/console/unlock", url.Values{"account": {"X"}}); p.status != http.StatusUnauthorized && p.status != http.StatusForbidden {
		t.Fatalf("POST after the account was disabled: %d", p.status)
	}
	siWant(t, "sign-in of the disabled account", siFrom(t, h, "127.0.4.2").login(true, "BUCT", "StAfF", "secret-pw"), http.StatusUnauthorized)
}

// Finding 10: /static/ is no directory listing; its files are served.
func TestSecurityStaticNoListing(t *testing.T) {
	h := siSetup(t)
	b := siFrom(t, h, "127.0.5.1")
	for _, path := range []string{"/static/", "/static", "/static/.", "/static/nothing.css", "/static/../static/"} {
		if p := b.get(path); p.status == http.StatusOK || strings.Contains(p.body, `<a href="style.css">`) {
			t.Errorf("GET %s: %d %.200s", path, p.status, p.body)
		}
	}
	if p := b.get("/static/style.css"); p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET /static/style.css: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

// Finding 9: the portal intake is limited per reader: of 12 parallel
// submits at most 5 go through, the others get 429 with Retry-After.
func TestSecurityPortalIntakeLimit(t *testing.T) {
	h := siSetup(t)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "红楼梦", "曹雪芹", testenv.Holding{Library: "THU", Available: 1, Lendable: true})
	b := siFrom(t, h, "127.0.6.1")
	siWant(t, "reader sign-in", b.login(false, "BUCT", "BUCTPTLOCK", "246810"), http.StatusSeeOther)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := b.post("/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {fmt.Sprint("p", i)}})
			mu.Lock()
			defer mu.Unlock()
			counts[p.status]++
			if p.status == http.StatusTooManyRequests && p.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}()
	}
	wg.Wait()
	if counts[http.StatusSeeOther] > 5 || counts[http.StatusTooManyRequests] < 7 {
		t.Fatalf("12 parallel submits by one reader: %v, want at most 5 accepted and the rest 429", counts)
	}
}

// Finding 7 at the JSON API: card numbers are canonical at POST
// /v1/readers, in a submit's patron.id and in GET /v1/requests?patron_id=;
// a card canonicalisation refuses is a 400 naming the field.
func TestSecurityAPICardNumbersCanonical(t *testing.T) {
	h := siSetup(t)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "围城", "钱锺书", testenv.Holding{Library: "THU", Available: 1, Lendable: true})
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/v1/readers", map[string]any{"id": "卡 1", "pin": "123456"}, "id"},
		{"POST", "/v1/readers", map[string]any{"id": "\u200b", "pin": "123456"}, "id"},
		{"POST", "/v1/requests", map[string]any{"client_request_id": "c0", "patron": map[string]any{"id": "BÚCT1"}, "record_id": fmt.Sprint(rec)}, "patron.id"},
		{"GET", "/v1/requests?patron_id=" + url.QueryEscape("a b"), nil, "patron_id"},
	} {
		code, body := h.Call(c.method, c.path, "BUCT", c.body)
		if e, _ := body["error"].(map[string]any); code != http.StatusBadRequest || e["field"] != c.field {
			t.Errorf("%s %s %v: %d %v, want 400 on %s", c.method, c.path, c.body, code, body, c.field)
		}
	}
	if code, body := h.Call("POST", "/v1/readers", "BUCT", map[string]any{"id": "ｂｕｃｔ２\u200b", "pin": "123456"}); code != 200 || body["id"] != "buct2" {
		t.Fatalf("POST /v1/readers with a full-width card: %d %v", code, body)
	}
	siWant(t, "sign-in as the registered spelling", siFrom(t, h, "127.0.7.1").login(false, "BUCT", "BUCT2", "123456"), http.StatusSeeOther)
	code, body := h.Call("POST", "/v1/requests", "BUCT", map[string]any{"client_request_id": "canon-1",
		"patron": map[string]any{"id": "BUCT2\u200b"}, "record_id": fmt.Sprint(rec)})
	if code != http.StatusAccepted {
		t.Fatalf("submit with patron.id BUCT2+U+200B: %d %v", code, body)
	}
	id := body["request_id"].(string)
	got := h.WaitFor(id, "BUCT", "stored", func(b map[string]any) bool { return b["state"] != "SUBMITTED" })
	if got["patron_id"] != "BUCT2" {
		t.Fatalf("patron.id with U+200B stored as %q", got["patron_id"])
	}
	_, list := h.Call("GET", "/v1/requests?patron_id="+url.QueryEscape("ＢＵＣＴ２\u200b"), "BUCT", nil)
	if fmt.Sprint(list["total"]) != "1" {
		t.Fatalf("GET /v1/requests?patron_id=<full width>: %v", list)
	}
}
