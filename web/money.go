package web

// Money in the console: the violations of R11 with their settlement
// (pending → paid or waived, by the lender's staff or the centre), the
// monthly statement of a library (HTML, CSV, XLSX), the violations panel
// of the request page, and the lenders' fee rules with their history.
// Every read and change is app's (app/money.go); nothing is decided here.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

func init() {
	addRequestPanel(requestPanel{Template: "violations_panel", Load: loadViolationsPanel})
	flashKeys["money.settled"] = true
	flashKeys["money.fees_saved"] = true
	flashKeys["money.fees_unchanged"] = true
}

func (h *Handler) routeMoney(m *http.ServeMux) {
	m.HandleFunc("GET /console/violations", h.staff(h.violations))
	m.HandleFunc("POST /console/violations/{id}/settle", h.staff(h.settleViolation))
	m.HandleFunc("GET /console/violations/statement", h.staff(h.statement))
	m.HandleFunc("GET /console/fees", h.staff(h.fees))
	m.HandleFunc("POST /console/fees", h.staff(h.saveFees))
	m.HandleFunc("POST /console/fees/copy-terms", h.staff(h.saveCopyTerms)) // web/copyterms.go
}

// staffActor is the signed-in console account as app's role-dependent use
// cases take it.
func staffActor(s *ill.Session) ill.StaffActor {
	return ill.StaffActor{Library: s.Library, Username: s.Subject, Role: s.Role}
}

// Yuan formats fen as 元 with two decimals ("12.50").
func (p *Page) Yuan(fen int) string { return ill.FormatCNY(fen) }

// MaySettle reports whether the signed-in staff may settle v now: it is
// pending and they are its lender's staff or the centre (ill.CheckSettle).
func (p *Page) MaySettle(v ill.ViolationRow) bool {
	pr := principal(p.Sess)
	return ill.CheckSettle(v, pr.Library, pr.Centre) == nil
}

// IsLibraryAdmin reports whether the signed-in user is a member library's
// admin (who edits its fee rules).
func (p *Page) IsLibraryAdmin() bool { return p.Sess != nil && p.Sess.Role == ill.StaffLibraryAdmin }

type violationsData struct {
	Rows                              []ill.ViolationRow
	State, Kind, Month, Role, Library string
	States                            []ill.SettlementState
	Kinds                             []string
	Total                             ill.ViolationTotal
	Back                              string // this page, for the settle forms' redirect
	Capped                            bool   // more rows than shown
}

// violationsPageRows is how many violations the console's list shows.
const violationsPageRows = 500

// violations: GET /console/violations?state=&kind=&month=&role=[&library=]
// the violations the signed-in library is lender or borrower of (the
// centre: all, or one library's), with the settle form where they may
// settle.
func (h *Handler) violations(w http.ResponseWriter, r *http.Request, p *Page) error {
	qv := r.URL.Query()
	get := func(k string) string { return strings.TrimSpace(qv.Get(k)) }
	d := violationsData{State: get("state"), Kind: get("kind"), Month: get("month"), Role: get("role"),
		States: ill.SettlementStates, Kinds: ill.ViolationKinds, Back: r.URL.RequestURI()}
	if p.IsCentre() {
		d.Library = strings.ToUpper(get("library"))
	}
	q := ill.ViolationQuery{Library: d.Library, Role: d.Role, State: ill.SettlementState(d.State), Kind: d.Kind,
		Limit: violationsPageRows + 1}
	if d.Month != "" {
		from, to, err := ill.ParseMonth(d.Month)
		if err != nil {
			return err
		}
		q.From, q.To = from, to
	}
	rows, err := h.cfg.App.ViolationList(r.Context(), principal(p.Sess), q)
	if err != nil {
		return err
	}
	if len(rows) > violationsPageRows {
		rows, d.Capped = rows[:violationsPageRows], true
	}
	d.Rows = rows
	_, _, d.Total = ill.ViolationTotals(rows)
	p.Title = p.T("money.violations")
	return h.render(w, p, "violations", d)
}

