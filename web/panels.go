package web

import (
	"bytes"
	"context"
	"html/template"

	"github.com/balis/illhub/ill"
)

// A requestPanel is a section of the console's request page that an area
// of the console adds (notes between libraries, notices sent,
// violations, ...) without the request page knowing it: the area
// registers the panel from its own file's init, with a template defined in
// templates/partials/ (parsed into every page) and a loader for its data.
// Panels are shown in registration order, between the actions and the
// timeline.
type requestPanel struct {
	// Template is the name of the {{define}} in templates/partials/.
	Template string
	// Load reads the panel's data for req as p's signed-in staff sees it
	// (the request is already known to be visible to them). A nil result
	// and nil error leave the panel out.
	Load func(ctx context.Context, h *Handler, p *Page, req *ill.Request) (any, error)
}

var requestPanels []requestPanel

// addRequestPanel registers a panel; called from init only.
func addRequestPanel(rp requestPanel) { requestPanels = append(requestPanels, rp) }

// panelData is what a panel's template is executed with.
type panelData struct {
	*Page
	Req  *ill.Request
	Data any
}

// renderPanels loads and renders the registered panels of req for page
// name (whose template set holds the partials).
func (h *Handler) renderPanels(ctx context.Context, name string, p *Page, req *ill.Request) ([]template.HTML, error) {
	t := h.pages[name]
	var out []template.HTML
	for _, rp := range requestPanels {
		d, err := rp.Load(ctx, h, p, req)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, rp.Template, panelData{Page: p, Req: req, Data: d}); err != nil {
			return nil, err
		}
		out = append(out, template.HTML(buf.String())) // #nosec: html/template output
	}
	return out, nil
}
