package web

import (
	"html/template"
	"net/http"
	"sort"
	"strconv"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
)

func (h *Handler) routeReports(m *http.ServeMux) {
	m.HandleFunc("GET /console/reports", h.staff(h.reportPage))
	m.HandleFunc("GET /console/reports/{name}/download", h.staff(h.reportDownload))
	m.HandleFunc("POST /console/reports/schedule", h.centre(h.reportSchedule))
}

type reportData struct {
	Names   []string
	Name    string
	From    string
	To      string
	Library string
	// Service is the service type filter (all, loan, copy), Services its
	// choices.
	Service  string
	Services []string
	Report   *reports.Report
	Chart    template.HTML
	Query    template.URL // the page's query for the download links (encoded: not escaped again)
	Matrix   *matrix
	// Schedule is the monthly summary's schedule (the centre only, nil
	// for a member library); WorkingDays the choices of its day.
	Schedule    *ill.ReportSchedule
	WorkingDays []int
}

// matrix is the balance report as a lender × borrower grid.
type matrix struct {
	Libs  []string
	Cells map[string]map[string]int
	Net   map[string]int
}

// Cell is the count shipped from lender to borrower.
func (m *matrix) Cell(lender, borrower string) int { return m.Cells[lender][borrower] }

// buildReport builds report name for the signed-in staff member from the
// page's query (app.Report: the period, and the library they may see).
func (h *Handler) buildReport(r *http.Request, p *Page, name string) (*reports.Report, error) {
	return h.cfg.App.Report(r.Context(), principal(p.Sess), name, r.URL.Query().Get)
}

func (h *Handler) reportPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	name := r.URL.Query().Get("report")
	if name == "" {
		name = "summary"
	}
	rep, err := h.buildReport(r, p, name)
	if err != nil {
		return err
	}
	d := reportData{Names: reports.Names, Name: name, From: rep.From.String(), To: rep.To.String(), Library: rep.Library, Report: rep,
		Service: "all", Services: []string{"all", string(ill.ServiceLoan), string(ill.ServiceCopy)}}
	if rep.Service != "" {
		d.Service = string(rep.Service)
	}
	qv := r.URL.Query()
	qv.Del("report")
	qv.Del("lang")
	qv.Del("msg")
	qv.Set("from", d.From)
	qv.Set("to", d.To)
	qv.Set("lang", p.Lang)
	d.Query = template.URL(qv.Encode()) // a query of url.Values.Encode: every value escaped
	title := p.T("report." + name)
	col := func(key string) []float64 {
		i := rep.Column(key)
		out := make([]float64, len(rep.Rows))
		for j, row := range rep.Rows {
			switch v := row[i].(type) {
			case int:
				out[j] = float64(v)
			case float64:
				out[j] = v
			}
		}
		return out
	}
	labels := func(key string) []string {
		i := rep.Column(key)
		out := make([]string, len(rep.Rows))
		for j, row := range rep.Rows {
			out[j] = p.ReportCell(rep, rep.Columns[i], row[i])
		}
		return out
	}
	label := func(key string) string { return rep.Columns[rep.Column(key)].Label(p.Lang) }
	switch name {
	case "summary":
		d.Chart = barChart(title, labels("library"), []series{
			{label("borrowed"), "#0b4f8a", col("borrowed")}, {label("lent"), "#c75000", col("lent")}})
	case "lenders":
		d.Chart = barChart(title, labels("lender"), []series{
			{label("received"), "#0b4f8a", col("received")}, {label("filled"), "#2e7d32", col("filled")}})
	case "library-balance":
		d.Chart = barChart(title, labels("library"), []series{
			{label("lent"), "#c75000", col("lent")}, {label("borrowed"), "#0b4f8a", col("borrowed")}})
	case "daily":
		d.Chart = barChart(title, labels("day"), []series{
			{label("borrowed"), "#0b4f8a", col("borrowed")}, {label("filled"), "#2e7d32", col("filled")}})
	case "courier-volume":
		d.Chart = barChart(title, labels("route_code"), []series{
			{label("forward"), "#0b4f8a", col("forward")}, {label("return"), "#2e7d32", col("return")}})
	case "top-titles":
		d.Chart = barChart(title, labels("title"), []series{{label("requests"), "#0b4f8a", col("requests")}})
	case "balance":
		m := &matrix{Cells: map[string]map[string]int{}, Net: rep.Net}
		seen := map[string]bool{}
		for _, row := range rep.Rows {
			l, b, n := row[0].(string), row[1].(string), row[2].(int)
			if m.Cells[l] == nil {
				m.Cells[l] = map[string]int{}
			}
			m.Cells[l][b] = n
			for _, x := range []string{l, b} {
				if !seen[x] {
					seen[x] = true
					m.Libs = append(m.Libs, x)
				}
			}
		}
		sort.Strings(m.Libs)
		d.Matrix = m
		var net []float64
		var pos []float64
		for _, l := range m.Libs {
			net = append(net, float64(max(m.Net[l], 0)))
			pos = append(pos, float64(max(-m.Net[l], 0)))
		}
		names := make([]string, len(m.Libs))
		for i, l := range m.Libs {
			names[i] = p.Lib(l)
		}
		d.Chart = barChart(title, names, []series{{p.T("net_lender"), "#c75000", net}, {p.T("net_borrower"), "#0b4f8a", pos}})
	}
	if p.IsCentre() {
		sc, err := h.cfg.App.ReportSchedule(r.Context(), principal(p.Sess))
		if err != nil {
			return err
		}
		d.Schedule = &sc
		for i := 1; i <= ill.MaxSummaryWorkingDay; i++ {
			d.WorkingDays = append(d.WorkingDays, i)
		}
	}
	p.Title = p.T("reports")
	return h.render(w, p, "reports", d)
}

