// Package web is the reader portal and the staff console:
// server-rendered pages (html/template, embedded templates and CSS, no
// JavaScript), Chinese by default with an English switch (?lang=en, kept
// in the "lang" cookie), served by the producer next to the JSON API.
//
// It is a translator to the use cases of package app, like the JSON API:
// every change goes through the same use case as an API call (app.Submit,
// app.Act), so the state table, the 403/409 answers and the confirmed
// publish are the same for a form post and an API call, and every read
// (queues, records, search, history, courier runs, reports) is app's,
// scoped by the signed-in user's library. The package imports neither
// the storage nor the broker nor the JSON API. Readers sign in with
// library + card number + PIN, staff with library + user name + password;
// sessions are server-side (app.StartSession: only the SHA-256 of the
// cookie stored), cookies are HttpOnly, SameSite=Lax and Secure wherever
// the browser honours it, and every POST carries the session's CSRF
// token. Sign-in takes canonical identities only and is
// throttled per account, per account and address, and per address
// (signin.go); a library's staff can lift a reader's throttle from the
// console.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

//go:embed templates static/*
var assets embed.FS

// Config is what the web handler needs.
type Config struct {
	// App runs the use cases and answers every read of the pages (the
	// producer's one, shared with the JSON API).
	App *app.Service
	// Clock is the pages' time (countdowns, throttles); App's clock.
	Clock ill.Clock
	// Calendar serves the national calendar, for the coverage warning
	// (nil: no warning).
	Calendar ill.CalendarSource
	Log      *slog.Logger
	// DeadLetters is the broker's dead-letter queue, listed on the centre
	// admin page (nil: not shown).
	DeadLetters ill.DeadLetterQueue
	// SessionTTL is how long a sign-in lasts (default 8 h).
	SessionTTL time.Duration
	// SubmitWait is how long a reader's submit waits for the consumers to
	// decide (REQUESTED, REJECTED, ...) before showing the request page
	// (default 3 s; the page shows SUBMITTED if they are slower).
	SubmitWait time.Duration
	// Limits are the sign-in throttles and the portal intake limit (zero
	// fields: DefaultLimits).
	Limits Limits
	// Delivery serves copy uploads, the reader's downloads and copy fees
	// (delivery.go); nil: those pages say delivery is not configured.
	Delivery *app.Delivery
}

// Handler serves the portal and the console.
type Handler struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
	guard *guard
}

const (
	sessionCookie = "illhub_session"
	loginCookie   = "illhub_login" // CSRF token of the sign-in forms (double submit)
	langCookie    = "lang"
)

