package web

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

type loginData struct {
	Libraries []mysql.Library
	Library   string
	User      string
	Next      string
	Staff     bool
}

// ensureLoginToken gives the sign-in form its CSRF token (double submit:
// the same random value in an HttpOnly cookie and in the form).
func (h *Handler) ensureLoginToken(w http.ResponseWriter, r *http.Request, p *Page) {
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) >= 32 {
		p.loginToken = c.Value
		return
	}
	p.loginToken = randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: p.loginToken, Path: "/", HttpOnly: true,
		Secure: secureCookies(r), SameSite: http.SameSiteStrictMode, MaxAge: 24 * 3600})
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, p *Page, d loginData) error {
	h.ensureLoginToken(w, r, p)
	libs, err := h.cfg.Store.Libraries(r.Context())
	if err != nil {
		return err
	}
	d.Libraries = libs
	if d.Next == "" {
		d.Next = r.URL.Query().Get("next")
	}
	if d.Staff {
		p.Title = p.T("staff_login")
	} else {
		p.Title = p.T("reader_login")
	}
	return h.render(w, p, "login", d)
}

func (h *Handler) readerLoginForm(w http.ResponseWriter, r *http.Request, p *Page) error {
	return h.loginPage(w, r, p, loginData{})
}

func (h *Handler) staffLoginForm(w http.ResponseWriter, r *http.Request, p *Page) error {
	return h.loginPage(w, r, p, loginData{Staff: true})
}

// throttle limits sign-in attempts per account: after 5 failures in 15
// minutes the account is refused for the rest of the window.
type throttle struct {
	mu   sync.Mutex
	fail map[string][]time.Time
}

var logins = &throttle{fail: map[string][]time.Time{}}

func (t *throttle) blocked(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	var keep []time.Time
	for _, at := range t.fail[key] {
		if now.Sub(at) < 15*time.Minute {
			keep = append(keep, at)
		}
	}
	t.fail[key] = keep
	if len(keep) == 0 {
		delete(t.fail, key)
	}
	return len(keep) >= 5
}

func (t *throttle) failed(key string, now time.Time) {
	t.mu.Lock()
	t.fail[key] = append(t.fail[key], now)
	t.mu.Unlock()
}

func (t *throttle) reset(key string) { t.mu.Lock(); delete(t.fail, key); t.mu.Unlock() }

func (h *Handler) readerLogin(w http.ResponseWriter, r *http.Request, p *Page) error {
	lib := strings.TrimSpace(r.PostFormValue("library"))
	card := strings.TrimSpace(r.PostFormValue("card"))
	pin := r.PostFormValue("pin")
	d := loginData{Library: lib, User: card, Next: r.PostFormValue("next")}
	key := "reader/" + lib + "/" + card
	now := h.cfg.Clock.Now()
	if logins.blocked(key, now) {
		p.Status, p.Error = http.StatusTooManyRequests, p.T("err.rate_limited")
		return h.loginPage(w, r, p, d)
	}
	rd, err := h.cfg.Store.Reader(r.Context(), lib, card)
	if err != nil && ill.ErrorCode(err) != ill.CodeNotFound {
		return err
	}
	if err != nil || !httpapi.CheckPIN(rd.PINHash, pin) {
		logins.failed(key, now)
		p.Status, p.Error = http.StatusUnauthorized, p.T("bad_login")
		if err == nil && rd.PINHash == "" {
			p.Error = p.T("no_portal")
		}
		return h.loginPage(w, r, p, d)
	}
	logins.reset(key)
	if err := h.startSession(r.Context(), w, r, "reader", lib, card, ""); err != nil {
		return err
	}
	http.Redirect(w, r, safeNext(d.Next, "/search"), http.StatusSeeOther)
	return nil
}

func (h *Handler) staffLogin(w http.ResponseWriter, r *http.Request, p *Page) error {
	lib := strings.TrimSpace(r.PostFormValue("library"))
	user := strings.TrimSpace(r.PostFormValue("username"))
	pw := r.PostFormValue("password")
	d := loginData{Library: lib, User: user, Next: r.PostFormValue("next"), Staff: true}
	key := "staff/" + lib + "/" + user
	now := h.cfg.Clock.Now()
	if logins.blocked(key, now) {
		p.Status, p.Error = http.StatusTooManyRequests, p.T("err.rate_limited")
		return h.loginPage(w, r, p, d)
	}
	u, err := h.cfg.Store.StaffUser(r.Context(), lib, user)
	if err != nil && ill.ErrorCode(err) != ill.CodeNotFound {
		return err
	}
	if err != nil || u.Disabled || !httpapi.CheckPIN(u.PasswordHash, pw) {
		logins.failed(key, now)
		p.Status, p.Error = http.StatusUnauthorized, p.T("bad_staff_login")
		return h.loginPage(w, r, p, d)
	}
	logins.reset(key)
	if err := h.startSession(r.Context(), w, r, "staff", lib, user, u.Role); err != nil {
		return err
	}
	http.Redirect(w, r, safeNext(d.Next, "/console"), http.StatusSeeOther)
	return nil
}
