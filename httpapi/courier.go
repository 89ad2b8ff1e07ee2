package httpapi

// Courier endpoints: courier scans with a courier credential,
// runs and manifests (JSON, CSV, printable A4 HTML), exceptions, the staff
// review list, the lender's pull slip and the courier reports.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
)

// Who may call a courier endpoint.
type callers int

const (
	librariesOnly callers = iota // member library and centre keys
	courierOnly                  // courier credentials only (scans)
	anyCaller                    // library, centre or courier keys
)

// courierRoutes registers the courier routes.
func (s *Server) courierRoutes(m *http.ServeMux) {
	s.routeFor(m, "POST /v1/courier/scans", courierOnly, s.courierScan)
	s.routeFor(m, "GET /v1/courier/runs", anyCaller, s.courierRuns)
	s.routeFor(m, "GET /v1/courier/runs/{id}/manifest", anyCaller, s.courierManifest)
	s.routeFor(m, "GET /v1/courier/exceptions", anyCaller, s.courierExceptions)
	s.routeFor(m, "GET /v1/courier/review", librariesOnly, s.courierReview)
	s.routeFor(m, "POST /v1/courier/review/{id}/resolve", librariesOnly, s.courierResolve)
	s.routeFor(m, "GET /v1/pull-slip", librariesOnly, s.pullSlip)
	s.routeFor(m, "GET /v1/reports/courier", anyCaller, s.reportCourier)
	s.routeFor(m, "GET /v1/reports/courier/exceptions", anyCaller, s.courierExceptions)
	s.routeFor(m, "GET /v1/reports/courier/violations", librariesOnly, s.reportViolations)
}

// routeFor is route (server.go) with a choice of credentials: member and
// centre keys (api_keys), courier credentials (courier_keys), or both.
func (s *Server) routeFor(m *http.ServeMux, pattern string, who callers, h func(http.ResponseWriter, *http.Request) error) {
	if who == librariesOnly {
		s.route(m, pattern, h)
		return
	}
	name := pattern[strings.IndexByte(pattern, ' ')+1:]
	m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		p, err := s.authenticateCourier(r, who)
		if err == nil {
			err = s.limit(rec, r)
		}
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), ctxPrincipal{}, p))
			err = h(rec, r)
		}
		if err != nil {
			SetRetryAfter(rec, err)
			s.writeError(rec, r, err)
		}
		s.reqs.WithLabelValues(name, itoa(rec.status)).Inc()
		s.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

// authenticateCourier accepts a courier credential (principal app.Courier),
// and a library or centre key when who allows it. A library key on a
// courier-only endpoint is 403.
// The credential check is s.courierKeyOK (cached, charged to the client's
// address like an API key lookup); outside a demo (!s.Demo) it refuses the
// demo dataset's public courier credential (ill.IsDemoKey) without a
// lookup, and s.authenticate then answers that key with the same 401 as
// every demo key (and as an unknown key: unauthorized).
func (s *Server) authenticateCourier(r *http.Request, who callers) (ill.Principal, error) {
	key, ok := bearerKey(r)
	if !ok {
		return ill.Principal{}, ill.Errorf(ill.CodeUnauthorized, "a key is required: Authorization: Bearer <key>")
	}
	valid, err := s.courierKeyOK(r, key)
	if err != nil {
		return ill.Principal{}, err
	}
	if valid {
		return app.Courier, nil
	}
	p, err := s.authenticate(r)
	if err != nil {
		return p, err
	}
	if who == courierOnly {
		return p, ill.Errorf(ill.CodeForbidden, "courier scans need a courier credential (illctl courier key), not a library key")
	}
	return p, nil
}

func formatOf(r *http.Request, allowed ...string) (string, error) {
	f := r.URL.Query().Get("format")
	if f == "" {
		return "json", nil
	}
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
	}
	return "", ill.FieldError("format", "format must be one of %s", strings.Join(allowed, ", "))
}

