package service_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// Every endpoint × every kind of caller: the borrower, the lender asked,
// a lender in the rota not yet asked, a stranger, the centre, no key.
func TestAuthorizationMatrix(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "信号与系统", "郑君里",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true}, testenv.Holding{Library: "RUC", Available: 0, Lendable: true})
	id := h.Submit("THU", "authz-1", "A1", rec)
	if b := h.WaitState(id, "THU", ill.Requested); b["lender"] != "PKU" {
		t.Fatalf("lender %v", b["lender"])
	}
	callers := []string{"THU", "PKU", "RUC", "BNU", "CENTRE", ""}
	type row struct {
		name, method, path string
		body               any
		want               []int // per caller, in the order above
	}
	n := 0
	submit := func() any {
		n++
		return map[string]any{"client_request_id": fmt.Sprintf("authz-s-%d", n), "patron": map[string]any{"id": fmt.Sprint("Z", n)}, "record_id": fmt.Sprint(rec)}
	}
	rows := []row{
		{"read request", "GET", "/v1/requests/" + id, nil, []int{200, 200, 403, 403, 200, 401}},
		{"borrower action in the wrong state", "POST", "/v1/requests/" + id + "/receive", nil, []int{409, 403, 403, 403, 403, 401}},
		{"lender action in the wrong state", "POST", "/v1/requests/" + id + "/checkin", map[string]any{"condition": "good"}, []int{403, 409, 403, 403, 403, 401}},
		{"renew", "POST", "/v1/requests/" + id + "/renew", nil, []int{409, 403, 403, 403, 403, 401}},
		{"mediate (centre may)", "POST", "/v1/requests/" + id + "/mediate", map[string]any{"lenders": []string{"BNU"}}, []int{409, 403, 403, 403, 409, 401}},
		{"history", "GET", "/v1/requests", nil, []int{200, 200, 200, 200, 200, 401}},
		{"catalogue search", "GET", "/v1/catalog/search?q=信号", nil, []int{200, 200, 200, 200, 200, 401}},
		{"catalogue record", "GET", fmt.Sprintf("/v1/catalog/records/%d", rec), nil, []int{200, 200, 200, 200, 200, 401}},
		{"libraries", "GET", "/v1/libraries", nil, []int{200, 200, 200, 200, 200, 401}},
		{"one library", "GET", "/v1/libraries/PKU", nil, []int{200, 200, 200, 200, 200, 401}},
		{"holdings batch", "POST", "/v1/holdings", map[string]any{"deletes": []string{"nothing"}}, []int{202, 202, 202, 202, 403, 401}},
		{"submit", "POST", "/v1/requests", nil, []int{202, 202, 202, 202, 403, 401}},
		{"register a reader", "POST", "/v1/readers", map[string]any{"id": "R-authz", "pin": "123456"}, []int{200, 200, 200, 200, 403, 401}},
		{"reports", "GET", "/v1/reports/summary", nil, []int{200, 200, 200, 200, 200, 401}},
		{"another library's report", "GET", "/v1/reports/summary?library=PKU", nil, []int{403, 200, 403, 403, 200, 401}},
		{"health (no key needed)", "GET", "/healthz", nil, []int{200, 200, 200, 200, 200, 200}},
		{"readiness (no key needed)", "GET", "/readyz", nil, []int{200, 200, 200, 200, 200, 200}},
		// Portal readers belong to a member library.
		{"reader account", "POST", "/v1/readers", map[string]any{"id": "R1", "name": "读者", "pin": "246810"}, []int{200, 200, 200, 200, 403, 401}},
		// Courier endpoints.
		{"courier scan (courier credentials only)", "POST", "/v1/courier/scans", map[string]any{}, []int{403, 403, 403, 403, 403, 401}},
		{"courier runs", "GET", "/v1/courier/runs", nil, []int{200, 200, 200, 200, 200, 401}},
		{"courier review list", "GET", "/v1/courier/review", nil, []int{200, 200, 200, 200, 200, 401}},
		{"another library's pull slip", "GET", "/v1/pull-slip?library=PKU", nil, []int{403, 200, 403, 403, 200, 401}},
		{"lender answers (last: changes state)", "POST", "/v1/requests/" + id + "/respond", map[string]any{"decision": "will_supply"}, []int{403, 202, 403, 403, 403, 401}},
	}
	for _, r := range rows {
		for i, c := range callers {
			body := r.body
			if r.name == "submit" {
				body = submit()
			}
			got, out := h.Call(r.method, r.path, c, body)
			if got != r.want[i] {
				t.Errorf("%s as %q: %d %v, want %d", r.name, c, got, out, r.want[i])
				continue
			}
			// Refusals carry the stable code of their status.
			wantCode := map[int]string{401: "unauthorized", 403: "forbidden", 409: "invalid_transition"}[got]
			if r.name == "renew" && got == 409 {
				wantCode = "renewal_not_allowed"
			}
			if wantCode != "" && harness.ErrCode(out) != wantCode {
				t.Errorf("%s as %q: %d with code %q, want %q", r.name, c, got, harness.ErrCode(out), wantCode)
			}
		}
	}
	// Lists only show what the caller is a party to.
	// Each of RUC and BNU sees only its own submit (once the consumers stored it).
	for _, c := range []string{"RUC", "BNU"} {
		var out map[string]any
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, out = h.Call("GET", "/v1/requests", c, nil); out["total"] == 1.0 {
				break
			}
		}
		res := out["results"].([]any)
		if out["total"] != 1.0 || res[0].(map[string]any)["borrower"] != c {
			t.Errorf("%s lists %v", c, out)
		}
	}
}

func TestRateLimitPerKey(t *testing.T) {
	h := harness.New(t, 3)
	cfg := h.Cfg
	cfg.RateLimit, cfg.RateBurst = 1, 2
	srv, pub := service.NewProducer(cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub.Close()
	api := httptest.NewServer(srv)
	defer api.Close()
	get := func(key string) *http.Response {
		req, _ := http.NewRequest("GET", api.URL+"/v1/libraries", nil)
		req.Header.Set("Authorization", "Bearer "+ill.DemoKey(key))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	codes := []int{get("THU").StatusCode, get("THU").StatusCode}
	third := get("THU")
	if codes[0] != 200 || codes[1] != 200 || third.StatusCode != http.StatusTooManyRequests || third.Header.Get("Retry-After") == "" {
		t.Fatalf("burst of 2 then: %v, %d (Retry-After %q)", codes, third.StatusCode, third.Header.Get("Retry-After"))
	}
	if other := get("PKU"); other.StatusCode != 200 {
		t.Fatalf("another library's key is limited too: %d", other.StatusCode)
	}
}