// New builds the handler.
func New(c Config) *Handler {
	if c.Clock == nil {
		c.Clock = ill.SystemClock{}
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 8 * time.Hour
	}
	if c.SubmitWait == 0 {
		c.SubmitWait = 3 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	h := &Handler{cfg: c, pages: parsePages(), guard: newGuard(c.Limits)}
	m := http.NewServeMux()
	notFound := h.page(func(w http.ResponseWriter, r *http.Request, p *Page) error { return errNotFound })
	m.Handle("GET /static/", staticFiles(notFound))
	m.HandleFunc("GET /{$}", h.page(h.home)) // the public home page (home.go)
	m.HandleFunc("GET /login", h.page(h.readerLoginForm))
	m.HandleFunc("POST /login", h.page(h.readerLogin))
	m.HandleFunc("GET /staff/login", h.page(h.staffLoginForm))
	m.HandleFunc("POST /staff/login", h.page(h.staffLogin))
	m.HandleFunc("POST /logout", h.page(h.logout))
	// reader portal
	m.HandleFunc("GET /search", h.reader(h.search))
	m.HandleFunc("GET /records/{id}", h.reader(h.record))
	m.HandleFunc("GET /request/new", h.reader(h.manualForm))
	m.HandleFunc("POST /requests", h.reader(h.submit))
	m.HandleFunc("GET /history", h.reader(h.history))
	m.HandleFunc("GET /history/{id}", h.reader(h.readerRequest))
	m.HandleFunc("POST /history/{id}/cancel", h.reader(h.readerCancel))
	// staff console
	m.HandleFunc("GET /console", h.staff(h.console))
	m.HandleFunc("GET /console/queue/{key}", h.staff(h.queue))
	m.HandleFunc("GET /console/requests/{id}", h.staff(h.consoleRequest))
	m.HandleFunc("POST /console/requests/{id}/{action}", h.staff(h.consoleAct))
	m.HandleFunc("GET /console/admin", h.staff(h.admin))
	m.HandleFunc("POST /console/unlock", h.staff(h.unlock))
	h.routeReports(m)
	h.routeOpenURL(m) // OpenURL 1.0 intake (openurl.go)
	h.routeMediation(m)
	h.routeMoney(m)
	h.routeDesk(m)
	h.routeNotices(m)
	h.routeFind(m)
	h.routeNotes(m)
	h.routeAdmin(m)
	h.routeCourier(m)
	h.routeDelivery(m) // copy requests: forms, downloads, uploads, copy fees (delivery.go)
	m.HandleFunc("/", notFound)
	h.mux = m
	return h
}

// staticFiles serves the embedded files under /static/; a directory (and
// anything that is not a file) is the 404 page, never a listing.
func staticFiles(notFound http.Handler) http.Handler {
	static, _ := fs.Sub(assets, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if fi, err := fs.Stat(static, name); name == "" || strings.HasSuffix(name, "/") || err != nil || !fi.Mode().IsRegular() {
			notFound.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// ServeHTTP sets the security headers and serves the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// Page is the data every template gets.
type Page struct {
	Lang    string
	Path    string // request path, for the language switch
	Query   string // raw query without lang
	Sess    *ill.Session
	Title   string
	Flash   string // a message key shown once (from ?msg=)
	Error   string // a refusal or validation message
	Status  int
	Data    any
	now     time.Time
	libs    map[string][2]string
	request *http.Request
	// loginToken is the CSRF token of the sign-in forms (before a session).
	loginToken string
}

// T translates a message key.
func (p *Page) T(key string) string { return tr(p.Lang, key) }

// StateLabel is a state's name in the page's language.
func (p *Page) StateLabel(s ill.State) string { return s.Label(p.Lang) }

// ReasonText explains a refusal or unfilled reason.
func (p *Page) ReasonText(r ill.Reason) string {
	if r == "" {
		return ""
	}
	return p.T("reason." + string(r))
}

// Time formats t in Asia/Shanghai ("" for zero).
func (p *Page) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(ill.Shanghai).Format("2006-01-02 15:04")
}

// Day formats t's Asia/Shanghai date.
func (p *Page) Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(ill.Shanghai).Format("2006-01-02")
}

// Lib is a library's name in the page's language, with its code.
func (p *Page) Lib(code string) string {
	if code == "" {
		return ""
	}
	n, ok := p.libs[code]
	if !ok {
		return code
	}
	if p.Lang == "en" && n[1] != "" {
		return n[1]
	}
	return n[0]
}

// Countdown describes the time left until t ("overdue by ..." when past).
func (p *Page) Countdown(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	late := t.Before(p.now)
	s := p.duration(t)
	if late {
		return strings.ReplaceAll(p.T("overdue_by"), "{d}", s)
	}
	return strings.ReplaceAll(p.T("left"), "{d}", s)
}

// duration is how far t is from now, in days, hours or minutes.
func (p *Page) duration(t time.Time) string {
	d := t.Sub(p.now)
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return strings.ReplaceAll(p.T("n_days"), "{n}", itoa(int(d.Hours()/24)))
	case d >= time.Hour:
		return strings.ReplaceAll(p.T("n_hours"), "{n}", itoa(int(d.Hours())))
	}
	return strings.ReplaceAll(p.T("n_minutes"), "{n}", itoa(int(d.Minutes())))
}

// Late reports whether t has passed.
func (p *Page) Late(t time.Time) bool { return !t.IsZero() && p.now.After(t) }

// IsCentre reports whether the signed-in user is a centre admin.
func (p *Page) IsCentre() bool { return p.Sess != nil && p.Sess.Role == ill.StaffCentreAdmin }

// LangURL is the current page in the other language.
func (p *Page) LangURL(lang string) string {
	q := p.Query
	if q != "" {
		q += "&"
	}
	return p.Path + "?" + q + "lang=" + lang
}

func itoa(n int) string { return strconv.Itoa(n) }

// flashKeys are the messages a redirect may ask a page to show (?msg=).
var flashKeys = map[string]bool{"submitted": true, "cancelled_msg": true, "done": true, "signed_out": true, "unlocked": true}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *Page) error

// page wraps a handler: language, session (optional), CSRF on POST, the
// library names, and error rendering.
func (h *Handler) page(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := h.newPage(w, r)
		if err := h.checkPost(r, p); err != nil {
			h.renderError(w, r, p, err)
			return
		}
		if err := fn(w, r, p); err != nil {
			h.renderError(w, r, p, err)
		}
	}
}

// reader wraps a reader-only handler.
func (h *Handler) reader(fn handlerFunc) http.HandlerFunc {
	return h.page(func(w http.ResponseWriter, r *http.Request, p *Page) error {
		if p.Sess == nil || p.Sess.Kind != kindReader {
			return h.toLogin(w, r, "/login")
		}
		return fn(w, r, p)
	})
}

