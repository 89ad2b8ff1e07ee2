package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ReadyFunc reports readiness and a detail per check ("mysql": "ok", …).
type ReadyFunc func(ctx context.Context) (bool, map[string]string)

// OpsHandler serves the operational endpoints of the consumers and the
// scheduler: /metrics (Prometheus), /healthz (alive, no dependency checks)
// and /readyz (ready, or 503 with the failing checks in the JSON detail).
func OpsHandler(reg *prometheus.Registry, ready ReadyFunc) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		ok, checks := true, map[string]string{}
		if ready != nil {
			ok, checks = ready(ctx)
		}
		body := map[string]any{"status": "ready", "checks": checks}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			body["status"] = "not_ready"
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(body)
	})
	return mux
}

// ServeOps serves OpsHandler on addr ("" disables) until the returned stop
// function is called, so metrics stay scrapeable while the process drains.
// A busy port (several processes on one host) only logs a warning.
func ServeOps(addr string, reg *prometheus.Registry, ready ReadyFunc, log *slog.Logger) (stop func()) {
	if addr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("metrics endpoint not started", "addr", addr, "err", err)
		return func() {}
	}
	hs := NewHTTPServer(addr, OpsHandler(reg, ready))
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}
}
