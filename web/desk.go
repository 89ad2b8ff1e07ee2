package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// The ILL desk of a library's console: requests entered for a reader
// (app.DeskSubmit, the same submit as the portal's and the API's), the
// barcode field that finds an item's request and offers the library's
// next step with one button (app.ScanAtDesk, app.ActAtDesk), and the
// reader page with the deposit status (app.DeskReader,
// app.SetReaderDeposit). Every rule is app's and the state table's.
func (h *Handler) routeDesk(m *http.ServeMux) {
	m.HandleFunc("GET /console/desk", h.staff(h.desk))
	m.HandleFunc("POST /console/desk/requests", h.staff(h.deskSubmit))
	m.HandleFunc("GET /console/desk/scan", h.staff(h.deskScan))
	m.HandleFunc("POST /console/desk/scan/{id}/{action}", h.staff(h.deskAct))
	m.HandleFunc("GET /console/readers/{card}", h.staff(h.deskReaderPage))
	m.HandleFunc("POST /console/readers/{card}/deposit", h.staff(h.deskDeposit))
}

// deskReaderForm is the reader the desk works for, as the page's query
// carries it (a new card's name, e-mail and deposit travel along until
// the submit registers them).
type deskReaderForm struct {
	Card, Name, Email string
	Deposit           bool
}

func deskReaderFrom(v url.Values) deskReaderForm {
	return deskReaderForm{Card: strings.TrimSpace(v.Get("card")), Name: strings.TrimSpace(v.Get("name")),
		Email: strings.TrimSpace(v.Get("email")), Deposit: v.Get("deposit") == "1"}
}

type deskData struct {
	Form     deskReaderForm
	Reader   *app.DeskReader
	Q, ISBN  string
	Searched bool
	Hits     []ill.SearchHit
	Pager    pager
	Item     ill.Citation
	Note     string
	Token    string
	// Refused is the request just submitted that the hub refused (R2,
	// R3, R7, ...), with the reason as staff read it.
	Refused *ill.Request
}

// desk: GET /console/desk[?card=&q=&isbn=&page=]. The desk's home: the
// barcode field, the reader's card, then (with a card) the reader's
// summary, a catalogue search whose hits submit for the reader, and the
// manual form.
func (h *Handler) desk(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	d := deskData{Form: deskReaderFrom(q), Q: strings.TrimSpace(q.Get("q")), ISBN: strings.TrimSpace(q.Get("isbn")),
		Token: randomToken()[:16]}
	return h.renderDesk(w, r, p, &d)
}

func (h *Handler) renderDesk(w http.ResponseWriter, r *http.Request, p *Page, d *deskData) error {
	p.Title = p.T("desk.title")
	if d.Form.Card != "" && !p.IsCentre() {
		rd, err := h.cfg.App.DeskReader(r.Context(), principal(p.Sess), d.Form.Card)
		if err != nil {
			if ill.ErrorCode(err) != ill.CodeBadRequest {
				return err
			}
			p.Status = http.StatusBadRequest
			_, p.Error = ErrorText(p.Lang, err)
		} else {
			d.Reader = &rd
			d.Form.Card = rd.Reader.ID
		}
	}
	if d.Reader != nil && (d.Q != "" || d.ISBN != "") {
		const per = 10
		page := pageOf(r)
		res, err := h.cfg.App.Search(r.Context(), ill.SearchQuery{Q: d.Q, ISBN: d.ISBN, Page: page, PerPage: per})
		switch {
		case ill.ErrorCode(err) == ill.CodeBadRequest:
			p.Status = http.StatusBadRequest
			_, p.Error = ErrorText(p.Lang, err)
		case err != nil:
			return err
		default:
			d.Searched = true
			d.Hits, d.Pager = res.Hits, newPager(r, page, per, res.Total, res.TotalCapped && len(res.Hits) == per)
		}
	}
	return h.render(w, p, "desk", d)
}

// deskSubmit: POST /console/desk/requests. A request for the reader,
// from a search hit (record_id) or the manual form, through
// app.DeskSubmit; then, like the portal, a bounded wait for the
// consumers' decision: a refusal is shown on the desk in words, anything
// else opens the request's console page.
func (h *Handler) deskSubmit(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	d := deskData{Form: deskReaderFrom(r.PostForm), Token: f("token")}
	b := app.DeskSubmitBody{Card: d.Form.Card, Name: d.Form.Name, Email: d.Form.Email, DepositPaid: d.Form.Deposit,
		Note: f("note"), Token: d.Token}
	if rid := f("record_id"); rid != "" {
		b.RecordID = rid
	} else {
		year := 0
		if y := f("year"); y != "" {
			var err error
			if year, err = strconv.Atoi(y); err != nil {
				year = -1
			}
		}
		b.Item = &ill.Citation{Title: f("title"), Author: f("author"), ISBN: f("isbn"), Publisher: f("publisher"), Year: year}
		d.Item, d.Note = *b.Item, b.Note
	}
	pr := principal(p.Sess)
	res, err := h.cfg.App.DeskSubmit(r.Context(), pr, b)
	if err != nil {
		if ill.ErrorCode(err) != ill.CodeBadRequest {
			return err
		}
		p.Status = http.StatusBadRequest
		_, p.Error = ErrorText(p.Lang, err)
		if d.Token == "" || len(d.Token) > 40 {
			d.Token = randomToken()[:16]
		}
		return h.renderDesk(w, r, p, &d)
	}
	if err := h.waitDecided(r, pr, res.RequestID); err != nil {
		return err
	}
	req, err := h.cfg.App.Request(r.Context(), pr, res.RequestID)
	if err == nil && (req.State == ill.Rejected || req.State == ill.Unfilled) {
		d.Refused, d.Token = req, randomToken()[:16]
		return h.renderDesk(w, r, p, &d)
	}
	http.Redirect(w, r, "/console/requests/"+res.RequestID+"?msg=desk.submitted", http.StatusSeeOther)
	return nil
}

