package sched_test

// The scheduler's jobs end to end against the real MariaDB and RabbitMQ,
// with the consumers running: deadlines, overdue and courtesy notices, two
// schedulers at once, roll-up, calendar coverage and closures.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/sched"
)

func TestRespondDeadlineMovesToNextLenderOnce(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "材料力学", "刘鸿文",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	// Friday 2026-02-13 10:00: PKU must answer by Saturday 2026-02-14 (adjusted working day).
	h.Clock.Set(harness.Shanghai(2026, 2, 13, 10, 0))
	var ids []string
	for _, c := range []string{"d-1", "d-2", "d-3"} { // 3 requests, batch size 2: paging is exercised
		ids = append(ids, h.Submit("THU", c, "D"+c, rec))
	}
	for _, id := range ids {
		b := h.WaitState(id, "THU", ill.Requested)
		if b["respond_by"] != "2026-02-14T23:59:59+08:00" || b["lender"] != "PKU" {
			t.Fatalf("before the deadline: %v %v", b["lender"], b["respond_by"])
		}
	}
	jobs := h.Jobs()
	if n := harness.RunJob(t, jobs, "respond-deadline", harness.Shanghai(2026, 2, 14, 23, 0)); n != 0 {
		t.Fatalf("before the deadline the job changed %d", n)
	}
	// Catch-up after an outage: run as of Tuesday 2026-02-24 09:00.
	now := harness.Shanghai(2026, 2, 24, 9, 0)
	if n := harness.RunJob(t, jobs, "respond-deadline", now); n != 3 {
		t.Fatalf("changed %d, want 3", n)
	}
	harness.RunJob(t, jobs, "respond-deadline", now) // a second instance or a rerun: no effect
	for _, id := range ids {
		b := h.WaitState(id, "THU", ill.Requested)
		if b["lender"] != "RUC" || b["respond_by"] != "2026-02-25T23:59:59+08:00" {
			t.Fatalf("after the deadline: lender %v respond_by %v", b["lender"], b["respond_by"])
		}
		if b["rota"].([]any)[0].(map[string]any)["outcome"] != "no_response" {
			t.Errorf("rota %v", b["rota"])
		}
		var n int
		_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM events WHERE request_id = ? AND action = 'respond_deadline'`, id)
		if n != 2 { // the no_response line and the move to the next lender
			t.Errorf("respond_deadline events = %d, want 2", n)
		}
	}
}

func TestOverdueJob(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "电路", "邱关源", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "o-1", "O1", rec)
	h.WaitState(id, "THU", ill.Requested)
	b := h.AdvanceToOnLoan(id, "PKU", "THU")
	if b["due_at"] != "2026-04-02T23:59:59+08:00" {
		t.Fatalf("due %v", b["due_at"])
	}
	jobs := h.Jobs()
	if n := harness.RunJob(t, jobs, "overdue", harness.Shanghai(2026, 4, 2, 23, 59)); n != 0 {
		t.Fatalf("not yet overdue, changed %d", n)
	}
	if n := harness.RunJob(t, jobs, "overdue", harness.Shanghai(2026, 4, 3, 0, 5)); n != 1 {
		t.Fatalf("changed %d", n)
	}
	h.WaitState(id, "THU", ill.Overdue)
	h.Act(id, "return", "THU", map[string]any{"condition": "good"}, 202)
	h.WaitState(id, "THU", ill.Returned)
}

// loanDue creates n requests by THU from PKU, all ON_LOAN with due_at as given.
func loansDue(h *harness.Harness, n int, prefix string, checkout time.Time) []string {
	h.T.Helper()
	rec := testenv.Record(h.T, h.St, "", "loan "+prefix, "作者", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	h.Clock.Set(checkout)
	var ids []string
	for i := 0; i < n; i++ {
		id := h.Submit("THU", fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s-P%d", prefix, i), rec)
		h.WaitState(id, "THU", ill.Requested)
		h.AdvanceToOnLoan(id, "PKU", "THU")
		ids = append(ids, id)
	}
	return ids
}

func countNotices(t *testing.T, h *harness.Harness, kind string, step int) int {
	t.Helper()
	var n int
	if err := h.St.DB.Get(&n, `SELECT COUNT(*) FROM notices WHERE kind = ? AND step = ?`, kind, step); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOverdueNoticesOnTheRightDaysOnceWithTwoSchedulers(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	// Checked out Monday 2026-03-02: due Thursday 2026-04-02 23:59:59.
	ids := loansDue(h, 5, "od", harness.Shanghai(2026, 3, 2, 10, 0))
	// Two scheduler instances (batch size 2) run the same job at once, twice.
	runBoth := func(now time.Time) {
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 2; k++ {
					job, _ := sched.Find(h.Jobs(), "overdue")
					if _, err := job.Run(context.Background(), now); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	runBoth(harness.Shanghai(2026, 4, 2, 23, 0)) // not yet due
	if n := countNotices(t, h, "overdue", 1); n != 0 {
		t.Fatalf("notices before due: %d", n)
	}
	runBoth(harness.Shanghai(2026, 4, 3, 0, 10)) // day 1
	if n, m := countNotices(t, h, "overdue", 1), countNotices(t, h, "overdue_library", 1); n != 5 || m != 5 {
		t.Fatalf("day 1: reader notices %d, library notices %d; want 5 and 5", n, m)
	}
	for _, id := range ids {
		h.WaitState(id, "THU", ill.Overdue)
		var evs int
		_ = h.St.DB.Get(&evs, `SELECT COUNT(*) FROM events WHERE request_id = ? AND action = 'overdue'`, id)
		if evs != 1 {
			t.Errorf("%s: overdue events %d", id, evs)
		}
	}
	runBoth(harness.Shanghai(2026, 4, 9, 0, 10)) // day 7: nothing new
	if n := countNotices(t, h, "overdue", 8); n != 0 {
		t.Fatalf("day 7 sent step-8 notices: %d", n)
	}
	runBoth(harness.Shanghai(2026, 4, 10, 0, 10)) // day 8
	if n := countNotices(t, h, "overdue", 8); n != 5 {
		t.Fatalf("day 8: %d", n)
	}
	// The notices reach the notifier (outbox relay → notices queue).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var pending int
		_ = h.St.DB.Get(&pending, `SELECT COUNT(*) FROM notices WHERE kind LIKE 'overdue%' AND status = 'pending'`)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d overdue notices never delivered", pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var total int
	_ = h.St.DB.Get(&total, `SELECT COUNT(*) FROM notices WHERE kind LIKE 'overdue%'`)
	if total != 20 {
		t.Fatalf("overdue notices in all: %d, want 20 (5 loans × 2 recipients × 2 steps)", total)
	}
}

func TestShipDeadlineNoticeThenMovesOn(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "工程制图", "何铭新",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	h.Clock.Set(harness.Shanghai(2026, 2, 13, 10, 0)) // Friday before the Spring Festival
	id := h.Submit("THU", "s-1", "S1", rec)
	b := h.WaitState(id, "THU", ill.Requested)
	lender := b["lender"].(string)
	h.Act(id, "respond", lender, map[string]any{"decision": "will_supply"}, 202)
	b = h.WaitState(id, "THU", ill.WillSupply)
	if b["ship_by"] != "2026-02-25T23:59:59+08:00" {
		t.Fatalf("ship_by = %v, want after the Spring Festival (2026-02-25)", b["ship_by"])
	}
	jobs := h.Jobs()
	if n := harness.RunJob(t, jobs, "ship-deadline", harness.Shanghai(2026, 2, 25, 23, 0)); n != 0 {
		t.Fatalf("before ship_by: %d", n)
	}
	harness.RunJob(t, jobs, "ship-deadline", harness.Shanghai(2026, 2, 26, 9, 0)) // late: notice only
	var notices int
	_ = h.St.DB.Get(&notices, `SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'ship_late' AND library_code = ?`, id, lender)
	if notices != 1 {
		t.Fatalf("ship_late notices = %d", notices)
	}
	// 2 further working days: Feb 26 and Feb 27; Feb 28 (Sat) is an adjusted working day too.
	harness.RunJob(t, jobs, "ship-deadline", harness.Shanghai(2026, 2, 27, 23, 0))
	h.WaitState(id, "THU", ill.WillSupply)
	if n := harness.RunJob(t, jobs, "ship-deadline", harness.Shanghai(2026, 2, 28, 0, 5)); n != 1 {
		t.Fatalf("after the grace period: %d", n)
	}
	b = h.WaitFor(id, "THU", "next lender", func(b map[string]any) bool { return b["state"] == "REQUESTED" && b["lender"] != lender })
	if b["rota"].([]any)[0].(map[string]any)["outcome"] != "not_shipped" {
		t.Errorf("rota %v", b["rota"])
	}
}

func TestCourtesyRollupAndCoverage(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	ids := loansDue(h, 3, "ct", harness.Shanghai(2026, 3, 2, 10, 0)) // due 2026-04-02
	jobs := h.Jobs()
	if n := harness.RunJob(t, jobs, "courtesy", harness.Shanghai(2026, 3, 29, 8, 0)); n != 0 {
		t.Fatalf("4 days before: %d", n)
	}
	if n := harness.RunJob(t, jobs, "courtesy", harness.Shanghai(2026, 3, 30, 8, 0)); n != 3 {
		t.Fatalf("3 days before: %d", n)
	}
	if n := harness.RunJob(t, jobs, "courtesy", harness.Shanghai(2026, 3, 31, 8, 0)); n != 0 {
		t.Fatalf("again: %d", n)
	}
	// Roll-up of 2026-03-02: THU borrowed 3, PKU lent 3 and shipped 3, THU received 3.
	for i := 0; i < 2; i++ { // a rerun replaces the day
		harness.RunJob(t, jobs, "rollup", harness.Shanghai(2026, 3, 3, 1, 30))
	}
	var s struct {
		Borrowed, Lent, Filled, Received int
		Turn                             int64 `db:"turnaround_sum_s"`
	}
	if err := h.St.DB.Get(&s, `SELECT SUM(borrowed) AS borrowed, SUM(lent) AS lent, SUM(filled) AS filled,
		SUM(received) AS received, SUM(turnaround_sum_s) AS turnaround_sum_s FROM stats_daily WHERE day = '2026-03-02'`); err != nil {
		t.Fatal(err)
	}
	var direct int
	_ = h.St.DB.Get(&direct, `SELECT COUNT(*) FROM requests WHERE borrower = 'THU' AND submitted_at >= '2026-03-01 16:00:00' AND submitted_at < '2026-03-02 16:00:00'`)
	if s.Borrowed != direct || s.Borrowed != len(ids) || s.Lent != 3 || s.Filled != 3 || s.Received != 3 {
		t.Fatalf("roll-up %+v, direct count %d", s, direct)
	}
	var rows int
	_ = h.St.DB.Get(&rows, `SELECT COUNT(*) FROM stats_daily WHERE day = '2026-03-02'`)
	if rows != 2 { // THU and PKU
		t.Fatalf("rows for the day: %d", rows)
	}
	// Calendar: only 2026 is loaded.
	if n := harness.RunJob(t, jobs, "calendar-coverage", harness.Shanghai(2026, 11, 28, 7, 0)); n != 33 {
		t.Fatalf("days ahead = %d, want 33 (to 2026-12-31)", n)
	}
}

// A library closure applies to deadlines computed after it is recorded;
// deadlines already set stay where they are.
func TestClosureAppliesToNewDeadlinesOnly(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "自动控制原理", "胡寿松", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	// Monday 2026-03-02: PKU answers by Tuesday.
	before := h.Submit("THU", "cl-1", "C1", rec)
	if b := h.WaitState(before, "THU", ill.Requested); b["respond_by"] != "2026-03-03T23:59:59+08:00" {
		t.Fatalf("respond_by %v", b["respond_by"])
	}
	from, _ := ill.ParseDate("2026-03-03")
	to, _ := ill.ParseDate("2026-03-05")
	if err := h.St.AddClosure(context.Background(), "PKU", ill.DateRange{From: from, To: to}, "设备检修"); err != nil {
		t.Fatal(err)
	}
	after := h.Submit("RUC", "cl-2", "C2", rec)
	if b := h.WaitState(after, "RUC", ill.Requested); b["respond_by"] != "2026-03-06T23:59:59+08:00" {
		t.Fatalf("new request's respond_by %v, want 2026-03-06 (PKU closed 3–5 March)", b["respond_by"])
	}
	if b := h.WaitState(before, "THU", ill.Requested); b["respond_by"] != "2026-03-03T23:59:59+08:00" {
		t.Fatalf("existing deadline moved: %v", b["respond_by"])
	}
}