// writeCSV answers CSV through reports.CSVWriter: a UTF-8 byte order
// mark, so that Excel opens the Chinese text correctly, and cells safe
// from formula injection (string cells are text and neutralised; int
// cells and reports.Numeral are numbers). filename must be built from
// validated parts (dates, canonical library codes).
func writeCSV(w http.ResponseWriter, filename string, header []string, rows [][]any) error {
	downloadHeaders(w, "text/csv; charset=utf-8", filename)
	w.WriteHeader(http.StatusOK)
	cw := reports.NewCSVWriter(w)
	_ = cw.WriteStrings(header)
	for _, row := range rows {
		if cw.Write(row...) != nil {
			break // the client went away: nothing more can be answered
		}
	}
	_ = cw.Flush()
	return nil
}

// htmlCSP is the Content-Security-Policy of the printable pages: nothing
// may load or run but the page's own inline style sheet, allowed by its
// hash (both pages embed printCSS verbatim); no framing, no base, no form.
var htmlCSP = "default-src 'none'; style-src '" + styleHash(printCSS) +
	"'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// styleHash is the CSP source of an inline <style> element's content.
func styleHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// writeHTML answers a printable page with the headers every HTML answer
// of the API carries: the CSP above, nosniff, no referrer, no framing.
func writeHTML(w http.ResponseWriter, render func(*strings.Builder) error) error {
	var b strings.Builder
	if err := render(&b); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", htmlCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
	return nil
}

// courierScan: POST /v1/courier/scans {barcode, event, stop, note}
// (app.Service.Scan): 202 after the broker's confirm for a matched
// barcode; 404 unknown_barcode and 409 barcode_mismatch go on the staff
// review list. An Idempotency-Key header makes retries publish the same
// message id.
func (s *Server) courierScan(w http.ResponseWriter, r *http.Request) error {
	var b ill.CourierScanBody
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	res, err := s.App.Scan(r.Context(), b, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	sh := res.Shipment
	writeJSON(w, http.StatusAccepted, map[string]any{"shipment_id": sh.ID, "request_id": sh.RequestID,
		"route_code": sh.RouteCode, "event": res.Event, "current_status": sh.Status, "message_id": res.MessageID})
	return nil
}

type runView struct {
	RunID     int64   `json:"run_id"`
	RunDate   string  `json:"run_date"`
	Status    string  `json:"status"`
	ClosedAt  *string `json:"closed_at"`
	Shipments int     `json:"shipments"`
	Manifest  string  `json:"manifest"`
}

// courierRuns: GET /v1/courier/runs?from=&to= (default: a week either
// side of today). Members see the number of their own shipments per run.
func (s *Server) courierRuns(w http.ResponseWriter, r *http.Request) error {
	today := ill.DateOf(s.Clock.Now())
	from, to := today.AddDays(-7), today.AddDays(7)
	for _, d := range []struct {
		name string
		dst  *ill.Date
	}{{"from", &from}, {"to", &to}} {
		if v := r.URL.Query().Get(d.name); v != "" {
			day, err := ill.ParseDate(v)
			if err != nil {
				return ill.FieldError(d.name, "%s must be a date YYYY-MM-DD (Asia/Shanghai)", d.name)
			}
			*d.dst = day
		}
	}
	runs, err := s.App.CourierRuns(r.Context(), principalOf(r), from, to)
	if err != nil {
		return err
	}
	out := make([]runView, 0, len(runs))
	for _, run := range runs {
		v := runView{RunID: run.ID, RunDate: run.Date().String(), Status: string(run.Status), Shipments: run.Items,
			Manifest: "/v1/courier/runs/" + strconv.FormatInt(run.ID, 10) + "/manifest"}
		v.ClosedAt = optTime(run.ClosedAt)
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from.String(), "to": to.String(), "results": out})
	return nil
}

var manifestHeader = []string{"stop", "stop_name", "task", "request_id", "item_barcode", "call_number", "title",
	"from", "to", "route_code", "direction", "status"}

// manifestRows flattens a manifest for CSV: per stop, pickups then deliveries.
func manifestRows(m ill.Manifest) [][]any {
	var rows [][]any
	for _, st := range m.Stops {
		for _, task := range []struct {
			name  string
			items []ill.ManifestItem
		}{{"pickup", st.Pickups}, {"delivery", st.Deliveries}} {
			for _, it := range task.items {
				rows = append(rows, []any{st.Library, st.Name, task.name, it.RequestID, it.ItemBarcode, it.CallNumber,
					it.Title, it.From, it.To, it.RouteCode, string(it.Direction), string(it.Status)})
			}
		}
	}
	return rows
}

