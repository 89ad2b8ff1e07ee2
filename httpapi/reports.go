package httpapi

import (
	"net/http"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
)

// report: GET /v1/reports/{name}?from=&to=&library=&service_type=loan|copy|all&format=json|csv|xlsx&lang=zh|en
// (reports.Names; app.Service.Report). JSON: library columns hold codes,
// "libraries" names them, "total" is the consortium totals row; CSV and
// XLSX write names and codes in two columns and the totals row last.
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
	rep, err := s.App.Report(r.Context(), principalOf(r), r.PathValue("name"), v.Get)
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
	if rep.Service != "" {
		body["service_type"] = rep.Service
	}
	if rep.Net != nil {
		body["net"] = rep.Net
	}
	if rep.Total != nil {
		body["total"] = rep.TotalObject()
	}
	if names := rep.LibraryNames(); len(names) > 0 {
		body["libraries"] = names
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
