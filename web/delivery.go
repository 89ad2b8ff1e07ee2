package web

// Copy requests (文献传递) in the portal and the console
// (docs/delivery.md): the reader's copy request form (an article or a part
// of a book, prefilled from an OpenURL link: openurl.go) and downloads
// page; the supplier's upload queue and the upload panel of the request
// page; the copy prices and the centre's subsidies beside the fee rules;
// a reader's category on the desk's reader page. Every read and change
// is app's (app.Delivery, app.Service); nothing is decided here.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

func init() {
	addRequestPanel(requestPanel{Template: "copy_panel", Load: loadCopyPanel})
	for _, k := range []string{"copy.uploaded", "copy.price_saved", "copy.price_unchanged", "copy.subsidy_saved",
		"desk.category_saved"} {
		flashKeys[k] = true
	}
}

// uploadPattern is the console's upload route: the one POST whose body
// may be larger than a form's (checkPost).
const uploadPattern = "POST /console/requests/{id}/file"

func (h *Handler) routeDelivery(m *http.ServeMux) {
	m.HandleFunc("GET /request/copy", h.reader(h.copyForm))
	m.HandleFunc("POST /requests/copy", h.reader(h.submitCopy))
	m.HandleFunc("GET /downloads", h.reader(h.downloads))
	m.HandleFunc("GET /console/copies", h.staff(h.copyQueue))
	m.HandleFunc(uploadPattern, h.staff(h.uploadCopy))
	m.HandleFunc("GET /console/fees/copies", h.staff(h.copyFees))
	m.HandleFunc("POST /console/fees/copies/price", h.staff(h.saveCopyPrice))
	m.HandleFunc("POST /console/fees/copies/subsidy", h.staff(h.saveSubsidy))
	m.HandleFunc("POST /console/readers/{card}/category", h.staff(h.deskCategory))
}

// uploadLimit is how large the body of r may be: a form's 64 KiB, or for
// the upload route the largest file app.Delivery accepts plus room for
// the form's other fields.
func (h *Handler) uploadLimit(r *http.Request) int64 {
	if r.Pattern == uploadPattern && h.cfg.Delivery != nil {
		return h.cfg.Delivery.MaxBytes() + 64<<10
	}
	return 64 << 10
}

var errDeliveryOff = &webError{http.StatusServiceUnavailable, "copy.not_configured"}

// The copy request form.

// copyFormData is the copy request form: Kind "article" or "book" is the
// form that was sent (the other is shown empty), Item what was typed or
// prefilled.
type copyFormData struct {
	Kind      string
	Item      ill.Citation
	Year      string
	BookPages string
	Rush      bool
	Note      string
	Token     string
	Source    string // an OpenURL link's rfr_id, carried into the submit
}

// Article reports whether the form shows an article (the default).
func (d copyFormData) Article() bool { return d.Kind != "book" }

// newCopyForm is the form prefilled with item (an OpenURL link's).
func newCopyForm(item ill.Citation, source string) copyFormData {
	d := copyFormData{Kind: "article", Item: item, Token: randomToken()[:16], Source: source}
	if item.CopyKind() == ill.CopyBookPart && (item.Title != "" || item.ISBN != "" || item.Chapter != "") {
		d.Kind = "book"
	}
	if item.Year > 0 {
		d.Year = strconv.Itoa(item.Year)
	}
	return d
}

func (h *Handler) copyForm(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Title = p.T("copy.nav")
	return h.render(w, p, "copy_request", newCopyForm(ill.Citation{}, ""))
}