// staff wraps a staff-only handler.
func (h *Handler) staff(fn handlerFunc) http.HandlerFunc {
	return h.page(func(w http.ResponseWriter, r *http.Request, p *Page) error {
		if p.Sess == nil || p.Sess.Kind != kindStaff {
			return h.toLogin(w, r, "/staff/login")
		}
		return fn(w, r, p)
	})
}

func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request, to string) error {
	if r.Method != http.MethodGet {
		return errSignIn
	}
	http.Redirect(w, r, to+"?next="+urlEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return nil
}

func (h *Handler) newPage(w http.ResponseWriter, r *http.Request) *Page {
	p := &Page{Lang: "zh", Path: r.URL.Path, now: h.cfg.Clock.Now(), request: r}
	q := r.URL.Query()
	if l := q.Get("lang"); l == "en" || l == "zh" {
		p.Lang = l
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	} else if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "zh") {
		p.Lang = c.Value
	} // otherwise Chinese, whatever the browser's Accept-Language
	q.Del("lang")
	q.Del("msg")
	p.Query = q.Encode()
	if m := r.URL.Query().Get("msg"); flashKeys[m] {
		p.Flash = m
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if s, err := h.cfg.App.Session(r.Context(), c.Value); err == nil {
			p.Sess = &s
		}
	}
	if libs, err := h.cfg.App.LibraryNames(r.Context()); err == nil {
		p.libs = libs
	}
	return p
}

// checkPost enforces CSRF on every POST: a same-origin Origin header when
// the browser sends one, and the form's csrf field equal to the session's
// token (or, before sign-in, to the login cookie).
func (h *Handler) checkPost(r *http.Request, p *Page) error {
	if r.Method != http.MethodPost {
		return nil
	}
	limit := h.uploadLimit(r)
	if limit > 64<<10 && (p.Sess == nil || p.Sess.Kind != kindStaff) {
		return errSignIn // a large body is read for a signed-in supplier only
	}
	r.Body = http.MaxBytesReader(nil, r.Body, limit)
	parse := r.ParseForm
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// a file upload (the centre's calendar import, a copy's PDF:
		// delivery.go): the token is a field of the multipart form; a
		// file beyond 64 KiB waits in a temporary file the server removes
		parse = func() error { return r.ParseMultipartForm(64 << 10) }
	}
	if err := parse(); err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return ill.Errorf(ill.CodeTooLarge, "the form is larger than %d bytes", big.Limit)
		}
		return ill.Errorf(ill.CodeBadRequest, "bad form")
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if !sameOrigin(o, r.Host) {
			return errCSRF
		}
	}
	want := ""
	if p.Sess != nil {
		want = p.Sess.CSRF
	} else if c, err := r.Cookie(loginCookie); err == nil {
		want = c.Value
	}
	got := r.PostFormValue("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

func sameOrigin(origin, host string) bool {
	o := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	return o == host
}

// CSRF is the token forms must carry.
func (p *Page) CSRF() string {
	if p.Sess != nil {
		return p.Sess.CSRF
	}
	return p.loginToken
}

// secureCookies: Secure unless the page is served over plain HTTP to a
// host a browser would not treat as secure (browsers accept Secure cookies
// from http://localhost and loopback addresses; behind TLS-terminating
// proxies X-Forwarded-Proto: https).
func secureCookies(r *http.Request) bool {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// startSession signs a user in: a new session (app.StartSession) and its
// cookie.
func (h *Handler) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, kind, library, subject string, role ill.StaffRole) error {
	tok, err := h.cfg.App.StartSession(ctx, kind, library, subject, role, h.cfg.SessionTTL)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: secureCookies(r), SameSite: http.SameSiteLaxMode, MaxAge: int(h.cfg.SessionTTL.Seconds())})
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, p *Page) error {
	to := "/login"
	if p.Sess != nil {
		if p.Sess.Kind == kindStaff {
			to = "/staff/login"
		}
		if err := h.cfg.App.EndSession(r.Context(), p.Sess.IDHash); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to+"?msg=signed_out", http.StatusSeeOther)
	return nil
}

// principal is who the signed-in user acts and reads as in app: the
// reader's library (the borrower vouching for its reader), the staff
// member's library, or the centre.
func principal(s *ill.Session) ill.Principal {
	if s.Role == ill.StaffCentreAdmin {
		return ill.Principal{Library: ill.CentreCode, Centre: true}
	}
	return ill.Principal{Library: s.Library}
}
