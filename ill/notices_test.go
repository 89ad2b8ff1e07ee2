package ill_test

import (
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestOverdueStep(t *testing.T) {
	due := time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)
	cases := []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai), 0},
		{time.Date(2026, 4, 3, 0, 0, 1, 0, ill.Shanghai), 1},
		{time.Date(2026, 4, 3, 16, 30, 0, 0, time.UTC), 1}, // 00:30 on Apr 4 in Shanghai → day 2, still step 1
		{time.Date(2026, 4, 9, 12, 0, 0, 0, ill.Shanghai), 1},
		{time.Date(2026, 4, 10, 8, 0, 0, 0, ill.Shanghai), 8},
		{time.Date(2026, 4, 16, 8, 0, 0, 0, ill.Shanghai), 8},
		{time.Date(2026, 4, 17, 8, 0, 0, 0, ill.Shanghai), 15},
		{time.Date(2026, 5, 3, 8, 0, 0, 0, ill.Shanghai), 29}, // 31 days: after an outage, only the latest step
	}
	for _, c := range cases {
		if got := ill.OverdueStep(due, c.now, 1, 7); got != c.want {
			t.Errorf("OverdueStep(%v) = %d, want %d", c.now, got, c.want)
		}
	}
	if got := ill.OverdueStep(due, time.Date(2026, 4, 5, 9, 0, 0, 0, ill.Shanghai), 3, 5); got != 3 {
		t.Errorf("first=3: %d", got)
	}
}

func TestNoticeTextEveryKind(t *testing.T) {
	d := ill.NoticeData{RequestID: "ILL-1", Title: "数据库系统概论", Borrower: "THU", Lender: "PKU",
		Deadline: time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)}
	for _, k := range []string{ill.NoticeNewRequest, ill.NoticeArrived, ill.NoticeRecalled, ill.NoticeCancelRequested,
		ill.NoticeUnfilled, ill.NoticeNeedsMediation, ill.NoticeOverdue, ill.NoticeOverdueLibrary, ill.NoticeCourtesy, ill.NoticeShipLate} {
		for _, loc := range []string{"zh", "en"} {
			subj, body := ill.NoticeText(k, loc, d)
			if subj == k || subj == "" || body == "" {
				t.Errorf("%s/%s: no template", k, loc)
			}
			if !containsAll(body, "ILL-1", "数据库系统概论") {
				t.Errorf("%s/%s: body lacks request id or title: %s", k, loc, body)
			}
		}
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
