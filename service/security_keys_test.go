package service_test

// Security replays for the key lifecycle, demo credentials and the
// producer's operational endpoints, against the real MariaDB/RabbitMQ.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// serve sends one request straight to h with the client address remote
// (httptest: no listener), optionally with a Bearer key.
func serve(h http.Handler, method, path, key, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = remote
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var testActor = ill.AuditActor{Name: "security-test", At: time.Now()}

// keyCacheBound is the documented bound (ILL_KEY_CACHE_TTL's default)
// within which a revoked key must be refused.
const keyCacheBound = 2 * time.Second

// waitStatus polls path with key until it answers want; it fails when that
// takes longer than within.
func waitStatus(t *testing.T, h http.Handler, path, key string, want int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := serve(h, "GET", path, key, "192.0.2.10:5000").Code
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("still %d after %v, want %d", got, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A revoked key is refused within the key cache's TTL (it was 30 s); a
// rotation refuses the old key and serves the new one; every change is
// in the audit log.
func TestSecurityKeyRevokeAndRotate(t *testing.T) {
	h := harness.New(t, 3)
	srv, pub := service.NewProducer(h.Cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub.Close()
	ctx := context.Background()

	key := "ill_security-test-key-1"
	id, err := h.St.IssueKey(ctx, ill.KeyGrant{Owner: "THU", Key: key, Label: "replay"}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	if c := serve(srv, "GET", "/v1/libraries", key, "192.0.2.10:5000").Code; c != 200 {
		t.Fatalf("issued key: %d", c)
	}
	if ids, err := h.St.RevokeKeys(ctx, "THU", id, testActor); err != nil || len(ids) != 1 {
		t.Fatalf("revoke: %v %v", ids, err)
	}
	took := waitStatus(t, srv, "/v1/libraries", key, 401, keyCacheBound+500*time.Millisecond)
	t.Logf("revoked key refused after %v", took)

	// Rotation: the library's other keys (demo-key-PKU here) stop working,
	// the new one works at once.
	if c := serve(srv, "GET", "/v1/libraries", ill.DemoKey("PKU"), "192.0.2.10:5000").Code; c != 200 {
		t.Fatalf("PKU before rotation: %d", c)
	}
	newKey := "ill_security-test-key-2"
	_, revoked, err := h.St.RotateKey(ctx, ill.KeyGrant{Owner: "PKU", Key: newKey}, testActor)
	if err != nil || len(revoked) != 1 {
		t.Fatalf("rotate: revoked %v, %v", revoked, err)
	}
	if c := serve(srv, "GET", "/v1/libraries", newKey, "192.0.2.10:5000").Code; c != 200 {
		t.Fatalf("rotated-in key: %d", c)
	}
	waitStatus(t, srv, "/v1/libraries", ill.DemoKey("PKU"), 401, keyCacheBound+500*time.Millisecond)

	// Courier credentials likewise.
	courier := "courier_security-test-key"
	if _, err := h.St.IssueKey(ctx, ill.KeyGrant{Owner: ill.CourierOwner, Key: courier}, testActor); err != nil {
		t.Fatal(err)
	}
	if c := serve(srv, "GET", "/v1/courier/runs", courier, "192.0.2.10:5000").Code; c != 200 {
		t.Fatalf("courier credential: %d", c)
	}
	if _, err := h.St.RevokeKeys(ctx, ill.CourierOwner, 0, testActor); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, srv, "/v1/courier/runs", courier, 401, keyCacheBound+500*time.Millisecond)

	rows, err := h.St.AuditLog(ctx, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Library+" "+string(r.Action)+" by "+r.Actor)
	}
	want := []string{"COURIER key.revoke by security-test", "COURIER key.issue by security-test",
		"PKU key.rotate by security-test", "THU key.revoke by security-test", "THU key.issue by security-test"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("audit log: %q, want %q", got, want)
	}
}

// Demo keys authenticate only in a demo: refused without a lookup when
// Demo is off (API and courier routes), accepted when it is on.
func TestSecurityDemoKeysOnlyInDemo(t *testing.T) {
	h := harness.New(t, 3)
	if err := h.St.AddCourierKey(context.Background(), ill.DemoKey(ill.CourierOwner), "demo courier key"); err != nil {
		t.Fatal(err)
	}
	cfg := h.Cfg
	cfg.Demo = false
	prod, pub := service.NewProducer(cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub.Close()
	demo, pub2 := service.NewProducer(h.Cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub2.Close()
	for _, c := range []struct{ key, path string }{
		{ill.DemoKey("THU"), "/v1/libraries"},
		{ill.DemoKey(ill.CentreCode), "/v1/requests"},
		{ill.DemoKey(ill.CourierOwner), "/v1/courier/runs"},
	} {
		rec := serve(prod, "GET", c.path, c.key, "192.0.2.20:5000")
		if rec.Code != 401 {
			t.Errorf("%s on %s outside a demo: %d %s", c.key, c.path, rec.Code, rec.Body)
		}
		if rec := serve(demo, "GET", c.path, c.key, "192.0.2.20:5000"); rec.Code != 200 {
			t.Errorf("%s on %s in a demo: %d %s", c.key, c.path, rec.Code, rec.Body)
		}
	}
	if rec := serve(prod, "GET", "/v1/libraries", ill.DemoKey("THU"), "192.0.2.20:5000"); !strings.Contains(rec.Body.String(), "ILL_DEMO") {
		t.Errorf("the refusal does not say why: %s", rec.Body)
	}
}

// Outside a demo the programs refuse to start while demo credentials are
// active, saying how to fix it; revoking them (illctl key revoke --demo)
// or ILL_DEMO=1 lets them start.
func TestSecurityDemoKeysRefuseStartup(t *testing.T) {
	h := harness.New(t, 3) // testenv's libraries hold demo keys
	ctx := context.Background()
	cfg := h.Cfg
	cfg.Demo = false
	err := service.RefuseDemoKeys(ctx, cfg, h.St)
	if err == nil || !strings.Contains(err.Error(), "illctl key revoke") || !strings.Contains(err.Error(), "ILL_DEMO=1") {
		t.Fatalf("RefuseDemoKeys with demo keys and Demo off: %v", err)
	}
	// The producer program itself stops before listening.
	cfg.HTTPAddr = "127.0.0.1:0"
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := service.RunProducer(rctx, cfg, h.Log); err == nil || !strings.Contains(err.Error(), "demo credential") {
		t.Fatalf("RunProducer with demo keys and Demo off: %v", err)
	}
	if err := service.RefuseDemoKeys(ctx, h.Cfg, h.St); err != nil {
		t.Fatalf("in a demo: %v", err)
	}
	// Only the courier's demo credential left: still refused.
	if _, err := h.St.RevokeDemoKeys(ctx, testActor); err != nil {
		t.Fatal(err)
	}
	if err := h.St.AddCourierKey(ctx, ill.DemoKey(ill.CourierOwner), "demo"); err != nil {
		t.Fatal(err)
	}
	if err := service.RefuseDemoKeys(ctx, cfg, h.St); err == nil || !strings.Contains(err.Error(), ill.CourierOwner) {
		t.Fatalf("demo courier credential active: %v", err)
	}
	if _, err := h.St.RevokeDemoKeys(ctx, testActor); err != nil {
		t.Fatal(err)
	}
	if err := service.RefuseDemoKeys(ctx, cfg, h.St); err != nil {
		t.Fatalf("after revoking every demo key: %v", err)
	}
}

// /metrics: loopback clients (not through a proxy) and holders of
// ILL_METRICS_TOKEN; everyone else gets the 404 of an unknown path.
func TestSecurityMetricsAccess(t *testing.T) {
	h := harness.New(t, 3)
	cfg := h.Cfg
	cfg.MetricsToken = "scrape-token-123"
	srv, pub := service.NewProducer(cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub.Close()
	metrics := func(remote, auth, fwd string) int {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = remote
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if fwd != "" {
			req.Header.Set("X-Forwarded-For", fwd)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code == 200 && !strings.Contains(rec.Body.String(), "illhub_auth_cache_entries") {
			t.Errorf("200 without metrics: %.200s", rec.Body)
		}
		return rec.Code
	}
	for _, c := range []struct {
		name, remote, auth, fwd string
		want                    int
	}{
		{"remote, no token", "203.0.113.7:41000", "", "", 404},
		{"remote, wrong token", "203.0.113.7:41000", "Bearer scrape-token-12", "", 404},
		{"remote, API key", "203.0.113.7:41000", "Bearer " + ill.DemoKey("THU"), "", 404},
		{"remote, token", "203.0.113.7:41000", "Bearer scrape-token-123", "", 200},
		{"remote IPv6, no token", "[2001:db8::1]:41000", "", "", 404},
		{"loopback", "127.0.0.1:41000", "", "", 200},
		{"loopback IPv6", "[::1]:41000", "", "", 200},
		{"loopback through a proxy", "127.0.0.1:41000", "", "203.0.113.7", 404},
		{"loopback through a proxy, token", "127.0.0.1:41000", "Bearer scrape-token-123", "203.0.113.7", 200},
	} {
		if got := metrics(c.remote, c.auth, c.fwd); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	// Without a token configured, only loopback.
	open, pub2 := service.NewProducer(h.Cfg, h.St, h.Clock, h.Log, prometheus.NewRegistry())
	defer pub2.Close()
	if c := serve(open, "GET", "/metrics", "", "203.0.113.7:41000").Code; c != 404 {
		t.Errorf("no token configured, remote: %d", c)
	}
	if c := serve(open, "GET", "/metrics", "", "192.0.2.1:1234").Code; c != 404 {
		// httptest's default RemoteAddr is 192.0.2.1:1234 (not loopback)
		t.Errorf("no token configured, default test address: %d", c)
	}
}

// /readyz says "down" for an unreachable database and keeps the driver's
// text (hosts, users, schema names) for the log, with the request id.
func TestSecurityReadyzNoRawDatabaseError(t *testing.T) {
	h := harness.New(t, 3)
	bad, err := mysql.Open("illhub_probe:s3cret@tcp(127.0.0.1:1)/illhub_secret_schema")
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv, pub := service.NewProducer(h.Cfg, bad, h.Clock, log, prometheus.NewRegistry())
	defer pub.Close()
	req := httptest.NewRequest("GET", "/readyz", nil)
	req.Header.Set("X-Request-Id", "readyz-probe-1")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != 503 {
		t.Fatalf("readyz with the database down: %d %s", rec.Code, rec.Body)
	}
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Checks["mysql"] != "down" {
		t.Errorf("mysql check %q, want \"down\"", body.Checks["mysql"])
	}
	for _, leak := range []string{"127.0.0.1:1", "illhub_probe", "illhub_secret_schema", "dial", "refused"} {
		if strings.Contains(rec.Body.String(), leak) {
			t.Errorf("readyz answer leaks %q: %s", leak, rec.Body)
		}
	}
	if !strings.Contains(logs.String(), "readyz-probe-1") || !strings.Contains(logs.String(), "127.0.0.1:1") {
		t.Errorf("the error is not logged with the request id: %s", logs.String())
	}
	// The consumers' readiness likewise.
	cons, err := service.NewConsumers(h.Cfg, bad, log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ops := httptest.NewServer(service.OpsHandler(prometheus.NewRegistry(), cons.Ready))
	defer ops.Close()
	res, err := http.Get(ops.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ob bytes.Buffer
	_, _ = ob.ReadFrom(res.Body)
	if res.StatusCode != 503 || strings.Contains(ob.String(), "127.0.0.1:1") || !strings.Contains(ob.String(), `"mysql":"down"`) {
		t.Errorf("consumers readyz: %d %s", res.StatusCode, ob.String())
	}
}

// A flood of bad keys from one address meets 429 (Retry-After) after
// AuthFailLimit lookups and costs no database lookup beyond it; the same
// bad key again is answered from the failed-lookup cache; keys that
// worked before, other addresses and demo keys are unaffected; the
// caches stay within their bound.
func TestSecurityBadKeyFlood(t *testing.T) {
	h := harness.New(t, 3)
	// A store of its own, closed halfway: any lookup after that would be a
	// 503, so 401/429 answers prove that no lookup was made.
	st, err := mysql.Open(h.Cfg.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const limit, size = 20, 8
	srv := httpapi.New(&httpapi.Server{Store: st, Pub: h.Pub, Clock: h.Clock, Log: h.Log,
		AuthFailLimit: limit, KeyCacheSize: size, KeyCacheTTL: time.Minute}, nil)
	const attacker = "198.51.100.66:40000"
	// A legitimate client behind the same address authenticated earlier.
	if c := serve(srv, "GET", "/v1/libraries", ill.DemoKey("THU"), attacker).Code; c != 401 {
		t.Fatalf("Demo off by default: demo key gave %d", c) // (Server literal: Demo false)
	}
	known := "ill_security-flood-known"
	if _, err := h.St.IssueKey(context.Background(), ill.KeyGrant{Owner: "RUC", Key: known}, testActor); err != nil {
		t.Fatal(err)
	}
	if c := serve(srv, "GET", "/v1/libraries", known, attacker).Code; c != 200 {
		t.Fatalf("known key: %d", c)
	}
	// Many libraries behind one proxy: more valid keys than the limit, all
	// looked up for the first time, are never throttled.
	for i := 0; i < limit+5; i++ {
		k := fmt.Sprintf("ill_security-flood-valid-%02d", i)
		if _, err := h.St.IssueKey(context.Background(), ill.KeyGrant{Owner: "PKU", Key: k}, testActor); err != nil {
			t.Fatal(err)
		}
		if c := serve(srv, "GET", "/v1/libraries", k, attacker).Code; c != 200 {
			t.Fatalf("valid key %d of %d from one address: %d", i+1, limit+5, c)
		}
	}
	statuses := map[int]int{}
	var retry string
	for i := 0; i < limit; i++ { // valid keys are not counted: all the limit is left
		rec := serve(srv, "GET", "/v1/libraries", fmt.Sprintf("bad-key-%03d", i), attacker)
		statuses[rec.Code]++
	}
	if statuses[401] != limit {
		t.Fatalf("first %d bad keys: %v, want all 401", limit, statuses)
	}
	if got := srv.AuthCacheSizes(); got.Keys > size || got.Addresses > size {
		t.Fatalf("caches over their bound of %d: %+v", size, got)
	}
	st.Close() // from now on a lookup is a 503
	clear(statuses)
	for i := 0; i < 200; i++ {
		rec := serve(srv, "GET", "/v1/libraries", fmt.Sprintf("flood-key-%03d", i), attacker)
		statuses[rec.Code]++
		retry = rec.Header().Get("Retry-After")
	}
	if statuses[429] != 200 {
		t.Fatalf("flood beyond the limit: %v, want 200 × 429 and no lookup (503)", statuses)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 60 {
		t.Errorf("Retry-After %q", retry)
	}
	// The courier routes' credential check is limited the same way.
	if rec := serve(srv, "GET", "/v1/courier/runs", "flood-courier-key", attacker); rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("courier route during the flood: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// The last bad key is answered from the failed-lookup cache.
	if c := serve(srv, "GET", "/v1/libraries", fmt.Sprintf("bad-key-%03d", limit-1), attacker).Code; c != 401 {
		t.Errorf("a cached failed lookup: %d, want 401 without a lookup", c)
	}
	// A demo key outside a demo costs no lookup either.
	if c := serve(srv, "GET", "/v1/libraries", ill.DemoKey("PKU"), attacker).Code; c != 401 {
		t.Errorf("demo key outside a demo: %d", c)
	}
	// Another address is not limited: its lookup is made (and fails: 503).
	if c := serve(srv, "GET", "/v1/libraries", "other-bad-key", "198.51.100.67:40000").Code; c != 503 {
		t.Errorf("another address: %d, want its lookup (503 with the store closed)", c)
	}
	if got := srv.AuthCacheSizes(); got.Keys > size || got.Addresses > size {
		t.Errorf("caches over their bound of %d: %+v", size, got)
	}

	// Bounded with many addresses too, and visible in the metrics.
	reg := prometheus.NewRegistry()
	srv2 := httpapi.New(&httpapi.Server{Store: h.St, Pub: h.Pub, Clock: h.Clock, Log: h.Log, KeyCacheSize: size}, reg)
	for i := 0; i < 5*size; i++ {
		serve(srv2, "GET", "/v1/libraries", fmt.Sprintf("spray-%d", i), fmt.Sprintf("198.51.100.%d:40000", i+1))
	}
	if got := srv2.AuthCacheSizes(); got.Keys > size || got.Addresses > size || got.Keys == 0 {
		t.Errorf("after %d addresses × 1 bad key: %+v, bound %d", 5*size, got, size)
	}
	mf, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range mf {
		if f.GetName() == "illhub_auth_cache_entries" {
			for _, m := range f.GetMetric() {
				found = true
				if v := m.GetGauge().GetValue(); v > size {
					t.Errorf("illhub_auth_cache_entries %v = %v > %d", m.GetLabel(), v, size)
				}
			}
		}
	}
	if !found {
		t.Error("illhub_auth_cache_entries not exported")
	}
}

var serviceLine = regexp.MustCompile(`^  ([a-z][a-z0-9-]*):\s*$`)

// compose.yaml runs no demo unless asked (a profile with ILL_DEMO), has no
// empty database password and publishes the API on loopback by default.
func TestSecurityComposeDefaults(t *testing.T) {
	b, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := string(b)
	// The services' blocks: "  name:" lines at indentation 2, comments
	// left out.
	blocks := map[string]string{}
	name := ""
	for _, line := range strings.Split(y, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if m := serviceLine.FindStringSubmatch(line); m != nil {
			name = m[1]
			continue
		}
		if line != "" && !strings.HasPrefix(line, " ") {
			name = "" // a new top-level key (volumes:, x-…)
		}
		if name != "" {
			blocks[name] += line + "\n"
		}
	}
	svc := func(name string) string {
		b, ok := blocks[name]
		if !ok {
			t.Fatalf("compose.yaml: no service %s", name)
		}
		return b
	}
	if m := svc("migrate"); strings.Contains(m, "seed") {
		t.Errorf("migrate seeds the demo by default:\n%s", m)
	}
	d := svc("demo")
	if !strings.Contains(d, "profiles: [demo]") || !strings.Contains(d, `"seed", "demo"`) {
		t.Errorf("no demo profile service:\n%s", d)
	}
	// Every program (the demo loader included) gets ILL_DEMO from the
	// caller, off unless given.
	if !strings.Contains(y, "ILL_DEMO: ${ILL_DEMO:-0}") {
		t.Error("ILL_DEMO is not off by default")
	}
	if strings.Contains(y, "MYSQL_ALLOW_EMPTY_PASSWORD") || !strings.Contains(y, "${MYSQL_ROOT_PASSWORD:?") {
		t.Error("the database password is not required")
	}
	if p := svc("producer"); !strings.Contains(p, `"${ILL_PUBLISH_ADDR:-127.0.0.1}:8080:8080"`) {
		t.Errorf("producer port not on loopback by default:\n%s", p)
	}
}
