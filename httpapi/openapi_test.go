package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// specChecker validates real calls against docs/openapi.yaml: the request
// the test sent (for calls the API accepted) and every answer — status,
// content type, headers and body — and records which operations were
// exercised.
type specChecker struct {
	t   *testing.T
	doc *openapi3.T
	mu  sync.Mutex
	hit map[string]int // "METHOD /template" → validated answers
}

func newSpecChecker(t *testing.T) *specChecker {
	doc, err := httpapi.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	// Downloads and the ISO 18626 XML are checked for their content type
	// (a string schema); their bytes are the writers' concern.
	for _, ct := range []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/html", "application/xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	return &specChecker{t: t, doc: doc, hit: map[string]int{}}
}

// route finds the operation of method and path: the template whose
// segments match, literal segments preferred over parameters.
func (c *specChecker) route(method, path string) (*routers.Route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *routers.Route
	var bestParams map[string]string
	bestLiterals := -1
	for tmpl, item := range c.doc.Paths.Map() {
		op := item.GetOperation(method)
		if op == nil {
			continue
		}
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		params, literals, ok := map[string]string{}, 0, true
		for i, s := range ts {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				v, _ := url.PathUnescape(segs[i])
				params[s[1:len(s)-1]] = v
			} else if s == segs[i] {
				literals++
			} else {
				ok = false
				break
			}
		}
		if ok && literals > bestLiterals {
			best = &routers.Route{Spec: c.doc, Path: tmpl, PathItem: item, Method: method, Operation: op}
			bestParams, bestLiterals = params, literals
		}
	}
	return best, bestParams
}