// settleViolation: POST /console/violations/{id}/settle (state paid or
// waived, note, back): app.SettleViolation as the signed-in library (or
// the centre), recorded as settled by "LIBRARY/username".
func (h *Handler) settleViolation(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	by := ill.SettledByName(p.Sess.Library, p.Sess.Subject)
	if _, err := h.cfg.App.SettleViolation(r.Context(), principal(p.Sess), by, id,
		app.SettleBody{State: r.PostFormValue("state"), Note: r.PostFormValue("note")}); err != nil {
		return err
	}
	back := safeNext(r.PostFormValue("back"), "/console/violations")
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	frag := ""
	if i := strings.IndexByte(back, '#'); i >= 0 {
		back, frag = back[:i], back[i:]
	}
	http.Redirect(w, r, back+sep+"msg=money.settled"+frag, http.StatusSeeOther)
	return nil
}

type statementData struct {
	St      app.Statement
	Query   string // month (and library) for the download links
	Library string // the library asked for ("" all: the centre)
}

// statement: GET /console/violations/statement?month=YYYY-MM[&library=][&format=csv|xlsx]
// a library's violations of the month as lender or borrower, with totals
// by settlement state and kind, and its copy fees of the month as
// supplier or borrower (delivery.go); the page, or the file.
func (h *Handler) statement(w http.ResponseWriter, r *http.Request, p *Page) error {
	qv := r.URL.Query()
	lib := ""
	if p.IsCentre() {
		lib = strings.TrimSpace(qv.Get("library"))
	}
	statement := h.cfg.App.Statement
	if h.cfg.Delivery != nil { // the month's copy fees on the same ledger
		statement = h.cfg.Delivery.Statement
	}
	st, err := statement(r.Context(), principal(p.Sess), lib, qv.Get("month"))
	if err != nil {
		return err
	}
	switch format := qv.Get("format"); format {
	case "":
	case "csv", "xlsx":
		return writeStatement(w, p, st, format)
	default:
		return ill.FieldError("format", "format must be csv or xlsx")
	}
	q := url.Values{"month": {st.Month}}
	if st.Library != "" && p.IsCentre() {
		q.Set("library", st.Library)
	}
	q.Set("lang", p.Lang)
	p.Title = p.T("money.statement")
	return h.render(w, p, "statement", statementData{St: st, Query: q.Encode(), Library: st.Library})
}

// Side is the signed-in library's side of v on a statement: lender,
// borrower, or "" (the centre's statement of every library).
func (p *Page) Side(st app.Statement, v ill.ViolationRow) string {
	switch st.Library {
	case "":
		return ""
	case v.Lender:
		return ill.ViolationAsLender
	}
	return ill.ViolationAsBorrower
}

// violationsPanel is the request page's list of the request's violations.
type violationsPanel struct {
	Rows []ill.ViolationRow
	Back string
}

func loadViolationsPanel(ctx context.Context, h *Handler, p *Page, req *ill.Request) (any, error) {
	rows, err := h.cfg.App.ViolationList(ctx, principal(p.Sess), ill.ViolationQuery{RequestID: req.ID})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return violationsPanel{Rows: rows, Back: "/console/requests/" + url.PathEscape(req.ID) + "#violations"}, nil
}

type feesData struct {
	Fees      app.Fees
	Libraries []ill.Library // the centre's choice of library
	Library   string        // the library shown ("" the centre has not chosen)
	// the form's values in 元 (as typed again after a refusal)
	Fine, Damage, Loss, Cutoff string
	// the copy settings form's values (web/copyterms.go), as typed again
	// after a refusal (CopyTyped: the refused form was the copy settings')
	CopyRespond, CopyDeliver, CopyLimit string
	CopyTyped                           bool
}

// fees: GET /console/fees[?library=] the library's fee rules and their
// history; the form for its admin and the centre.
func (h *Handler) fees(w http.ResponseWriter, r *http.Request, p *Page) error {
	return h.feesPage(w, r, p, strings.TrimSpace(r.URL.Query().Get("library")), nil)
}

