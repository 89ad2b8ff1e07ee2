package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// The catch-up command as ops type it: run-once JOB --now.
func TestRunOnceRespondDeadline(t *testing.T) {
	dsn, st := testenv.DB(t, "schedcli")
	testenv.LoadCalendar2026(t, st)
	testenv.Libraries(t, st, "THU", "PKU", "RUC")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	t.Setenv("ILL_LOG_LEVEL", "error")
	// A request with PKU since Friday 2026-02-13, due an answer by Saturday 2026-02-14 (调休).
	rec := testenv.Record(t, st, "", "编译原理", "陈火旺",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true}, testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	submitted := time.Date(2026, 2, 13, 10, 0, 0, 0, ill.Shanghai).UTC()
	respondBy := time.Date(2026, 2, 14, 23, 59, 59, 0, ill.Shanghai).UTC()
	mustExec(t)(st.DB.Exec(`INSERT INTO requests (id, borrower, client_request_id, patron_id, record_id, title, state, lender,
		submitted_at, respond_by, updated_at) VALUES ('ILL-CLI', 'THU', 'cli-1', 'P1', ?, '编译原理', 'REQUESTED', 'PKU', ?, ?, ?)`,
		rec, submitted, respondBy, submitted))
	mustExec(t)(st.DB.Exec(`INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at) VALUES
		('ILL-CLI', 1, 'PKU', 'asked', ?), ('ILL-CLI', 2, 'RUC', 'pending', NULL)`, submitted))

	var out bytes.Buffer
	if err := run(context.Background(), []string{"run-once", "respond-deadline", "--now", "2026-02-14T23:00:00+08:00"}, &out); err != nil {
		t.Fatal(err)
	}
	var lender string
	_ = st.DB.Get(&lender, `SELECT lender FROM requests WHERE id = 'ILL-CLI'`)
	if lender != "PKU" || !strings.Contains(out.String(), ": 0 ") {
		t.Fatalf("before the deadline: lender %s, output %q", lender, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"run-once", "respond-deadline", "--now", "2026-02-15T00:05:00+08:00"}, &out); err != nil {
		t.Fatal(err)
	}
	var newBy time.Time
	_ = st.DB.Get(&lender, `SELECT lender FROM requests WHERE id = 'ILL-CLI'`)
	_ = st.DB.Get(&newBy, `SELECT respond_by FROM requests WHERE id = 'ILL-CLI'`)
	// Feb 15 is the first day of the Spring Festival: RUC's window ends on Feb 24.
	if lender != "RUC" || !newBy.Equal(time.Date(2026, 2, 24, 23, 59, 59, 0, ill.Shanghai)) {
		t.Fatalf("after the deadline: lender %s, respond_by %v; output %q", lender, newBy.In(ill.Shanghai), out.String())
	}
	if err := run(context.Background(), []string{"run-once", "no-such-job"}, &out); err == nil || !strings.Contains(err.Error(), "respond-deadline") {
		t.Fatalf("unknown job: %v", err)
	}
}

func mustExec(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
