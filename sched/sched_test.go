package sched_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/service"
)

// loans stores ON_LOAN (or other) requests of THU from PKU due as given,
// each with its reader, as the bench does: no message, no consumer.
func loans(t *testing.T, st *mysql.Store, due map[string]time.Time, state ill.State) {
	t.Helper()
	ctx := context.Background()
	for id, at := range due {
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO patrons (library_code, patron_id, email, updated_at) VALUES ('THU', ?, ?, NOW())`,
			"P-"+id, id+"@reader"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state,
			lender, submitted_at, due_at, updated_at) VALUES (?, 'THU', ?, ?, '测试图书', ?, 'PKU', ?, ?, ?)`,
			id, "c-"+id, "P-"+id, string(state), at.Add(-30*24*time.Hour).UTC(), at.UTC(), at.Add(-30*24*time.Hour).UTC()); err != nil {
			t.Fatal(err)
		}
	}
}

func jobs(t *testing.T) (*sched.Jobs, *mysql.Store) {
	_, st := testenv.DB(t, "sched")
	testenv.LoadCalendar2026(t, st)
	testenv.Libraries(t, st, "THU", "PKU")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := &requests.Processor{Store: st, Eligibility: ill.DefaultEligibility, Calendar: &mysql.CalendarCache{Store: st},
		Subscribers: service.Subscribers("")}
	return &sched.Jobs{Store: st, Processor: p, Log: log, BatchSize: 2}, st
}

func dueOn(m time.Month, d int) time.Time { return time.Date(2026, m, d, 23, 59, 59, 0, ill.Shanghai) }

// The overdue job claims each loan in the window of its notice step:
// loans due on different days get the notices of their own step, loans
// marked OVERDUE before get only the next step's, and a rerun does
// nothing.
func TestOverdueStepsByWindow(t *testing.T) {
	j, st := jobs(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 0, 10, 0, 0, ill.Shanghai)
	loans(t, st, map[string]time.Time{
		"ILL-D1":  dueOn(4, 29), // day 2: step 1
		"ILL-D9":  dueOn(4, 21), // day 10: step 8
		"ILL-D16": dueOn(4, 14), // day 17: step 15
		"ILL-NOT": dueOn(5, 1),  // not yet due
		"ILL-TOD": dueOn(4, 30), // due yesterday: day 1, step 1
	}, ill.OnLoan)
	loans(t, st, map[string]time.Time{"ILL-OLD": dueOn(4, 9)}, ill.Overdue) // day 22: step 22
	n, err := j.Overdue(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("changed %d, want 5 (4 loans marked, 1 overdue notified)", n)
	}
	want := map[string]string{"ILL-D1": "OVERDUE 1", "ILL-D9": "OVERDUE 8", "ILL-D16": "OVERDUE 15", "ILL-NOT": "ON_LOAN -",
		"ILL-TOD": "OVERDUE 1", "ILL-OLD": "OVERDUE 22"}
	for id, w := range want {
		var state string
		var steps []int
		if err := st.DB.Get(&state, `SELECT state FROM requests WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Select(&steps, `SELECT step FROM notices WHERE request_id = ? AND kind = 'overdue'`, id); err != nil {
			t.Fatal(err)
		}
		got := state + " -"
		if len(steps) == 1 {
			got = state + " " + strconv.Itoa(steps[0])
		} else if len(steps) > 1 {
			got = state + " several"
		}
		if got != w {
			t.Errorf("%s: %s, want %s", id, got, w)
		}
	}
	var lib, events, outbox int
	_ = st.DB.Get(&lib, `SELECT COUNT(*) FROM notices WHERE kind = 'overdue_library' AND recipient <> ''`)
	_ = st.DB.Get(&events, `SELECT COUNT(*) FROM events WHERE action = 'overdue' AND actor = 'system' AND message_id LIKE 'timer:overdue:%'`)
	_ = st.DB.Get(&outbox, `SELECT COUNT(*) FROM outbox WHERE routing_key = 'notice.deliver'`)
	if lib != 5 || events != 4 || outbox != 10 {
		t.Errorf("library notices %d (want 5), overdue events %d (want 4), deliveries queued %d (want 10)", lib, events, outbox)
	}
	var reader string
	_ = st.DB.Get(&reader, `SELECT recipient FROM notices WHERE request_id = 'ILL-D9' AND kind = 'overdue'`)
	if reader != "ILL-D9@reader" {
		t.Errorf("reader notice to %q", reader)
	}
	if n, err := j.Overdue(ctx, now.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("rerun: %d, %v", n, err)
	}
}

func TestCourtesyOnce(t *testing.T) {
	j, st := jobs(t)
	ctx := context.Background()
	loans(t, st, map[string]time.Time{"ILL-A": dueOn(4, 2), "ILL-B": dueOn(4, 3)}, ill.OnLoan)
	loans(t, st, map[string]time.Time{"ILL-C": dueOn(4, 2)}, ill.Recalled)
	if n, err := j.Courtesy(ctx, time.Date(2026, 3, 29, 8, 0, 0, 0, ill.Shanghai)); err != nil || n != 0 {
		t.Fatalf("4 days before: %d, %v", n, err)
	}
	if n, err := j.Courtesy(ctx, time.Date(2026, 3, 30, 8, 0, 0, 0, ill.Shanghai)); err != nil || n != 2 {
		t.Fatalf("3 days before: %d, %v (want ILL-A and ILL-C)", n, err)
	}
	if n, err := j.Courtesy(ctx, time.Date(2026, 3, 31, 8, 0, 0, 0, ill.Shanghai)); err != nil || n != 1 {
		t.Fatalf("next day: %d, %v (want ILL-B only)", n, err)
	}
}
