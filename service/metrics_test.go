package service_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

func TestRequestStatesMetric(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "数值分析", "李庆扬", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	for _, c := range []string{"m-1", "m-2"} {
		h.WaitState(h.Submit("THU", c, "M"+c, rec), "THU", ill.Requested)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(service.RequestStates(h.St))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	if len(got) != len(ill.States) || got["REQUESTED"] != 2 || got["SUBMITTED"] != 0 {
		t.Fatalf("illhub_requests = %v", got)
	}
}

func TestReadyzOffWhileDraining(t *testing.T) {
	h := harness.New(t, 3)
	srv, pub := service.NewProducer(h.Cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub.Close()
	api := httptest.NewServer(srv)
	defer api.Close()
	get := func() (int, map[string]any) {
		res, err := http.Get(api.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if code, body := get(); code != 200 {
		t.Fatalf("before: %d %v", code, body)
	}
	srv.Drain()
	code, body := get()
	checks, _ := body["checks"].(map[string]any)
	if code != 503 || checks["shutdown"] != "shutting down" {
		t.Fatalf("draining: %d %v", code, body)
	}
	if res, _ := http.Get(api.URL + "/healthz"); res.StatusCode != 200 {
		t.Fatalf("healthz while draining: %d", res.StatusCode)
	}
}
