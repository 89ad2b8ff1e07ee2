package iso18626_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/iso18626/isotest"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSamplesParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	if len(files) != 8 {
		t.Fatalf("want the 8 validated samples, got %d", len(files))
	}
	for _, f := range files {
		b := sample(t, filepath.Base(f))
		isotest.Validate(t, b) // the samples are valid: the validator accepts valid input
		m, p := iso18626.Parse(b)
		if p != nil {
			t.Errorf("%s: %v", f, p)
			continue
		}
		// Re-written, every sample is still valid.
		out, err := iso18626.Marshal(m)
		if err != nil {
			t.Fatalf("%s: marshal: %v", f, err)
		}
		isotest.Validate(t, out)
		m2, p := iso18626.Parse(out)
		if p != nil || m2.Kind() != m.Kind() {
			t.Fatalf("%s: round trip: %v %s", f, p, m2.Kind())
		}
	}
	m, _ := iso18626.Parse(sample(t, "1-request.xml"))
	r := m.Request
	if r.Header.RequestingAgencyID.Value != "LIB-A" || r.Header.RequestingAgencyRequestID != "A-2025-000123" ||
		r.BibliographicInfo.Title != "数据库系统概论" || r.BibliographicInfo.ISBN() != "9787040406641" ||
		r.ServiceInfo.ServiceType != iso18626.ServiceLoan || r.PatronInfo.PatronID != "2023110456" {
		t.Fatalf("request read wrong: %+v", r)
	}
	m, _ = iso18626.Parse(sample(t, "8-sam-unfilled.xml"))
	if s := m.SupplyingAgencyMessage; s.StatusInfo.Status != iso18626.StatusUnfilled || s.MessageInfo.ReasonUnfilled.Value != "NotOnShelf" {
		t.Fatalf("unfilled read wrong: %+v", s)
	}
}

// The validator must reject invalid documents, or every Validate is vacuous.
func TestValidatorRejects(t *testing.T) {
	bare := strings.Replace(string(sample(t, "5-ram-cancel.xml")), `ill:version=`, `version=`, 1)
	if err := isotest.Check([]byte(bare)); err == nil {
		t.Fatal("a bare version attribute must fail the XSD")
	}
	noMulti := strings.Replace(string(sample(t, "5-ram-cancel.xml")), `<ill:multipleItemRequestId></ill:multipleItemRequestId>`, ``, 1)
	if err := isotest.Check([]byte(noMulti)); err == nil {
		t.Fatal("a header without multipleItemRequestId must fail the XSD")
	}
}

func TestLenientReading(t *testing.T) {
	doc := `<?xml version="1.0"?>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626" version="1.2" xmlns:x="urn:other">
  <requestingAgencyMessage>
    <note>  please hurry  </note>
    <action>
       Cancel
    </action>
    <header>
      <timestamp>2026-03-02T10:00:00</timestamp>
      <requestingAgencyRequestId> THU-1 </requestingAgencyRequestId>
      <requestingAgencyId><agencyIdValue>THU</agencyIdValue><agencyIdType>BALIS</agencyIdType></requestingAgencyId>
      <supplyingAgencyId><agencyIdType>BALIS</agencyIdType><agencyIdValue>BALIS</agencyIdValue></supplyingAgencyId>
      <x:vendorExtension>ignored</x:vendorExtension>
    </header>
  </requestingAgencyMessage>
</ISO18626Message>`
	m, p := iso18626.Parse([]byte(doc))
	if p != nil {
		t.Fatal(p)
	}
	r := m.RequestingAgencyMessage
	if r.Action != iso18626.ActionCancel || r.Note != "please hurry" || r.Header.RequestingAgencyRequestID != "THU-1" ||
		r.Header.RequestingAgencyID.Value != "THU" {
		t.Fatalf("%+v", r)
	}
	ts, err := r.Header.Timestamp.Parse()
	if err != nil || !ts.Equal(time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)) {
		t.Fatalf("timestamp without offset is Shanghai time: %v %v", ts, err)
	}
}