func (c *specChecker) check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	c.t.Helper()
	route, params := c.route(req.Method, req.URL.Path)
	if route == nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			return // an unknown endpoint, on purpose
		}
		c.t.Errorf("%s %s answered %d but is not in docs/openapi.yaml", req.Method, req.URL.Path, res.StatusCode)
		return
	}
	ctx := context.Background()
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(reqBody) > 0 && r.Header.Get("Content-Type") == "" {
		// The API reads every body as JSON whatever its label (the
		// harness sends none): validate it as the JSON it was taken for.
		r.Header.Set("Content-Type", "application/json")
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if res.StatusCode < 300 { // what the API accepted must be what the document allows
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			c.t.Errorf("%s %s: the request the API accepted does not match docs/openapi.yaml: %v", req.Method, req.URL, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("%s %s: answer %d (%s) does not match docs/openapi.yaml: %v\n%.600s", req.Method, req.URL, res.StatusCode,
			res.Header.Get("Content-Type"), err, resBody)
	}
	c.mu.Lock()
	c.hit[req.Method+" "+route.Path]++
	c.mu.Unlock()
}

// TestOpenAPIResponses drives every operation of docs/openapi.yaml
// through a real producer and consumers (internal/harness: MariaDB,
// RabbitMQ) and validates each request and answer against the document
// with kin-openapi's openapi3filter, successes and errors alike, so the
// document cannot drift from what the API answers.
func TestOpenAPIResponses(t *testing.T) {
	h := harness.New(t, 5)
	c := newSpecChecker(t)
	h.Check = c.check
	h.StartConsumers(nil)
	ctx := context.Background()
	if err := h.St.AddCourierKey(ctx, harness.CourierKey, "test courier"); err != nil {
		t.Fatal(err)
	}
	rec := testenv.Record(t, h.St, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true})
	want := func(status int, got int, body any) {
		t.Helper()
		if got != status {
			t.Fatalf("status %d, want %d: %v", got, status, body)
		}
	}

	// Operations without a key.
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		code, b, _ := h.Raw("GET", p, "", nil)
		want(200, code, string(b))
	}
	// The ISO 18626 intake: a message from no known member is answered with
	// an ERROR confirmation (XML).
	isoReq, _ := http.NewRequest("POST", h.API.URL+"/iso18626", strings.NewReader(`<?xml version="1.0"?><ISO18626Message/>`))
	isoReq.Header.Set("Content-Type", "application/xml")
	isoRes, err := http.DefaultClient.Do(isoReq)
	if err != nil {
		t.Fatal(err)
	}
	isoBody, _ := io.ReadAll(isoRes.Body)
	isoRes.Body.Close()
	c.check(isoReq, []byte(`<?xml version="1.0"?><ISO18626Message/>`), isoRes, isoBody)

	// Requests: submit (new, repeated, manual citation with a source), read, list, act, notes.
	id := h.Submit("THU", "oa-1", "P-1", rec)
	h.WaitState(id, "THU", ill.Requested)
	st, body := h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "oa-1",
		"patron": map[string]any{"id": "P-1", "name": "读者P-1", "email": "P-1@example.edu.cn"}, "record_id": fmt.Sprint(rec)})
	want(200, st, body)
	st, body = h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "oa-2",
		"patron": map[string]any{"id": "P-2"}, "item": map[string]any{"title": "不存在的书", "author": "某人", "year": 2001},
		"source": "info:sid/primo.exlibrisgroup.com"})
	want(202, st, body)
	manual := body["request_id"].(string)
	h.WaitState(id, "THU", ill.Requested)
	if b := h.WaitFor(manual, "THU", "decided", func(b map[string]any) bool { return b["state"] != string(ill.Submitted) }); b["source"] != "info:sid/primo.exlibrisgroup.com" {
		t.Fatalf("source not kept: %v", b["source"])
	}
	st, body = h.Call("GET", "/v1/requests?patron_id=P-1&state=REQUESTED&from=2026-03-01&to=2026-03-31&page=1&per_page=10", "THU", nil)
	want(200, st, body)
	st, body = h.Call("POST", "/v1/requests/"+id+"/notes", "THU", map[string]any{"text": "请尽快"})
	want(201, st, body)
	st, body = h.Call("GET", "/v1/requests/"+id+"/notes", "PKU", nil)
	want(200, st, body)
	h.AdvanceToOnLoan(id, "PKU", "THU")
	st, body = h.Call("POST", "/v1/requests/"+id+"/renew", "THU", nil)
	want(409, st, body)
	st, body = h.Call("POST", "/v1/requests/"+id+"/respond", "PKU", map[string]any{"decision": "will_supply"})
	want(409, st, body)
	// Delivery: an upload to a loan is refused before the body counts
	// (unsupported media or conflict, both documented); a forged download
	// link is 404.
	st, raw, _ := h.Raw("POST", "/v1/requests/"+id+"/file", ill.DemoKey("PKU"), "%PDF-1.4")
	if st != 415 && st != 409 {
		t.Fatalf("upload to a loan: %d %s", st, raw)
	}
	st, raw, _ = h.Raw("GET", "/download/forged.token", "", nil)
	want(404, st, string(raw))
	st, body = h.Call("POST", "/v1/requests/"+id+"/checkout", "RUC", nil)
	want(403, st, body)

	// Errors: no key, unknown request, bad JSON, bad parameter, unknown action.
	st, body = h.Call("GET", "/v1/requests/"+id, "", nil)
	want(401, st, body)
	st, body = h.Call("GET", "/v1/requests/ILL-0000000000000000", "THU", nil)
	want(404, st, body)
	st, body = h.Call("POST", "/v1/requests", "THU", "{not json")
	want(400, st, body)
	st, body = h.Call("GET", "/v1/requests?per_page=1000", "THU", nil)
	want(400, st, body)
	st, body = h.Call("POST", "/v1/requests", "THU", strings.Repeat(" ", 1<<20+10))
	want(413, st, body)

	// Catalogue, holdings, directory, readers.
	st, body = h.Call("GET", "/v1/catalog/search?q="+url.QueryEscape("数据库")+"&available=true&page=1&per_page=5", "THU", nil)
	want(200, st, body)
	st, body = h.Call("GET", "/v1/catalog/search", "THU", nil)
	want(400, st, body)
	st, body = h.Call("GET", fmt.Sprintf("/v1/catalog/records/%d", rec), "THU", nil)
	want(200, st, body)
	st, body = h.Call("GET", "/v1/catalog/records/999999", "THU", nil)
	want(404, st, body)
	st, body = h.Call("POST", "/v1/holdings", "RUC", map[string]any{"upserts": []map[string]any{{"local_id": "R-1",
		"isbn": "9787020002207", "title": "红楼梦", "author": "曹雪芹", "copies": 1, "available": 1, "lendable": true}},
		"deletes": []string{"R-0"}})
	want(202, st, body)
	st, body = h.Call("GET", "/v1/catalog/conflicts", "CENTRE", nil)
	want(200, st, body)
	st, body = h.Call("GET", "/v1/libraries", "THU", nil)
	want(200, st, body)
	st, body = h.Call("GET", "/v1/libraries/PKU", "THU", nil)
	want(200, st, body)
	st, body = h.Call("GET", "/v1/libraries/NOPE", "THU", nil)
	want(404, st, body)
	st, body = h.Call("POST", "/v1/readers", "THU", map[string]any{"id": "R-9", "name": "读者", "email": "r9@example.edu.cn", "pin": "123456"})
	want(200, st, body)

	// Reports: JSON, CSV, XLSX, the sources report, an unknown report.
	for _, q := range []string{"/v1/reports/summary?from=2026-03-01&to=2026-03-31", "/v1/reports/summary?format=csv",
		"/v1/reports/summary?format=xlsx&lang=en", "/v1/reports/sources?from=2026-03-01&to=2026-03-31", "/v1/reports/balance"} {
		st, b, _ := h.Raw("GET", q, ill.DemoKey("THU"), nil)
		want(200, st, string(b))
	}
	st, body = h.Call("GET", "/v1/reports/nope", "THU", nil)
	want(404, st, body)

	// Courier: a request shipped onto a run, its manifest, the pull slip,
	// scans (matched and unknown), the review list, exceptions, reports.
	ship := h.ToWillSupply(rec, "oa-3", "PKU")
	for _, f := range []string{"", "?format=csv", "?format=html"} {
		st, b, _ := h.Raw("GET", "/v1/pull-slip"+f, ill.DemoKey("PKU"), nil)
		want(200, st, string(b))
	}
	_, run := h.ShipAt(ship, "PKU", "BC-oa-3", harness.Shanghai(2026, 3, 2, 11, 0))
	for _, f := range []string{"", "?format=csv", "?format=html"} {
		st, b, _ := h.Raw("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest%s", run, f), ill.DemoKey("PKU"), nil)
		want(200, st, string(b))
	}
	st, b, _ := h.Raw("GET", "/v1/courier/runs?from=2026-03-01&to=2026-03-09", harness.CourierKey, nil)
	want(200, st, string(b))
	st, b, _ = h.Raw("POST", "/v1/courier/scans", harness.CourierKey, map[string]any{"barcode": "BC-oa-3", "event": "picked_up", "stop": "PKU"})
	want(202, st, string(b))
	st, b, _ = h.Raw("POST", "/v1/courier/scans", harness.CourierKey, map[string]any{"barcode": "NO-SUCH", "event": "picked_up"})
	want(404, st, string(b))
	st, b, _ = h.Raw("POST", "/v1/courier/scans", ill.DemoKey("THU"), map[string]any{"barcode": "x", "event": "picked_up"})
	want(403, st, string(b))
	st, body = h.Call("GET", "/v1/courier/review?all=1", "CENTRE", nil)
	want(200, st, body)
	items, _ := body["results"].([]any)
	if len(items) == 0 {
		t.Fatal("the unknown barcode is not on the review list")
	}
	reviewID := int64(items[0].(map[string]any)["id"].(float64))
	st, body = h.Call("POST", fmt.Sprintf("/v1/courier/review/%d/resolve", reviewID), "CENTRE", map[string]any{"note": "误扫"})
	want(200, st, body)
	for _, p := range []string{"/v1/courier/exceptions", "/v1/courier/exceptions?format=csv", "/v1/reports/courier/exceptions",
		"/v1/reports/courier?date=2026-03-02", "/v1/reports/courier?format=csv", "/v1/reports/courier/violations?from=2026-03-01&to=2026-03-31",
		"/v1/reports/courier/violations?format=csv"} {
		st, b, _ := h.Raw("GET", p, ill.DemoKey("PKU"), nil)
		want(200, st, string(b))
	}

	// Money: the violations list and a settlement of an unknown one.
	st, body = h.Call("GET", "/v1/violations?role=lender&month=2026-03", "PKU", nil)
	want(200, st, body)
	st, body = h.Call("POST", "/v1/violations/999999/settle", "PKU", map[string]any{"state": "paid"})
	want(404, st, body)

	// Every operation of the document was exercised and validated.
	var missing []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if c.hit[method+" "+path] == 0 {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations never exercised: %v", missing)
	}
}