// DeskReason is a refusal's reason as the desk's staff read it (about
// the reader, not to them), or the portal's wording when the desk has
// none of its own.
func (p *Page) DeskReason(reason ill.Reason) string {
	if v := p.T("desk.reason." + string(reason)); v != "desk.reason."+string(reason) {
		return v
	}
	return p.ReasonText(reason)
}

type deskScanData struct {
	Barcode string
	Scanned bool
	Scan    app.DeskScan
	Token   string
}

// deskScan: GET /console/desk/scan?barcode=. The field is focused, a
// scanner's Enter submits it, and the page lists the live requests the
// item belongs to with the library's one next action each.
func (h *Handler) deskScan(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Title = p.T("desk.scan")
	d := deskScanData{Token: randomToken()[:16]}
	raw := r.URL.Query().Get("barcode")
	if ill.CleanBarcode(raw) != "" {
		s, err := h.cfg.App.ScanAtDesk(r.Context(), principal(p.Sess), raw)
		if err != nil {
			if ill.ErrorCode(err) != ill.CodeBadRequest {
				return err
			}
			p.Status = http.StatusBadRequest
			_, p.Error = ErrorText(p.Lang, err)
		} else {
			d.Scan, d.Scanned, d.Barcode = s, true, s.Barcode
		}
	}
	return h.render(w, p, "desk_scan", d)
}

// deskAct: POST /console/desk/scan/{id}/{action}. The one click: the
// action through app.ActAtDesk, then back to the scan of the same item,
// which then offers the next step.
func (h *Handler) deskAct(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, a := r.PathValue("id"), ill.Action(r.PathValue("action"))
	pr := principal(p.Sess)
	bc := ill.CleanBarcode(r.PostFormValue("barcode"))
	before := h.snapshot(r, pr, id)
	if _, err := h.cfg.App.ActAtDesk(r.Context(), pr, id, a, bc, r.PostFormValue("damaged") == "1", r.PostFormValue("token")); err != nil {
		return err
	}
	h.waitChange(r, pr, before, 2*time.Second)
	http.Redirect(w, r, "/console/desk/scan?barcode="+url.QueryEscape(bc)+"&msg=done", http.StatusSeeOther)
	return nil
}

type deskReaderData struct {
	Reader   app.DeskReader
	Requests []*ill.Request
	Total    int
	Token    string
}

// deskReaderPage: GET /console/readers/{card}. One of the library's
// readers: name, e-mail, deposit (with who changed it when), the active
// requests against R3's limit, the reader's requests, the deposit form.
func (h *Handler) deskReaderPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	pr := principal(p.Sess)
	rd, err := h.cfg.App.DeskReader(r.Context(), pr, r.PathValue("card"))
	if err != nil {
		return err
	}
	if !rd.Known {
		return errNotFound
	}
	reqs, total, err := h.cfg.App.List(r.Context(), pr, ill.ListFilter{PatronID: rd.Reader.ID, Page: 1, PerPage: 20})
	if err != nil {
		return err
	}
	p.Title = p.T("desk.reader") + " " + rd.Reader.ID
	return h.render(w, p, "desk_reader", deskReaderData{Reader: rd, Requests: reqs, Total: total, Token: randomToken()[:16]})
}

// deskDeposit: POST /console/readers/{card}/deposit (paid=1 or 0).
func (h *Handler) deskDeposit(w http.ResponseWriter, r *http.Request, p *Page) error {
	card := r.PathValue("card")
	if _, err := h.cfg.App.SetReaderDeposit(r.Context(), principal(p.Sess), p.Sess.Subject, card,
		r.PostFormValue("paid") == "1"); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/readers/"+url.PathEscape(card)+"?msg=desk.deposit_saved", http.StatusSeeOther)
	return nil
}

// DepositLast says who last changed the reader's deposit in the console,
// and when ("" when never).
func (p *Page) DepositLast(d app.DeskReader) string {
	if len(d.Changes) == 0 {
		return ""
	}
	c := d.Changes[0]
	return strings.NewReplacer("{by}", c.By, "{at}", p.Time(c.At)).Replace(p.T("desk.deposit_last"))
}

// ActiveOf is "n / max" of a reader's active requests.
func (p *Page) ActiveOf(d app.DeskReader) string {
	return strings.NewReplacer("{n}", itoa(d.Active), "{max}", itoa(d.Limit)).Replace(p.T("desk.active_of"))
}
