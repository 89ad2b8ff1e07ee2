package service_test

// ISO 18626 end to end, with a Go test double of a member's own
// ILL system (memberDouble) on the other side of the hub.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/iso18626/isotest"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/service"
	"github.com/prometheus/client_golang/prometheus"
)

// memberDouble is a member library's ISO 18626 system: it records every
// message the hub sends it (after checking it against the XSD) and answers
// with a confirmation, OK unless told otherwise.
type memberDouble struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	got      []*iso18626.Message
	failNext int // answer the next N messages with HTTP 503
	errNext  int // answer the next N messages with an ERROR confirmation
}

func newMemberDouble(t *testing.T) *memberDouble {
	d := &memberDouble{t: t}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := isotest.Check(body); err != nil {
			t.Errorf("the hub sent an invalid ISO 18626 message: %v\n%s", err, body)
		}
		m, p := iso18626.Parse(body)
		d.mu.Lock()
		fail, errc := d.failNext > 0, d.errNext > 0
		if fail {
			d.failNext--
		} else if errc {
			d.errNext--
		}
		if !fail && !errc && p == nil {
			d.got = append(d.got, m)
		}
		d.mu.Unlock()
		if fail {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if errc && p == nil {
			p = &iso18626.Problem{Type: iso18626.ErrUnrecognisedDataValue, Value: "double: told to refuse"}
		}
		now := time.Now()
		out, err := iso18626.Marshal(iso18626.Confirm(m, p, now, now))
		if err != nil {
			t.Errorf("double: %v", err)
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(out)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

// messages returns what the member received so far.
func (d *memberDouble) messages() []*iso18626.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*iso18626.Message(nil), d.got...)
}

// waitMessage waits until the member received a message matching cond.
func (d *memberDouble) waitMessage(what string, cond func(*iso18626.Message) bool) *iso18626.Message {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range d.messages() {
			if cond(m) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var seen []string
	for _, m := range d.messages() {
		seen = append(seen, summary(m))
	}
	d.t.Fatalf("member never received %s; got %v", what, seen)
	return nil
}

func summary(m *iso18626.Message) string {
	switch {
	case m.SupplyingAgencyMessage != nil:
		s := m.SupplyingAgencyMessage
		return string(s.MessageInfo.ReasonForMessage) + "/" + string(s.StatusInfo.Status) + "/" + string(s.MessageInfo.AnswerYesNo)
	case m.RequestingAgencyMessage != nil:
		return "RAM/" + string(m.RequestingAgencyMessage.Action)
	}
	return m.Kind()
}

func sam(reason iso18626.ReasonForMessage, status iso18626.Status) func(*iso18626.Message) bool {
	return func(m *iso18626.Message) bool {
		s := m.SupplyingAgencyMessage
		return s != nil && s.MessageInfo.ReasonForMessage == reason && s.StatusInfo.Status == status
	}
}

// registerISO makes a library an ISO 18626 member with the double's
// endpoint; without a secret it is marked as reached over a closed network.
func registerISO(t *testing.T, st *mysql.Store, code, endpoint, secret string) {
	t.Helper()
	closed := secret == ""
	if err := st.SetISO(context.Background(), ill.ISORegistration{Code: code, Symbol: code, Endpoint: endpoint,
		Secret: secret, ClosedNetwork: &closed}); err != nil {
		t.Fatal(err)
	}
}

// postISO posts an ISO 18626 document and returns the HTTP status and the
// confirmation (checked against the XSD).
func (h *harness) postISO(doc []byte) (int, *iso18626.Confirmation) {
	h.t.Helper()
	res, err := http.Post(h.api.URL+"/iso18626", "application/xml", bytes.NewReader(doc))
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusServiceUnavailable {
		return res.StatusCode, nil
	}
	isotest.Validate(h.t, body)
	m, p := iso18626.Parse(body)
	if p != nil || m.Confirmation() == nil {
		h.t.Fatalf("answer is not a confirmation: %v\n%s", p, body)
	}
	return res.StatusCode, m.Confirmation()
}

func (h *harness) postISOMessage(m *iso18626.Message) (int, *iso18626.Confirmation) {
	h.t.Helper()
	doc, err := iso18626.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.postISO(doc)
}

func header(from, to, rid string, now time.Time) iso18626.Header {
	return iso18626.Header{SupplyingAgencyID: iso18626.Agency(to), RequestingAgencyID: iso18626.Agency(from),
		Timestamp: iso18626.Time(now), RequestingAgencyRequestID: rid}
}

// isoRequest is a request from borrower to (the hub or a member) for an ISBN.
func isoRequest(borrower, to, rid, patron, isbn, title string, now time.Time) *iso18626.Message {
	return &iso18626.Message{Request: &iso18626.Request{Header: header(borrower, to, rid, now),
		BibliographicInfo: iso18626.BibliographicInfo{Title: title, BibliographicItemID: []iso18626.BibliographicItemID{
			{Identifier: isbn, Code: iso18626.SchemeValue{Value: "ISBN"}}}},
		ServiceInfo: &iso18626.ServiceInfo{RequestType: iso18626.RequestNew, ServiceType: iso18626.ServiceLoan, Note: "课程需要"},
		PatronInfo:  &iso18626.PatronInfo{PatronID: patron, Surname: "李", GivenName: "明"}}}
}

func isoRAM(borrower, lender, rid string, a iso18626.Action, note string, now time.Time) *iso18626.Message {
	return &iso18626.Message{RequestingAgencyMessage: &iso18626.RequestingAgencyMessage{
		Header: header(borrower, lender, rid, now), Action: a, Note: note}}
}

func isoSAM(lender, borrower, rid string, reason iso18626.ReasonForMessage, status iso18626.Status, now time.Time) *iso18626.Message {
	return &iso18626.Message{SupplyingAgencyMessage: &iso18626.SupplyingAgencyMessage{
		Header:      header(borrower, lender, rid, now),
		MessageInfo: iso18626.MessageInfo{ReasonForMessage: reason},
		StatusInfo:  iso18626.StatusInfo{Status: status, LastChange: iso18626.Time(now)}}}
}

func wantConfirm(t *testing.T, status int, c *iso18626.Confirmation, wantType iso18626.ErrorType, wantIn string) {
	t.Helper()
	if status != http.StatusOK && wantType == "" {
		t.Fatalf("HTTP %d", status)
	}
	if wantType == "" {
		if c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
			t.Fatalf("want OK, got ERROR %+v", c.ErrorData)
		}
		return
	}
	if c.ConfirmationHeader.MessageStatus != iso18626.StatusERROR || c.ErrorData == nil {
		t.Fatalf("want ERROR %s, got OK", wantType)
	}
	if c.ErrorData.ErrorType != wantType || !strings.Contains(c.ErrorData.ErrorValue, wantIn) {
		t.Fatalf("want %s containing %q, got %s %q", wantType, wantIn, c.ErrorData.ErrorType, c.ErrorData.ErrorValue)
	}
}

// TestISOIntake: an ISO borrower's request is routed; every kind of bad
// message gets its ERROR confirmation with the standard errorType.
func TestISOIntake(t *testing.T) {
	h := newHarness(t, 5)
	h.startConsumers(nil)
	thu := newMemberDouble(t)
	registerISO(t, h.st, "THU", thu.srv.URL, "")
	isoRecord(t, h)
	now := h.clock.Now()

	status, c := h.postISOMessage(isoRequest("THU", "BALIS", "thu-iso-1", "R100", "9787040406641", "数据库系统概论", now))
	wantConfirm(t, status, c, "", "")
	if c.ConfirmationHeader.RequestingAgencyRequestID != "thu-iso-1" || c.ConfirmationHeader.RequestingAgencyID.Value != "THU" {
		t.Fatalf("confirmation must echo the ids: %+v", c.ConfirmationHeader)
	}
	id := ill.RequestID("THU", "thu-iso-1")
	b := h.waitState(id, "THU", ill.Requested)
	if b["lender"] != "PKU" || b["patron_id"] != "R100" {
		t.Fatalf("routed wrong: %v", b)
	}

	// StatusRequest changes nothing and is recorded.
	status, c = h.postISOMessage(isoRAM("THU", "PKU", "thu-iso-1", iso18626.ActionStatusRequest, "", now))
	wantConfirm(t, status, c, "", "")
	if c.Action != iso18626.ActionStatusRequest {
		t.Fatalf("requestingAgencyMessageConfirmation echoes the action: %+v", c)
	}
	h.waitFor(id, "THU", "status request on the timeline", func(b map[string]any) bool {
		for _, e := range events(b) {
			if e["action"] == "iso18626" && strings.Contains(e["note"].(string), "StatusRequest") {
				return true
			}
		}
		return false
	})

	ram := strings.NewReplacer("LIB-A", "THU", "LIB-B", "PKU", "A-2025-000123", "thu-iso-1").Replace(isoSample(t, "5-ram-cancel.xml"))
	cases := []struct {
		name   string
		doc    string
		status int
		typ    iso18626.ErrorType
		in     string
	}{
		{"badly formed XML", "<ISO18626Message", 200, iso18626.ErrBadlyFormedMessage, "not well-formed"},
		{"missing required element", strings.Replace(ram, "<ill:requestingAgencyRequestId>thu-iso-1</ill:requestingAgencyRequestId>", "", 1),
			200, iso18626.ErrBadlyFormedMessage, "requestingAgencyRequestId: missing required element"},
		{"unsupported action", strings.Replace(ram, ">Cancel<", ">Teleport<", 1), 200, iso18626.ErrUnsupportedActionType, "Teleport"},
		{"unsupported ISO action", strings.Replace(ram, ">Cancel<", ">ShippedForward<", 1), 200, iso18626.ErrUnsupportedActionType, "ShippedForward"},
		{"unknown element", strings.Replace(ram, "<ill:action>", "<ill:colour>red</ill:colour><ill:action>", 1), 200,
			iso18626.ErrUnrecognisedDataElement, "colour"},
		{"unknown request id", strings.Replace(ram, "thu-iso-1", "thu-nope", 1), 200, iso18626.ErrUnrecognisedDataValue,
			"request with a given ID not found"},
		{"unknown agency", strings.Replace(ram, "<ill:agencyIdValue>THU</ill:agencyIdValue>", "<ill:agencyIdValue>NOPE</ill:agencyIdValue>", 1), 401,
			iso18626.ErrUnrecognisedDataValue, "unknown agency \"NOPE\""},
		{"member without ISO endpoint", strings.Replace(ram, "<ill:agencyIdValue>THU</ill:agencyIdValue>", "<ill:agencyIdValue>RUC</ill:agencyIdValue>", 1), 401,
			iso18626.ErrUnrecognisedDataValue, "not registered as an ISO 18626 member"},
		{"oversize", "<ISO18626Message>" + strings.Repeat(" ", 1<<20) + "</ISO18626Message>", 413, iso18626.ErrBadlyFormedMessage, "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, c := h.postISO([]byte(tc.doc))
			if status != tc.status {
				t.Fatalf("HTTP %d, want %d", status, tc.status)
			}
			wantConfirm(t, status, c, tc.typ, tc.in)
		})
	}
	t.Run("unsupported reasonForMessage", func(t *testing.T) {
		// From an authenticated supplier (THU): the reason is checked once the sender is known.
		doc, _ := iso18626.Marshal(isoSAM("THU", "PKU", "thu-iso-1", iso18626.ReasonStatusChange, iso18626.StatusLoaned, now))
		status, c := h.postISO(bytes.Replace(doc, []byte(">StatusChange<"), []byte(">Gossip<"), 1))
		wantConfirm(t, status, c, iso18626.ErrUnsupportedReasonForMessageType, "Gossip")
	})
	t.Run("duplicate request id", func(t *testing.T) {
		status, c := h.postISOMessage(isoRequest("THU", "BALIS", "thu-iso-1", "R100", "9787040406641", "数据库系统概论", now))
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "duplicate request id")
	})
	t.Run("action not possible any more", func(t *testing.T) {
		h.ok(isoRequest("THU", "BALIS", "thu-iso-2", "R101", "9787040406641", "数据库系统概论", now))
		id2 := ill.RequestID("THU", "thu-iso-2")
		h.waitState(id2, "THU", ill.Requested)
		h.ok(isoRAM("THU", "PKU", "thu-iso-2", iso18626.ActionCancel, "", now))
		h.waitState(id2, "THU", ill.Cancelled)
		status, c := h.postISOMessage(isoRAM("THU", "PKU", "thu-iso-2", iso18626.ActionReceived, "", now))
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "not possible now")
	})
	t.Run("copy not offered", func(t *testing.T) {
		m := isoRequest("THU", "BALIS", "thu-iso-copy", "R100", "9787040406641", "数据库系统概论", now)
		m.Request.ServiceInfo.ServiceType = iso18626.ServiceCopy
		status, c := h.postISOMessage(m)
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "Copy is not offered")
	})
	t.Run("secret", func(t *testing.T) {
		registerISO(t, h.st, "THU", "", "s3cret")
		m := isoRAM("THU", "PKU", "thu-iso-1", iso18626.ActionNotification, "hello", now)
		status, c := h.postISOMessage(m)
		if status != http.StatusUnauthorized {
			t.Fatalf("without the secret: HTTP %d, want 401", status)
		}
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "securityCode")
		m.RequestingAgencyMessage.Header.RequestingAgencyAuthentication = &iso18626.Authentication{AccountID: "THU", SecurityCode: "wrong"}
		status, c = h.postISOMessage(m)
		if status != http.StatusUnauthorized {
			t.Fatalf("with a wrong secret: HTTP %d, want 401", status)
		}
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "securityCode")
		m.RequestingAgencyMessage.Header.RequestingAgencyAuthentication.SecurityCode = "s3cret"
		status, c = h.postISOMessage(m)
		wantConfirm(t, status, c, "", "")
	})
}

// isoRecord adds 数据库系统概论: PKU (2 available) ranks before RUC (0).
func isoRecord(t *testing.T, h *harness) int64 {
	t.Helper()
	return testenv.Record(t, h.st, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 0, Lendable: true})
}

// isoSample reads one of the validated samples of iso18626/testdata.
func isoSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "iso18626", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestISORateLimit: ILL_RATE_LIMIT applies per ISO 18626 member (429 with
// Retry-After, no confirmation), like per API key.
func TestISORateLimit(t *testing.T) {
	h := newHarness(t, 3)
	registerISO(t, h.st, "THU", "http://127.0.0.1:1/iso18626", "")
	registerISO(t, h.st, "PKU", "http://127.0.0.1:1/iso18626", "")
	cfg := h.cfg
	cfg.RateLimit, cfg.RateBurst = 1, 2
	srv, pub := service.NewProducer(cfg, h.st, h.clock, h.log, prometheus.NewRegistry())
	defer pub.Close()
	api := httptest.NewServer(srv)
	defer api.Close()
	post := func(from, rid string) *http.Response {
		doc, err := iso18626.Marshal(isoRequest(from, "BALIS", rid, "R"+rid, "9787040406641", "数据库系统概论", h.clock.Now()))
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
