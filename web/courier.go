package web

// Console pages over the courier data: the lender's pull slip and
// the courier runs with their manifests.

import (
	"net/http"
	"strconv"

	"github.com/balis/illhub/ill"
)

func (h *Handler) routeCourier(m *http.ServeMux) {
	m.HandleFunc("GET /console/pull-slip", h.staff(h.pullSlip))
	m.HandleFunc("GET /console/courier", h.staff(h.courierRuns))
	m.HandleFunc("GET /console/courier/{id}", h.staff(h.manifest))
}

// pullSlip: the library's accepted requests to fetch from the shelves, in
// shelf (call number) order.
func (h *Handler) pullSlip(w http.ResponseWriter, r *http.Request, p *Page) error {
	if p.IsCentre() {
		return errForbiddenPage // a pull slip belongs to one lender
	}
	slip, err := h.cfg.App.PullSlip(r.Context(), principal(p.Sess), "")
	if err != nil {
		return err
	}
	p.Title = p.T("pull_slip")
	return h.render(w, p, "pull_slip", slip.Items)
}

type courierData struct {
	Runs  []ill.RunSummary
	Run   *ill.RunSummary
	Items []ill.ManifestItem
}

func (h *Handler) courierRuns(w http.ResponseWriter, r *http.Request, p *Page) error {
	today := ill.DateOf(h.cfg.Clock.Now())
	runs, err := h.cfg.App.CourierRuns(r.Context(), principal(p.Sess), today.AddDays(-14), today.AddDays(7))
	if err != nil {
		return err
	}
	p.Title = p.T("courier")
	return h.render(w, p, "courier", courierData{Runs: runs})
}

// manifest: one run's items; library staff see the items leaving from or
// going to their library only.
func (h *Handler) manifest(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	items, err := h.cfg.App.RunItems(r.Context(), principal(p.Sess), id)
	if err != nil {
		return err
	}
	d := courierData{Items: items}
	p.Title = p.T("courier") + " #" + strconv.FormatInt(id, 10)
	return h.render(w, p, "courier", d)
}
