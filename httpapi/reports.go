package httpapi

import (
	"net/http"
	"strings"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
)

// ReportQuery parses a report's period and library from query values
// (from, to: YYYY-MM-DD Asia/Shanghai, default the current month to date;
// library: a member code). A member library always gets its own figures
// (another library: forbidden); the centre gets every library's unless it
// names one. Shared by the API and the console.
func ReportQuery(p ill.Principal, name string, get func(string) string, now func() ill.Date) (reports.Query, error) {
	today := now()
	q := reports.Query{Name: name, From: ill.Date{Year: today.Year, Month: today.Month, Day: 1}, To: today}
	for _, d := range []struct {
		key string
		dst *ill.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := get(d.key); v != "" {
			day, err := ill.ParseDate(v)
			if err != nil {
				return q, ill.FieldError(d.key, "%s must be a date YYYY-MM-DD (Asia/Shanghai)", d.key)
			}
			*d.dst = day
		}
	}
	lib := ""
	if v := get("library"); strings.TrimSpace(v) != "" {
		// Canonical once, here: the code reaches the query, the report and
		// the download's file name; a value that is not a library code is
		// refused, never echoed.
		c, err := ill.CanonicalCode("library", v)
		if err != nil {
			return q, err
		}
		lib = c
	}
	switch {
	case p.Centre:
		q.Library = lib
	case lib != "" && lib != p.Library:
		return q, ill.Errorf(ill.CodeForbidden, "a library sees its own reports only")
	default:
		q.Library = p.Library
	}
	return q, nil
}

// report: GET /v1/reports/{name}?from=&to=&library=&format=json|csv|xlsx&lang=zh|en
// (summary, daily, balance, overdue, top-titles).
func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	format := v.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "xlsx" {
		return ill.FieldError("format", "format must be json, csv or xlsx")
	}
	lang := "zh"
	if v.Get("lang") == "en" {
		lang = "en"
	}
	q, err := ReportQuery(principalOf(r), r.PathValue("name"), v.Get, func() ill.Date { return ill.DateOf(s.Clock.Now()) })
	if err != nil {
		return err
	}
	rep, err := (&reports.Service{Store: s.Store, Clock: s.Clock}).Build(r.Context(), q)
	if err != nil {
		return err
	}
	return WriteReport(w, rep, format, lang)
}

// WriteReport answers with a built report as JSON, CSV or XLSX (text
// cells neutralised against formula injection: reports.SafeCell).
func WriteReport(w http.ResponseWriter, rep *reports.Report, format, lang string) error {
	switch format {
	case "csv":
		downloadHeaders(w, "text/csv; charset=utf-8", rep.FileName("csv"))
		return rep.WriteCSV(w, lang)
	case "xlsx":
		downloadHeaders(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", rep.FileName("xlsx"))
		return rep.WriteXLSX(w, lang)
	}
	body := map[string]any{"report": rep.Name, "from": rep.From.String(), "to": rep.To.String(),
		"library": rep.Library, "columns": rep.Columns, "rows": rep.Objects()}
	if rep.Net != nil {
		body["net"] = rep.Net
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// downloadHeaders sets the headers of a file download: its type, nosniff
// (a browser must not reinterpret a CSV as HTML or script) and a
// Content-Disposition built by reports.ContentDisposition from a name the
// caller made of validated parts.
func downloadHeaders(w http.ResponseWriter, contentType, filename string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", reports.ContentDisposition(filename))
}