func TestParseProblems(t *testing.T) {
	ram := string(sample(t, "5-ram-cancel.xml"))
	sam := string(sample(t, "3-sam-loaned.xml"))
	cases := []struct {
		name string
		doc  string
		typ  iso18626.ErrorType
		kind string
		in   string // errorValue contains
	}{
		{"not xml", "hello", iso18626.ErrBadlyFormedMessage, "request", "outside the root"},
		{"broken xml", ram[:len(ram)/2], iso18626.ErrBadlyFormedMessage, "requestingAgencyMessage", "not well-formed"},
		{"wrong root", `<foo/>`, iso18626.ErrBadlyFormedMessage, "request", "root element"},
		{"no version", strings.Replace(ram, ` ill:version="1.2"`, "", 1), iso18626.ErrBadlyFormedMessage, "requestingAgencyMessage", "version"},
		{"version 3", strings.Replace(ram, `ill:version="1.2"`, `ill:version="3.0"`, 1), iso18626.ErrUnrecognisedDataValue, "requestingAgencyMessage", "version"},
		{"empty root", `<ISO18626Message version="1.2"/>`, iso18626.ErrBadlyFormedMessage, "request", "no message"},
		{"unknown action", strings.Replace(ram, ">Cancel<", ">Destroy<", 1), iso18626.ErrUnsupportedActionType, "requestingAgencyMessage", "Destroy"},
		{"missing action", strings.Replace(ram, "<ill:action>Cancel</ill:action>", "", 1), iso18626.ErrBadlyFormedMessage, "requestingAgencyMessage", "action: missing"},
		{"unknown reason", strings.Replace(sam, ">StatusChange<", ">Gossip<", 1), iso18626.ErrUnsupportedReasonForMessageType, "supplyingAgencyMessage", "Gossip"},
		{"unknown status", strings.Replace(sam, ">Loaned<", ">Teleported<", 1), iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage", "Teleported"},
		{"unknown element", strings.Replace(ram, "<ill:action>", "<ill:colour>red</ill:colour><ill:action>", 1), iso18626.ErrUnrecognisedDataElement, "requestingAgencyMessage", "requestingAgencyMessage/colour"},
		{"missing request id", strings.Replace(ram, "<ill:requestingAgencyRequestId>A-2025-000123</ill:requestingAgencyRequestId>", "", 1), iso18626.ErrBadlyFormedMessage, "requestingAgencyMessage", "requestingAgencyRequestId: missing"},
		{"bad timestamp", strings.Replace(ram, "2025-03-03T09:40:00+08:00", "yesterday", 1), iso18626.ErrUnrecognisedDataValue, "requestingAgencyMessage", "timestamp"},
		{"two messages", strings.Replace(ram, "</ill:requestingAgencyMessage>", "</ill:requestingAgencyMessage><ill:requestingAgencyMessage/>", 1), iso18626.ErrBadlyFormedMessage, "requestingAgencyMessage", "exactly one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, p := iso18626.Parse([]byte(c.doc))
			if p == nil {
				t.Fatal("no problem found")
			}
			if p.Type != c.typ || !strings.Contains(p.Value, c.in) {
				t.Fatalf("got %s %q, want %s containing %q", p.Type, p.Value, c.typ, c.in)
			}
			if m == nil || m.Kind() != c.kind {
				t.Fatalf("kind %v, want %s", m, c.kind)
			}
			// The ERROR confirmation answering it is valid ISO 18626.
			now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			out, err := iso18626.Marshal(iso18626.Confirm(m, p, now, now))
			if err != nil {
				t.Fatal(err)
			}
			isotest.Validate(t, out)
			back, bp := iso18626.Parse(out)
			if bp != nil || back.Confirmation().ErrorData.ErrorType != c.typ {
				t.Fatalf("confirmation read back: %v", bp)
			}
		})
	}
}

