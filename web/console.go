package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// queues are the console's work queues, in display order. Side says in
// which capacity the signed-in library works the queue.
var queues = []ill.Queue{
	{Key: "to_answer", Side: "lender", States: []ill.State{ill.Requested}, Order: "respond_by"},
	{Key: "to_ship", Side: "lender", States: []ill.State{ill.WillSupply}, Order: "ship_by"},
	{Key: "cancel_asks", Side: "lender", States: []ill.State{ill.CancelPending}, Order: "updated_at"},
	{Key: "lent_out", Side: "lender", States: []ill.State{ill.Shipped, ill.Received, ill.OnLoan, ill.Recalled, ill.Overdue}, Order: "due_at"},
	{Key: "to_checkin", Side: "lender", States: []ill.State{ill.ReturnShipped}, Order: "updated_at"},
	{Key: "mediation", Side: "borrower", States: []ill.State{ill.NeedsMediation}, Order: "submitted_at"},
	{Key: "to_receive", Side: "borrower", States: []ill.State{ill.Shipped}, Order: "updated_at"},
	{Key: "arrived", Side: "borrower", States: []ill.State{ill.Received}, Order: "updated_at"},
	{Key: "on_loan", Side: "borrower", States: []ill.State{ill.OnLoan, ill.Recalled, ill.Overdue}, Order: "due_at"},
	{Key: "returns", Side: "borrower", States: []ill.State{ill.Returned}, Order: "updated_at"},
	// The borrower follows its requests while a lender has them, and
	// finds the finished ones (the most recent first).
	{Key: "with_lender", Side: "borrower", States: []ill.State{ill.Requested, ill.WillSupply, ill.CancelPending, ill.Shipped}, Order: "updated_at"},
	{Key: "finished", Side: "borrower", States: []ill.State{ill.Completed, ill.Unfilled, ill.Rejected, ill.Cancelled, ill.Lost}, Order: "updated_at", Desc: true},
}

func queueByKey(k string) (ill.Queue, bool) {
	for _, q := range queues {
		if q.Key == k {
			return q, true
		}
	}
	return ill.Queue{}, false
}

type queueView struct {
	Queue    ill.Queue
	Total    int
	Requests []*ill.Request
	Token    string
	// Unread counts the notes the library has not read, per request
	// (notes.go).
	Unread map[string]int
	// Batch is the queue page's batch action (find.go), nil when the
	// queue has none or on the console home; BatchToken keys its
	// messages.
	Batch      *actionForm
	BatchToken string
}

type consoleData struct {
	Queues []queueView
	// Unread lists requests with notes the library has not read, and
	// UnreadTotal counts those notes (notes.go).
	Unread      []ill.NoteUnread
	UnreadTotal int
	Shipments   []ill.ShipmentRow
	Calendar    string        // non-empty: coverage warning date
	Libraries   []ill.Library // the centre admin's choice in the unlock form
}

func (h *Handler) console(w http.ResponseWriter, r *http.Request, p *Page) error {
	var d consoleData
	pr := principal(p.Sess)
	for _, q := range queues {
		reqs, total, err := h.cfg.App.Queue(r.Context(), pr, q, 5)
		if err != nil {
			return err
		}
		unread, err := h.cfg.App.UnreadNotes(r.Context(), pr, reqs)
		if err != nil {
			return err
		}
		d.Queues = append(d.Queues, queueView{Queue: q, Total: total, Requests: reqs, Token: randomToken()[:16], Unread: unread})
	}
	var err error
	if d.Unread, d.UnreadTotal, err = h.cfg.App.NotesInbox(r.Context(), pr, 10); err != nil {
		return err
	}
	ships, err := h.cfg.App.OpenShipments(r.Context(), pr, 20)
	if err != nil {
		return err
	}
	d.Shipments = ships
	d.Calendar = h.calendarWarning(r)
	if p.IsCentre() {
		if d.Libraries, err = h.cfg.App.Libraries(r.Context()); err != nil {
			return err
		}
	}
	p.Title = p.T("console")
	return h.render(w, p, "console", d)
}

