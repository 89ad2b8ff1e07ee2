package harness

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/iso18626/isotest"
	"github.com/balis/illhub/iso18626/member"
	"github.com/balis/illhub/mysql"
)

// MemberDouble is a member library's ISO 18626 system: it records every
// message the hub sends it (after checking it against the XSD) and answers
// with a confirmation, OK unless told otherwise.
type MemberDouble struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	got      []*iso18626.Message
	failNext int // answer the next N messages with HTTP 503
	errNext  int // answer the next N messages with an ERROR confirmation
}

// NewMemberDouble starts a member's system; it stops when the test ends.
func NewMemberDouble(t *testing.T) *MemberDouble {
	d := &MemberDouble{t: t}
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

// URL is the member's ISO 18626 endpoint.
func (d *MemberDouble) URL() string { return d.srv.URL }

// FailNext makes the member answer its next n messages with HTTP 503.
func (d *MemberDouble) FailNext(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failNext = n
}

// ErrNext makes the member answer its next n messages with an ERROR
// confirmation (0: OK again).
func (d *MemberDouble) ErrNext(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errNext = n
}

// Messages returns what the member received (and confirmed OK) so far.
func (d *MemberDouble) Messages() []*iso18626.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*iso18626.Message(nil), d.got...)
}

// WaitMessage waits until the member received a message matching cond.
func (d *MemberDouble) WaitMessage(what string, cond func(*iso18626.Message) bool) *iso18626.Message {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range d.Messages() {
			if cond(m) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var seen []string
	for _, m := range d.Messages() {
		seen = append(seen, ISOSummary(m))
	}
	d.t.Fatalf("member never received %s; got %v", what, seen)
	return nil
}

// ISOSummary names a message in a line: reason/status/answer of a
// supplyingAgencyMessage, RAM/action of a requestingAgencyMessage, the
// kind of anything else.
func ISOSummary(m *iso18626.Message) string {
	switch {
	case m.SupplyingAgencyMessage != nil:
		s := m.SupplyingAgencyMessage
		return string(s.MessageInfo.ReasonForMessage) + "/" + string(s.StatusInfo.Status) + "/" + string(s.MessageInfo.AnswerYesNo)
	case m.RequestingAgencyMessage != nil:
		return "RAM/" + string(m.RequestingAgencyMessage.Action)
	}
	return m.Kind()
}

// RegisterISO makes a library an ISO 18626 member with endpoint; without a
// secret it is marked as reached over a closed network.
func RegisterISO(t *testing.T, st *mysql.Store, code, endpoint, secret string) {
	t.Helper()
	closed := secret == ""
	if err := st.SetISO(context.Background(), ill.ISORegistration{Code: code, Symbol: code, Endpoint: endpoint,
		Secret: secret, ClosedNetwork: &closed}); err != nil {
		t.Fatal(err)
	}
}

// ISORecord adds 数据库系统概论 (ISBN 9787040406641): PKU (2 available)
// ranks before RUC (0).
func ISORecord(t *testing.T, h *Harness) int64 {
	t.Helper()
	return testenv.Record(t, h.St, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 0, Lendable: true})
}

// PostISO posts an ISO 18626 document to the hub and returns the HTTP
// status and the confirmation (checked against the XSD; nil on 503).
func (h *Harness) PostISO(doc []byte) (int, *iso18626.Confirmation) {
	h.T.Helper()
	res, err := http.Post(h.API.URL+"/iso18626", "application/xml", bytes.NewReader(doc))
	if err != nil {
		h.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusServiceUnavailable {
		return res.StatusCode, nil
	}
	isotest.Validate(h.T, body)
	m, p := iso18626.Parse(body)
	if p != nil || m.Confirmation() == nil {
		h.T.Fatalf("answer is not a confirmation: %v\n%s", p, body)
	}
	return res.StatusCode, m.Confirmation()
}

// PostISOMessage posts m (PostISO).
func (h *Harness) PostISOMessage(m *iso18626.Message) (int, *iso18626.Confirmation) {
	h.T.Helper()
	doc, err := iso18626.Marshal(m)
	if err != nil {
		h.T.Fatal(err)
	}
	return h.PostISO(doc)
}

func header(from, to, rid string, now time.Time) iso18626.Header {
	return iso18626.Header{SupplyingAgencyID: iso18626.Agency(to), RequestingAgencyID: iso18626.Agency(from),
		Timestamp: iso18626.Time(now), RequestingAgencyRequestID: rid}
}

// ISORequest is a request from borrower to (the hub or a member) for an ISBN.
func ISORequest(borrower, to, rid, patron, isbn, title string, now time.Time) *iso18626.Message {
	return &iso18626.Message{Request: &iso18626.Request{Header: header(borrower, to, rid, now),
		BibliographicInfo: iso18626.BibliographicInfo{Title: title, BibliographicItemID: []iso18626.BibliographicItemID{
			{Identifier: isbn, Code: iso18626.SchemeValue{Value: "ISBN"}}}},
		ServiceInfo: &iso18626.ServiceInfo{RequestType: iso18626.RequestNew, ServiceType: iso18626.ServiceLoan, Note: "课程需要"},
		PatronInfo:  &iso18626.PatronInfo{PatronID: patron, Surname: "李", GivenName: "明"}}}
}

// ISORAM is a borrower's requestingAgencyMessage about its request rid.
func ISORAM(borrower, lender, rid string, a iso18626.Action, note string, now time.Time) *iso18626.Message {
	return &iso18626.Message{RequestingAgencyMessage: &iso18626.RequestingAgencyMessage{
		Header: header(borrower, lender, rid, now), Action: a, Note: note}}
}

// ISOSAM is a lender's supplyingAgencyMessage about the borrower's request
// rid.
func ISOSAM(lender, borrower, rid string, reason iso18626.ReasonForMessage, status iso18626.Status, now time.Time) *iso18626.Message {
	return &iso18626.Message{SupplyingAgencyMessage: &iso18626.SupplyingAgencyMessage{
		Header:      header(borrower, lender, rid, now),
		MessageInfo: iso18626.MessageInfo{ReasonForMessage: reason},
		StatusInfo:  iso18626.StatusInfo{Status: status, LastChange: iso18626.Time(now)}}}
}

// SimMember runs the project's member system (iso18626/member.Sim: the
// default script and CrossLink illmock's supplier scenarios) as code's ISO
// 18626 system against the hub, on the hub's clock, registered over a
// closed network. Every message the hub sends it is checked against the
// XSD and recorded (Messages, WaitMessage) before the Sim answers it.
func (h *Harness) SimMember(code string) (*MemberDouble, *member.Sim) {
	h.T.Helper()
	sim := &member.Sim{Symbol: code, Hub: h.API.URL + "/iso18626", Log: logger(), Now: h.Clock.Now}
	d := &MemberDouble{t: h.T}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := isotest.Check(body); err != nil {
			h.T.Errorf("the hub sent an invalid ISO 18626 message: %v\n%s", err, body)
		}
		if m, p := iso18626.Parse(body); p == nil {
			d.mu.Lock()
			d.got = append(d.got, m)
			d.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sim.ServeHTTP(w, r)
	}))
	h.T.Cleanup(d.srv.Close)
	RegisterISO(h.T, h.St, code, d.URL(), "")
	return d, sim
}
