package intake_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
	"github.com/balis/illhub/iso18626/intake"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return now }

type env struct {
	in  *intake.Intake
	st  *memstore.Store
	pub *memstore.Publisher
}

// newEnv: THU speaks ISO 18626 with a secret, PKU over a closed network
// without one, RUC uses the JSON API. PKU holds union record 8 as its
// b1234567.
func newEnv(t *testing.T, c intake.Config) *env {
	t.Helper()
	st, pub := &memstore.Store{}, &memstore.Publisher{}
	st.PutLibrary(ill.Library{Code: "THU", ISOSymbol: "THU", ISOEndpoint: "https://thu.example/iso", ISOSecretHash: ill.HashKey("thu-secret")})
	st.PutLibrary(ill.Library{Code: "PKU", ISOSymbol: "PKU", ISOEndpoint: "https://pku.example/iso", ISOClosedNetwork: true})
	st.PutLibrary(ill.Library{Code: "RUC"})
	st.PutRecord(ill.Record{ID: 8, Title: "数据库系统概论"}, ill.HoldingView{Library: "PKU", LocalID: "b1234567"})
	uses := app.New(app.Config{Store: st, Publisher: pub, Clock: fixedClock{}})
	return &env{in: intake.New(uses, fixedClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)), c), st: st, pub: pub}
}

// message is testdata file name with LIB-A sending as from and LIB-B as to.
func message(t *testing.T, name, from, to string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("LIB-A", from, "LIB-B", to).Replace(string(b))
}

// answer is what Receive gave.
type answer struct {
	status int
	out    string
	header http.Header
}

// post sends doc from addr, with HTTP Basic user:pass unless user is "".
func (e *env) post(doc, user, pass, addr string) (answer, error) {
	r := httptest.NewRequest("POST", "/iso18626", strings.NewReader(doc))
	r.RemoteAddr = addr
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	status, out, err := e.in.Receive(w, r)
	return answer{status, string(out), w.Header()}, err
}

func TestRequestBecomesASubmit(t *testing.T) {
	e := newEnv(t, intake.Config{})
	a, err := e.post(message(t, "1-request.xml", "THU", "PKU"), "THU", "thu-secret", "192.0.2.1:1")
	if err != nil || a.status != 200 || !strings.Contains(a.out, "<messageStatus>OK</messageStatus>") {
		t.Fatalf("%+v %v", a, err)
	}
	msgs := e.pub.Messages()
	if len(msgs) != 1 {
		t.Fatalf("published %+v", msgs)
	}
	m := msgs[0]
	id := ill.RequestID("THU", "A-2025-000123")
	var b ill.SubmitBody
	_ = json.Unmarshal(m.Body, &b)
	if m.Type != ill.MsgSubmit || m.ID != ill.SubmitMessageID(id) || m.Actor != "THU" || m.ISO == nil || m.ISO.Kind != "request" ||
		len(b.Lenders) != 1 || b.Lenders[0] != "PKU" || b.RecordID != "8" || b.Patron.Name != "Ming Li" {
		t.Errorf("message %+v, body %+v", m, b)
	}
	log := e.st.ISOMessages()
	if len(log) != 1 || log[0].Status != ill.ISOInOK || log[0].RequestID != id || log[0].LibraryCode != "THU" || log[0].Direction != "in" {
		t.Errorf("logged %+v", log)
	}
}