// courierManifest: GET /v1/courier/runs/{id}/manifest?format=json|csv|html
// (app.Service.Manifest: a member sees its own stop).
func (s *Server) courierManifest(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return ill.Errorf(ill.CodeNotFound, "courier run %q not found", r.PathValue("id"))
	}
	format, err := formatOf(r, "json", "csv", "html")
	if err != nil {
		return err
	}
	m, err := s.App.Manifest(r.Context(), principalOf(r), id)
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		return writeCSV(w, "manifest-"+m.RunDate+".csv", manifestHeader, manifestRows(m))
	case "html":
		return writeHTML(w, func(b *strings.Builder) error { return RenderManifestHTML(b, m) })
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

type exceptionView struct {
	ShipmentID  int64   `json:"shipment_id"`
	RequestID   string  `json:"request_id"`
	Direction   string  `json:"direction"`
	ItemBarcode string  `json:"item_barcode"`
	From        string  `json:"from"`
	To          string  `json:"to"`
	RouteCode   string  `json:"route_code"`
	Title       string  `json:"title"`
	PickedUpAt  *string `json:"picked_up_at"`
	DeliverBy   *string `json:"deliver_by"`
	ExceptionAt *string `json:"exception_at"`
	WorkingDays int     `json:"working_days_allowed"`
	Status      string  `json:"status"`
}

// courierExceptions: GET /v1/courier/exceptions and
// /v1/reports/courier/exceptions (?format=csv): open exceptions of the
// caller's shipments (the centre and the courier see all).
func (s *Server) courierExceptions(w http.ResponseWriter, r *http.Request) error {
	format, err := formatOf(r, "json", "csv")
	if err != nil {
		return err
	}
	rows, err := s.App.Exceptions(r.Context(), principalOf(r))
	if err != nil {
		return err
	}
	out := make([]exceptionView, 0, len(rows))
	for _, e := range rows {
		out = append(out, exceptionView{ShipmentID: e.ShipmentID, RequestID: e.RequestID, Direction: string(e.Direction),
			ItemBarcode: e.ItemBarcode, From: e.From, To: e.To, RouteCode: e.RouteCode, Title: e.Title,
			PickedUpAt: optTime(e.PickedUpAt), DeliverBy: optTime(e.ExceptionDue), ExceptionAt: optTime(e.ExceptionAt),
			WorkingDays: ill.ExceptionWorkingDays, Status: ill.ShipException})
	}
	if format == "csv" {
		rows := make([][]any, 0, len(out))
		for _, e := range out {
			rows = append(rows, []any{e.ShipmentID, e.RequestID, e.Direction, e.ItemBarcode,
				e.From, e.To, e.RouteCode, e.Title, deref(e.PickedUpAt), deref(e.DeliverBy), deref(e.ExceptionAt)})
		}
		return writeCSV(w, "courier-exceptions.csv", []string{"shipment_id", "request_id", "direction", "item_barcode",
			"from", "to", "route_code", "title", "picked_up_at", "deliver_by", "exception_at"}, rows)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "results": out})
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type reviewView struct {
	ID           int64   `json:"id"`
	Code         string  `json:"code"`
	Source       string  `json:"source"`
	Barcode      string  `json:"barcode"`
	RequestID    string  `json:"request_id,omitempty"`
	Library      string  `json:"library,omitempty"`
	OtherLibrary string  `json:"other_library,omitempty"`
	Detail       string  `json:"detail"`
	CreatedAt    string  `json:"created_at"`
	ResolvedAt   *string `json:"resolved_at"`
	ResolvedBy   string  `json:"resolved_by,omitempty"`
	Resolution   string  `json:"resolution,omitempty"`
}

// courierReview: GET /v1/courier/review[?all=1]: unknown and mismatched
// barcodes waiting for staff (all=1 includes resolved ones). A member sees
// the entries naming it; the centre sees every one (including the
// courier's scans of unknown barcodes, which name no library).
func (s *Server) courierReview(w http.ResponseWriter, r *http.Request) error {
	all := r.URL.Query().Get("all") == "1" || r.URL.Query().Get("all") == "true"
	items, err := s.App.ReviewList(r.Context(), principalOf(r), all)
	if err != nil {
		return err
	}
	out := make([]reviewView, 0, len(items))
	for _, it := range items {
		v := reviewView{ID: it.ID, Code: string(it.Code), Source: it.Source, Barcode: it.Barcode, RequestID: it.RequestID,
			Library: it.Library, OtherLibrary: it.OtherLibrary, Detail: it.Detail, CreatedAt: rfc3339(it.CreatedAt),
			ResolvedBy: it.ResolvedBy, Resolution: it.Resolution}
		v.ResolvedAt = optTime(it.ResolvedAt)
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(out), "results": out})
	return nil
}

