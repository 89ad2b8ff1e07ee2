package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/worker"
)

func (h *harness) jobs() []sched.Job {
	p := &worker.Processor{Store: h.st, Log: h.log, Eligibility: ill.DefaultEligibility, RotaLength: 5,
		Calendar: &mysql.CalendarCache{Store: h.st}}
	return (&sched.Jobs{Store: h.st, Processor: p, Log: h.log, BatchSize: 2}).All(nil)
}

func runJob(t *testing.T, jobs []sched.Job, name string, now time.Time) int {
	t.Helper()
	j, err := sched.Find(jobs, name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := j.Run(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRespondDeadlineMovesToNextLenderOnce(t *testing.T) {
	h := newHarness(t, 3)
	h.startConsumers(nil)
	rec := testenv.Record(t, h.st, "", "材料力学", "刘鸿文",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	// Friday 2026-02-13 10:00: PKU must answer by Saturday 2026-02-14 (adjusted working day).
	h.clock.Set(shanghai(2026, 2, 13, 10, 0))
	var ids []string
	for _, c := range []string{"d-1", "d-2", "d-3"} { // 3 requests, batch size 2: paging is exercised
		ids = append(ids, h.submit("THU", c, "D"+c, rec))
	}
	for _, id := range ids {
		b := h.waitState(id, "THU", ill.Requested)
		if b["respond_by"] != "2026-02-14T23:59:59+08:00" || b["lender"] != "PKU" {
			t.Fatalf("before the deadline: %v %v", b["lender"], b["respond_by"])
		}
	}
	jobs := h.jobs()
	if n := runJob(t, jobs, "respond-deadline", shanghai(2026, 2, 14, 23, 0)); n != 0 {
		t.Fatalf("before the deadline the job changed %d", n)
	}
	// Catch-up after an outage: run as of Tuesday 2026-02-24 09:00.
	now := shanghai(2026, 2, 24, 9, 0)
	if n := runJob(t, jobs, "respond-deadline", now); n != 3 {
		t.Fatalf("changed %d, want 3", n)
	}
	runJob(t, jobs, "respond-deadline", now) // a second instance or a rerun: no effect
	for _, id := range ids {
		b := h.waitState(id, "THU", ill.Requested)
		if b["lender"] != "RUC" || b["respond_by"] != "2026-02-25T23:59:59+08:00" {
			t.Fatalf("after the deadline: lender %v respond_by %v", b["lender"], b["respond_by"])
		}
		if b["rota"].([]any)[0].(map[string]any)["outcome"] != "no_response" {
			t.Errorf("rota %v", b["rota"])
		}
		var n int
		_ = h.st.DB.Get(&n, `SELECT COUNT(*) FROM events WHERE request_id = ? AND action = 'respond_deadline'`, id)
		if n != 2 { // the no_response line and the move to the next lender
			t.Errorf("respond_deadline events = %d, want 2", n)
		}
	}
}

func TestOverdueJob(t *testing.T) {
	h := newHarness(t, 3)
	h.startConsumers(nil)
	rec := testenv.Record(t, h.st, "", "电路", "邱关源", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.submit("THU", "o-1", "O1", rec)
	h.waitState(id, "THU", ill.Requested)
	b := h.advanceToOnLoan(id, "PKU", "THU")
	if b["due_at"] != "2026-04-02T23:59:59+08:00" {
		t.Fatalf("due %v", b["due_at"])
	}
	jobs := h.jobs()
	if n := runJob(t, jobs, "overdue", shanghai(2026, 4, 2, 23, 59)); n != 0 {
		t.Fatalf("not yet overdue, changed %d", n)
	}
	if n := runJob(t, jobs, "overdue", shanghai(2026, 4, 3, 0, 5)); n != 1 {
		t.Fatalf("changed %d", n)
	}
	h.waitState(id, "THU", ill.Overdue)
	h.act(id, "return", "THU", map[string]any{"condition": "good"}, 202)
	h.waitState(id, "THU", ill.Returned)
}

// loanDue creates n requests by THU from PKU, all ON_LOAN with due_at as given.
func (h *harness) loansDue(n int, prefix string, checkout time.Time) []string {
	h.t.Helper()
	rec := testenv.Record(h.t, h.st, "", "loan "+prefix, "作者", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	h.clock.Set(checkout)
	var ids []string
	for i := 0; i < n; i++ {
		id := h.submit("THU", fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s-P%d", prefix, i), rec)
		h.waitState(id, "THU", ill.Requested)
		h.advanceToOnLoan(id, "PKU", "THU")
		ids = append(ids, id)
	}
	return ids
}

func countNotices(t *testing.T, h *harness, kind string, step int) int {
	t.Helper()
	var n int
	if err := h.st.DB.Get(&n, `SELECT COUNT(*) FROM notices WHERE kind = ? AND step = ?`, kind, step); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOverdueNoticesOnTheRightDaysOnceWithTwoSchedulers(t *testing.T) {
	h := newHarness(t, 3)
	h.startConsumers(nil)
	// Checked out Monday 2026-03-02: due Thursday 2026-04-02 23:59:59.
	ids := h.loansDue(5, "od", shanghai(2026, 3, 2, 10, 0))
	// Two scheduler instances (batch size 2) run the same job at once, twice.
	runBoth := func(now time.Time) {
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 2; k++ {
					job, _ := sched.Find(h.jobs(), "overdue")
					if _, err := job.Run(context.Background(), now); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	runBoth(shanghai(2026, 4, 2, 23, 0)) // not yet due
	if n := countNotices(t, h, "overdue", 1); n != 0 {
		t.Fatalf("notices before due: %d", n)
	}
	runBoth(shanghai(2026, 4, 3, 0, 10)) // day 1
	if n, m := countNotices(t, h, "overdue", 1), countNotices(t, h, "overdue_library", 1); n != 5 || m != 5 {
		t.Fatalf("day 1: reader notices %d, library notices %d; want 5 and 5", n, m)
	}
	for _, id := range ids {
		h.waitState(id, "THU", ill.Overdue)
		var evs int
		_ = h.st.DB.Get(&evs, `SELECT COUNT(*) FROM events WHERE request_id = ? AND action = 'overdue'`, id)
		if evs != 1 {
			t.Errorf("%s: overdue events %d", id, evs)
		}
	}
	runBoth(shanghai(2026, 4, 9, 0, 10)) // day 7: nothing new
	if n := countNotices(t, h, "overdue", 8); n != 0 {
		t.Fatalf("day 7 sent step-8 notices: %d", n)
	}
	runBoth(shanghai(2026, 4, 10, 0, 10)) // day 8
	if n := countNotices(t, h, "overdue", 8); n != 5 {
		t.Fatalf("day 8: %d", n)
	}
	// The notices reach the notifier (outbox relay → notices queue).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var pending int
		_ = h.st.DB.Get(&pending, `SELECT COUNT(*) FROM notices WHERE kind LIKE 'overdue%' AND status = 'pending'`)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d overdue notices never delivered", pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var total int
	_ = h.st.DB.Get(&total, `SELECT COUNT(*) FROM notices WHERE kind LIKE 'overdue%'`)
	if total != 20 {
		t.Fatalf("overdue notices in all: %d, want 20 (5 loans × 2 recipients × 2 steps)", total)
	}
}

func TestShipDeadlineNoticeThenMovesOn(t *testing.T) {
	h := newHarness(t, 3)
	h.startConsumers(nil)
	rec := testenv.Record(t, h.st, "", "工程制图", "何铭新",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	h.clock.Set(shanghai(2026, 2, 13, 10, 0)) // Friday before the Spring Festival
	id := h.submit("THU", "s-1", "S1", rec)
	b := h.waitState(id, "THU", ill.Requested)
	lender := b["lender"].(string)
	h.act(id, "respond", lender, map[string]any{"decision": "will_supply"}, 202)
	b = h.waitState(id, "THU", ill.WillSupply)
	if b["ship_by"] != "2026-02-25T23:59:59+08:00" {
		t.Fatalf("ship_by = %v, want after the Spring Festival (2026-02-25)", b["ship_by"])
	}
	jobs := h.jobs()
	if n := runJob(t, jobs, "ship-deadline", shanghai(2026, 2, 25, 23, 0)); n != 0 {
		t.Fatalf("before ship_by: %d", n)
	}
	runJob(t, jobs, "ship-deadline", shanghai(2026, 2, 26, 9, 0)) // late: notice only
	var notices int
	_ = h.st.DB.Get(&notices, `SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'ship_late' AND library_code = ?`, id, lender)
	if notices != 1 {
		t.Fatalf("ship_late notices = %d", notices)
	}
	// 2 further working days: Feb 26 and Feb 27; Feb 28 (Sat) is an adjusted working day too.
	runJob(t, jobs, "ship-deadline", shanghai(2026, 2, 27, 23, 0))
	h.waitState(id, "THU", ill.WillSupply)
	if n := runJob(t, jobs, "ship-deadline", shanghai(2026, 2, 28, 0, 5)); n != 1 {
		t.Fatalf("after the grace period: %d", n)
	}
	b = h.waitFor(id, "THU", "next lender", func(b map[string]any) bool { return b["state"] == "REQUESTED" && b["lender"] != lender })
	if b["rota"].([]any)[0].(map[string]any)["outcome"] != "not_shipped" {
		t.Errorf("rota %v", b["rota"])
	}
}

func TestCourtesyRollupAndCoverage(t *testing.T) {
	h := newHarness(t, 3)
	h.startConsumers(nil)
	ids := h.loansDue(3, "ct", shanghai(2026, 3, 2, 10, 0)) // due 2026-04-02
	jobs := h.jobs()
	if n := runJob(t, jobs, "courtesy", shanghai(2026, 3, 29, 8, 0)); n != 0 {
		t.Fatalf("4 days before: %d", n)
	}
	if n := runJob(t, jobs, "courtesy", shanghai(2026, 3, 30, 8, 0)); n != 3 {
		t.Fatalf("3 days before: %d", n)
	}
	if n := runJob(t, jobs, "courtesy", shanghai(2026, 3, 31, 8, 0)); n != 0 {
		t.Fatalf("again: %d", n)
	}
	// Roll-up of 2026-03-02: THU borrowed 3, PKU lent 3 and shipped 3, THU received 3.
	for i := 0; i < 2; i++ { // a rerun replaces the day
		runJob(t, jobs, "rollup", shanghai(2026, 3, 3, 1, 30))
	}
	var s struct {
		Borrowed, Lent, Filled, Received int
		Turn                             int64 `db:"turnaround_sum_s"`
	}
	if err := h.st.DB.Get(&s, `SELECT SUM(borrowed) AS borrowed, SUM(lent) AS lent, SUM(filled) AS filled,
		SUM(received) AS received, SUM(turnaround_sum_s) AS turnaround_sum_s FROM stats_daily WHERE day = '2026-03-02'`); err != nil {
		t.Fatal(err)
	}
	var direct int
	_ = h.st.DB.Get(&direct, `SELECT COUNT(*) FROM requests WHERE borrower = 'THU' AND submitted_at >= '2026-03-01 16:00:00' AND submitted_at < '2026-03-02 16:00:00'`)
	if s.Borrowed != direct || s.Borrowed != len(ids) || s.Lent != 3 || s.Filled != 3 || s.Received != 3 {
		t.Fatalf("roll-up %+v, direct count %d", s, direct)
	}
	var rows int
	_ = h.st.DB.Get(&rows, `SELECT COUNT(*) FROM stats_daily WHERE day = '2026-03-02'`)
	if rows != 2 { // THU and PKU
		t.Fatalf("rows for the day: %d", rows)
	}
	// Calendar: only 2026 is loaded.
	if n := runJob(t, jobs, "calendar-coverage", shanghai(2026, 11, 28, 7, 0)); n != 33 {
		t.Fatalf("days ahead = %d, want 33 (to 2026-12-31)", n)
	}
}

// A library closure applies to deadlines computed after it is recorded;
// deadlines already set stay where they are.
func TestClosureAppliesToNewDeadlinesOnly(t *testing.T) {
	h := newHarness(t, 3)
	h.startConsumers(nil)
	rec := testenv.Record(t, h.st, "", "自动控制原理", "胡寿松", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	// Monday 2026-03-02: PKU answers by Tuesday.
	before := h.submit("THU", "cl-1", "C1", rec)
	if b := h.waitState(before, "THU", ill.Requested); b["respond_by"] != "2026-03-03T23:59:59+08:00" {
		t.Fatalf("respond_by %v", b["respond_by"])
	}
	from, _ := ill.ParseDate("2026-03-03")
	to, _ := ill.ParseDate("2026-03-05")
	if err := h.st.AddClosure(context.Background(), "PKU", ill.DateRange{From: from, To: to}, "设备检修"); err != nil {
		t.Fatal(err)
	}
	after := h.submit("RUC", "cl-2", "C2", rec)
	if b := h.waitState(after, "RUC", ill.Requested); b["respond_by"] != "2026-03-06T23:59:59+08:00" {
		t.Fatalf("new request's respond_by %v, want 2026-03-06 (PKU closed 3–5 March)", b["respond_by"])
	}
	if b := h.waitState(before, "THU", ill.Requested); b["respond_by"] != "2026-03-03T23:59:59+08:00" {
		t.Fatalf("existing deadline moved: %v", b["respond_by"])
	}
}
