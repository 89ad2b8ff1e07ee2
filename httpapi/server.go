// Package httpapi is the producer's HTTP adapter: the JSON API of SPEC 5.1.
// Each route authenticates the caller (API key or courier credential,
// cached and throttled here), translates the request to a use case of
// package app and its result or *ill.Error to JSON (errors.go: the JSON
// error shape; the status is ill.Code.HTTPStatus, the one mapping). Changes are answered 202 only after
// the broker's publisher confirm (app publishes). POST /iso18626 is served
// by the ISO 18626 intake (package iso18626/intake, Server.ISO18626), which
// this package does not import.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/throttle"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Store is the storage (mysql.Store). The adapter itself reads only the
// key lookups behind its credential caches (ill.Accounts) and the
// database's readiness; the rest is the use cases'.
type Store interface {
	app.Store
	// Ping reports whether the database answers (readiness).
	Ping(ctx context.Context) error
}

// ISOIntake answers POST /iso18626 (iso18626/intake.Intake).
type ISOIntake interface {
	// Receive reads one ISO 18626 message from r and returns the HTTP
	// status and the XML confirmation to answer; it may set headers
	// (Retry-After) on w but writes no body. An error is a transport-level
	// failure (broker or database unavailable, rate limited), answered as
	// the API's JSON error.
	Receive(w http.ResponseWriter, r *http.Request) (status int, confirmation []byte, err error)
}

// Server serves the JSON API. Construct with New.
type Server struct {
	// App runs the use cases every route translates to. Nil: New builds
	// them over Store, Pub and Clock, without reports (answered as an
	// internal error) and without publish metrics: enough for a server
	// that tests the HTTP layer alone. The producer passes the one it
	// shares with the ISO 18626 intake and the console.
	App   *app.Service
	Store Store
	// Pub is the broker the use cases publish to; the adapter asks it for
	// readiness.
	Pub      ill.Publisher
	Clock    ill.Clock
	Calendar ill.CalendarSource
	Log      *slog.Logger
	MaxBody  int64
	// RateLimit (requests/s) and RateBurst limit each API key; 0 = none.
	RateLimit float64
	RateBurst int
	// UI serves every path outside the API (/v1/, /iso18626, health and
	// metrics): the reader portal and staff console (package web). Nil: 404.
	UI http.Handler
	// ISO18626 serves POST /iso18626; nil: the path is not served.
	ISO18626 ISOIntake
	// Delivery serves the copy uploads and downloads (delivery.go); nil:
	// they answer 503 unavailable.
	Delivery *app.Delivery
	// Demo lets the demo dataset's well-known keys (ill.IsDemoKey)
	// authenticate (ILL_DEMO); without it they are refused without a
	// database lookup.
	Demo bool
	// KeyCacheTTL is how long a resolved key, courier credential or failed
	// lookup is remembered (ILL_KEY_CACHE_TTL, default 2 s): a revoked key
	// is refused at most this long after the revocation.
	KeyCacheTTL time.Duration
	// KeyCacheSize bounds each of those caches (default 10000 entries,
	// least recently used evicted first).
	KeyCacheSize int
	// AuthFailLimit is how many lookups of unknown or revoked keys one
	// client address (throttle.ClientAddr) may cause within a minute
	// (ILL_AUTH_FAIL_LIMIT, default 20). Beyond it the address gets 429
	// with Retry-After and no database lookup, for 1 minute doubling to 15
	// with each further failure. Valid keys never count, so many libraries
	// behind one proxy are not slowed by a restart's cold cache.
	AuthFailLimit int
	// MetricsToken lets a client that is not on this host read /metrics
	// with Authorization: Bearer <token> (ILL_METRICS_TOKEN). Loopback
	// clients need none; others get 404.
	MetricsToken string

	mux       *http.ServeMux
	keys      *expirable.LRU[string, keyLookup] // key hash → principal, or unknown
	couriers  *expirable.LRU[string, bool]      // key hash → is a live courier credential
	authFails *throttle.Lockout                 // client address → failed key lookups
	keyLimits *throttle.Limiter                 // key hash → requests (RateLimit, RateBurst)
	reqs      *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	draining  atomic.Bool
}