// unlock: POST /console/unlock. A library's staff lift the sign-in
// throttle of one of their own readers, from every address at once (a
// reader a stranger has locked out, once the staff know who is asking);
// the centre admin may do it for any library's readers and for staff
// accounts. The answer is the same whether the account was throttled or
// exists at all; the log keeps who unlocked what.
func (h *Handler) unlock(w http.ResponseWriter, r *http.Request, p *Page) error {
	kind := r.PostFormValue("kind")
	if kind == "" {
		kind = kindReader
	}
	if kind != kindReader && kind != kindStaff {
		return ill.FieldError("kind", "reader or staff")
	}
	lib := p.Sess.Library
	if p.IsCentre() {
		lib = r.PostFormValue("library")
	} else if kind != kindReader {
		return errForbiddenPage
	}
	lib, name, err := canonicalAccount(kind, lib, r.PostFormValue("account"))
	if err != nil {
		return err
	}
	if !p.IsCentre() && lib != p.Sess.Library {
		return errForbiddenPage
	}
	was := h.guard.unlock(kind, lib, name)
	h.cfg.Log.Info("sign-in unlocked", "kind", kind, "library", lib, "account", name,
		"by_library", p.Sess.Library, "by", p.Sess.Subject, "was_throttled", was)
	http.Redirect(w, r, "/console?msg=unlocked#unlock", http.StatusSeeOther)
	return nil
}

// calendarWarning is the covered-until date when the national calendar
// covers less than the next 60 days ("" otherwise).
func (h *Handler) calendarWarning(r *http.Request) string {
	if h.cfg.Calendar == nil {
		return ""
	}
	cal, err := h.cfg.Calendar.Get(r.Context())
	if err != nil {
		return ""
	}
	today := ill.DateOf(h.cfg.Clock.Now())
	if until := cal.CoveredUntil(today); until.Before(today.AddDays(60)) {
		return until.String()
	}
	return ""
}

func (h *Handler) queue(w http.ResponseWriter, r *http.Request, p *Page) error {
	q, ok := queueByKey(r.PathValue("key"))
	if !ok {
		return errNotFound
	}
	pr := principal(p.Sess)
	reqs, total, err := h.cfg.App.Queue(r.Context(), pr, q, 200)
	if err != nil {
		return err
	}
	unread, err := h.cfg.App.UnreadNotes(r.Context(), pr, reqs)
	if err != nil {
		return err
	}
	v := queueView{Queue: q, Total: total, Requests: reqs, Token: randomToken()[:16], Unread: unread}
	if a, ok := batchActions[q.Key]; ok && len(reqs) > 0 {
		v.Batch, v.BatchToken = &a, randomToken()[:16]
	}
	p.Title = p.QueueTitle(q.Key)
	return h.render(w, p, "queue", v)
}

// actionForm is one action the signed-in staff member may take now.
type actionForm struct {
	Action  ill.Action
	Variant ill.Variant
	Label   string
}

type consoleRequestData struct {
	Req     *ill.Request
	Actions []actionForm
	Token   string
	Reasons []ill.Reason
	// Panels are the registered sections of the page (panels.go).
	Panels []template.HTML
}

// allowedActions asks the state table which actions (and variants) the
// principal may take on req now; renew (always refused) is left out, and
// so is deliver, which takes the uploaded file (the delivery panel's form).
func allowedActions(req *ill.Request, pr ill.Principal, now time.Time) []actionForm {
	var out []actionForm
	for _, a := range ill.APIActions {
		if a == ill.ActRenew || a == ill.ActDeliver {
			continue
		}
		for _, v := range ill.Variants(a) {
			if a == ill.ActCancel && v != "staff" {
				continue
			}
			if _, err := ill.Allow(ill.Attempt{Action: a, Variant: v, From: req.State,
				Roles: req.RolesOf(pr.Library, pr.Centre), At: now, SubmittedAt: req.SubmittedAt,
				Service: req.ServiceType}); err == nil {
				key := "act." + string(a)
				switch {
				case a == ill.ActRespond:
					key = "act." + string(v)
				case a == ill.ActCancelResponse:
					key = "act.cancel_" + string(v)
				}
				out = append(out, actionForm{Action: a, Variant: v, Label: key})
			}
		}
	}
	return out
}

var unfilledReasons = []ill.Reason{ill.ReasonNotOnShelf, ill.ReasonNotHeld, ill.ReasonNonCirculating,
	ill.ReasonNotAvailableForILL, ill.ReasonPolicyProblem, ill.ReasonPoorCondition}

func (h *Handler) consoleRequest(w http.ResponseWriter, r *http.Request, p *Page) error {
	pr := principal(p.Sess)
	req, err := h.cfg.App.Request(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		return err
	}
	p.Title = req.Title
	panels, err := h.renderPanels(r.Context(), "console_request", p, req)
	if err != nil {
		return err
	}
	return h.render(w, p, "console_request", consoleRequestData{Req: req, Actions: allowedActions(req, pr, h.cfg.Clock.Now()),
		Token: randomToken()[:16], Reasons: unfilledReasons, Panels: panels})
}

