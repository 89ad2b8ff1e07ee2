package notices_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/balis/illhub/consumers/notices"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// A sweep's batch of notices is written with one multi-row call and the
// recipients read per library, and it stores exactly what writing the
// changes one at a time stores.
func TestSubscriberBatchEqualsOneByOne(t *testing.T) {
	cs := []requests.Change{overdueChange("ILL-1", "P1"), overdueChange("ILL-2", "p1"), overdueChange("ILL-3", "P9")}
	one, batch := newFakeStore(), newFakeStore()
	for _, c := range cs {
		if err := (notices.Subscriber{}).Write(context.Background(), one, []requests.Change{c}); err != nil {
			t.Fatal(err)
		}
	}
	if err := (notices.Subscriber{}).Write(context.Background(), batch, cs); err != nil {
		t.Fatal(err)
	}
	if len(one.notices) != 6 {
		t.Fatalf("one by one: %d notices, want 6 (reader and library × 3)", len(one.notices))
	}
	if fmt.Sprint(one.notices) != fmt.Sprint(batch.notices) {
		t.Errorf("batch differs from one by one:\n%v\n%v", batch.notices, one.notices)
	}
	if batch.calls["AddNotices"] != 1 || batch.calls["QueueNotice"] != 0 || batch.calls["PatronEmails"] != 1 || batch.calls["Library"] != 2 {
		t.Errorf("batch calls %v, want one AddNotices, one PatronEmails, one Library per library (THU, and PKU named in the text)", batch.calls)
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
func TestSubscriberRendersAfterTheTransition(t *testing.T) {
	st := newFakeStore()
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", Title: "电路"}
	c := requests.Change{Cause: ill.Message{At: subNow}, Request: r, Transition: ill.Transition{Notices: []ill.NoticeOrder{
		{Kind: ill.NoticeNewRequest, Step: 2, Library: "PKU", Deadline: subNow}}}}
	if err := (notices.Subscriber{}).Write(context.Background(), st, []requests.Change{c}); err != nil {
		t.Fatal(err)
	}
	if len(st.notices) != 1 || st.notices[0].Locale != "en" || st.notices[0].Recipient != "ill@pku" ||
		!strings.Contains(st.notices[0].Body, "THU asks to borrow") || st.notices[0].Step != 2 {
		t.Errorf("notice %+v", st.notices)
	}
	want := ill.NoticeRef{RequestID: "ILL-1", Kind: ill.NoticeNewRequest, Step: 2}
	if len(st.outbox) != 1 || st.outbox[0].ID != want.MessageID() || st.outbox[0].Type != ill.MsgNotice {
		t.Errorf("outbox %+v", st.outbox)
	}
	// The same notice again (a rerun): stored once, queued once.
	if err := (notices.Subscriber{}).Write(context.Background(), st, []requests.Change{c}); err != nil || len(st.notices) != 1 || len(st.outbox) != 1 {
		t.Errorf("again: %v, %d notices, %d queued", err, len(st.notices), len(st.outbox))
	}
}