// keyLookup is a cached answer of the database for one key hash.
type keyLookup struct {
	p     ill.Principal
	known bool // false: unknown or revoked
}

// New wires the routes. Registry may be nil (a private one is used).
func New(s *Server, reg *prometheus.Registry) *Server {
	if s.MaxBody == 0 {
		s.MaxBody = 1 << 20
	}
	if s.Clock == nil {
		s.Clock = ill.SystemClock{}
	}
	if s.App == nil {
		s.App = app.New(app.Config{Store: s.Store, Publisher: s.Pub, Clock: s.Clock})
	}
	if s.KeyCacheTTL <= 0 {
		s.KeyCacheTTL = 2 * time.Second
	}
	if s.KeyCacheSize <= 0 {
		s.KeyCacheSize = 10000
	}
	if s.AuthFailLimit <= 0 {
		s.AuthFailLimit = 20
	}
	s.keys = expirable.NewLRU[string, keyLookup](s.KeyCacheSize, nil, s.KeyCacheTTL)
	s.couriers = expirable.NewLRU[string, bool](s.KeyCacheSize, nil, s.KeyCacheTTL)
	s.authFails = throttle.NewLockout(s.AuthFailLimit, time.Minute, time.Minute, 15*time.Minute, s.KeyCacheSize)
	if s.RateLimit > 0 {
		refill := time.Duration(float64(max(s.RateBurst, 1)) / s.RateLimit * float64(time.Second))
		s.keyLimits = throttle.NewLimiter(s.RateLimit, s.RateBurst, s.KeyCacheSize, max(2*refill, time.Minute))
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_http_requests_total",
		Help: "HTTP requests by route and status."}, []string{"route", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_http_request_seconds",
		Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	reg.MustRegister(s.reqs, s.latency)
	authCache := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "illhub_auth_cache_entries",
		Help: "Entries in the producer's bounded key caches, by kind (keys: resolved and failed API key lookups; couriers: courier credential lookups; addresses: client addresses with counted lookups)."},
		[]string{"kind"})
	reg.MustRegister(newCollectorFunc(func(ch chan<- prometheus.Metric) {
		c := s.AuthCacheSizes()
		authCache.WithLabelValues("keys").Set(float64(c.Keys))
		authCache.WithLabelValues("couriers").Set(float64(c.Couriers))
		authCache.WithLabelValues("addresses").Set(float64(c.Addresses))
		authCache.Collect(ch)
	}, authCache))

	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /openapi.json", s.openAPI) // the API's OpenAPI 3.1 description (openapi.go)
	m.HandleFunc("GET /readyz", s.readyz)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	m.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !MetricsAllowed(r, s.MetricsToken) {
			// The same answer as an unknown path: nothing tells a stranger
			// that metrics are here.
			s.writeError(w, r, ill.Errorf(ill.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
			return
		}
		metrics.ServeHTTP(w, r)
	})
	s.route(m, "POST /v1/requests", s.submit)
	s.route(m, "GET /v1/requests", s.listRequests)
	s.route(m, "GET /v1/requests/{id}", s.getRequest)
	s.route(m, "POST /v1/requests/{id}/{action}", s.act)
	s.route(m, "GET /v1/requests/{id}/notes", s.listNotes) // notes between libraries (notes.go)
	s.route(m, "POST /v1/requests/{id}/notes", s.addNote)
	s.route(m, "GET /v1/catalog/search", s.search)
	s.route(m, "GET /v1/catalog/records/{id}", s.getRecord)
	s.route(m, "POST /v1/holdings", s.holdings)
	s.route(m, "GET /v1/libraries", s.libraries)
	s.route(m, "GET /v1/libraries/{code}", s.library)
	// Union catalogue — matching conflicts
	s.route(m, "GET /v1/catalog/conflicts", s.conflicts)
	// Readers for the web portal, reports
	s.route(m, "POST /v1/readers", s.putReader)
	s.route(m, "GET /v1/reports/{name}", s.report)
	// Courier scans, runs and manifests, exceptions, review list, pull slip, courier reports
	s.courierRoutes(m)
	// Violations and their settlement (httpapi/money.go)
	s.moneyRoutes(m)
	// Copy uploads and signed downloads (httpapi/delivery.go)
	s.deliveryRoutes(m)
	// ISO 18626 intake; senders authenticate by symbol (+ secret), not by API key.
	if s.ISO18626 != nil {
		m.HandleFunc("POST /iso18626", s.iso18626)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.UI != nil && !isAPIPath(r.URL.Path) { // web portal and console
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

func requestIDOf(r *http.Request) string { return requestID(r.Context()) }

// requestID is the id of the HTTP request ctx belongs to (X-Request-Id,
// the client's or one made up), "" outside one: logs carry it.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID{}).(string)
	return id
}

func principalOf(r *http.Request) ill.Principal {
	p, _ := r.Context().Value(ctxPrincipal{}).(ill.Principal)
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
			SetRetryAfter(rec, err)
			s.writeError(rec, r, err)
		}
		s.reqs.WithLabelValues(name, itoa(rec.status)).Inc()
		s.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		s.Log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"library", p.Library, "request_id", requestIDOf(r), "took", time.Since(start))
	})
}

