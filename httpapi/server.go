// Package httpapi is the producer's HTTP adapter: the JSON API of SPEC 5.1.
// Reads come from MySQL; every change is published to RabbitMQ and
// answered 202 only after the broker's publisher confirm.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"
)

// Publisher is the broker as the API needs it (rabbitmq.Publisher).
type Publisher interface {
	// Publish returns after the broker confirmed the message, or an
	// *ill.Error with code unavailable.
	Publish(ctx context.Context, routingKey, messageID string, body []byte) error
	Ready() error
}

// Server serves the JSON API. Construct with New.
type Server struct {
	Store          *mysql.Store
	Pub            Publisher
	Clock          ill.Clock
	Calendar       *mysql.CalendarCache
	Log            *slog.Logger
	MaxBody        int64
	PublishTimeout time.Duration
	// RateLimit (requests/s) and RateBurst limit each API key; 0 = none.
	RateLimit float64
	RateBurst int
	// UI serves every path outside the API (/v1/, /iso18626, health and
	// metrics): the reader portal and staff console (package web). Nil: 404.
	UI http.Handler
	// HubSymbol is the hub's own ISO 18626 agency id (ILL_HUB_SYMBOL): a
	// request addressed to it is routed by the hub (issue 6).
	HubSymbol string
	// Demo lets the demo dataset's well-known keys (ill.IsDemoKey)
	// authenticate (ILL_DEMO); without it they are refused like unknown keys.
	Demo bool

	mux      *http.ServeMux
	keys     sync.Map // key hash → cachedPrincipal
	limiters sync.Map // key hash → *rate.Limiter
	registry *prometheus.Registry
	reqs     *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	pubs     *prometheus.CounterVec
	pubTime  *prometheus.HistogramVec
	draining atomic.Bool
}

type cachedPrincipal struct {
	p       mysql.Principal
	expires time.Time
}

// New wires the routes. Registry may be nil (a private one is used).
func New(s *Server, reg *prometheus.Registry) *Server {
	if s.MaxBody == 0 {
		s.MaxBody = 1 << 20
	}
	if s.PublishTimeout == 0 {
		s.PublishTimeout = 4 * time.Second
	}
	if s.Clock == nil {
		s.Clock = ill.SystemClock{}
	}
	if s.HubSymbol == "" {
		s.HubSymbol = "BALIS"
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.registry = reg
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_http_requests_total",
		Help: "HTTP requests by route and status."}, []string{"route", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_http_request_seconds",
		Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	s.pubs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_publish_total",
		Help: "Messages published with confirm, by routing key and result."}, []string{"routing_key", "result"})
	s.pubTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_publish_confirm_seconds",
		Help:    "Time from publish to the broker's confirm (or failure), by routing key.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"routing_key"})
	reg.MustRegister(s.reqs, s.latency, s.pubs, s.pubTime)

	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.route(m, "POST /v1/requests", s.submit)
	s.route(m, "GET /v1/requests", s.listRequests)
	s.route(m, "GET /v1/requests/{id}", s.getRequest)
	s.route(m, "POST /v1/requests/{id}/{action}", s.act)
	s.route(m, "GET /v1/catalog/search", s.search)
	s.route(m, "GET /v1/catalog/records/{id}", s.getRecord)
	s.route(m, "POST /v1/holdings", s.holdings)
	s.route(m, "GET /v1/libraries", s.libraries)
	s.route(m, "GET /v1/libraries/{code}", s.library)
	// issue 4: union catalogue — matching conflicts
	s.route(m, "GET /v1/catalog/conflicts", s.conflicts)
	// issue 8: readers for the web portal, reports
	s.route(m, "POST /v1/readers", s.putReader)
	s.route(m, "GET /v1/reports/{name}", s.report)
	// issue 5: courier scans, runs and manifests, exceptions, review list, pull slip, courier reports
	s.courierRoutes(m)
	// issue 6: ISO 18626 intake; senders authenticate by symbol (+ secret), not by API key.
	m.HandleFunc("POST /iso18626", s.iso18626)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.UI != nil && !isAPIPath(r.URL.Path) { // issue 8: web portal and console
			s.UI.ServeHTTP(w, r)
			return
		}
		s.writeError(w, r, ill.Errorf(ill.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	w.Header().Set("X-Request-Id", id)
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxRequestID{}, id)))
}

type ctxRequestID struct{}
type ctxPrincipal struct{}

