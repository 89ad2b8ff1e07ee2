package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
	"github.com/balis/illhub/reports"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return now }

// The keys of the test server.
const (
	keyTHU     = "ill_test-thu"
	keyPKU     = "ill_test-pku"
	keyRUC     = "ill_test-ruc"
	keyCentre  = "ill_test-centre"
	keyCourier = "courier_test"
)

type env struct {
	srv *httpapi.Server
	st  *memstore.Store
	pub *memstore.Publisher
}

// newEnv is a server over an in-memory store and broker: libraries THU,
// PKU and RUC, their keys, the centre's and a courier credential, and
// THU's request REQ-1 sent to PKU. mut may configure the server first.
func newEnv(t *testing.T, mut func(*httpapi.Server)) *env {
	t.Helper()
	st, pub := &memstore.Store{}, &memstore.Publisher{}
	for code, key := range map[string]string{"THU": keyTHU, "PKU": keyPKU, "RUC": keyRUC} {
		st.PutLibrary(ill.Library{Code: code, NameZH: code + "图书馆"})
		st.PutKey(key, ill.Principal{Library: code})
	}
	st.PutKey(keyCentre, ill.Principal{Library: ill.CentreCode, Centre: true})
	st.PutCourierKey(keyCourier)
	st.PutRequest(ill.Request{ID: "REQ-1", Borrower: "THU", ClientRequestID: "c-1", PatronID: "R1", Title: "红楼梦",
		State: ill.Requested, Lender: "PKU", SubmittedAt: now.Add(-3 * time.Hour)})
	uses := app.New(app.Config{Store: st, Publisher: pub, Clock: fixedClock{}, Reports: reporter{}})
	s := &httpapi.Server{App: uses, Store: st, Pub: pub, Clock: fixedClock{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mut != nil {
		mut(s)
	}
	return &env{srv: httpapi.New(s, nil), st: st, pub: pub}
}

// reporter builds empty reports.
type reporter struct{}

func (reporter) Build(_ context.Context, q reports.Query) (*reports.Report, error) {
	return &reports.Report{Name: q.Name, From: q.From, To: q.To, Library: q.Library, Columns: []reports.Column{}}, nil
}

// call makes a request with key (none when "") and returns the recorder.
func (e *env) call(method, path, key, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.1:5000"
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

// apiError is the JSON error shape.
type apiError struct {
	Error struct {
		Code    ill.Code  `json:"code"`
		Message string    `json:"message"`
		Field   string    `json:"field"`
		State   ill.State `json:"state"`
	} `json:"error"`
}

// wantError checks an error answer: status, code, and that it is JSON.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code ill.Code) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != status || e.Error.Code != code {
		t.Fatalf("answer %d %s, want %d %s", w.Code, w.Body, status, code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("error answered as %q without nosniff", ct)
	}
	return e
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	return m
}

const submitBody = `{"client_request_id":"c-2","patron":{"id":"R9"},"record_id":"42"}`

func TestErrorsAndStatuses(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		name, method, path, key, body string
		status                        int
		code                          ill.Code
		field                         string
	}{
		{"no key", "GET", "/v1/libraries", "", "", 401, ill.CodeUnauthorized, ""},
		{"unknown key", "GET", "/v1/libraries", "ill_nobody", "", 401, ill.CodeUnauthorized, ""},
		{"demo key outside a demo", "GET", "/v1/libraries", ill.DemoKey("THU"), "", 401, ill.CodeUnauthorized, ""},
		{"unknown endpoint", "GET", "/v1/nothing", keyTHU, "", 404, ill.CodeNotFound, ""},
		{"not the API, no UI", "GET", "/portal", "", "", 404, ill.CodeNotFound, ""},
		{"centre submits, before its body is read", "POST", "/v1/requests", keyCentre, "{", 403, ill.CodeForbidden, ""},
		{"malformed JSON", "POST", "/v1/requests", keyTHU, `{"client_request_id":`, 400, ill.CodeBadRequest, "body"},
		{"wrong type", "POST", "/v1/requests", keyTHU, `{"client_request_id":1}`, 400, ill.CodeBadRequest, "client_request_id"},
		{"invalid field", "POST", "/v1/requests", keyTHU, `{"client_request_id":"c","patron":{"id":"R 1"},"record_id":"1"}`, 400, ill.CodeBadRequest, "patron.id"},
		{"other library's request", "GET", "/v1/requests/REQ-1", keyRUC, "", 403, ill.CodeForbidden, ""},
		{"no such request", "GET", "/v1/requests/REQ-9", keyTHU, "", 404, ill.CodeNotFound, ""},
		{"no such action, before the body", "POST", "/v1/requests/REQ-1/fly", keyTHU, "{", 404, ill.CodeNotFound, ""},
		{"invalid transition", "POST", "/v1/requests/REQ-1/ship", keyPKU, `{"item_barcode":"B-1"}`, 409, ill.CodeInvalidTransition, ""},
		{"cancel window", "POST", "/v1/requests/REQ-1/cancel", keyTHU, `{"by":"reader"}`, 409, ill.CodeCancelWindow, ""},
		{"library key on the courier's scans", "POST", "/v1/courier/scans", keyTHU, `{}`, 403, ill.CodeForbidden, ""},
		{"unknown barcode", "POST", "/v1/courier/scans", keyCourier, `{"barcode":"B-404","event":"picked_up"}`, 404, ill.CodeUnknownBarcode, ""},
		{"courier credential off the courier's routes", "GET", "/v1/libraries", keyCourier, "", 401, ill.CodeUnauthorized, ""},
		{"another library's pull slip", "GET", "/v1/pull-slip?library=PKU", keyTHU, "", 403, ill.CodeForbidden, ""},
		{"centre's pull slip without a library", "GET", "/v1/pull-slip?format=pdf", keyCentre, "", 400, ill.CodeBadRequest, "library"},
		{"pull slip format", "GET", "/v1/pull-slip?format=pdf", keyTHU, "", 400, ill.CodeBadRequest, "format"},
		{"another library's report", "GET", "/v1/reports/summary?library=PKU", keyTHU, "", 403, ill.CodeForbidden, ""},
		{"review entry missing", "POST", "/v1/courier/review/7/resolve", keyTHU, `{"note":"seen"}`, 404, ill.CodeNotFound, ""},
		{"reader by the centre", "POST", "/v1/readers", keyCentre, `{`, 403, ill.CodeForbidden, ""},
		{"holdings by the centre", "POST", "/v1/holdings", keyCentre, `{`, 403, ill.CodeForbidden, ""},
		{"empty holdings", "POST", "/v1/holdings", keyTHU, `{}`, 400, ill.CodeBadRequest, "upserts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := e.call(c.method, c.path, c.key, c.body)
			if got := wantError(t, w, c.status, c.code); got.Error.Field != c.field {
				t.Errorf("field %q, want %q", got.Error.Field, c.field)
			}
			if w.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
	if msgs := e.pub.Messages(); len(msgs) != 0 {
		t.Errorf("refusals published %+v", msgs)
	}
}

func TestCancelWindowNamesTheState(t *testing.T) {
	e := newEnv(t, nil)
	got := wantError(t, e.call("POST", "/v1/requests/REQ-1/cancel", keyTHU, `{"by":"reader"}`), 409, ill.CodeCancelWindow)
	if got.Error.State != ill.Requested {
		t.Errorf("state %q", got.Error.State)
	}
}

func TestSubmitAndDuplicate(t *testing.T) {
	e := newEnv(t, nil)
	w := e.call("POST", "/v1/requests", keyTHU, submitBody, "X-Request-Id", "trace-1")
	id := ill.RequestID("THU", "c-2")
	if m := decode(t, w); w.Code != 202 || m["request_id"] != id || m["state"] != "SUBMITTED" || m["duplicate"] != nil {
		t.Fatalf("submit: %d %v", w.Code, m)
	}
	if w.Header().Get("Location") != "/v1/requests/"+id || w.Header().Get("X-Request-Id") != "trace-1" {
		t.Errorf("headers %v", w.Header())
	}
	e.st.PutRequest(ill.Request{ID: id, Borrower: "THU", ClientRequestID: "c-2", State: ill.Requested})
	w = e.call("POST", "/v1/requests", keyTHU, submitBody)
	if m := decode(t, w); w.Code != 200 || m["duplicate"] != true || m["state"] != "REQUESTED" {
		t.Errorf("repeat: %d %v", w.Code, m)
	}
	if n := len(e.pub.Messages()); n != 1 {
		t.Errorf("%d messages published, want 1", n)
	}
}

func TestActAccepted(t *testing.T) {
	e := newEnv(t, nil)
	w := e.call("POST", "/v1/requests/REQ-1/respond", keyPKU, `{"decision":"will_supply"}`, "Idempotency-Key", "k1")
	m := decode(t, w)
	if w.Code != 202 || m["current_state"] != "REQUESTED" || m["action"] != "respond" ||
		m["message_id"] != ill.DerivedMessageID("PKU/REQ-1/respond", "k1") {
		t.Errorf("act: %d %v", w.Code, m)
	}
}

func TestUnavailableGets503WithRetryAfter(t *testing.T) {
	e := newEnv(t, nil)
	e.pub.Fail(ill.Errorf(ill.CodeUnavailable, "broker down"))
	w := e.call("POST", "/v1/requests", keyTHU, submitBody)
	wantError(t, w, 503, ill.CodeUnavailable)
	if w.Header().Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	// Readiness: the broker is down.
	w = e.call("GET", "/readyz", "", "")
	if m := decode(t, w); w.Code != 503 || m["status"] != "not_ready" || w.Header().Get("Retry-After") != "5" {
		t.Errorf("readyz: %d %v", w.Code, m)
	}
	e.pub.Fail(nil)
	// The database lost: a key seen before is served from the cache, the
	// read behind it is a 503.
	if w := e.call("GET", "/v1/libraries", keyTHU, ""); w.Code != 200 {
		t.Fatalf("libraries: %d", w.Code)
	}
	e.st.Fail(ill.Errorf(ill.CodeUnavailable, "database unavailable"))
	w = e.call("GET", "/v1/libraries", keyTHU, "")
	wantError(t, w, 503, ill.CodeUnavailable)
	if w.Header().Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	wantError(t, e.call("GET", "/v1/libraries", keyPKU, ""), 503, ill.CodeUnavailable) // a key lookup
	if w := e.call("GET", "/readyz", "", ""); w.Code != 503 || !strings.Contains(w.Body.String(), `"mysql":"down"`) {
		t.Errorf("readyz: %d %s", w.Code, w.Body)
	}
}

func TestInternalErrorHidesItsDetail(t *testing.T) {
	e := newEnv(t, nil)
	e.call("GET", "/v1/libraries", keyCentre, "") // the key is cached from now on
	e.st.Fail(io.ErrUnexpectedEOF)                // not an *ill.Error: a bug, as far as the caller is concerned
	w := e.call("GET", "/v1/requests/REQ-1", keyCentre, "", "X-Request-Id", "trace-500")
	got := wantError(t, w, 500, ill.CodeInternal)
	if strings.Contains(got.Error.Message, "EOF") || !strings.Contains(got.Error.Message, "trace-500") {
		t.Errorf("message %q", got.Error.Message)
	}
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, func(s *httpapi.Server) { s.RateLimit, s.RateBurst = 1, 2 })
	codes := []int{}
	var last *httptest.ResponseRecorder
	for range 3 {
		last = e.call("GET", "/v1/libraries", keyTHU, "")
		codes = append(codes, last.Code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Fatalf("codes %v", codes)
	}
	wantError(t, last, 429, ill.CodeRateLimited)
	if n, err := strconv.Atoi(last.Header().Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After %q", last.Header().Get("Retry-After"))
	}
	if w := e.call("GET", "/v1/libraries", keyPKU, ""); w.Code != 200 {
		t.Errorf("another key: %d", w.Code)
	}

	// Unknown keys from one address: AuthFailLimit lookups, then 429
	// without asking the store.
	e = newEnv(t, func(s *httpapi.Server) { s.AuthFailLimit = 3 })
	for i := range 3 {
		wantError(t, e.call("GET", "/v1/libraries", "ill_bad-"+strconv.Itoa(i), ""), 401, ill.CodeUnauthorized)
	}
	e.st.Fail(ill.Errorf(ill.CodeUnavailable, "a lookup now would be a 503"))
	w := e.call("GET", "/v1/courier/runs", "ill_bad-x", "")
	wantError(t, w, 429, ill.CodeRateLimited)
	if n, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || n < 1 || n > 60 {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
}

func TestCourierScanAndReview(t *testing.T) {
	e := newEnv(t, nil)
	e.st.PutShipment(ill.Shipment{ID: 3, RequestID: "REQ-1", ItemBarcode: "B-1", From: "PKU", To: "THU", RouteCode: "PKU-THU",
		Status: ill.ShipAwaitingPickup})
	w := e.call("POST", "/v1/courier/scans", keyCourier, `{"barcode":"B-1","event":"picked_up","stop":"pku"}`)
	if m := decode(t, w); w.Code != 202 || m["shipment_id"] != 3.0 || m["route_code"] != "PKU-THU" || m["current_status"] != "awaiting_pickup" {
		t.Errorf("scan: %d %v", w.Code, m)
	}
	wantError(t, e.call("POST", "/v1/courier/scans", keyCourier, `{"barcode":"B-1","event":"picked_up","stop":"RUC"}`), 409, ill.CodeBarcodeMismatch)
	// The mismatch names PKU and THU: RUC neither sees nor resolves it.
	if m := decode(t, e.call("GET", "/v1/courier/review", keyRUC, "")); m["total"] != 0.0 {
		t.Errorf("RUC's review list %v", m)
	}
	wantError(t, e.call("POST", "/v1/courier/review/1/resolve", keyRUC, `{"note":"x"}`), 403, ill.CodeForbidden)
	if w := e.call("POST", "/v1/courier/review/1/resolve", keyTHU, `{"note":"found it"}`); w.Code != 200 {
		t.Errorf("resolve: %d %s", w.Code, w.Body)
	}
	if m := decode(t, e.call("GET", "/v1/courier/review?all=1", keyCentre, "")); m["total"] != 1.0 {
		t.Errorf("centre's review list %v", m)
	}
}

func TestDownloadsAndReports(t *testing.T) {
	e := newEnv(t, nil)
	w := e.call("GET", "/v1/pull-slip?format=csv", keyPKU, "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(w.Header().Get("Content-Disposition"), "pull-slip-PKU-2026-03-02.csv") {
		t.Errorf("pull slip: %d %v", w.Code, w.Header())
	}
	w = e.call("GET", "/v1/pull-slip?library=pku&format=html", keyCentre, "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(w.Body.String(), "PKU图书馆") {
		t.Errorf("pull slip page: %d %v", w.Code, w.Header())
	}
	w = e.call("GET", "/v1/reports/summary", keyTHU, "")
	if m := decode(t, w); w.Code != 200 || m["library"] != "THU" || m["from"] != "2026-03-01" || m["to"] != "2026-03-02" {
		t.Errorf("report: %d %v", w.Code, m)
	}
}

func TestReaderRegistration(t *testing.T) {
	e := newEnv(t, nil)
	w := e.call("POST", "/v1/readers", keyTHU, `{"id":"Ｒ７","name":"李明","pin":"2468"}`)
	if m := decode(t, w); w.Code != 200 || m["id"] != "R7" || m["library"] != "THU" || m["portal"] != true || m["pin"] != nil {
		t.Errorf("reader: %d %v", w.Code, m)
	}
	if r, err := e.st.Reader(context.Background(), "THU", "R7"); err != nil || !app.CheckPIN(r.PINHash, "2468") {
		t.Errorf("stored %+v %v", r, err)
	}
	wantError(t, e.call("POST", "/v1/readers", keyTHU, `{"id":"R8","pin":"1"}`), 400, ill.CodeBadRequest)
}

// intake answers every ISO 18626 message with a fixed confirmation, or
// fails.
type intake struct{ err error }

func (i intake) Receive(w http.ResponseWriter, r *http.Request) (int, []byte, error) {
	if i.err != nil {
		return 0, nil, i.err
	}
	return http.StatusOK, []byte("<confirmation/>"), nil
}

func TestISO18626Route(t *testing.T) {
	if w := newEnv(t, nil).call("POST", "/iso18626", "", "<request/>"); w.Code != 404 {
		t.Errorf("without an intake: %d", w.Code)
	}
	e := newEnv(t, func(s *httpapi.Server) { s.ISO18626 = intake{} })
	w := e.call("POST", "/iso18626", "", "<request/>")
	if w.Code != 200 || w.Body.String() != "<confirmation/>" || w.Header().Get("Content-Type") != "application/xml; charset=utf-8" ||
		w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("confirmation: %d %v %s", w.Code, w.Header(), w.Body)
	}
	e = newEnv(t, func(s *httpapi.Server) { s.ISO18626 = intake{err: ill.Errorf(ill.CodeUnavailable, "broker down")} })
	w = e.call("POST", "/iso18626", "", "<request/>")
	wantError(t, w, 503, ill.CodeUnavailable)
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestPublishMetrics(t *testing.T) {
	var logs bytes.Buffer
	observe := httpapi.PublishMetrics(promRegistry(t), slog.New(slog.NewTextHandler(&logs, nil)))
	observe(context.Background(), ill.Message{ID: "m1", Type: ill.MsgSubmit}, time.Millisecond, nil)
	if logs.Len() != 0 {
		t.Errorf("a confirmed publish was logged: %s", logs.String())
	}
	observe(context.Background(), ill.Message{ID: "m2", Type: ill.MsgSubmit, RequestID: "REQ-1"}, time.Second,
		ill.Errorf(ill.CodeUnavailable, "broker down"))
	if !strings.Contains(logs.String(), "publish failed") || !strings.Contains(logs.String(), "message_id=m2") {
		t.Errorf("failed publish logged as %q", logs.String())
	}
}

// A server given only a store and a publisher builds its own use cases:
// everything but the reports (an internal error) works.
func TestServerWithoutApp(t *testing.T) {
	e := newEnv(t, nil)
	srv := httpapi.New(&httpapi.Server{Store: e.st, Pub: e.pub, Clock: fixedClock{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, nil)
	call := func(path string) int {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+keyTHU)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Code
	}
	if c := call("/v1/requests/REQ-1"); c != 200 {
		t.Errorf("request: %d", c)
	}
	if c := call("/v1/reports/summary"); c != 500 {
		t.Errorf("report without a report builder: %d", c)
	}
}