func TestMarshalStrict(t *testing.T) {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	h := iso18626.Header{SupplyingAgencyID: iso18626.Agency("PKU"), RequestingAgencyID: iso18626.Agency("THU"),
		Timestamp: iso18626.Time(now), RequestingAgencyRequestID: "THU-1"}
	bad := []*iso18626.Message{
		{},
		{Request: &iso18626.Request{Header: h}, RequestConfirmation: &iso18626.Confirmation{}},
		{RequestingAgencyMessage: &iso18626.RequestingAgencyMessage{Header: h, Action: "Destroy"}},
		{RequestingAgencyMessage: &iso18626.RequestingAgencyMessage{Header: iso18626.Header{SupplyingAgencyID: h.SupplyingAgencyID,
			RequestingAgencyID: h.RequestingAgencyID, Timestamp: "2026-03-02T10:00:00", RequestingAgencyRequestID: "x"}, Action: iso18626.ActionCancel}},
		{SupplyingAgencyMessage: &iso18626.SupplyingAgencyMessage{Header: h, MessageInfo: iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonStatusChange},
			StatusInfo: iso18626.StatusInfo{Status: iso18626.StatusLoaned}}}, // no lastChange
		{RequestConfirmation: &iso18626.Confirmation{ConfirmationHeader: iso18626.ConfirmationHeader{Timestamp: iso18626.Time(now),
			TimestampReceived: iso18626.Time(now), MessageStatus: iso18626.StatusERROR}}}, // ERROR without errorData
	}
	for i, m := range bad {
		if _, err := iso18626.Marshal(m); err == nil {
			t.Errorf("case %d: marshal accepted an invalid message", i)
		}
	}
	good := &iso18626.Message{SupplyingAgencyMessage: &iso18626.SupplyingAgencyMessage{Header: h,
		MessageInfo: iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonRenewResponse, AnswerYesNo: iso18626.No, Note: "BALIS: no renewals"},
		StatusInfo:  iso18626.StatusInfo{Status: iso18626.StatusLoaned, DueDate: iso18626.TimePtr(now), LastChange: iso18626.Time(now)}}}
	out, err := iso18626.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	isotest.Validate(t, out)
	if !strings.Contains(string(out), `ill:version="1.2"`) || !strings.Contains(string(out), "2026-03-02T10:00:00+08:00") {
		t.Fatalf("version must be qualified and times carry +08:00:\n%s", out)
	}
}

func TestMappingCoversEveryState(t *testing.T) {
	for _, s := range ill.States {
		if !iso18626.StatusOf[s].Valid() {
			t.Errorf("state %s has no ISO status", s)
		}
	}
	for _, a := range []iso18626.Action{iso18626.ActionStatusRequest, iso18626.ActionReceived, iso18626.ActionCancel,
		iso18626.ActionRenew, iso18626.ActionShippedReturn, iso18626.ActionNotification} {
		in, ok := iso18626.FromAction[a]
		if !ok {
			t.Errorf("action %s unmapped", a)
		}
		if in.Action != "" && len(ill.Variants(in.Action)) == 0 {
			t.Errorf("action %s maps to unknown hub action %s", a, in.Action)
		}
	}
	for _, r := range []ill.Reason{ill.ReasonNotHeld, ill.ReasonNoResponse, ill.ReasonNotShipped, ill.ReasonOverLimit} {
		if iso18626.ReasonUnfilledOf[r] == "" {
			t.Errorf("reason %s has no reasonUnfilled", r)
		}
	}
	for v, want := range map[string]ill.Reason{"NotOnShelf": ill.ReasonNotOnShelf, "PolicyProblem": ill.ReasonPolicyProblem,
		"not_held": ill.ReasonNotHeld, "": ill.ReasonUnspecified, "xyz": ill.ReasonUnspecified} {
		if got := iso18626.UnfilledReasonFrom(v); got != want {
			t.Errorf("UnfilledReasonFrom(%q) = %s, want %s (no reason is invented)", v, got, want)
		}
	}
}

