package service_test

// Security replays for the exports and the API's own pages, against the
// real services (MariaDB, RabbitMQ, the producer and the consumers):
// formula injection in CSV and XLSX, Content-Disposition built from
// validated values only, the headers of API-served HTML, the bound on a
// catalogue search's work, and the demo courier credential outside a demo.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"
)

const (
	evilTitle  = `=HYPERLINK("http://evil.example","x")`
	evilCall   = `=cmd|' /C calc'!A0`
	evilManual = "+SUM(1,2)"
)

// plainNumber is what an export may write unquoted with a leading '-':
// a number the code formatted (an amount, a count, a percentage).
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?%?$`)

// formulaLike reports whether a spreadsheet could evaluate cell: its first
// visible character is = + - @ (or a full-width form), or it starts with
// tab, CR or LF, and it is not a plain number.
func formulaLike(cell string) bool {
	if plainNumber.MatchString(cell) {
		return false
	}
	for _, r := range cell {
		switch r {
		case '=', '+', '-', '@', '\t', '\r', '\n', 0, '＝', '＋', '－', '＠':
			return true
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		return false
	}
	return false
}

// parseCSV reads an export: a UTF-8 BOM, then RFC 4180 records.
func parseCSV(t *testing.T, what string, body []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("\ufeff")) {
		t.Fatalf("%s: no byte order mark: %q", what, body)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v %q", what, err, body)
	}
	for i, rec := range recs {
		for j, c := range rec {
			if formulaLike(c) {
				t.Errorf("%s row %d column %q: %q would be evaluated", what, i, recs[0][min(j, len(recs[0])-1)], c)
			}
		}
	}
	return recs
}

// column returns the cells of the column named name, below the header.
func column(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	idx := -1
	for i, h := range recs[0] {
		if h == name {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("no column %q in %q", name, recs[0])
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[idx])
	}
	return out
}

// download checks the headers of a CSV or XLSX answer and returns the
// file name of its Content-Disposition.
func download(t *testing.T, what string, status int, hdr http.Header, body []byte) string {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("%s: %d %.200q", what, status, body)
	}
	if hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no nosniff: %v", what, hdr)
	}
	typ, params, err := mime.ParseMediaType(hdr.Get("Content-Disposition"))
	if err != nil || typ != "attachment" {
		t.Fatalf("%s: Content-Disposition %q: %v", what, hdr.Get("Content-Disposition"), err)
	}
	return params["filename"]
}

func TestSecurityExportsNeutraliseFormulas(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", evilTitle, "@author", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	if _, err := h.St.DB.Exec(`UPDATE holdings SET call_number = ? WHERE record_id = ?`, evilCall, rec); err != nil {
		t.Fatal(err)
	}
	id := h.ToWillSupply(rec, "fx-1", "PKU")
	// A manual request (a citation, not a catalogue record) whose title is
	// a formula: it waits for mediation, and counts in the top titles.
	code, out := h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "fx-2",
		"patron": map[string]any{"id": "FX2"}, "item": map[string]any{"title": evilManual, "author": "佚名"}})
	if code != http.StatusAccepted {
		t.Fatalf("manual request: %d %v", code, out)
	}
	h.WaitState(out["request_id"].(string), "THU", ill.NeedsMediation)

	// The lender's pull slip: the record's title and the holding's call number.
	status, body, hdr := h.Raw("GET", "/v1/pull-slip?format=csv", ill.DemoKey("PKU"), nil)
	if name := download(t, "pull slip", status, hdr, body); name != "pull-slip-PKU-2026-03-02.csv" {
		t.Errorf("pull slip file name %q", name)
	}
	slip := parseCSV(t, "pull slip", body)
	if got := column(t, slip, "title"); len(got) != 1 || got[0] != "'"+evilTitle {
		t.Errorf("pull slip titles %q, want %q", got, "'"+evilTitle)
	}
	if got := column(t, slip, "call_number"); len(got) != 1 || got[0] != "'"+evilCall {
		t.Errorf("pull slip call numbers %q, want %q", got, "'"+evilCall)
	}
	if got := column(t, slip, "author"); len(got) != 1 || got[0] != "'@author" {
		t.Errorf("pull slip authors %q", got)
	}
	if got := column(t, slip, "seq"); len(got) != 1 || got[0] != "1" {
		t.Errorf("pull slip seq %q: numbers stay numbers", got)
	}

	// The borrower's top titles, CSV: both titles neutralised, counts numeric.
	status, body, hdr = h.Raw("GET", "/v1/reports/top-titles?format=csv&lang=en", ill.DemoKey("THU"), nil)
	if name := download(t, "top titles", status, hdr, body); name != "top-titles_2026-03-01_2026-03-02_THU.csv" {
		t.Errorf("top titles file name %q", name)
	}
	top := parseCSV(t, "top titles", body)
	titles := strings.Join(column(t, top, "Title"), "\n")
	if !strings.Contains(titles, "'"+evilTitle) || !strings.Contains(titles, "'"+evilManual) {
		t.Errorf("top titles %q", titles)
	}
	for _, n := range column(t, top, "Requests") {
		if n != "1" {
			t.Errorf("requests column %q", n)
		}
	}

	// XLSX: the same text as string cells (never formulas), counts as numbers.
	status, body, hdr = h.Raw("GET", "/v1/reports/top-titles?format=xlsx&lang=en", ill.DemoKey("THU"), nil)
	if name := download(t, "top titles xlsx", status, hdr, body); name != "top-titles_2026-03-01_2026-03-02_THU.xlsx" {
		t.Errorf("xlsx file name %q", name)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := wb.GetRows("top-titles")
	if err != nil || len(rows) != 3 {
		t.Fatalf("xlsx rows %q %v", rows, err)
	}
	seen := map[string]bool{}
	for r := 2; r <= 3; r++ {
		cell := fmt.Sprintf("B%d", r)
		v, _ := wb.GetCellValue("top-titles", cell)
		f, _ := wb.GetCellFormula("top-titles", cell)
		typ, _ := wb.GetCellType("top-titles", cell)
		if f != "" || (typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) || formulaLike(v) {
			t.Errorf("xlsx %s = %q (formula %q, type %v)", cell, v, f, typ)
		}
		seen[v] = true
		n, _ := wb.GetCellType("top-titles", fmt.Sprintf("D%d", r))
		if n == excelize.CellTypeSharedString || n == excelize.CellTypeInlineString {
			t.Errorf("xlsx D%d is text, want a number", r)
		}
	}
	if !seen["'"+evilTitle] || !seen["'"+evilManual] {
		t.Errorf("xlsx titles %v", seen)
	}

	// Shipped, the item is on a courier run: the manifest's CSV is
	// neutralised, and its printable page carries the page headers.
	_, run := h.ShipAt(id, "PKU", "FX-B1", harness.Shanghai(2026, 3, 2, 11, 0))
	status, body, hdr = h.Raw("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest?format=csv", run), ill.DemoKey("CENTRE"), nil)
	download(t, "manifest", status, hdr, body)
	man := parseCSV(t, "manifest", body)
	for _, c := range column(t, man, "title") {
		if c != "'"+evilTitle {
			t.Errorf("manifest title %q", c)
		}
	}
	for _, c := range column(t, man, "call_number") {
		if c != "'"+evilCall {
			t.Errorf("manifest call number %q", c)
		}
	}
	status, body, hdr = h.Raw("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest?format=html", run), ill.DemoKey("CENTRE"), nil)
	checkPageHeaders(t, "manifest html", status, hdr, body)
}

// checkPageHeaders: an HTML page of the API allows nothing but its own
// style sheet, is never framed, sniffed or given a referrer.
func checkPageHeaders(t *testing.T, what string, status int, hdr http.Header, body []byte) {
	t.Helper()
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("%s: %d %s", what, status, hdr.Get("Content-Type"))
	}
	csp := hdr.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src 'sha256-", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", what, csp, want)
		}
	}
	if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("%s: headers %v", what, hdr)
	}
	if bytes.Contains(body, []byte("<script")) {
		t.Errorf("%s: a script on a printable page", what)
	}
}

func TestSecurityContentDispositionValidated(t *testing.T) {
	h := harness.New(t, 3)
	centre := ill.DemoKey("CENTRE")
	for _, path := range []string{
		`/v1/reports/summary?format=csv&library=` + url.QueryEscape(`"x;y`),
		`/v1/reports/summary?format=xlsx&library=` + url.QueryEscape(`x";filename*=UTF-8''evil.html`),
		`/v1/pull-slip?format=csv&library=` + url.QueryEscape(`"x;y`),
		`/v1/reports/courier/violations?format=csv&lender=` + url.QueryEscape(`"x;y`),
	} {
		status, body, hdr := h.Raw("GET", path, centre, nil)
		var e map[string]any
		_ = json.Unmarshal(body, &e)
		if status != http.StatusBadRequest || harness.ErrCode(e) != "bad_request" || hdr.Get("Content-Disposition") != "" {
			t.Errorf("%s: %d %.200q, Content-Disposition %q; want 400 bad_request and no download", path, status, body, hdr.Get("Content-Disposition"))
		}
	}
	// A well-formed code that is not a member: 404, nothing echoed.
	for _, path := range []string{"/v1/reports/summary?format=csv&library=NOSUCH", "/v1/pull-slip?format=csv&library=NOSUCH"} {
		if status, body, hdr := h.Raw("GET", path, centre, nil); status != http.StatusNotFound || hdr.Get("Content-Disposition") != "" {
			t.Errorf("%s: %d %.200q %q", path, status, body, hdr.Get("Content-Disposition"))
		}
	}
	// Any spelling of a member's code names the download by its canonical code.
	for path, want := range map[string]string{
		"/v1/reports/summary?format=csv&library=pku":                              "summary_2026-03-01_2026-03-02_PKU.csv",
		"/v1/reports/daily?format=xlsx&library=" + url.QueryEscape("ＰＫＵ"):         "daily_2026-03-01_2026-03-02_PKU.xlsx",
		"/v1/pull-slip?format=csv&library=" + url.QueryEscape("pku\u200b"):        "pull-slip-PKU-2026-03-02.csv",
		"/v1/reports/courier/violations?format=csv&from=2026-02-01&to=2026-03-01": "violations-2026-02-01-2026-03-01.csv",
		"/v1/reports/courier?format=csv&date=2026-03-02":                          "courier-2026-03-02.csv",
		"/v1/reports/courier/exceptions?format=csv":                               "courier-exceptions.csv",
	} {
		status, body, hdr := h.Raw("GET", path, centre, nil)
		if got := download(t, path, status, hdr, body); got != want {
			t.Errorf("%s: file name %q, want %q", path, got, want)
		}
	}
}

