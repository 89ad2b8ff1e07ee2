package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// Mediation (seed §三) and scope marks (seed §四.1) in the console and the
// portal:
//
//   - the mediation panel on a NEEDS_MEDIATION request's console page
//     (its borrower's staff and the centre): the secondary search tools'
//     links with the request's title, ISBN and author filled in, each
//     member's OPAC, and the union catalogue's fuzzy matches, each with a
//     "mediate to this record" button (app.Act mediate with record_id);
//   - GET /console/escalated: requests nobody mediated within 1 working
//     day (every library's for the centre, a member's own);
//   - GET/POST /console/mediation/opac: the centre edits the search URL
//     templates;
//   - the scope marks of the portal's search results and record page
//     (recordScope, searchScopes, Page.ScopeText).

func init() {
	addRequestPanel(requestPanel{Template: "mediation_panel", Load: loadMediationPanel})
}

// mediationPanel is the panel's data.
type mediationPanel struct {
	Aids  *app.MediationAids
	Token string // idempotency token prefix of the mediate buttons
}

func loadMediationPanel(ctx context.Context, h *Handler, p *Page, req *ill.Request) (any, error) {
	if req.State != ill.NeedsMediation {
		return nil, nil
	}
	aids, err := h.cfg.App.MediationAids(ctx, principal(p.Sess), req)
	if err != nil || aids == nil {
		return nil, err // a nil *MediationAids must not become a non-nil any
	}
	return mediationPanel{Aids: aids, Token: randomToken()[:16]}, nil
}

func (h *Handler) routeMediation(m *http.ServeMux) {
	m.HandleFunc("GET /console/escalated", h.staff(h.escalated))
	m.HandleFunc("GET /console/mediation/opac", h.staff(h.opacTemplates))
	m.HandleFunc("POST /console/mediation/opac", h.staff(h.saveOPACTemplate))
}

type escalatedData struct {
	Requests []*ill.Request
	Total    int
}

// escalated: GET /console/escalated.
func (h *Handler) escalated(w http.ResponseWriter, r *http.Request, p *Page) error {
	reqs, total, err := h.cfg.App.EscalatedMediations(r.Context(), principal(p.Sess), 200)
	if err != nil {
		return err
	}
	p.Title = p.T("mediation.escalated_title")
	return h.render(w, p, "mediation_escalated", escalatedData{Requests: reqs, Total: total})
}

type opacData struct {
	Entries []app.OPACEntry
	// Failed is the entry whose save was refused (its form keeps the
	// value typed), Value that value.
	FailedKind, FailedCode, Value string
}

// opacTemplates: GET /console/mediation/opac (the centre only).
func (h *Handler) opacTemplates(w http.ResponseWriter, r *http.Request, p *Page) error {
	return h.renderOPAC(w, r, p, opacData{})
}

func (h *Handler) renderOPAC(w http.ResponseWriter, r *http.Request, p *Page, d opacData) error {
	if !p.IsCentre() {
		return errForbiddenPage
	}
	entries, err := h.cfg.App.OPACTemplates(r.Context(), principal(p.Sess))
	if err != nil {
		return err
	}
	d.Entries = entries
	p.Title = p.T("mediation.opac_title")
	return h.render(w, p, "mediation_opac", d)
}

// saveOPACTemplate: POST /console/mediation/opac (kind, code, url; an
// empty url restores a tool's default or removes a member's link).
func (h *Handler) saveOPACTemplate(w http.ResponseWriter, r *http.Request, p *Page) error {
	if !p.IsCentre() {
		return errForbiddenPage
	}
	kind, code := r.PostFormValue("kind"), r.PostFormValue("code")
	val := strings.TrimSpace(r.PostFormValue("url"))
	err := h.cfg.App.SetOPACTemplate(r.Context(), principal(p.Sess), kind, code, val, p.Sess.Subject)
	if ill.ErrorCode(err) == ill.CodeBadRequest {
		// The field's own explanation (ill.ValidateOPACTemplate's reason:
		// English, like the API's) after the page's words for it.
		p.Status, p.Error = http.StatusBadRequest, p.T("mediation.opac_invalid")
		if e, ok := err.(*ill.Error); ok {
			p.Error += " " + e.Message
		}
		return h.renderOPAC(w, r, p, opacData{FailedKind: kind, FailedCode: code, Value: val})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/mediation/opac?msg=done", http.StatusSeeOther)
	return nil
}

// ValueFor is the value an entry's form shows: what was typed when its
// save was refused, else the template in force.
func (d opacData) ValueFor(e app.OPACEntry) string {
	if e.Kind == d.FailedKind && e.Code == d.FailedCode {
		return d.Value
	}
	return e.URL
}

// recordScope is the scope mark of a record page for the signed-in
// reader's library.
func (h *Handler) recordScope(r *http.Request, p *Page, rec *ill.Record, hs []ill.HoldingView) (ill.ScopeCheck, error) {
	return h.cfg.App.RecordScope(r.Context(), principal(p.Sess), rec, hs)
}

// searchScopes are the scope marks of a page of search results (refused
// records only).
func (h *Handler) searchScopes(r *http.Request, p *Page, hits []ill.SearchHit) (map[int64]ill.ScopeCheck, error) {
	return h.cfg.App.SearchScope(r.Context(), principal(p.Sess), hits)
}

// ScopeText explains a scope verdict in the page's language: why a request
// for the record would be refused ("" when it would not).
func (p *Page) ScopeText(c ill.ScopeCheck) string {
	if !c.Refused() {
		return ""
	}
	s := p.T("mediation.scope." + string(c.Cause))
	v := c.Value
	if k := "mediation.value." + strings.ToLower(v); v != "" {
		if _, known := messages[k]; known {
			v = tr(p.Lang, k)
		}
	}
	return strings.ReplaceAll(s, "{v}", v)
}

// ScopeShort is a scope verdict's short mark (a search result's badge).
func (p *Page) ScopeShort(c ill.ScopeCheck) string {
	if !c.Refused() {
		return ""
	}
	return p.T("mediation.mark." + string(c.Reason))
}
