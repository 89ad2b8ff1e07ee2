package web_test

// The portal and the console over the in-memory ports (internal/memstore):
// the pages' own behaviour (sign-in, sessions, CSRF, queues, what an
// action publishes) without MariaDB or RabbitMQ. web_test.go runs the same
// pages against the real producer and consumers.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
	"github.com/balis/illhub/web"
)

// memNow is when the in-memory tests run (a Monday, 10:00 in Beijing).
var memNow = time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)

type memClock struct{}

func (memClock) Now() time.Time { return memNow }

// memEnv is the web handler over app over memstore, served on loopback.
type memEnv struct {
	*env
	st  *memstore.Store
	pub *memstore.Publisher
}

// newMemEnv has members THU, PKU and RUC; reader THU/R1 (PIN 2468);
// staff PKU/pku, THU/thu (password secret-pw) and the disabled RUC/gone;
// and REQ-1, THU's request to PKU waiting for PKU's answer.
func newMemEnv(t *testing.T) *memEnv {
	t.Helper()
	st, pub := &memstore.Store{}, &memstore.Publisher{}
	ctx := context.Background()
	for _, code := range []string{"THU", "PKU", "RUC"} {
		st.PutLibrary(ill.Library{Code: code, NameZH: code + "图书馆", Lending: true})
	}
	pin, err := app.HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	pw, err := app.HashPIN("secret-pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutReader(ctx, ill.Reader{Library: "THU", ID: "R1", Name: "李明", PINHash: pin}, memNow); err != nil {
		t.Fatal(err)
	}
	for _, u := range []ill.Staff{{Library: "PKU", Username: "pku", Role: ill.StaffMember, PasswordHash: pw},
		{Library: "THU", Username: "thu", Role: ill.StaffMember, PasswordHash: pw},
		{Library: "RUC", Username: "gone", Role: ill.StaffMember, PasswordHash: pw, Disabled: true}} {
		if err := st.PutStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	st.PutRequest(ill.Request{ID: "REQ-1", Borrower: "THU", ClientRequestID: "c1", PatronID: "R1", Title: "信号与系统",
		State: ill.Requested, Lender: "PKU", SubmittedAt: memNow.Add(-time.Hour), UpdatedAt: memNow.Add(-time.Hour),
		RespondBy: memNow.Add(23 * time.Hour),
		Rota:      []ill.RotaEntry{{Library: "PKU", Rank: 1, Outcome: ill.OutcomeAsked}}})
	uses := app.New(app.Config{Store: st, Publisher: pub, Clock: memClock{}})
	h := web.New(web.Config{App: uses, Clock: memClock{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SubmitWait: 100 * time.Millisecond})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &memEnv{env: &env{t: t, url: srv.URL}, st: st, pub: pub}
}

// sessionsOf counts the stored sessions of kind, library and subject.
func (m *memEnv) sessionsOf(kind, library, subject string) int {
	n := 0
	for _, s := range m.st.Sessions() {
		if s.Kind == kind && s.Library == library && s.Subject == subject {
			n++
		}
	}
	return n
}

// Sign-in reads the accounts through app's ports: a wrong PIN, a disabled
// account and an unknown one are the same 401; a right one stores a
// session (only the hash of the cookie) and signing out ends it.
func TestMemSignIn(t *testing.T) {
	m := newMemEnv(t)
	for _, c := range []struct {
		name           string
		staff          bool
		lib, user, pw  string
		status         int
		location, text string
	}{
		{"reader, wrong PIN", false, "THU", "R1", "1357", 401, "", "图书馆、证号或密码不正确。"},
		{"reader, other library", false, "PKU", "R1", "2468", 401, "", "图书馆、证号或密码不正确。"},
		{"reader", false, "thu", "ｒ１", "2468", 303, "/search", ""},
		{"staff, wrong password", true, "PKU", "pku", "secret-pX", 401, "", "图书馆、用户名或密码不正确。"},
		{"staff, disabled", true, "RUC", "gone", "secret-pw", 401, "", "图书馆、用户名或密码不正确。"},
		{"staff, unknown", true, "PKU", "nobody", "secret-pw", 401, "", "图书馆、用户名或密码不正确。"},
		{"staff", true, "PKU", "PKU", "secret-pw", 303, "/console", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			m.t = t
			b := m.browser()
			var p page
			if c.staff {
				p = b.staffLogin(c.lib, c.user, c.pw)
			} else {
				p = b.readerLogin(c.lib, c.user, c.pw)
			}
			if p.status != c.status || p.location != c.location || !strings.Contains(p.body, c.text) {
				t.Fatalf("%d %q, want %d %q with %q:\n%s", p.status, p.location, c.status, c.location, c.text, p.body)
			}
			if c.status != http.StatusSeeOther {
				if _, ok := b.cookies["illhub_session"]; ok {
					t.Fatal("a refused sign-in set a session cookie")
				}
				return
			}
			cookie := b.cookies["illhub_session"]
			found := false
			for _, s := range m.st.Sessions() {
				if s.IDHash == cookie {
					t.Fatal("the cookie's value is stored as is")
				}
				found = found || s.IDHash == ill.HashKey(cookie)
			}
			if !found {
				t.Fatal("no session stored under the cookie's hash")
			}
		})
	}
	m.t = t
	if n := m.sessionsOf("reader", "THU", "R1"); n != 1 {
		t.Fatalf("reader sessions %d, want 1 (the stored card spelling)", n)
	}
	if n := m.sessionsOf("staff", "PKU", "pku"); n != 1 {
		t.Fatalf("staff sessions %d, want 1 (the stored user name)", n)
	}

	// Signing out deletes the session: the old cookie no longer opens the
	// console.
	b := m.browser()
	b.staffLogin("THU", "thu", "secret-pw")
	cookie := b.cookies["illhub_session"]
	if p := b.post("/logout", nil); p.status != http.StatusSeeOther || p.location != "/staff/login?msg=signed_out" {
		t.Fatalf("logout: %d %q", p.status, p.location)
	}
	if n := m.sessionsOf("staff", "THU", "thu"); n != 0 {
		t.Fatalf("%d sessions left after logout", n)
	}
	b.cookies["illhub_session"] = cookie
	if p := b.get("/console"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/staff/login") {
		t.Fatalf("old session after logout: %d %q", p.status, p.location)
	}
}

// A queue page lists the queue of the staff member's library only, with
// the one-click actions the state table allows them.
func TestMemQueuePage(t *testing.T) {
	m := newMemEnv(t)
	pku, thu := m.browser(), m.browser()
	pku.staffLogin("PKU", "pku", "secret-pw")
	thu.staffLogin("THU", "thu", "secret-pw")

	p := pku.get("/console/queue/to_answer")
	mustContain(t, "lender's queue", p, "待答复", `<span class="count">1</span>`, "REQ-1", "信号与系统",
		`data-action="respond-will_supply"`)
	p = thu.get("/console/queue/to_answer")
	mustContain(t, "borrower's view of the lender queue", p, `<span class="count">0</span>`)
	if strings.Contains(p.body, "REQ-1") {
		t.Fatal("the borrower's staff sees the request in the lender's queue")
	}
	mustContain(t, "console", pku.get("/console"), `data-count="to_answer">1<`, "REQ-1")
	if p := pku.get("/console/queue/no_such_queue"); p.status != http.StatusNotFound {
		t.Fatalf("unknown queue: %d", p.status)
	}
	if p := m.browser().get("/console/queue/to_answer"); p.status != http.StatusSeeOther {
		t.Fatalf("queue without a session: %d", p.status)
	}
}

// A console action goes through app.Act: refused without the session's
// CSRF token and for a library that is not the party (nothing published),
// published as the staff member's library otherwise, under the id the
// form's token derives (a repeated post is the same message).
func TestMemConsoleAction(t *testing.T) {
	m := newMemEnv(t)
	pku, thu := m.browser(), m.browser()
	pku.staffLogin("PKU", "pku", "secret-pw")
	thu.staffLogin("THU", "thu", "secret-pw")
	will := url.Values{"variant": {"will_supply"}, "token": {"w1"}}

	forged := url.Values{"variant": {"will_supply"}, "token": {"w1"}, "csrf": {"forged"}}
	if p := pku.post("/console/requests/REQ-1/respond", forged); p.status != http.StatusForbidden {
		t.Fatalf("forged CSRF token: %d", p.status)
	}
	if p := thu.post("/console/requests/REQ-1/respond", will); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "您无权执行此操作") {
		t.Fatalf("the borrower answers for the lender: %d\n%s", p.status, p.body)
	}
	if p := thu.post("/console/requests/REQ-1/receive", url.Values{"token": {"r1"}}); p.status != http.StatusConflict {
		t.Fatalf("receive before shipping: %d", p.status)
	}
	if msgs := m.pub.Messages(); len(msgs) != 0 {
		t.Fatalf("refused actions published %+v", msgs)
	}

	p := pku.post("/console/requests/REQ-1/respond", will)
	if p.status != http.StatusSeeOther || p.location != "/console/requests/REQ-1?msg=done" {
		t.Fatalf("accept: %d %q\n%s", p.status, p.location, p.body)
	}
	msgs := m.pub.Messages()
	if len(msgs) != 1 || msgs[0].ID != ill.DerivedMessageID("PKU/REQ-1/respond", "w1") {
		t.Fatalf("published %+v, want one message with the id derived from the form's token", msgs)
	}
	got := msgs[0]
	var b ill.ActionBody
	if err := json.Unmarshal(got.Body, &b); err != nil {
		t.Fatal(err)
	}
	if got.Type != ill.MsgAction || got.Actor != "PKU" || got.IsCentre || got.RequestID != "REQ-1" ||
		got.Action != ill.ActRespond || b.Decision != "will_supply" {
		t.Fatalf("published %+v with body %+v", got, b)
	}
}
