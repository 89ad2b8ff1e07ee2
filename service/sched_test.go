package service_test

import (
	"context"
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
