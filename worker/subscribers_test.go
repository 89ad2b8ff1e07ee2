package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// fakeStore is an in-memory stand-in for the transaction the subscribers
// write through (noticeStore, courierStore, isoStore): it records what
// they write.
type fakeStore struct {
	libs     map[string]*ill.Library
	patrons  map[string]string // "LIB/patron" → e-mail
	members  map[string]*ill.ISOMember
	requests map[string]*ill.Request

	notices   []ill.Notice
	shipments []ill.Shipment
	arrived   []string
	returns   []string
	outbox    []ill.Message
	iso       []ill.ISOMessage
	events    []ill.Event
	calls     map[string]int
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		libs: map[string]*ill.Library{
			"THU": {Code: "THU", Email: "ill@thu", Locale: "zh"},
			"PKU": {Code: "PKU", Email: "ill@pku", Locale: "en"},
		},
		patrons:  map[string]string{"THU/P1": "p1@thu"},
		members:  map[string]*ill.ISOMember{},
		requests: map[string]*ill.Request{},
		calls:    map[string]int{},
	}
}

func (f *fakeStore) Library(_ context.Context, code string) (*ill.Library, error) {
	f.calls["Library"]++
	if l, ok := f.libs[code]; ok {
		return l, nil
	}
	return nil, ill.Errorf(ill.CodeNotFound, "library %s not found", code)
}

func (f *fakeStore) Patron(_ context.Context, library, id string) (ill.Patron, error) {
	f.calls["Patron"]++
	for k, e := range f.patrons { // the database compares ids without case
		if strings.EqualFold(k, library+"/"+id) {
			return ill.Patron{ID: id, Email: e}, nil
		}
	}
	return ill.Patron{ID: id}, nil
}

func (f *fakeStore) PatronEmails(_ context.Context, library string, ids []string) (map[string]string, error) {
	f.calls["PatronEmails"]++
	out := map[string]string{}
	for _, id := range ids {
		for k, e := range f.patrons { // the database compares ids without case
			if strings.EqualFold(k, library+"/"+id) {
				out[strings.ToLower(id)] = e
			}
		}
	}
	return out, nil
}

func (f *fakeStore) add(n ill.Notice) bool {
	for _, o := range f.notices {
		if o.RequestID == n.RequestID && o.Kind == n.Kind && o.Step == n.Step {
			return false
		}
	}
	f.notices = append(f.notices, n)
	return true
}

func (f *fakeStore) AddNotice(_ context.Context, n ill.Notice) (int64, bool, error) {
	f.calls["AddNotice"]++
	if !f.add(n) {
		return 0, false, nil
	}
	return int64(len(f.notices)), true, nil
}

func (f *fakeStore) AddNotices(_ context.Context, ns []ill.Notice) (int, error) {
	f.calls["AddNotices"]++
	added := 0
	for _, n := range ns {
		if f.add(n) {
			added++
			ref, _ := json.Marshal(map[string]int64{"notice_id": int64(len(f.notices))})
			f.outbox = append(f.outbox, ill.Message{ID: fmt.Sprintf("notice:%d", len(f.notices)), Type: ill.MsgNotice,
				Actor: ill.SystemActor, RequestID: n.RequestID, At: n.At, Body: ref})
		}
	}
	return added, nil
}

func (f *fakeStore) Enqueue(_ context.Context, m ill.Message) error {
	f.outbox = append(f.outbox, m)
	return nil
}

func (f *fakeStore) AddShipment(_ context.Context, s ill.Shipment) (int64, error) {
	f.shipments = append(f.shipments, s)
	return int64(len(f.shipments)), nil
}

func (f *fakeStore) ShipmentArrived(_ context.Context, requestID string, direction ill.Direction, _ time.Time) error {
	f.arrived = append(f.arrived, requestID+"/"+string(direction))
	return nil
}

func (f *fakeStore) RecordReturn(_ context.Context, rc ill.ReturnCheck) error {
	f.returns = append(f.returns, "return "+rc.ReturnCondition+" "+rc.ScannedBarcode)
	return nil
}

func (f *fakeStore) RecordCheckin(_ context.Context, rc ill.ReturnCheck) error {
	f.returns = append(f.returns, "checkin "+rc.CheckinCondition)
	return nil
}