// bearerKey is the trimmed key of an Authorization: Bearer header.
func bearerKey(r *http.Request) (string, bool) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	key = strings.TrimSpace(key)
	return key, ok && key != ""
}

// throttledError is a 429 with the time to wait; route (and the courier
// routes, with SetRetryAfter) copy it into Retry-After.
type throttledError struct {
	err   *ill.Error
	after time.Duration
}

func (e *throttledError) Error() string { return e.err.Error() }
func (e *throttledError) Unwrap() error { return e.err }

// SetRetryAfter sets Retry-After (whole seconds, rounded up) from a
// throttled authentication error; a no-op for any other error. Call it
// before writeError.
func SetRetryAfter(w http.ResponseWriter, err error) {
	var t *throttledError
	if errors.As(err, &t) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(t.after.Seconds())))))
	}
}

var errDemoKey = ill.Errorf(ill.CodeUnauthorized,
	"demo keys (demo-key-…) work only in a demo (ILL_DEMO=1); ask the BALIS centre for your library's key")

// lookupAllowed reports whether the client's address may make a key
// lookup: not when its failed lookups passed AuthFailLimit (a 429; the
// caller must not ask the database). resolve charges the failures.
func (s *Server) lookupAllowed(r *http.Request) error {
	locked, wait := s.authFails.Locked(throttle.ClientAddr(r), time.Now())
	if !locked {
		return nil
	}
	return &throttledError{after: wait, err: ill.Errorf(ill.CodeRateLimited,
		"too many unknown keys from this address (more than %d a minute); retry later", s.AuthFailLimit)}
}

// resolve looks a key hash up in api_keys and caches the answer, a miss
// included, for KeyCacheTTL. Database errors are not cached.
func (s *Server) resolve(r *http.Request, hash string) (keyLookup, error) {
	p, err := s.Store.PrincipalByKeyHash(r.Context(), hash)
	switch {
	case err == nil:
		k := keyLookup{p: p, known: true}
		s.keys.Add(hash, k)
		return k, nil
	case ill.ErrorCode(err) == ill.CodeNotFound:
		s.keys.Add(hash, keyLookup{})
		s.authFails.Fail(throttle.ClientAddr(r), time.Now())
		return keyLookup{}, nil
	}
	return keyLookup{}, &ill.Error{Code: ill.CodeUnavailable, Message: "database unavailable"}
}

// authenticate resolves the Bearer key (hashed; never logged). Answers are
// cached for KeyCacheTTL, so a revoked key stops working within it; demo
// keys are refused outside a demo without a lookup, and lookups of
// unknown keys are limited per client address (lookupAllowed).
func (s *Server) authenticate(r *http.Request) (ill.Principal, error) {
	key, ok := bearerKey(r)
	if !ok {
		return ill.Principal{}, ill.Errorf(ill.CodeUnauthorized, "an API key is required: Authorization: Bearer <key>")
	}
	if !s.Demo && ill.IsDemoKey(key) {
		return ill.Principal{}, errDemoKey
	}
	hash := ill.HashKey(key)
	k, cached := s.keys.Get(hash)
	if !cached {
		if err := s.lookupAllowed(r); err != nil {
			return ill.Principal{}, err
		}
		var err error
		if k, err = s.resolve(r, hash); err != nil {
			return ill.Principal{}, err
		}
	}
	if !k.known {
		return ill.Principal{}, ill.Errorf(ill.CodeUnauthorized, "unknown or revoked API key")
	}
	return k.p, nil
}

