package notices_test

import (
	"context"
	"fmt"

	"github.com/balis/illhub/consumers/notices"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// A reader's loan became overdue: the transition orders a notice to the
// reader and one to the borrowing library. The subscriber stores each in
// the library's locale, addressed to the reader's and the library's
// e-mail, and queues their delivery (the notices pool sends them).
func ExampleSubscriber_Write() {
	st := newFakeStore() // THU writes in Chinese; its reader P1 is p1@thu
	r := &ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", PatronID: "P1", Title: "电路", State: ill.OnLoan,
		DueAt: subNow.AddDate(0, 0, -1)}
	change := requests.Change{Cause: ill.Message{ID: "timer:overdue:ILL-1", Actor: ill.SystemActor, At: subNow},
		Request: r, Transition: ill.Expire(ill.TimerOverdue, r, subNow, ill.Facts{})}

	if err := (notices.Subscriber{}).Write(context.Background(), st, []requests.Change{change}); err != nil {
		fmt.Println(err)
	}
	for _, n := range st.notices {
		fmt.Println(n.Kind, n.Step, n.Locale, n.Recipient, n.Subject)
	}
	for _, m := range st.outbox {
		fmt.Println(m.Type, string(m.Body))
	}
	// Output:
	// overdue 1 zh p1@thu 馆际互借图书超期通知
	// overdue_library 1 zh ill@thu 馆际互借图书超期通知
	// notice.deliver {"request_id":"ILL-1","kind":"overdue","step":1}
	// notice.deliver {"request_id":"ILL-1","kind":"overdue_library","step":1}
}