func (f *fakeStore) RecordLost(_ context.Context, rc ill.ReturnCheck) error {
	f.returns = append(f.returns, "lost "+rc.Lender)
	return nil
}

func (f *fakeStore) ISOMember(_ context.Context, code string) (*ill.ISOMember, error) {
	f.calls["ISOMember"]++
	if m, ok := f.members[code]; ok {
		return m, nil
	}
	return &ill.ISOMember{Code: code}, nil
}

func (f *fakeStore) ISOSpeakers(context.Context) (map[string]bool, error) {
	f.calls["ISOSpeakers"]++
	out := map[string]bool{}
	for code, m := range f.members {
		out[code] = m.Speaks()
	}
	return out, nil
}

func (f *fakeStore) LockRequest(_ context.Context, id string) (*ill.Request, error) {
	f.calls["LockRequest"]++
	if r, ok := f.requests[id]; ok {
		return r, nil
	}
	return nil, ill.Errorf(ill.CodeNotFound, "request %s not found", id)
}

func (f *fakeStore) LocalIDOf(context.Context, string, int64) (string, error) { return "L1", nil }

func (f *fakeStore) AddISOMessage(_ context.Context, m ill.ISOMessage) (int64, error) {
	f.iso = append(f.iso, m)
	return int64(len(f.iso)), nil
}

func (f *fakeStore) AddEvent(_ context.Context, _, _ string, e ill.Event) error {
	f.events = append(f.events, e)
	return nil
}

var (
	_ noticeStore  = (*fakeStore)(nil)
	_ courierStore = (*fakeStore)(nil)
	_ isoStore     = (*fakeStore)(nil)
)

var subNow = time.Date(2026, 4, 3, 0, 10, 0, 0, ill.Shanghai)

func overdueChange(id, patron string) Change {
	r := &ill.Request{ID: id, Borrower: "THU", Lender: "PKU", PatronID: patron, Title: "电路", State: ill.OnLoan,
		DueAt: time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)}
	tr := ill.Expire(ill.TimerOverdue, r, subNow, ill.Facts{})
	return Change{Cause: ill.Message{ID: "timer:overdue:" + id, Actor: ill.SystemActor, At: subNow}, Request: r,
		Transition: tr, Brief: true}
}

