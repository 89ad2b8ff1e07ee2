package notices_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/consumers/notices"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// fakeStore is an in-memory stand-in for the transaction the subscriber
// writes through: two libraries (THU in Chinese, PKU in English), one
// reader of THU, and a record of what is written and called.
type fakeStore struct {
	libs    map[string]*ill.Library
	patrons map[string]string // "LIB/patron" → e-mail

	notices []ill.Notice
	outbox  []ill.Message
	calls   map[string]int
}

var _ notices.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{
		libs: map[string]*ill.Library{
			"THU": {Code: "THU", Email: "ill@thu", Locale: "zh"},
			"PKU": {Code: "PKU", Email: "ill@pku", Locale: "en"},
		},
		patrons: map[string]string{"THU/P1": "p1@thu"},
		calls:   map[string]int{},
	}
}

func (f *fakeStore) Library(_ context.Context, code string) (*ill.Library, error) {
	f.calls["Library"]++
	if l, ok := f.libs[code]; ok {
		return l, nil
	}
	return nil, ill.Errorf(ill.CodeNotFound, "library %s not found", code)
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

// QueueNotice stores a reader's notice with the reader's registered
// address, as mysql.Tx.QueueNotice reads it in its INSERT … SELECT, and
// queues its delivery by key (whether or not the notice was new).
func (f *fakeStore) QueueNotice(_ context.Context, n ill.Notice) error {
	f.calls["QueueNotice"]++
	if n.PatronID != "" && n.Recipient == "" && n.ReaderOf != "" {
		for k, e := range f.patrons { // the database compares ids without case
			if strings.EqualFold(k, n.ReaderOf+"/"+n.PatronID) {
				n.Recipient = e
			}
		}
		n.ReaderOf = ""
	}
	f.add(n)
	ref := ill.NoticeRef{RequestID: n.RequestID, Kind: n.Kind, Step: n.Step}
	body, _ := json.Marshal(ref)
	return f.Enqueue(context.Background(), ill.Message{ID: ref.MessageID(), Type: ill.MsgNotice, Actor: ill.SystemActor,
		RequestID: n.RequestID, At: n.At, Body: body})
}

// AddNotices queues the deliveries of the notices it adds, as the
// database's does.
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

// Enqueue keeps one message per id, as the outbox's unique message id
// does.
func (f *fakeStore) Enqueue(_ context.Context, m ill.Message) error {
	for _, o := range f.outbox {
		if o.ID == m.ID {
			return nil
		}
	}
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