func requestIDOf(r *http.Request) string {
	id, _ := r.Context().Value(ctxRequestID{}).(string)
	return id
}

func principalOf(r *http.Request) mysql.Principal {
	p, _ := r.Context().Value(ctxPrincipal{}).(mysql.Principal)
	return p
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// route registers an authenticated handler with metrics and an access log.
func (s *Server) route(m *http.ServeMux, pattern string, h func(http.ResponseWriter, *http.Request) error) {
	name := pattern[strings.IndexByte(pattern, ' ')+1:]
	m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		p, err := s.authenticate(r)
		if err == nil {
			err = s.limit(rec, r)
		}
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), ctxPrincipal{}, p))
			err = h(rec, r)
		}
		if err != nil {
			s.writeError(rec, r, err)
		}
		s.reqs.WithLabelValues(name, itoa(rec.status)).Inc()
		s.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		s.Log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"library", p.Library, "request_id", requestIDOf(r), "took", time.Since(start))
	})
}

// authenticate resolves the Bearer key (hashed; never logged). Principals
// are cached for 30 s so a revoked key stops working within that time.
func (s *Server) authenticate(r *http.Request) (mysql.Principal, error) {
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return mysql.Principal{}, ill.Errorf(ill.CodeUnauthorized, "an API key is required: Authorization: Bearer <key>")
	}
	hash := ill.HashKey(key)
	if c, ok := s.keys.Load(hash); ok && time.Now().Before(c.(cachedPrincipal).expires) {
		return c.(cachedPrincipal).p, nil
	}
	p, err := s.Store.PrincipalByKeyHash(r.Context(), hash)
	if err != nil {
		if ill.ErrorCode(err) == ill.CodeNotFound {
			return p, ill.Errorf(ill.CodeUnauthorized, "unknown or revoked API key")
		}
		return p, &ill.Error{Code: ill.CodeUnavailable, Message: "database unavailable"}
	}
	s.keys.Store(hash, cachedPrincipal{p: p, expires: time.Now().Add(30 * time.Second)})
	return p, nil
}

// limit applies the caller's per-key token bucket (after authentication,
// so unknown keys cannot fill the table). Over the limit: 429 with the
// seconds until a request would be allowed in Retry-After.
func (s *Server) limit(w http.ResponseWriter, r *http.Request) error {
	if s.RateLimit <= 0 {
		return nil
	}
	hash := ill.HashKey(strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))
	l, _ := s.limiters.LoadOrStore(hash, rate.NewLimiter(rate.Limit(s.RateLimit), max(s.RateBurst, 1)))
	res := l.(*rate.Limiter).Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		return ill.Errorf(ill.CodeRateLimited, "more than %.0f requests per second for this API key; retry later", s.RateLimit)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Drain marks the server as shutting down: /readyz answers 503 from now
// on, so load balancers stop sending new work while in-flight requests
// finish (shutdown order: readiness off → stop HTTP → close).
func (s *Server) Drain() { s.draining.Store(true) }

// readyz reports whether the producer can take work: not shutting down,
// database and broker reachable. The calendar coverage is reported as a
// warning detail.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if s.draining.Load() {
		checks["shutdown"], ok = "shutting down", false
	}
	if err := s.Store.Ping(ctx); err != nil {
		checks["mysql"], ok = "down: "+err.Error(), false
	} else {
		checks["mysql"] = "ok"
	}
	if err := s.Pub.Ready(); err != nil {
		checks["rabbitmq"], ok = "down", false
	} else {
		checks["rabbitmq"] = "ok"
	}
	body := map[string]any{"checks": checks}
	if s.Calendar != nil {
		if cal, err := s.Calendar.Get(ctx); err == nil {
			today := ill.DateOf(s.Clock.Now())
			until := cal.CoveredUntil(today)
			body["calendar_covered_until"] = until.String()
			if until.Before(today.AddDays(60)) {
				body["warnings"] = []string{"national calendar loaded only until " + until.String() +
					": load next year's calendar with `illctl calendar import FILE`; deadlines beyond it are provisional"}
			}
		}
	}
	status := http.StatusOK
	body["status"] = "ready"
	if !ok {
		status, body["status"] = http.StatusServiceUnavailable, "not_ready"
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, body)
}

func itoa(n int) string {
	const digits = "0123456789"
	if n >= 100 && n < 1000 {
		return string([]byte{digits[n/100], digits[n/10%10], digits[n%10]})
	}
	return "other"
}