func (h *Handler) feesPage(w http.ResponseWriter, r *http.Request, p *Page, library string, typed *feesData) error {
	d := feesData{}
	if p.IsCentre() {
		libs, err := h.cfg.App.Libraries(r.Context())
		if err != nil {
			return err
		}
		d.Libraries = libs
		if library == "" {
			p.Title = p.T("money.fees")
			return h.render(w, p, "fees", d)
		}
	}
	f, err := h.cfg.App.Fees(r.Context(), staffActor(p.Sess), library)
	if err != nil {
		return err
	}
	d.Fees, d.Library = f, f.Library.Code
	d.Fine, d.Damage, d.Loss, d.Cutoff = ill.FormatCNY(f.Rules.FinePerDayFen), ill.FormatCNY(f.Rules.DamageFeeFen),
		ill.FormatCNY(f.Rules.LossFeeFen), f.Rules.CourierCutoff
	ct := f.Library.CopyTerms()
	d.CopyRespond, d.CopyDeliver, d.CopyLimit = strconv.Itoa(ct.RespondDays), strconv.Itoa(ct.DeliverDays), strconv.Itoa(ct.Limit)
	if typed != nil && typed.CopyTyped {
		d.CopyRespond, d.CopyDeliver, d.CopyLimit = typed.CopyRespond, typed.CopyDeliver, typed.CopyLimit
	} else if typed != nil {
		d.Fine, d.Damage, d.Loss, d.Cutoff = typed.Fine, typed.Damage, typed.Loss, typed.Cutoff
	}
	p.Title = p.T("money.fees")
	return h.render(w, p, "fees", d)
}

// saveFees: POST /console/fees (library, fine_per_day, damage_fee,
// loss_fee in 元, courier_cutoff HH:MM): app.SetFees for the signed-in
// account. A refusal shows the form again with what was typed.
func (h *Handler) saveFees(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	typed := &feesData{Fine: f("fine_per_day"), Damage: f("damage_fee"), Loss: f("loss_fee"), Cutoff: f("courier_cutoff")}
	library := f("library")
	rules := ill.FeeRules{CourierCutoff: typed.Cutoff}
	var err error
	for _, c := range []struct {
		field string
		in    string
		dst   *int
	}{{ill.FeeFinePerDay, typed.Fine, &rules.FinePerDayFen}, {ill.FeeDamage, typed.Damage, &rules.DamageFeeFen},
		{ill.FeeLoss, typed.Loss, &rules.LossFeeFen}} {
		if *c.dst, err = parseYuan(c.field, c.in); err != nil {
			break
		}
	}
	var changes []ill.PolicyChange
	if err == nil {
		changes, err = h.cfg.App.SetFees(r.Context(), staffActor(p.Sess), library, rules)
	}
	if err != nil {
		if ill.ErrorCode(err) != ill.CodeBadRequest {
			return err
		}
		p.Status, p.Error = ErrorText(p.Lang, err)
		return h.feesPage(w, r, p, library, typed)
	}
	msg := "money.fees_saved"
	if len(changes) == 0 {
		msg = "money.fees_unchanged"
	}
	to := "/console/fees?msg=" + msg
	if p.IsCentre() {
		to += "&library=" + url.QueryEscape(strings.ToUpper(library))
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// parseYuan reads an amount in 元 with at most two decimals ("12",
// "12.5", "12.50", full-width digits not accepted) as fen; bad_request on
// field otherwise. Range checks are ill.FeeRules.Normalize's.
func parseYuan(field, s string) (int, error) {
	bad := ill.FieldError(field, "%s must be an amount in yuan with at most two decimals", field)
	s = strings.TrimSuffix(strings.TrimSpace(s), "元")
	if s == "" {
		return 0, ill.FieldError(field, "%s is required", field)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 9 {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, bad
			}
		}
	}
	y, _ := strconv.Atoi(whole)
	c, _ := strconv.Atoi(frac)
	fen := y*100 + c
	if neg {
		fen = -fen // refused by Normalize, with the range in the message
	}
	return fen, nil
}

// settleArgs is what the settle_form template takes: the page, the
// violation and where to come back to.
type settleArgs struct {
	P *Page
	V ill.ViolationRow
	B string
}

// Settle gives the settle_form template its arguments.
func (p *Page) Settle(v ill.ViolationRow, back string) settleArgs {
	return settleArgs{P: p, V: v, B: back}
}

// FeeValue shows a history value: prices (stored in fen) in 元, the
// cut-off as it is, a copy price's unit by name.
func (p *Page) FeeValue(field, v string) string {
	switch field {
	case ill.FeeCourierCutoff, ill.CopyRespondDaysField, ill.CopyDeliverDaysField, ill.CopyLimitField:
		return v
	case ill.FeeCopyUnit:
		return p.CopyUnit(ill.CopyPriceUnit(v))
	}
	if n, err := strconv.Atoi(v); err == nil {
		return ill.FormatCNY(n)
	}
	return v
}
