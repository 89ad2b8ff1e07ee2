package sched_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// The monthly-summary job: nothing while the centre has it off or before
// the chosen working day; then one notice per member with the previous
// month's figures of that library, queued for delivery; a rerun (or the
// next day's run) creates nothing more.
func TestMonthlySummaryOncePerMember(t *testing.T) {
	j, st := jobs(t) // members THU and PKU
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	sh := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, ill.Shanghai) }
	// March: THU lent one book to PKU (asked Monday 03-02, shipped 03-03);
	// PKU could not supply one for THU (not held).
	exec(`INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state, lender, submitted_at, updated_at)
		VALUES ('ILL-M1', 'PKU', 'm1', 'P1', '书一', 'SHIPPED', 'THU', ?, ?), ('ILL-M2', 'THU', 'm2', 'P2', '书二', 'UNFILLED', 'PKU', ?, ?)`,
		sh(3, 2, 9).UTC(), sh(3, 3, 9).UTC(), sh(3, 2, 9).UTC(), sh(3, 2, 11).UTC())
	exec(`INSERT INTO rota (request_id, rank_no, library_code, outcome, reasons, asked_at, answered_at)
		VALUES ('ILL-M1', 1, 'THU', 'will_supply', '', ?, ?), ('ILL-M2', 1, 'PKU', 'unfilled', 'not_held', ?, ?)`,
		sh(3, 2, 9).UTC(), sh(3, 2, 10).UTC(), sh(3, 2, 9).UTC(), sh(3, 2, 11).UTC())
	exec(`INSERT INTO events (request_id, at, actor, action, from_state, to_state) VALUES ('ILL-M1', ?, 'THU', 'ship', 'WILL_SUPPLY', 'SHIPPED')`,
		sh(3, 3, 15).UTC())

	run := func(now time.Time) int {
		t.Helper()
		n, err := j.MonthlySummary(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Off by default.
	if n := run(sh(4, 2, 9)); n != 0 {
		t.Fatalf("off: %d notices", n)
	}
	if err := st.SetReportSchedule(ctx, ill.ReportSchedule{Enabled: true, WorkingDay: 2, ConsoleURL: "https://ill.example.edu.cn"}); err != nil {
		t.Fatal(err)
	}
	// April's 2nd working day is Thursday 04-02.
	if n := run(sh(4, 1, 9)); n != 0 {
		t.Fatalf("before the working day: %d notices", n)
	}
	if n := run(sh(4, 2, 8)); n != 2 {
		t.Fatalf("%d notices, want one per member (2)", n)
	}
	if n := run(sh(4, 2, 8)); n != 0 { // a rerun
		t.Fatalf("rerun: %d notices", n)
	}
	if n := run(sh(4, 3, 8)); n != 0 { // the next day's run
		t.Fatalf("next day: %d notices", n)
	}
	var notices []struct {
		RequestID string `db:"request_id"`
		Library   string `db:"library_code"`
		Recipient string `db:"recipient"`
		Body      string `db:"body"`
		ID        int64  `db:"id"`
	}
	if err := st.DB.SelectContext(ctx, &notices, `SELECT id, request_id, library_code, recipient, body FROM notices
		WHERE kind = ? ORDER BY library_code`, ill.NoticeMonthlySummary); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 2 || notices[0].Library != "PKU" || notices[1].Library != "THU" ||
		notices[1].RequestID != "summary-2026-03-THU" || notices[1].Recipient != "thu-ill@example.edu.cn" {
		t.Fatalf("notices %+v", notices)
	}
	thu, pku := notices[1].Body, notices[0].Body
	for _, want := range []string{"2026-03", "收到申请 1 件；已提供 1 件；未满足 0 件", "满足率：100.0%（全体成员馆：50.0%）",
		"借出 1 册，借入 0 册", "https://ill.example.edu.cn/console/reports?", "library=THU", "report=lenders"} {
		if !strings.Contains(thu, want) {
			t.Errorf("THU's summary lacks %q:\n%s", want, thu)
		}
	}
	for _, want := range []string{"未满足原因：无馆藏 1", "借出 0 册，借入 1 册，净借出 -1 册"} {
		if !strings.Contains(pku, want) {
			t.Errorf("PKU's summary lacks %q:\n%s", want, pku)
		}
	}
	var queued int
	if err := st.DB.GetContext(ctx, &queued, `SELECT COUNT(*) FROM outbox WHERE routing_key = ? AND message_id IN (?, ?)`,
		ill.MsgNotice, "notice:"+strconv.FormatInt(notices[0].ID, 10), "notice:"+strconv.FormatInt(notices[1].ID, 10)); err != nil || queued != 2 {
		t.Fatalf("queued deliveries %d %v", queued, err)
	}
	if n, err := st.MonthlySummaries(ctx, ill.Month{Year: 2026, Month: time.March}); err != nil || n != 2 {
		t.Fatalf("marks %d %v", n, err)
	}
}
