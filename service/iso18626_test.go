package service_test

// The ISO 18626 intake's rate limit (the flows through the hub are tested
// in consumers/isoout).

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// TestISORateLimit: ILL_RATE_LIMIT applies per ISO 18626 member (429 with
// Retry-After, no confirmation), like per API key.
func TestISORateLimit(t *testing.T) {
	h := harness.New(t, 3)
	harness.RegisterISO(t, h.St, "THU", "http://127.0.0.1:1/iso18626", "")
	harness.RegisterISO(t, h.St, "PKU", "http://127.0.0.1:1/iso18626", "")
	cfg := h.Cfg
	cfg.RateLimit, cfg.RateBurst = 1, 2
	srv, pub := service.NewProducer(cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub.Close()
	api := httptest.NewServer(srv)
	defer api.Close()
	post := func(from, rid string) *http.Response {
		doc, err := iso18626.Marshal(harness.ISORequest(from, "BALIS", rid, "R"+rid, "9787040406641", "数据库系统概论", h.Clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Post(api.URL+"/iso18626", "application/xml", bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	codes := []int{post("THU", "rl-1").StatusCode, post("THU", "rl-2").StatusCode}
	third := post("THU", "rl-3")
	if codes[0] != 200 || codes[1] != 200 || third.StatusCode != http.StatusTooManyRequests || third.Header.Get("Retry-After") == "" {
		t.Fatalf("burst of 2 then: %v, %d (Retry-After %q)", codes, third.StatusCode, third.Header.Get("Retry-After"))
	}
	if other := post("PKU", "rl-4"); other.StatusCode != 200 {
		t.Fatalf("another member is limited too: %d", other.StatusCode)
	}
}
