package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/balis/illhub/ill"
)

// routeOpenURL registers GET /openurl: an OpenURL 1.0 KEV (or 0.1) link
// from a discovery layer or a member OPAC's "no result? ask BALIS" link
// (docs/openurl.md has the templates).
func (h *Handler) routeOpenURL(m *http.ServeMux) {
	m.HandleFunc("GET /openurl", h.page(h.openURL))
}

// openURL lands a reader on a prefilled request (app.Service.OpenURL): the
// copy request form for an article or a part of a book (delivery.go), the
// record page of the one matching union record, else the manual form with
// what the link gives. The link's rfr_id (or sid) rides along as the
// request's source. A visitor who is not signed in as a reader goes to the
// reader sign-in, which returns here: next is the link rewritten as
// canonical KEV (only the fields the hub reads, percent-encoded ASCII),
// which the sign-in's safeNext accepts even when the original link was
// long or carried raw bytes.
func (h *Handler) openURL(w http.ResponseWriter, r *http.Request, p *Page) error {
	if p.Sess == nil || p.Sess.Kind != kindReader {
		next := "/openurl"
		if o, err := ill.ParseOpenURL(r.URL.RawQuery); err == nil {
			next += "?" + o.KEV()
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	}
	l, err := h.cfg.App.OpenURL(r.Context(), principal(p.Sess), r.URL.RawQuery)
	if err != nil {
		if ill.ErrorCode(err) != ill.CodeBadRequest {
			return err
		}
		// Nothing to prefill: the empty manual form, and why.
		p.Flash = "openurl.nothing"
		p.Title = p.T("nav_manual")
		return h.render(w, p, "manual", manualData{Token: randomToken()[:16]})
	}
	if l.RecordID != 0 {
		to := "/records/" + strconv.FormatInt(l.RecordID, 10)
		if l.Source != "" {
			to += "?source=" + url.QueryEscape(l.Source)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if l.Copy { // an article or a part of a book: the copy request form
		p.Flash = "openurl.copy"
		p.Title = p.T("copy.nav")
		return h.render(w, p, "copy_request", newCopyForm(l.CopyItem, l.Source))
	}
	p.Flash = "openurl.no_match"
	p.Title = p.T("nav_manual")
	return h.render(w, p, "manual", manualData{Item: l.Item, Note: l.Note, Token: randomToken()[:16], Source: l.Source})
}