// reportSchedule stores the monthly summary's schedule (the centre only:
// app.SetReportSchedule).
func (h *Handler) reportSchedule(w http.ResponseWriter, r *http.Request, p *Page) error {
	day, err := strconv.Atoi(r.PostFormValue("working_day"))
	if err != nil {
		return ill.FieldError("working_day", "working_day must be a number")
	}
	sc := ill.ReportSchedule{Enabled: r.PostFormValue("enabled") == "on", WorkingDay: day,
		ConsoleURL: r.PostFormValue("console_url")}
	if _, err := h.cfg.App.SetReportSchedule(r.Context(), principal(p.Sess), sc, auditName(p)); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/reports?msg=done#schedule", http.StatusSeeOther)
	return nil
}

func (h *Handler) reportDownload(w http.ResponseWriter, r *http.Request, p *Page) error {
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "xlsx" {
		return ill.FieldError("format", "format must be csv or xlsx")
	}
	rep, err := h.buildReport(r, p, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeDownload(w, rep, format, p.Lang)
}

// writeDownload answers with a built report as a CSV or XLSX file (text
// cells neutralised against formula injection: reports.SafeCell), with
// the JSON API's download headers: nosniff (a browser must not read a CSV
// as HTML or script) and reports.ContentDisposition of a name made of
// validated parts (Report.FileName).
func writeDownload(w http.ResponseWriter, rep *reports.Report, format, lang string) error {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", reports.ContentDisposition(rep.FileName(format)))
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		return rep.WriteCSV(w, lang)
	}
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	return rep.WriteXLSX(w, lang)
}

// Cell formats a report value for the page.
func (p *Page) Cell(k reports.Kind, v any) string { return reports.Cell(k, v) }

// Label is a report column's heading in the page's language.
func (p *Page) Label(c reports.Column) string { return c.Label(p.Lang) }

// ReportCell formats a report value of column c for the page: a library
// by its name in the page's language, a reason by its label, others as
// Cell.
func (p *Page) ReportCell(rep *reports.Report, c reports.Column, v any) string {
	code, _ := v.(string)
	switch c.Kind {
	case reports.Lib:
		if n, ok := rep.Libraries[code]; ok {
			if p.Lang == "en" && n[1] != "" {
				return n[1]
			}
			if n[0] != "" {
				return n[0]
			}
		}
		return p.Lib(code)
	case reports.ReasonCode:
		return rep.CodeName(c.Kind, code, p.Lang)
	}
	return reports.Cell(c.Kind, v)
}

// TotalLabel is the heading of a report's consortium totals row.
func (p *Page) TotalLabel() string { return reports.TotalLabel(p.Lang) }