// courierKeyOK reports whether key is a live courier credential, with the
// same cache (KeyCacheTTL), demo gating and per-address limit as
// authenticate. When it is not, the key's API key lookup is done and
// cached as well, so the authenticate call that follows asks the database
// nothing and charges the address nothing more. Errors are *ill.Error
// values: rate_limited (call SetRetryAfter) or unavailable.
func (s *Server) courierKeyOK(r *http.Request, key string) (bool, error) {
	if key == "" || (!s.Demo && ill.IsDemoKey(key)) {
		return false, nil
	}
	hash := ill.HashKey(key)
	if ok, cached := s.couriers.Get(hash); cached {
		return ok, nil
	}
	if k, cached := s.keys.Get(hash); cached && k.known {
		return false, nil // a live API key moments ago: not a courier credential
	}
	if err := s.lookupAllowed(r); err != nil {
		return false, err
	}
	valid, err := s.Store.CourierKeyValid(r.Context(), hash)
	if err != nil {
		return false, &ill.Error{Code: ill.CodeUnavailable, Message: "database unavailable"}
	}
	s.couriers.Add(hash, valid)
	if valid {
		return true, nil
	}
	if _, err := s.resolve(r, hash); err != nil {
		return false, err
	}
	return false, nil
}

// AuthCacheSizes are the entries held by the bounded authentication
// tables; each is at most KeyCacheSize.
type AuthCacheSizes struct{ Keys, Couriers, Addresses int }

// AuthCacheSizes returns the current sizes (metric
// illhub_auth_cache_entries).
func (s *Server) AuthCacheSizes() AuthCacheSizes {
	return AuthCacheSizes{Keys: s.keys.Len(), Couriers: s.couriers.Len(), Addresses: s.authFails.Len()}
}

// collectorFunc collects by calling collect; desc describes it.
type collectorFunc struct {
	collect func(chan<- prometheus.Metric)
	desc    prometheus.Collector
}

func newCollectorFunc(collect func(chan<- prometheus.Metric), desc prometheus.Collector) collectorFunc {
	return collectorFunc{collect: collect, desc: desc}
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { c.desc.Describe(ch) }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// limit applies the caller's per-key token bucket (after authentication,
// so unknown keys cannot fill the table, which is bounded anyway). Over
// the limit: 429 with the seconds until a request would be allowed in
// Retry-After.
func (s *Server) limit(w http.ResponseWriter, r *http.Request) error {
	if s.RateLimit <= 0 || s.keyLimits == nil {
		return nil
	}
	key, _ := bearerKey(r)
	if ok, d := s.keyLimits.Allow(ill.HashKey(key), time.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		return ill.Errorf(ill.CodeRateLimited, "more than %.0f requests per second for this API key; retry later", s.RateLimit)
	}
	return nil
}

// MetricsAllowed reports whether r may read /metrics: a client presenting
// Authorization: Bearer <token> (when token is set; compared in constant
// time), or a loopback client whose request did not come through a proxy
// (a proxy on the same host makes every client look local, so a request
// carrying a forwarding header is not taken as local).
func MetricsAllowed(r *http.Request, token string) bool {
	if token != "" {
		if got, ok := bearerKey(r); ok {
			a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(token))
			if subtle.ConstantTimeCompare(a[:], b[:]) == 1 {
				return true
			}
		}
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
		// The driver's text may name hosts, users or schemas: it goes to
		// the log (with the request id), never into the answer.
		s.Log.Warn("readiness: database unreachable", "err", err, "request_id", requestIDOf(r))
		checks["mysql"], ok = "down", false
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