// courierResolve: POST /v1/courier/review/{id}/resolve {note}: staff close
// a review entry (the centre, or a library the entry names;
// app.Service.ResolveReview).
func (s *Server) courierResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return ill.Errorf(ill.CodeNotFound, "review entry %q not found", r.PathValue("id"))
	}
	var b struct {
		Note string `json:"note"`
	}
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	if err := s.App.ResolveReview(r.Context(), principalOf(r), id, b.Note); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "resolved": true})
	return nil
}

type pullSlipView struct {
	Library string             `json:"library"`
	Name    string             `json:"name"`
	Date    string             `json:"date"`
	Total   int                `json:"total"`
	Items   []pullSlipItemView `json:"items"`
}

type pullSlipItemView struct {
	Seq        int     `json:"seq"`
	CallNumber string  `json:"call_number"`
	Title      string  `json:"title"`
	Author     string  `json:"author"`
	ISBN       string  `json:"isbn"`
	LocalID    string  `json:"local_id"`
	RequestID  string  `json:"request_id"`
	Borrower   string  `json:"borrower"`
	ShipBy     *string `json:"ship_by"`
}

// pullSlip: GET /v1/pull-slip[?library=CODE][&format=json|csv|html]: the
// lender's daily pick list, its WILL_SUPPLY requests in shelf order of call
// number (app.Service.PullSlip). Members get their own; the centre names a
// library.
func (s *Server) pullSlip(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	library := r.URL.Query().Get("library")
	// Who may see which slip is answered before the format is checked.
	if _, err := app.PullSlipLibrary(p, library); err != nil {
		return err
	}
	format, err := formatOf(r, "json", "csv", "html")
	if err != nil {
		return err
	}
	slip, err := s.App.PullSlip(r.Context(), p, library)
	if err != nil {
		return err
	}
	lib := slip.Library // the member's code as stored: it names the download
	v := pullSlipView{Library: lib, Name: slip.Name, Date: slip.Date.String(), Total: len(slip.Items),
		Items: make([]pullSlipItemView, 0, len(slip.Items))}
	for i, it := range slip.Items {
		iv := pullSlipItemView{Seq: i + 1, CallNumber: it.CallNumber, Title: it.Title, Author: it.Author, ISBN: it.ISBN,
			LocalID: it.LocalID, RequestID: it.RequestID, Borrower: it.Borrower}
		iv.ShipBy = optTime(it.ShipBy)
		v.Items = append(v.Items, iv)
	}
	switch format {
	case "csv":
		rows := make([][]any, 0, len(v.Items))
		for _, it := range v.Items {
			rows = append(rows, []any{it.Seq, it.CallNumber, it.Title, it.Author, it.ISBN, it.LocalID,
				it.RequestID, it.Borrower, deref(it.ShipBy)})
		}
		return writeCSV(w, "pull-slip-"+lib+"-"+v.Date+".csv", []string{"seq", "call_number", "title", "author", "isbn",
			"local_id", "request_id", "borrower", "ship_by"}, rows)
	case "html":
		return writeHTML(w, func(b *strings.Builder) error { return renderPullSlipHTML(b, v) })
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// reportCourier: GET /v1/reports/courier?date=YYYY-MM-DD[&format=csv]:
// shipments per route on that day's run (default today).
func (s *Server) reportCourier(w http.ResponseWriter, r *http.Request) error {
	day := ill.DateOf(s.Clock.Now())
	if v := r.URL.Query().Get("date"); v != "" {
		d, err := ill.ParseDate(v)
		if err != nil {
			return ill.FieldError("date", "date must be YYYY-MM-DD (Asia/Shanghai)")
		}
		day = d
	}
	format, err := formatOf(r, "json", "csv")
	if err != nil {
		return err
	}
	rows, err := s.App.CourierVolume(r.Context(), principalOf(r), day)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []ill.RouteVolume{}
	}
	if format == "csv" {
		out := make([][]any, 0, len(rows))
		for _, v := range rows {
			out = append(out, []any{day.String(), v.RouteCode, v.From, v.To, v.Forward, v.Return,
				v.Total, v.Delivered, v.Exceptions})
		}
		return writeCSV(w, "courier-"+day.String()+".csv", []string{"date", "route_code", "from", "to", "forward", "return",
			"total", "delivered", "exceptions"}, out)
	}
	total := 0
	for _, v := range rows {
		total += v.Total
	}
	writeJSON(w, http.StatusOK, map[string]any{"date": day.String(), "total": total, "routes": rows})
	return nil
}

type violationView struct {
	ID        int64  `json:"id"`
	RequestID string `json:"request_id"`
	Title     string `json:"title"`
	Kind      string `json:"kind"`
	Lender    string `json:"lender"`
	Borrower  string `json:"borrower"`
	PatronID  string `json:"patron_id"`
	Days      int    `json:"days"`
	AmountFen int    `json:"amount_fen"`
	AmountCNY string `json:"amount_cny"`
	Note      string `json:"note"`
	CreatedAt string `json:"created_at"`
}

func newViolationView(v ill.ViolationRow) violationView {
	return violationView{ID: v.ID, RequestID: v.RequestID, Title: v.Title, Kind: v.Kind, Lender: v.Lender,
		Borrower: v.Borrower, PatronID: v.PatronID, Days: v.Days, AmountFen: v.AmountFen, AmountCNY: ill.FormatCNY(v.AmountFen),
		Note: v.Note, CreatedAt: rfc3339(v.CreatedAt)}
}

type violationTotal struct {
	Lender    string `json:"lender"`
	Count     int    `json:"count"`
	AmountFen int    `json:"amount_fen"`
	AmountCNY string `json:"amount_cny"`
}

// reportViolations: GET /v1/reports/courier/violations?from=&to=&lender=
// [&format=csv]: violations (R11) recorded in the period (default: the
// last 30 days), with totals per lending library. A member sees the
// violations where it is lender or borrower.
func (s *Server) reportViolations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	today := ill.DateOf(s.Clock.Now())
	f := ill.ViolationFilter{From: today.AddDays(-30), To: today}
	if v := q.Get("lender"); v != "" {
		lender, err := ill.CanonicalCode("lender", v)
		if err != nil {
			return err
		}
		f.Lender = lender
	}
	for _, d := range []struct {
		name string
		dst  *ill.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(d.name); v != "" {
			day, err := ill.ParseDate(v)
			if err != nil {
				return ill.FieldError(d.name, "%s must be a date YYYY-MM-DD (Asia/Shanghai)", d.name)
			}
			*d.dst = day
		}
	}
	format, err := formatOf(r, "json", "csv")
	if err != nil {
		return err
	}
	rows, err := s.App.Violations(r.Context(), principalOf(r), f)
	if err != nil {
		return err
	}
	out := make([]violationView, 0, len(rows))
	totals := []violationTotal{}
	idx := map[string]int{}
	for _, v := range rows {
		out = append(out, newViolationView(v))
		i, ok := idx[v.Lender]
		if !ok {
			i = len(totals)
			idx[v.Lender] = i
			totals = append(totals, violationTotal{Lender: v.Lender})
		}
		totals[i].Count++
		totals[i].AmountFen += v.AmountFen
	}
	for i := range totals {
		totals[i].AmountCNY = ill.FormatCNY(totals[i].AmountFen)
	}
	if format == "csv" {
		recs := make([][]any, 0, len(out))
		for _, v := range out {
			recs = append(recs, []any{v.CreatedAt, v.RequestID, v.Title, v.Kind, v.Lender, v.Borrower, v.PatronID,
				v.Days, reports.Numeral(v.AmountCNY), v.Note})
		}
		return writeCSV(w, "violations-"+f.From.String()+"-"+f.To.String()+".csv", []string{"created_at", "request_id", "title",
			"kind", "lender", "borrower", "patron_id", "days", "amount_cny", "note"}, recs)
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": f.From.String(), "to": f.To.String(), "currency": "CNY",
		"total": len(out), "by_lender": totals, "results": out})
	return nil
}
