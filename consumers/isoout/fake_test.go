package isoout_test

import (
	"context"
	"time"

	"github.com/balis/illhub/consumers/isoout"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// fakeStore is an in-memory stand-in for the transaction the subscriber
// reads and writes through: the ISO members and requests it holds, and a
// record of what is written and called. A library not in members is a
// member without an endpoint (it does not speak ISO 18626).
type fakeStore struct {
	members  map[string]*ill.ISOMember
	requests map[string]*ill.Request

	iso    []ill.ISOMessage
	events []ill.Event
	outbox []ill.Message
	calls  map[string]int
}

var _ isoout.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{members: map[string]*ill.ISOMember{}, requests: map[string]*ill.Request{}, calls: map[string]int{}}
}

func (f *fakeStore) ISOMember(_ context.Context, code string) (*ill.ISOMember, error) {
	f.calls["ISOMember"]++
	if m, ok := f.members[code]; ok {
		return m, nil
	}
	return &ill.ISOMember{Code: code}, nil
}

func (f *fakeStore) Library(_ context.Context, code string) (*ill.Library, error) {
	f.calls["Library"]++
	return &ill.Library{Code: code, NameZH: code + "图书馆"}, nil
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

func (f *fakeStore) Enqueue(_ context.Context, m ill.Message) error {
	f.outbox = append(f.outbox, m)
	return nil
}

var subNow = time.Date(2026, 4, 3, 0, 10, 0, 0, ill.Shanghai)

// overdueChange is the overdue sweep's change of one loan of THU from PKU
// due the day before subNow.
func overdueChange(id, patron string) requests.Change {
	r := &ill.Request{ID: id, Borrower: "THU", Lender: "PKU", PatronID: patron, Title: "电路", State: ill.OnLoan,
		DueAt: time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)}
	tr := ill.Expire(ill.TimerOverdue, r, subNow, ill.Facts{})
	return requests.Change{Cause: ill.Message{ID: "timer:overdue:" + id, Actor: ill.SystemActor, At: subNow}, Request: r,
		Transition: tr, Brief: true}
}
