package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/throttle"
)

type loginData struct {
	Libraries []ill.Library
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
	libs, err := h.cfg.App.Libraries(r.Context())
	if err != nil {
		return err
	}
	d.Libraries = libs
	if d.Next == "" {
		d.Next = safeNext(r.URL.Query().Get("next"), "") // only a same-site path is carried on
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

// readerLogin signs a reader in with library, card number and PIN. Library
// and card are canonicalised first (ill.CanonicalCode, ill.CanonicalCard):
// the throttle keys and the session see one identity for every spelling
// the database matches. A spelling canonicalisation refuses, an unknown
// card, a reader without a PIN and a wrong PIN all get the same 401.
func (h *Handler) readerLogin(w http.ResponseWriter, r *http.Request, p *Page) error {
	lib, card, pin := r.PostFormValue("library"), r.PostFormValue("card"), r.PostFormValue("pin")
	d := loginData{Library: echo(lib), User: echo(card), Next: safeNext(r.PostFormValue("next"), "")}
	res, err := h.guard.signIn(r.Context(), h.cfg.Clock.Now(), throttle.ClientAddr(r), kindReader, lib, card, pin,
		func(ctx context.Context, lib, card string) (storedAccount, error) {
			rd, err := h.cfg.App.Reader(ctx, lib, card)
			return storedAccount{Found: err == nil, Subject: rd.ID, Hash: rd.PINHash}, err
		})
	if err != nil {
		return err
	}
	if !res.OK {
		return h.loginRefused(w, r, p, d, res, "bad_login", "signin_locked_reader")
	}
	if err := h.startSession(r.Context(), w, r, kindReader, res.Library, res.Subject, ""); err != nil {
		return err
	}
	http.Redirect(w, r, safeNext(d.Next, "/search"), http.StatusSeeOther)
	return nil
}

// staffLogin signs a staff member in with library, user name and password
// (canonicalised like the reader's; a disabled account is a wrong one).
func (h *Handler) staffLogin(w http.ResponseWriter, r *http.Request, p *Page) error {
	lib, user, pw := r.PostFormValue("library"), r.PostFormValue("username"), r.PostFormValue("password")
	d := loginData{Library: echo(lib), User: echo(user), Next: safeNext(r.PostFormValue("next"), ""), Staff: true}
	res, err := h.guard.signIn(r.Context(), h.cfg.Clock.Now(), throttle.ClientAddr(r), kindStaff, lib, user, pw,
		func(ctx context.Context, lib, user string) (storedAccount, error) {
			u, err := h.cfg.App.StaffUser(ctx, lib, user)
			return storedAccount{Found: err == nil, Subject: u.Username, Hash: u.PasswordHash, Role: u.Role,
				Disabled: u.Disabled}, err
		})
	if err != nil {
		return err
	}
	if !res.OK {
		return h.loginRefused(w, r, p, d, res, "bad_staff_login", "signin_locked")
	}
	if err := h.startSession(r.Context(), w, r, kindStaff, res.Library, res.Subject, res.Role); err != nil {
		return err
	}
	http.Redirect(w, r, safeNext(d.Next, "/console"), http.StatusSeeOther)
	return nil
}

// loginRefused shows the sign-in form again: 429 with Retry-After and the
// minutes to wait when throttled, 401 with the one "wrong" message
// otherwise.
func (h *Handler) loginRefused(w http.ResponseWriter, r *http.Request, p *Page, d loginData, res signInResult, wrong, locked string) error {
	if res.Retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(res.Retry)))
		p.Status = http.StatusTooManyRequests
		p.Error = strings.ReplaceAll(p.T(locked), "{n}", strconv.Itoa((retrySeconds(res.Retry)+59)/60))
	} else {
		p.Status, p.Error = http.StatusUnauthorized, p.T(wrong)
	}
	return h.loginPage(w, r, p, d)
}

// echo is a typed value shown again in the refused form: trimmed, and
// dropped when longer than any identity could be (a refusal stays small).
func echo(s string) string {
	if s = strings.TrimSpace(s); len(s) > 256 {
		return ""
	}
	return s
}

// retrySeconds is a Retry-After value: whole seconds, rounded up, at least 1.
func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
