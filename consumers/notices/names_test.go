package notices_test

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/consumers/notices"
	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
)

// Notice texts name the libraries by name in the recipient's language,
// not by code; a library without an English name is named in Chinese, a
// code that is no member stays a code.
func TestNoticeTextsNameLibraries(t *testing.T) {
	st := newFakeStore()
	st.libs["THU"].NameZH, st.libs["THU"].NameEN = "清华大学图书馆", "Tsinghua University Library"
	st.libs["PKU"].NameZH = "北京大学图书馆"
	for _, c := range []struct {
		req   *ill.Request
		order ill.NoticeOrder
		want  string
	}{
		{&ill.Request{ID: "ILL-1", Borrower: "THU", Lender: "PKU", Title: "电路"},
			ill.NoticeOrder{Kind: ill.NoticeNewRequest, Step: 1, Library: "PKU", Deadline: subNow}, "Tsinghua University Library asks to borrow"},
		{&ill.Request{ID: "ILL-2", Borrower: "THU", Lender: "PKU", Title: "电路"},
			ill.NoticeOrder{Kind: ill.NoticeOverdueLibrary, Library: "THU", Deadline: subNow}, "清华大学图书馆 读者"},
		{&ill.Request{ID: "ILL-3", Borrower: "PKU", Lender: "XYZ", Title: "电路"},
			ill.NoticeOrder{Kind: ill.NoticeCourierException, Library: "PKU", Deadline: subNow}, "XYZ → 北京大学图书馆"},
	} {
		ch := requests.Change{Cause: ill.Message{At: subNow}, Request: c.req, Transition: ill.Transition{Notices: []ill.NoticeOrder{c.order}}}
		if err := (notices.Subscriber{}).Write(context.Background(), st, []requests.Change{ch}); err != nil {
			t.Fatal(err)
		}
		n := st.notices[len(st.notices)-1]
		if n.RequestID != c.req.ID || !strings.Contains(n.Body, c.want) {
			t.Errorf("%s: body %q, want it to contain %q", c.req.ID, n.Body, c.want)
		}
	}
}