// A sweep's batch of notices is written with one multi-row call and the
// recipients read per library, and it stores exactly what writing the
// changes one at a time stores.
func TestNoticeWriterBatchEqualsOneByOne(t *testing.T) {
	cs := []Change{overdueChange("ILL-1", "P1"), overdueChange("ILL-2", "p1"), overdueChange("ILL-3", "P9")}
	one, batch := newFakeStore(), newFakeStore()
	for _, c := range cs {
		if err := writeNotices(context.Background(), one, []Change{c}); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeNotices(context.Background(), batch, cs); err != nil {
		t.Fatal(err)
	}
	if len(one.notices) != 6 {
		t.Fatalf("one by one: %d notices, want 6 (reader and library × 3)", len(one.notices))
	}
	if fmt.Sprint(one.notices) != fmt.Sprint(batch.notices) {
		t.Errorf("batch differs from one by one:\n%v\n%v", batch.notices, one.notices)
	}
	if batch.calls["AddNotices"] != 1 || batch.calls["AddNotice"] != 0 || batch.calls["PatronEmails"] != 1 || batch.calls["Library"] != 1 {
		t.Errorf("batch calls %v, want one AddNotices, one PatronEmails, one Library", batch.calls)
	}
	got := map[string]string{}
	for _, n := range batch.notices {
		got[n.RequestID+"/"+n.Kind] = n.Recipient
	}
	want := map[string]string{"ILL-1/overdue": "p1@thu", "ILL-1/overdue_library": "ill@thu", "ILL-2/overdue": "p1@thu",
		"ILL-2/overdue_library": "ill@thu", "ILL-3/overdue": "", "ILL-3/overdue_library": "ill@thu"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("recipients %v, want %v", got, want)
	}
	if len(one.outbox) != 6 || len(batch.outbox) != 6 {
		t.Errorf("deliveries queued: %d one by one, %d batched; want 6", len(one.outbox), len(batch.outbox))
	}
}

// A notice text names the parties as they are after the transition, in
// the recipient library's locale.
func TestNoticeWriterRendersAfterTheTransition(t *testing.T) {
	st := newFakeStore()
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", Title: "电路"}
	c := Change{Cause: ill.Message{At: subNow}, Request: r, Transition: ill.Transition{Notices: []ill.NoticeOrder{
		{Kind: ill.NoticeNewRequest, Step: 2, Library: "PKU", Deadline: subNow}}}}
	if err := writeNotices(context.Background(), st, []Change{c}); err != nil {
		t.Fatal(err)
	}
	if len(st.notices) != 1 || st.notices[0].Locale != "en" || st.notices[0].Recipient != "ill@pku" ||
		!strings.Contains(st.notices[0].Body, "THU asks to borrow") || st.notices[0].Step != 2 {
		t.Errorf("notice %+v", st.notices)
	}
	if len(st.outbox) != 1 || st.outbox[0].ID != "notice:1" || st.outbox[0].Type != ill.MsgNotice {
		t.Errorf("outbox %+v", st.outbox)
	}
	// The same notice again (a rerun): stored once, queued once.
	if err := writeNotices(context.Background(), st, []Change{c}); err != nil || len(st.notices) != 1 || len(st.outbox) != 1 {
		t.Errorf("again: %v, %d notices, %d queued", err, len(st.notices), len(st.outbox))
	}
}

func TestCourierDispatch(t *testing.T) {
	due := time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", ItemBarcode: "B1", DueAt: due}
	st := newFakeStore()
	changes := []ill.Transition{
		{Shipment: &ill.ShipmentOrder{Direction: ill.DirForward, From: "PKU", To: "THU"}},
		{Events: []ill.DomainEvent{ill.StateChanged{}, ill.ItemArrived{Direction: ill.DirForward}}},
		{Events: []ill.DomainEvent{ill.ItemReturned{Condition: "good", Barcode: "B1"}}},
		{Events: []ill.DomainEvent{ill.ItemArrived{Direction: ill.DirReturn}, ill.ItemCheckedIn{Condition: "damaged"}}},
	}
	for _, tr := range changes {
		if err := dispatch(context.Background(), st, []Change{{Cause: ill.Message{At: subNow}, Request: r, Transition: tr}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(st.shipments) != 1 || st.shipments[0].RouteCode != "PKU-THU" || st.shipments[0].ItemBarcode != "B1" || st.shipments[0].Direction != "forward" {
		t.Errorf("shipments %+v", st.shipments)
	}
	if !slices.Equal(st.arrived, []string{"ILL-1/forward", "ILL-1/return"}) {
		t.Errorf("arrived %v", st.arrived)
	}
	if !slices.Equal(st.returns, []string{"return good B1", "checkin damaged"}) {
		t.Errorf("return facts %v", st.returns)
	}
	var ids []string
	for _, m := range st.outbox {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []string{"shipment:1", "return-check:ILL-1"}) {
		t.Errorf("queued %v", ids)
	}
	// A loss is settled only when there was a lender.
	st = newFakeStore()
	lost := ill.Transition{Events: []ill.DomainEvent{ill.ItemLost{}}}
	never := &ill.Request{ID: "ILL-2", Borrower: "THU"}
	if err := dispatch(context.Background(), st, []Change{{Request: never, Transition: lost}, {Request: r, Transition: lost}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.returns, []string{"lost PKU"}) || len(st.outbox) != 1 {
		t.Errorf("lost: %v, queued %v", st.returns, st.outbox)
	}
}

// A sweep's batch reads who speaks ISO 18626 once and reads in full only
// the requests of members that do.
func TestISOOutboundBatch(t *testing.T) {
	st := newFakeStore()
	st.members["THU"] = &ill.ISOMember{Code: "THU", Symbol: "ISIL:THU", Endpoint: "http://thu.example/iso"}
	cs := []Change{overdueChange("ILL-1", "P1"), overdueChange("ILL-2", "P2")}
	cs[1].Request.Borrower = "RUC" // not an ISO member
	full := *cs[0].Request
	full.State, full.ClientRequestID = ill.Overdue, "c-1"
	st.requests["ILL-1"] = &full
	// Already overdue: the next step's notices only, nothing to tell.
	again := overdueChange("ILL-3", "P3")
	again.Transition = ill.Transition{From: ill.Overdue, To: ill.Overdue, Notices: again.Transition.Notices}
	cs = append(cs, again)
	if err := (ISOOutbound{}).handle(context.Background(), st, cs); err != nil {
		t.Fatal(err)
	}
	if st.calls["ISOSpeakers"] != 1 || st.calls["LockRequest"] != 1 {
		t.Errorf("calls %v, want one ISOSpeakers and one LockRequest", st.calls)
	}
	if len(st.iso) != 1 || st.iso[0].LibraryCode != "THU" || st.iso[0].Summary != "StatusChange/Overdue" {
		t.Fatalf("messages %+v", st.iso)
	}
	if !strings.Contains(st.iso[0].Body, "<requestingAgencyRequestId>c-1</requestingAgencyRequestId>") {
		t.Errorf("the message is not written from the request read in full: %s", st.iso[0].Body)
	}
	if len(st.outbox) != 1 || st.outbox[0].Type != ill.MsgISO {
		t.Errorf("outbox %+v", st.outbox)
	}
}

// An ISO message that meets the request before the state it needs is
// retried (the transaction rolls back, the handler pauses) for its first
// deliveries, then refused and answered.
func TestISOOutboundAheadIsRetriedThenAnswered(t *testing.T) {
	r := &ill.Request{ID: "ILL-1", ClientRequestID: "c-1", Borrower: "THU", Lender: "PKU", State: ill.Requested}
	err := &ill.Error{Code: ill.CodeInvalidTransition, State: ill.Requested, Message: "cannot ship a request in state REQUESTED"}
	at := ill.Attempt{Action: ill.ActShip, From: ill.Requested, Actor: "PKU"}
	for _, c := range []struct {
		attempt int
		retried bool
	}{{1, true}, {2, true}, {3, false}} {
		st := newFakeStore()
		st.members["PKU"] = &ill.ISOMember{Code: "PKU", Endpoint: "http://pku.example/iso"}
		m := ill.Message{ID: "m1", Actor: "PKU", Action: ill.ActShip, Attempt: c.attempt,
			ISO: &ill.ISOContext{Kind: "supplyingAgencyMessage", What: "StatusChange/Loaned"}}
		got := (ISOOutbound{}).handle(context.Background(), st, []Change{{Cause: m, Request: r, Transition: ill.Refuse(at, err)}})
		var rl retryLater
		if errors.As(got, &rl) != c.retried {
			t.Errorf("attempt %d: %v, retried want %v", c.attempt, got, c.retried)
		}
		if c.retried {
			if ill.ErrorCode(got) != ill.CodeTransient || len(st.iso) != 0 {
				t.Errorf("attempt %d: %v, %d messages", c.attempt, got, len(st.iso))
			}
			continue
		}
		if got != nil || len(st.iso) != 1 || st.iso[0].LibraryCode != "PKU" || st.iso[0].Summary != "Notification" {
			t.Errorf("attempt %d: %v, messages %+v", c.attempt, got, st.iso)
		}
	}
}

// The second hub action of one ISO step follows a change the ISO message
// caused, not a refusal.
func TestISOOutboundThen(t *testing.T) {
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", State: ill.Received}
	m := ill.Message{ID: "m1", Actor: "THU", At: subNow,
		ISO: &ill.ISOContext{Kind: "requestingAgencyMessage", What: "Received", Then: ill.ActCheckout}}
	st := newFakeStore()
	moved := ill.Transition{Rule: ill.Rule{Action: ill.ActReceive}, From: ill.Shipped, To: ill.Received,
		Events: []ill.DomainEvent{ill.StateChanged{Action: ill.ActReceive, From: ill.Shipped, To: ill.Received}}}
	if err := (ISOOutbound{}).handle(context.Background(), st, []Change{{Cause: m, Request: r, Transition: moved}}); err != nil {
		t.Fatal(err)
	}
	if len(st.outbox) != 1 || st.outbox[0].ID != "m1:then" || st.outbox[0].Action != ill.ActCheckout || st.outbox[0].Actor != "THU" {
		t.Errorf("then: %+v", st.outbox)
	}
	st = newFakeStore()
	refused := ill.Refuse(ill.Attempt{Action: ill.ActReceive, From: ill.Received, Actor: "THU"}, errors.New("no"))
	if err := (ISOOutbound{}).handle(context.Background(), st, []Change{{Cause: m, Request: r, Transition: refused}}); err != nil {
		t.Fatal(err)
	}
	if len(st.outbox) != 0 {
		t.Errorf("then after a refusal: %+v", st.outbox)
	}
}