// TestConfirmEchoesTheHeaderTimestamp: timestampReceived is the confirmed
// message's own header timestamp, as sent; the confirmation's timestamp
// has milliseconds.
func TestConfirmEchoesTheHeaderTimestamp(t *testing.T) {
	received := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	now := received.Add(1234 * time.Millisecond)
	for sent, want := range map[iso18626.DateTime]iso18626.DateTime{
		"2026-03-02T09:59:58.123456Z": "2026-03-02T09:59:58.123456Z",
		"2026-03-02T09:59:58+08:00":   "2026-03-02T09:59:58+08:00",
		"2026-03-02T09:59:58":         "2026-03-02T09:59:58.000+08:00", // no offset: Asia/Shanghai
		"yesterday":                   "2026-03-02T10:00:00.000+08:00", // unreadable: when the hub received it
	} {
		in := &iso18626.Message{SupplyingAgencyMessage: &iso18626.SupplyingAgencyMessage{
			Header: iso18626.Header{SupplyingAgencyID: iso18626.Agency("PKU"), RequestingAgencyID: iso18626.Agency("THU"),
				Timestamp: sent, RequestingAgencyRequestID: "THU-1"},
			MessageInfo: iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonStatusChange}}}
		c := iso18626.Confirm(in, nil, received, now)
		h := c.SupplyingAgencyMessageConfirmation.ConfirmationHeader
		if h.TimestampReceived != want || h.Timestamp != "2026-03-02T10:00:01.234+08:00" {
			t.Errorf("sent %s: timestampReceived %s (want %s), timestamp %s", sent, h.TimestampReceived, want, h.Timestamp)
		}
		if _, err := iso18626.Marshal(c); err != nil {
			t.Errorf("sent %s: %v", sent, err)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`<ISO18626Message version="1.2"><request/></ISO18626Message>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, p := iso18626.Parse(b)
		if m == nil {
			t.Fatal("Parse must always return a message to confirm")
		}
		if p != nil && (!p.Type.Valid() || p.Value == "") {
			t.Fatalf("problem without a valid errorType and value: %+v", p)
		}
		now := time.Now()
		if _, err := iso18626.Marshal(iso18626.Confirm(m, p, now, now)); err != nil {
			t.Fatalf("the confirmation of any input must be writable: %v", err)
		}
	})
}

func TestAhead(t *testing.T) {
	cases := []struct {
		a    ill.Action
		v    ill.Variant
		from ill.State
		want bool
	}{
		{ill.ActShip, "", ill.Requested, true},              // Loaned right after WillSupply: the lender's own respond first
		{ill.ActShip, "", ill.WillSupply, false},            // allowed: not "ahead"
		{ill.ActRespond, "will_supply", ill.Shipped, false}, // behind: refused at once
		{ill.ActShip, "", ill.Cancelled, false},             // terminal
		{ill.ActCancelResponse, "yes", ill.Completed, false},
		// Only the other party could make these possible, and the sender
		// learns of that party's step from the hub after it is applied:
		// waiting cannot help, so they are refused at once.
		{ill.ActCheckin, "", ill.Returned, false},             // LoanCompleted before the borrower shipped it back
		{ill.ActCheckin, "", ill.Shipped, false},              // LoanCompleted while the book travels to the borrower
		{ill.ActCancelResponse, "yes", ill.WillSupply, false}, // an answer to a cancel nobody asked for
		{ill.ActReceive, "", ill.WillSupply, false},           // Received before the lender shipped
		// The borrower's own steps can be ahead of each other.
		{ill.ActReturn, "", ill.Received, true},   // returned right after the checkout was sent
		{ill.ActShipReturn, "", ill.OnLoan, true}, // ShippedReturn right after the return
		{ill.ActCheckout, "", ill.Shipped, true},  // checkout right after Received
	}
	for _, c := range cases {
		if got := iso18626.Ahead(c.a, c.v, c.from); got != c.want {
			t.Errorf("Ahead(%s %s, %s) = %v", c.a, c.v, c.from, got)
		}
	}
}

// docs/iso18626.md carries MappingMarkdown between its markers.
func TestDocMapping(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "iso18626.md"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- mapping:begin (generated from iso18626/mapping.go; TestDocMapping) -->\n", "<!-- mapping:end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("docs/iso18626.md lacks the mapping markers %q … %q", begin, end)
	}
	if got, want := s[i+len(begin):j], iso18626.MappingMarkdown(); got != want {
		t.Fatalf("docs/iso18626.md mapping tables are stale; replace them with:\n%s", want)
	}
}
