package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/balis/illhub/ill"
)

// webError is a refusal of the web layer itself (sign-in, CSRF, 404).
type webError struct {
	status int
	key    string
}

func (e *webError) Error() string { return e.key }

var (
	errNotFound = &webError{http.StatusNotFound, "err.not_found"}
	errSignIn   = &webError{http.StatusUnauthorized, "err.sign_in"}
	errCSRF     = &webError{http.StatusForbidden, "err.csrf"}
)

var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
	"pct": func(v float64) string { return strconvPct(v) },
	"eq2": func(a, b any) bool { return a == b },
}

func parsePages() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html"))
	// partials (sections that areas add to pages, see panels.go) are
	// parsed into every page.
	if partials, err := assetsGlob("templates/partials/*.html"); err == nil && len(partials) > 0 {
		layout = template.Must(layout.ParseFS(assets, partials...))
	}
	names, err := assetsGlob("templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t := template.Must(template.Must(layout.Clone()).ParseFS(assets, n))
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages
}

// render executes page name inside the layout.
func (h *Handler) render(w http.ResponseWriter, p *Page, name string, data any) error {
	t, ok := h.pages[name]
	if !ok {
		return errors.New("web: no template " + name)
	}
	p.Data = data
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status != 0 {
		w.WriteHeader(p.Status)
	}
	_, err := buf.WriteTo(w)
	return err
}

// ErrorText is the status and the message shown for err in lang: the
// code's status (ill.Code.HTTPStatus, as the API answers it) and its
// explanation, with the field named for bad input.
func ErrorText(lang string, err error) (int, string) {
	var we *webError
	if errors.As(err, &we) {
		return we.status, tr(lang, we.key)
	}
	var e *ill.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, tr(lang, "err.internal")
	}
	msg := tr(lang, "err."+string(e.Code))
	if msg == "err."+string(e.Code) {
		msg = e.Message
	}
	switch e.Code {
	case ill.CodeBadRequest:
		if e.Field != "" {
			msg += " (" + tr(lang, "field."+e.Field) + ")"
		}
	case ill.CodeInvalidTransition:
		if e.State != "" {
			msg += " " + tr(lang, "current_state") + e.State.Label(lang)
		}
	}
	return e.Code.HTTPStatus(), msg
}

func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, p *Page, err error) {
	status, msg := ErrorText(p.Lang, err)
	if status >= 500 {
		h.cfg.Log.Error("web", "path", r.URL.Path, "err", err)
	}
	p.Status, p.Error, p.Title = status, msg, tr(p.Lang, "error")
	if err := h.render(w, p, "error", nil); err != nil {
		http.Error(w, msg, status)
	}
}

func urlEscape(s string) string { return url.QueryEscape(s) }

// safeNext returns next when it is a path on this site, def otherwise: a
// post-login "next" or a form's "back" must never send the browser
// elsewhere. Accepted: printable ASCII only (browsers drop tab, CR and LF
// from URLs, so "/\t/evil.example/" would become "//evil.example/", and
// they read "\" as "/"), a single leading "/", and nothing url.Parse
// takes for a scheme, user or host. Paths from RequestURI are
// percent-encoded, so a real page never fails this.
func safeNext(next, def string) string {
	if next == "" || len(next) > 8192 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return def
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return def
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return def
	}
	return next
}