func TestSecurityAPIPagesAndAnswersCarryHeaders(t *testing.T) {
	h := harness.New(t, 3)
	status, body, hdr := h.Raw("GET", "/v1/pull-slip?format=html", ill.DemoKey("PKU"), nil)
	checkPageHeaders(t, "pull slip html", status, hdr, body)
	// JSON answers (successes and errors) are never sniffed either.
	for _, path := range []string{"/v1/pull-slip", "/v1/courier/runs", "/v1/reports/summary", "/v1/catalog/search?q=x", "/v1/courier/runs/999/manifest"} {
		if _, _, hdr := h.Raw("GET", path, ill.DemoKey("PKU"), nil); hdr.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %v", path, hdr)
		}
	}
}

// A search of 2,000 distinct words is answered, using a bounded number of
// words and bigram probes (the query said so: query_truncated).
func TestSecurityCatalogSearchBounded(t *testing.T) {
	h := harness.New(t, 3)
	testenv.Record(t, h.St, "", "数据库系统概论", "王珊", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	words := []string{"数据库", "系统"}
	for i := range 1998 {
		words = append(words, fmt.Sprintf("词%04d", i))
	}
	q := strings.Join(words, " ")
	res, err := h.St.SearchFull(context.Background(), ill.SearchQuery{Q: q})
	if err != nil {
		t.Fatal(err)
	}
	if res.Words != ill.MaxSearchWords || res.Words > 32 || res.Probes > 32 || res.Probes == 0 || !res.QueryTruncated {
		t.Errorf("2,000 words used %d words and %d probes (truncated %v), want %d words and 1 to 32 probes",
			res.Words, res.Probes, res.QueryTruncated, ill.MaxSearchWords)
	}
	code, body := h.Call("GET", "/v1/catalog/search?q="+url.QueryEscape(q), "THU", nil)
	if code != http.StatusOK || body["query_truncated"] != true {
		t.Errorf("API: %d %v", code, body["query_truncated"])
	}
	// A short query is used whole and still finds the record.
	code, body = h.Call("GET", "/v1/catalog/search?q="+url.QueryEscape("数据库 系统 数据库"), "THU", nil)
	if code != http.StatusOK || body["total"] != 1.0 || body["query_truncated"] != false {
		t.Errorf("short query: %d %v", code, body)
	}
}

// The demo dataset's courier credential is public: outside a demo it is
// refused exactly as an unknown key is, while a real credential works.
func TestSecurityCourierDemoKeyRefusedOutsideDemo(t *testing.T) {
	h := harness.New(t, 3)
	ctx := context.Background()
	demoKey := ill.DemoKey("COURIER")
	for _, k := range []string{demoKey, harness.CourierKey} {
		if err := h.St.AddCourierKey(ctx, k, "test"); err != nil {
			t.Fatal(err)
		}
	}
	cfg := h.Cfg
	cfg.Demo = false
	srv, pub := service.NewProducer(cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	prod := httptest.NewServer(srv)
	t.Cleanup(func() { prod.Close(); pub.Close() })
	// get answers the status and the error code (and the message, for
	// the log): the message may say that demo keys need a demo, which
	// the key's public form tells anyway.
	get := func(base, key string) (int, string, string) {
		req, _ := http.NewRequest("GET", base+"/v1/courier/runs", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b struct {
			Error struct{ Code, Message string }
		}
		_ = json.NewDecoder(res.Body).Decode(&b)
		return res.StatusCode, b.Error.Code, b.Error.Message
	}
	unknownStatus, unknownCode, msg := get(prod.URL, "courier-no-such-key")
	if unknownStatus != http.StatusUnauthorized || unknownCode != "unauthorized" {
		t.Fatalf("unknown key: %d %s %s", unknownStatus, unknownCode, msg)
	}
	if status, code, msg := get(prod.URL, demoKey); status != unknownStatus || code != unknownCode {
		t.Errorf("demo courier key outside a demo: %d %s %q, want as an unknown key: %d %s", status, code, msg, unknownStatus, unknownCode)
	}
	if status, _, msg := get(prod.URL, harness.CourierKey); status != http.StatusOK {
		t.Errorf("real courier key outside a demo: %d %s", status, msg)
	}
	if !h.Cfg.Demo {
		t.Fatal("the harness runs as a demo (the test keys are demo keys)")
	}
	if status, _, msg := get(h.API.URL, demoKey); status != http.StatusOK {
		t.Errorf("demo courier key in a demo: %d %s", status, msg)
	}
}
