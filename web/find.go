package web

// The desk finds everything: the console's search over every request the
// signed-in staff may see (/console/search, the JSON API's history query
// with the same parameters) and batch actions on a queue.

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

func (h *Handler) routeFind(m *http.ServeMux) {
	m.HandleFunc("GET /console/search", h.staff(h.findSearch))
	m.HandleFunc("POST /console/batch/{key}", h.staff(h.findBatch))
}

// findData is the search page.
type findData struct {
	Q, State, From, To, Library, Barcode, Card string
	States                                     []ill.State
	Libraries                                  []ill.Library
	Requests                                   []*ill.Request
	Total                                      int
	Unread                                     map[string]int
	Pager                                      pager
	// Service is the service type filter ("" every type), Services its
	// choices (all, loan, copy).
	Service  string
	Services []string
}

// findPerPage is the search page's page size.
const findPerPage = 20

// findSearch: GET /console/search?q=&state=&from=&to=&library=&barcode=&patron_id=&service_type=&page=.
// The console's q is the API's text (one value: request id, card,
// barcode, ISBN, reader's name or title words); the other parameters are
// the API's (app.ListFilterFrom), so both list the same requests. A q
// that names exactly one request by its id, the borrower's own id or its
// barcode goes straight to that request.
func (h *Handler) findSearch(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	d := findData{Q: strings.TrimSpace(q.Get("q")), State: strings.ToUpper(strings.TrimSpace(q.Get("state"))),
		From: q.Get("from"), To: q.Get("to"), Library: strings.ToUpper(strings.TrimSpace(q.Get("library"))),
		Barcode: strings.TrimSpace(q.Get("barcode")), Card: strings.TrimSpace(q.Get("patron_id")), States: ill.States,
		Service: strings.TrimSpace(q.Get("service_type")), Services: []string{"all", string(ill.ServiceLoan), string(ill.ServiceCopy)}}
	p.Title = p.T("find.title")
	libs, err := h.cfg.App.Libraries(r.Context())
	if err != nil {
		return err
	}
	d.Libraries = libs
	params := url.Values{}
	for k, v := range q {
		params[k] = v
	}
	params.Del("q")
	params.Del("text")
	params.Set("text", d.Q)
	f, err := app.ListFilterFrom(params)
	if err != nil {
		p.Status, p.Error = ErrorText(p.Lang, err)
		return h.render(w, p, "console_search", d)
	}
	page := pageOf(r)
	f.Page, f.PerPage = page, findPerPage
	pr := principal(p.Sess)
	res, err := h.cfg.App.Find(r.Context(), pr, f)
	if err != nil {
		return err
	}
	if res.Direct != "" && page == 1 {
		http.Redirect(w, r, "/console/requests/"+url.PathEscape(res.Direct), http.StatusSeeOther)
		return nil
	}
	if d.Unread, err = h.cfg.App.UnreadNotes(r.Context(), pr, res.Requests); err != nil {
		return err
	}
	d.Requests, d.Total, d.Pager = res.Requests, res.Total, newPager(r, page, findPerPage, res.Total, false)
	return h.render(w, p, "console_search", d)
}

// batchActions is the action a queue's batch form takes on every chosen
// request (the queue's first one-click action; cancel requests are
// answered one by one, and returns need each item's condition).
var batchActions = map[string]actionForm{
	"to_answer":  {Action: ill.ActRespond, Variant: "will_supply", Label: "act.will_supply"},
	"to_ship":    {Action: ill.ActShip, Label: "act.ship"},
	"to_receive": {Action: ill.ActReceive, Label: "act.receive"},
	"arrived":    {Action: ill.ActCheckout, Label: "act.checkout"},
	"to_checkin": {Action: ill.ActCheckin, Label: "act.checkin"},
	"returns":    {Action: ill.ActShipReturn, Label: "act.ship_return"},
}

// batchBody is the action body of one request of a batch: a ship's
// barcode from the request's own row, a check-in in good condition (as
// the queue's one-click check-in).
func batchBody(a actionForm, r *http.Request, id string) ill.ActionBody {
	var b ill.ActionBody
	switch a.Action {
	case ill.ActRespond:
		b.Decision = string(a.Variant)
	case ill.ActShip:
		b.ItemBarcode = strings.TrimSpace(r.PostFormValue("barcode-" + id))
	case ill.ActCheckin:
		b.Condition = "good"
	}
	return b
}

// batchRow is one request's outcome on the batch result page.
type batchRow struct {
	ID, Title string
	Queued    bool
	Message   string // the refusal, in the page's language
}

type batchData struct {
	Queue  ill.Queue
	Action actionForm
	Rows   []batchRow
	Queued int
}

// findBatch: POST /console/batch/{key}: the queue's batch action on the
// chosen requests (form fields id, one per request; barcode-<id> for a
// ship), each through app.Act with its own idempotency key derived from
// the form's token, and a page saying per request whether it was queued
// or refused and why.
func (h *Handler) findBatch(w http.ResponseWriter, r *http.Request, p *Page) error {
	q, ok := queueByKey(r.PathValue("key"))
	a, batch := batchActions[q.Key]
	if !ok || !batch {
		return errNotFound
	}
	var items []app.BatchItem
	for _, id := range r.PostForm["id"] {
		if id = strings.TrimSpace(id); id != "" {
			items = append(items, app.BatchItem{RequestID: id, Body: batchBody(a, r, id)})
		}
	}
	pr := principal(p.Sess)
	results, err := h.cfg.App.ActBatch(r.Context(), pr, a.Action, items, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	titles := map[string]string{}
	if len(results) <= ill.MaxListIDs {
		ids := make([]string, len(results))
		for i, res := range results {
			ids[i] = res.RequestID
		}
		if reqs, _, err := h.cfg.App.List(r.Context(), pr, ill.ListFilter{IDs: ids, Page: 1, PerPage: len(ids)}); err == nil {
			for _, rq := range reqs {
				titles[rq.ID] = rq.Title
			}
		}
	}
	d := batchData{Queue: q, Action: a}
	for _, res := range results {
		row := batchRow{ID: res.RequestID, Title: titles[res.RequestID], Queued: res.Err == nil}
		if res.Err != nil {
			_, row.Message = ErrorText(p.Lang, res.Err)
		} else {
			d.Queued++
		}
		d.Rows = append(d.Rows, row)
	}
	p.Title = p.T("find.batch_title")
	return h.render(w, p, "find_batch", d)
}