// submitCopy: POST /requests/copy. The reader's copy request through the
// same use case as the API's (app.Submit, service_type copy), within the
// reader's submit budget like a loan request; a citation the hub refuses
// (bad_request, copy_too_large) shows the form again with the reason.
func (h *Handler) submitCopy(w http.ResponseWriter, r *http.Request, p *Page) error {
	if ok, wait := h.guard.submitAllowed(p.Sess.Library, p.Sess.Subject, h.cfg.Clock.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
		return errIntakeLimited
	}
	rd, err := h.cfg.App.Reader(r.Context(), p.Sess.Library, p.Sess.Subject)
	if err != nil {
		return err
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	d := copyFormData{Kind: f("kind"), Year: f("year"), BookPages: f("book_pages"), Rush: f("rush") == "1",
		Note: f("note"), Token: f("token"), Source: r.PostFormValue("source")}
	if d.Token == "" || len(d.Token) > 40 {
		d.Token = randomToken()[:16]
	}
	if d.Kind == "book" {
		d.Item = ill.Citation{Title: f("title"), Author: f("author"), ISBN: f("isbn"), Publisher: f("publisher"),
			Chapter: f("chapter"), Pages: f("pages")}
	} else {
		d.Kind = "article"
		d.Item = ill.Citation{JournalTitle: f("journal_title"), ISSN: f("issn"), Volume: f("volume"), Issue: f("issue"),
			Pages: f("pages"), ArticleTitle: f("article_title"), Authors: f("authors"), DOI: f("doi")}
	}
	item := d.Item
	var bad error
	if d.Year != "" {
		if item.Year, err = strconv.Atoi(d.Year); err != nil {
			bad = ill.FieldError("item.year", "the year is a number")
		}
	}
	if d.BookPages != "" && d.Kind == "book" {
		if item.BookPages, err = strconv.Atoi(d.BookPages); err != nil || item.BookPages <= 0 {
			bad = ill.FieldError("item.book_pages", "the book's page count is a number")
		}
	}
	pr := principal(p.Sess)
	var res app.SubmitResult
	if bad == nil {
		b := ill.SubmitBody{ClientRequestID: "web-" + p.Sess.Subject + "-" + d.Token, Patron: rd.Patron(), Note: d.Note,
			Source: d.Source, ServiceType: ill.ServiceCopy, Rush: d.Rush, Item: &item}
		res, bad = h.cfg.App.Submit(r.Context(), pr, b)
	}
	if bad != nil {
		if c := ill.ErrorCode(bad); c != ill.CodeBadRequest && c != ill.CodeCopyTooLarge {
			return bad
		}
		p.Status, p.Error = ErrorText(p.Lang, bad)
		p.Title = p.T("copy.nav")
		return h.render(w, p, "copy_request", d)
	}
	if err := h.waitDecided(r, pr, res.RequestID); err != nil {
		return err
	}
	http.Redirect(w, r, "/history/"+res.RequestID+"?msg=submitted", http.StatusSeeOther)
	return nil
}

// The reader's downloads.

type downloadsData struct {
	Configured bool
	Copies     []app.ReaderCopy
}

// downloads: GET /downloads. The copies delivered to the signed-in
// reader, newest first, each with its signed link while it may still be
// downloaded, the downloads left and the expiry.
func (h *Handler) downloads(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Title = p.T("copy.downloads")
	d := downloadsData{Configured: h.cfg.Delivery != nil}
	if d.Configured {
		var err error
		if d.Copies, err = h.cfg.Delivery.ReaderDownloads(r.Context(), p.Sess.Library, p.Sess.Subject); err != nil {
			return err
		}
	}
	return h.render(w, p, "downloads", d)
}

// The supplier's upload queue and the request page's panel.

// copyQueue is a lender's copy requests to deliver: asked (REQUESTED) or
// accepted (WILL_SUPPLY), the nearest deliver deadline first.
var copyQueue = ill.Queue{Key: "to_deliver", Side: ill.RoleLender, States: []ill.State{ill.Requested, ill.WillSupply},
	Order: "deliver_by", Service: ill.ServiceCopy}

// copyQueueRows is how many requests the upload queue lists.
const copyQueueRows = 200

type copyQueueData struct {
	Requests []*ill.Request
	Total    int
}

// copyQueue: GET /console/copies. The signed-in library's copies to
// deliver (the centre: every supplier's).
func (h *Handler) copyQueue(w http.ResponseWriter, r *http.Request, p *Page) error {
	reqs, total, err := h.cfg.App.Queue(r.Context(), principal(p.Sess), copyQueue, copyQueueRows)
	if err != nil {
		return err
	}
	p.Title = p.T("copy.queue")
	return h.render(w, p, "copy_queue", copyQueueData{Requests: reqs, Total: total})
}

// copyPanel is the request page's copy section: the citation, the upload
// form when the signed-in library may deliver now, and the files.
type copyPanel struct {
	Configured bool
	CanUpload  bool
	MaxMB      int64
	Limit      int
	Files      []ill.CopyFile
	// External is the link an ISO 18626 supplier delivered by ("" for an
	// upload).
	External string
}

func loadCopyPanel(ctx context.Context, h *Handler, p *Page, req *ill.Request) (any, error) {
	if !req.ServiceType.IsCopy() {
		return nil, nil
	}
	d := copyPanel{Configured: h.cfg.Delivery != nil}
	if u, ok := strings.CutPrefix(req.DeliveryFileID, ill.CopyFileRef("")); ok {
		d.External = u
	}
	if !d.Configured {
		return d, nil
	}
	pr := principal(p.Sess)
	_, err := ill.Allow(ill.Attempt{Action: ill.ActDeliver, From: req.State, Roles: req.RolesOf(pr.Library, pr.Centre),
		At: h.cfg.Clock.Now(), SubmittedAt: req.SubmittedAt, Request: req, Service: req.ServiceType})
	d.CanUpload, d.MaxMB, d.Limit = err == nil, h.cfg.Delivery.MaxBytes()>>20, h.cfg.Delivery.Limit()
	if d.Files, err = h.cfg.Delivery.RequestFiles(ctx, pr, req.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// DownloadsLeft is how many downloads file f still allows.
func (d copyPanel) DownloadsLeft(f ill.CopyFile) int { return max(d.Limit-f.Downloads, 0) }

// uploadCopy: POST /console/requests/{id}/file (multipart: csrf, file).
// The signed-in lender's upload through app.Delivery.UploadCopy (state
// table first, size and type checked, stamped, stored, then the deliver
// action), recorded as uploaded by "LIBRARY/username"; the request page
// then shows the delivery. checkPost has already checked the session and
// the CSRF token before the body was read, under uploadLimit.
func (h *Handler) uploadCopy(w http.ResponseWriter, r *http.Request, p *Page) error {
	if h.cfg.Delivery == nil {
		return errDeliveryOff
	}
	id := r.PathValue("id")
	file, _, err := r.FormFile("file")
	if err != nil {
		return ill.FieldError("file", "choose the PDF to upload")
	}
	defer file.Close()
	pr := principal(p.Sess)
	before := h.snapshot(r, pr, id)
	if _, err := h.cfg.Delivery.UploadCopy(r.Context(), pr, ill.SettledByName(p.Sess.Library, p.Sess.Subject), id, file); err != nil {
		return err
	}
	h.waitChange(r, pr, before, 2*time.Second)
	http.Redirect(w, r, "/console/requests/"+url.PathEscape(id)+"?msg=copy.uploaded#copy", http.StatusSeeOther)
	return nil
}

// Copy prices and subsidies.

type copyFeesData struct {
	Settings   app.CopyFeeSettings
	Libraries  []ill.Library // the centre's choice of library
	Library    string        // the library shown ("" the centre has not chosen)
	Unit       string        // the price form's values (as typed again after a refusal)
	Price      string
	History    []ill.PolicyChange // the library's copy price changes, newest first
	Subsidies  []ill.PolicyChange // the centre's subsidy changes, newest first
	Configured bool
}

// copyFees: GET /console/fees/copies[?library=] a library's copy price
// (the form for its admin and the centre) and the centre's subsidy rules
// per reader category (the form for the centre), with their histories.
func (h *Handler) copyFees(w http.ResponseWriter, r *http.Request, p *Page) error {
	return h.copyFeesPage(w, r, p, strings.TrimSpace(r.URL.Query().Get("library")), nil)
}

func (h *Handler) copyFeesPage(w http.ResponseWriter, r *http.Request, p *Page, library string, typed *copyFeesData) error {
	p.Title = p.T("copy.fees")
	d := copyFeesData{Configured: h.cfg.Delivery != nil}
	if !d.Configured {
		return h.render(w, p, "copy_fees", d)
	}
	ctx := r.Context()
	a := staffActor(p.Sess)
	var err error
	if d.Subsidies, err = h.cfg.Delivery.SubsidyHistory(ctx); err != nil {
		return err
	}
	if p.IsCentre() {
		if d.Libraries, err = h.cfg.App.Libraries(ctx); err != nil {
			return err
		}
		if library == "" {
			// the subsidies only, until a library is chosen
			if d.Settings, err = h.cfg.Delivery.SubsidySettings(ctx, a); err != nil {
				return err
			}
			return h.render(w, p, "copy_fees", d)
		}
	}
	if d.Settings, err = h.cfg.Delivery.CopyFeeSettings(ctx, a, library); err != nil {
		return err
	}
	f, err := h.cfg.App.Fees(ctx, a, library)
	if err != nil {
		return err
	}
	d.Library = f.Library.Code
	for _, c := range f.History {
		if c.Field == ill.FeeCopyUnit || c.Field == ill.FeeCopyPrice {
			d.History = append(d.History, c)
		}
	}
	d.Unit, d.Price = string(d.Settings.Price.Unit), ill.FormatCNY(d.Settings.Price.PriceFen)
	if d.Unit == "" {
		d.Unit = string(ill.PerPage)
	}
	if typed != nil {
		d.Unit, d.Price = typed.Unit, typed.Price
	}
	return h.render(w, p, "copy_fees", d)
}

// saveCopyPrice: POST /console/fees/copies/price (library, unit page or
// item, price in 元): app.Delivery.SetCopyPrice for the signed-in account.
func (h *Handler) saveCopyPrice(w http.ResponseWriter, r *http.Request, p *Page) error {
	if h.cfg.Delivery == nil {
		return errDeliveryOff
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	typed := &copyFeesData{Unit: f("unit"), Price: f("price")}
	library := f("library")
	fen, err := parseYuan(ill.FeeCopyPrice, typed.Price)
	var changes []ill.PolicyChange
	if err == nil {
		changes, err = h.cfg.Delivery.SetCopyPrice(r.Context(), staffActor(p.Sess), library,
			ill.CopyPrice{Unit: ill.CopyPriceUnit(typed.Unit), PriceFen: fen})
	}
	if err != nil {
		if ill.ErrorCode(err) != ill.CodeBadRequest {
			return err
		}
		p.Status, p.Error = ErrorText(p.Lang, err)
		return h.copyFeesPage(w, r, p, library, typed)
	}
	msg := "copy.price_saved"
	if len(changes) == 0 {
		msg = "copy.price_unchanged"
	}
	to := "/console/fees/copies?msg=" + msg
	if p.IsCentre() {
		to += "&library=" + url.QueryEscape(strings.ToUpper(library))
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// saveSubsidy: POST /console/fees/copies/subsidy (category, kind share or
// amount, value: a percentage, or an amount in 元): the centre's
// app.Delivery.SetSubsidyRule.
func (h *Handler) saveSubsidy(w http.ResponseWriter, r *http.Request, p *Page) error {
	if h.cfg.Delivery == nil {
		return errDeliveryOff
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	rule := ill.SubsidyRule{Category: ill.ReaderCategory(f("category")), Kind: ill.SubsidyKind(f("kind"))}
	var err error
	if rule.Kind == ill.SubsidyAmount {
		rule.Value, err = parseYuan("value", f("value"))
	} else if rule.Value, err = strconv.Atoi(strings.TrimSuffix(f("value"), "%")); err != nil {
		err = ill.FieldError("value", "a share is a whole percentage")
	}
	if err == nil {
		err = h.cfg.Delivery.SetSubsidyRule(r.Context(), staffActor(p.Sess), rule)
	}
	if err != nil {
		if ill.ErrorCode(err) != ill.CodeBadRequest {
			return err
		}
		p.Status, p.Error = ErrorText(p.Lang, err)
		return h.copyFeesPage(w, r, p, f("library"), nil)
	}
	to := "/console/fees/copies?msg=copy.subsidy_saved"
	if l := f("library"); l != "" {
		to += "&library=" + url.QueryEscape(strings.ToUpper(l))
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// SubsidyText describes a subsidy rule ("50%", "2.00 元", or none).
func (p *Page) SubsidyText(r ill.SubsidyRule) string {
	switch r.Kind {
	case ill.SubsidyShare:
		return strconv.Itoa(r.Value) + "%"
	case ill.SubsidyAmount:
		return strings.ReplaceAll(p.T("copy.amount_yuan"), "{a}", ill.FormatCNY(r.Value))
	}
	return p.T("copy.no_subsidy")
}

// SubsidyValue is a rule's value as its form takes it (a percentage, or
// 元).
func (p *Page) SubsidyValue(r ill.SubsidyRule) string {
	if r.Kind == ill.SubsidyAmount {
		return ill.FormatCNY(r.Value)
	}
	return strconv.Itoa(r.Value)
}

// SubsidyChange shows a subsidy history value ("share:50" → "50%").
func (p *Page) SubsidyChange(v string) string {
	kind, n, ok := strings.Cut(v, ":")
	if !ok {
		return v
	}
	val, err := strconv.Atoi(n)
	if err != nil {
		return v
	}
	return p.SubsidyText(ill.SubsidyRule{Kind: ill.SubsidyKind(kind), Value: val})
}

// SubsidyCategory is the reader category a subsidy history row is about.
func (p *Page) SubsidyCategory(field string) string {
	return p.Category(ill.ReaderCategory(strings.TrimPrefix(field, "copy_subsidy_")))
}

// CategoryOrOther is c, or CategoryOther for a reader registered without
// one (how the fees treat it).
func (p *Page) CategoryOrOther(c ill.ReaderCategory) ill.ReaderCategory {
	if c == "" {
		return ill.CategoryOther
	}
	return c
}

// Category names a reader category ("" is other).
func (p *Page) Category(c ill.ReaderCategory) string {
	return p.T("category." + string(p.CategoryOrOther(c)))
}

// CopyTotalLabel names the copy fee totals with their count.
func (p *Page) CopyTotalLabel(t ill.CopyFeeTotal) string {
	return strings.ReplaceAll(p.T("copy.total_n"), "{n}", strconv.Itoa(t.Count))
}

// Categories are the reader categories in display order.
func (p *Page) Categories() []ill.ReaderCategory { return ill.ReaderCategories }

// CopyUnit names a copy price unit.
func (p *Page) CopyUnit(u ill.CopyPriceUnit) string {
	if u == "" {
		return ""
	}
	return p.T("copy.unit." + string(u))
}

// The desk's reader category.

// deskCategory: POST /console/readers/{card}/category (category):
// app.Service.SetReaderCategory for the signed-in library's reader.
func (h *Handler) deskCategory(w http.ResponseWriter, r *http.Request, p *Page) error {
	card := r.PathValue("card")
	if err := h.cfg.App.SetReaderCategory(r.Context(), principal(p.Sess), card, r.PostFormValue("category")); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/readers/"+url.PathEscape(card)+"?msg=desk.category_saved", http.StatusSeeOther)
	return nil
}

// FileSize is a file's size in KB or MB.
func (p *Page) FileSize(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
	return strconv.FormatInt((n+1023)/1024, 10) + " KB"
}