func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		name, doc, user, pass string
		status                int
		problem               string // in the ERROR confirmation
	}{
		{"wrong secret", "1-request.xml|THU|PKU", "THU", "guess", 401, "securityCode"},
		{"no secret", "1-request.xml|THU|PKU", "", "", 401, "securityCode"},
		{"not an ISO member", "1-request.xml|RUC|PKU", "RUC", "x", 401, "no endpoint"},
		{"unknown agency", "1-request.xml|XYZ|PKU", "", "", 401, "unknown agency"},
		{"closed network needs no secret, but not to itself", "1-request.xml|PKU|PKU", "", "", 200, "cannot borrow from itself"},
		{"unknown lender", "1-request.xml|THU|NOPE", "THU", "thu-secret", 200, "unknown agency"},
		{"cancel of an unknown request", "5-ram-cancel.xml|THU|PKU", "THU", "thu-secret", 200, "not found"},
		{"unreadable", "<x/>|THU|PKU", "", "", 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, intake.Config{})
			parts := strings.Split(c.doc, "|")
			doc := parts[0]
			if strings.HasSuffix(doc, ".xml") {
				doc = message(t, doc, parts[1], parts[2])
			}
			a, err := e.post(doc, c.user, c.pass, "192.0.2.2:1")
			if err != nil || a.status != c.status || !strings.Contains(a.out, "<messageStatus>ERROR</messageStatus>") || !strings.Contains(a.out, c.problem) {
				t.Fatalf("%+v %v", a, err)
			}
			if msgs := e.pub.Messages(); len(msgs) != 0 {
				t.Errorf("published %+v", msgs)
			}
			// Only authenticated senders' messages are kept.
			if logged := len(e.st.ISOMessages()); (logged == 1) != (a.status == 200 && c.problem != "") {
				t.Errorf("%d messages logged", logged)
			}
		})
	}
}

func TestFailedAuthenticationsLockTheAddressOut(t *testing.T) {
	e := newEnv(t, intake.Config{})
	doc := message(t, "1-request.xml", "THU", "PKU")
	for range 10 {
		if a, _ := e.post(doc, "THU", "guess", "192.0.2.3:1"); a.status != 401 {
			t.Fatalf("failure: %d", a.status)
		}
	}
	a, err := e.post(doc, "THU", "thu-secret", "192.0.2.3:1")
	if err != nil || a.status != 429 || a.header.Get("Retry-After") == "" || !strings.Contains(a.out, "ERROR") {
		t.Errorf("after 10 failures: %+v %v", a, err)
	}
	if a, _ := e.post(doc, "THU", "thu-secret", "192.0.2.4:1"); a.status != 200 {
		t.Errorf("another address: %d", a.status)
	}
}

func TestTransportErrors(t *testing.T) {
	e := newEnv(t, intake.Config{RateLimit: 1, RateBurst: 1})
	doc := message(t, "5-ram-cancel.xml", "THU", "PKU")
	if _, err := e.post(doc, "THU", "thu-secret", "192.0.2.5:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.post(doc, "THU", "thu-secret", "192.0.2.5:1"); ill.ErrorCode(err) != ill.CodeRateLimited {
		t.Errorf("over the rate: %v", err)
	}
	e = newEnv(t, intake.Config{})
	e.st.Fail(ill.Errorf(ill.CodeUnavailable, "database unavailable"))
	if _, err := e.post(doc, "THU", "thu-secret", "192.0.2.6:1"); ill.ErrorCode(err) != ill.CodeUnavailable {
		t.Errorf("database down: %v", err)
	}
	e = newEnv(t, intake.Config{})
	e.pub.Fail(ill.Errorf(ill.CodeUnavailable, "broker down"))
	if _, err := e.post(message(t, "1-request.xml", "THU", "PKU"), "THU", "thu-secret", "192.0.2.7:1"); ill.ErrorCode(err) != ill.CodeUnavailable {
		t.Errorf("broker down: %v", err)
	}
}

func TestCancelBecomesAnAction(t *testing.T) {
	e := newEnv(t, intake.Config{})
	e.st.PutRequest(ill.Request{ID: "REQ-1", Borrower: "THU", ClientRequestID: "A-2025-000123", State: ill.Requested,
		Lender: "PKU", SubmittedAt: now.Add(-10 * time.Minute)})
	a, err := e.post(message(t, "5-ram-cancel.xml", "THU", "PKU"), "THU", "thu-secret", "192.0.2.8:1")
	if err != nil || a.status != 200 || !strings.Contains(a.out, "<messageStatus>OK</messageStatus>") {
		t.Fatalf("%+v %v", a, err)
	}
	m := e.pub.Messages()[0]
	if m.Type != ill.MsgAction || m.Action != ill.ActCancel || m.RequestID != "REQ-1" || m.Actor != "THU" ||
		m.ID != ill.DerivedMessageID("iso/THU/REQ-1", "ram/Cancel/2025-03-03T09:40:00+08:00") || m.ISO.Kind != "requestingAgencyMessage" {
		t.Errorf("message %+v", m)
	}
}
