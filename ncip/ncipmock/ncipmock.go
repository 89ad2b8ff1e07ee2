// Package ncipmock is an NCIP responder double: a member's ILS for tests
// (and demos). It checks every message the hub sends against the NCIP 2.02
// XSD, records it, and answers with a schema-valid response: a reader is
// active unless told otherwise, items are accepted, checked out and in.
// It can be told to fail (HTTP 500) the next calls, or always.
package ncipmock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ncip"
	"github.com/balis/illhub/ncip/ncipxsd"
)

// Call is one message the double received.
type Call struct {
	Service string // LookupUser, AcceptItem, CheckOutItem, CheckInItem
	Msg     *ncip.Message
	Doc     []byte
}

// Responder is the double. Its zero value is not usable: New.
type Responder struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	calls    []Call
	failNext int
	failAll  bool
	blocked  map[string]string // patron → block type
	unknown  map[string]bool
}

// New starts a responder on httptest; it stops when the test ends.
func New(t testing.TB) *Responder {
	r := &Responder{t: t, blocked: map[string]string{}, unknown: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the responder's NCIP endpoint.
func (r *Responder) URL() string { return r.srv.URL + "/ncip" }

// FailNext answers the next n calls with HTTP 500 (not recorded).
func (r *Responder) FailNext(n int) { r.mu.Lock(); r.failNext = n; r.mu.Unlock() }

// FailAll answers every call with HTTP 500 while on.
func (r *Responder) FailAll(on bool) { r.mu.Lock(); r.failAll = on; r.mu.Unlock() }

// Block makes the reader patron blocked (BlockOrTrapType kind).
func (r *Responder) Block(patron, kind string) { r.mu.Lock(); r.blocked[patron] = kind; r.mu.Unlock() }

// Unknown makes the reader patron unknown (LookupUser answers a Problem).
func (r *Responder) Unknown(patron string) { r.mu.Lock(); r.unknown[patron] = true; r.mu.Unlock() }

// Calls returns what the responder received and answered, in order.
func (r *Responder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Services lists the services of Calls.
func (r *Responder) Services() []string {
	var out []string
	for _, c := range r.Calls() {
		out = append(out, c.Service)
	}
	return out
}

// WaitCalls waits until n calls were received (or 15 s passed) and
// returns them.
func (r *Responder) WaitCalls(n int) []Call {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cs := r.Calls(); len(cs) >= n {
			return cs
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("ncip responder: want %d calls, got %v", n, r.Services())
	return nil
}

func (r *Responder) serve(w http.ResponseWriter, req *http.Request) {
	doc, _ := io.ReadAll(req.Body)
	if err := ncipxsd.Check(doc); err != nil {
		r.t.Errorf("the hub sent an invalid NCIP message: %v\n%s", err, doc)
	}
	m, err := ncip.Parse(doc)
	r.mu.Lock()
	fail := r.failAll || r.failNext > 0
	if r.failNext > 0 {
		r.failNext--
	}
	if !fail && err == nil {
		r.calls = append(r.calls, Call{Service: m.Service(), Msg: m, Doc: doc})
	}
	blocked, unknown := r.blocked, r.unknown
	var resp *ncip.Message
	if !fail && err == nil {
		resp = Answer(m, blocked, unknown)
	}
	r.mu.Unlock()
	if fail {
		http.Error(w, "ILS down", http.StatusInternalServerError)
		return
	}
	if err != nil {
		resp = &ncip.Message{Problem: []ncip.Problem{{Type: ncip.SV("Invalid Message Syntax Error"), Detail: err.Error()}}}
	}
	out, err := ncip.Marshal(resp)
	if err != nil {
		r.t.Errorf("ncip responder: %v", err)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(out)
}

// Answer is the responder's response to m: blocked maps a patron to a
// block, unknown marks patrons it does not know.
func Answer(m *ncip.Message, blocked map[string]string, unknown map[string]bool) *ncip.Message {
	hdr := func(h *ncip.InitiationHeader) *ncip.ResponseHeader {
		if h == nil {
			return nil
		}
		return &ncip.ResponseHeader{FromAgencyID: h.ToAgencyID, ToAgencyID: h.FromAgencyID}
	}
	agency := func(h *ncip.InitiationHeader) ncip.SchemeValue {
		if h == nil {
			return ncip.SV("ILS")
		}
		return h.ToAgencyID.AgencyID
	}
	switch {
	case m.LookupUser != nil:
		u := m.LookupUser
		if unknown[u.UserID.Value] {
			return &ncip.Message{LookupUserResponse: &ncip.LookupUserResponse{Header: hdr(u.Header),
				Problem: []ncip.Problem{{Type: ncip.SV("Unknown User"), Element: "UserIdentifierValue", Value: u.UserID.Value}}}}
		}
		opt := &ncip.UserOptionalFields{UserPrivilege: []ncip.UserPrivilege{{AgencyID: agency(u.Header),
			Type: ncip.SV("Borrower"), Status: &ncip.UserPrivilegeStatus{Type: ncip.SV("Active")}}}}
		if b, ok := blocked[u.UserID.Value]; ok {
			opt.BlockOrTrap = []ncip.BlockOrTrap{{AgencyID: agency(u.Header), Type: ncip.SV(b)}}
		}
		return &ncip.Message{LookupUserResponse: &ncip.LookupUserResponse{Header: hdr(u.Header), UserID: &u.UserID,
			UserFiscalAccount: []ncip.UserFiscalAccount{{Balance: ncip.AccountBalance{Currency: ncip.SV("CNY"), Value: 10000}}},
			Optional:          opt}}
	case m.AcceptItem != nil:
		a := m.AcceptItem
		return &ncip.Message{AcceptItemResponse: &ncip.AcceptItemResponse{Header: hdr(a.Header), RequestID: &a.RequestID, ItemID: a.ItemID}}
	case m.CheckOutItem != nil:
		c := m.CheckOutItem
		due := c.DesiredDateDue
		if due == "" {
			due = ncip.Time(time.Now().AddDate(0, 1, 0))
		}
		return &ncip.Message{CheckOutItemResponse: &ncip.CheckOutItemResponse{Header: hdr(c.Header), ItemID: &c.ItemID,
			UserID: &c.UserID, DateDue: due}}
	case m.CheckInItem != nil:
		c := m.CheckInItem
		return &ncip.Message{CheckInItemResponse: &ncip.CheckInItemResponse{Header: hdr(c.Header), ItemID: &c.ItemID}}
	}
	return &ncip.Message{Problem: []ncip.Problem{{Type: ncip.SV("Unsupported Service"), Detail: m.Service()}}}
}