// actionBody builds an action body from a console form. The form's
// variant field carries respond's decision and cancel_response's answer.
func actionBody(a ill.Action, r *http.Request) ill.ActionBody {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	b := ill.ActionBody{Note: f("note"), ItemBarcode: f("item_barcode"), Condition: f("condition"),
		Reason: ill.Reason(f("reason")), RecordID: f("record_id")}
	switch a {
	case ill.ActRespond:
		b.Decision = f("variant")
	case ill.ActCancel:
		b.By = "staff"
	case ill.ActCancelResponse:
		yes := f("variant") == "yes"
		b.Accept = &yes
	case ill.ActMediate:
		for _, c := range strings.FieldsFunc(f("lenders"), func(r rune) bool { return r == ',' || r == ' ' || r == '，' }) {
			b.Lenders = append(b.Lenders, strings.ToUpper(c))
		}
	}
	return b
}

// consoleAct takes one action through the API's use case (app.Act) as the
// staff member's library (or the centre): the same state table, the same
// 403/409 refusals.
func (h *Handler) consoleAct(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, a := r.PathValue("id"), ill.Action(r.PathValue("action"))
	pr := principal(p.Sess)
	before := h.snapshot(r, pr, id)
	if _, err := h.cfg.App.Act(r.Context(), pr, id, a, actionBody(a, r), r.PostFormValue("token"), nil); err != nil {
		return err
	}
	h.waitChange(r, pr, before, 2*time.Second)
	back := safeNext(r.PostFormValue("back"), "/console/requests/"+id)
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"msg=done", http.StatusSeeOther)
	return nil
}

var errForbiddenPage = &webError{http.StatusForbidden, "err.forbidden"}

// pageWith pairs the page with a value for a sub-template.
type pageWith struct {
	P *Page
	V any
}

// With passes v to a sub-template together with the page.
func (p *Page) With(v any) pageWith { return pageWith{P: p, V: v} }

// Replace substitutes old by new in s (message placeholders).
func (p *Page) Replace(s, old, new string) string { return strings.ReplaceAll(s, old, new) }

// Deadline is the deadline that matters in the request's state: the
// response deadline, the shipping (a copy's delivery) deadline or the due
// date.
func (p *Page) Deadline(r *ill.Request) time.Time {
	switch r.State {
	case ill.Requested:
		return r.RespondBy
	case ill.WillSupply:
		if r.ServiceType.IsCopy() { // a copy is delivered, not shipped
			return r.DeliverBy
		}
		return r.ShipBy
	case ill.OnLoan, ill.Recalled, ill.Overdue, ill.Received:
		return r.DueAt
	}
	return time.Time{}
}

// actButton is a one-click action in a queue row.
type actButton struct {
	ID, Token, Back string
	Action          ill.Action
	Variant         ill.Variant
	Label, Class    string
}

// oneClick are the actions offered inline in each queue (the request page
// offers every allowed action).
var oneClick = map[string][]actionForm{
	"to_answer":   {{Action: ill.ActRespond, Variant: "will_supply"}},
	"to_ship":     {{Action: ill.ActShip}},
	"cancel_asks": {{Action: ill.ActCancelResponse, Variant: "yes"}, {Action: ill.ActCancelResponse, Variant: "no"}},
	"to_checkin":  {{Action: ill.ActCheckin}},
	"to_receive":  {{Action: ill.ActReceive}},
	"arrived":     {{Action: ill.ActCheckout}},
	"on_loan":     {{Action: ill.ActReturn}},
	"returns":     {{Action: ill.ActShipReturn}},
}

// Buttons lists the one-click actions of queue key that the signed-in
// user may take on r now (by the state table).
func (p *Page) Buttons(key string, r *ill.Request, token string) []actButton {
	if p.Sess == nil {
		return nil
	}
	allowed := allowedActions(r, principal(p.Sess), p.now)
	var out []actButton
	for _, want := range oneClick[key] {
		for _, a := range allowed {
			if a.Action == want.Action && a.Variant == want.Variant {
				cls := ""
				if a.Variant == "no" {
					cls = "secondary"
				}
				out = append(out, actButton{ID: r.ID, Token: token + "-" + r.ID + "-" + string(a.Action) + string(a.Variant),
					Back: p.Path, Action: a.Action, Variant: a.Variant, Label: a.Label, Class: cls})
			}
		}
	}
	return out
}

// RotaReasons explains why a lender has its place in the rota (the routing
// reason labels), in the page's language.
func (p *Page) RotaReasons(e ill.RotaEntry) string {
	zh, en := ill.ReasonLabels(e.Reasons)
	if p.Lang == "en" {
		return strings.Join(en, "; ")
	}
	return strings.Join(zh, "；")
}
