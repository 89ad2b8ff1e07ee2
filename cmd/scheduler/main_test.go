package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
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

	code, out, errs := scheduler("run-once", "respond-deadline", "--now", "2026-02-14T23:00:00+08:00")
	if code != 0 {
		t.Fatal(errs)
	}
	var lender string
	_ = st.DB.Get(&lender, `SELECT lender FROM requests WHERE id = 'ILL-CLI'`)
	if lender != "PKU" || !strings.Contains(out, ": 0 ") {
		t.Fatalf("before the deadline: lender %s, output %q", lender, out)
	}
	if code, out, errs = scheduler("run-once", "respond-deadline", "--now", "2026-02-15T00:05:00+08:00"); code != 0 {
		t.Fatal(errs)
	}
	var newBy time.Time
	_ = st.DB.Get(&lender, `SELECT lender FROM requests WHERE id = 'ILL-CLI'`)
	_ = st.DB.Get(&newBy, `SELECT respond_by FROM requests WHERE id = 'ILL-CLI'`)
	// Feb 15 is the first day of the Spring Festival: RUC's window ends on Feb 24.
	if lender != "RUC" || !newBy.Equal(time.Date(2026, 2, 24, 23, 59, 59, 0, ill.Shanghai)) {
		t.Fatalf("after the deadline: lender %s, respond_by %v; output %q", lender, newBy.In(ill.Shanghai), out)
	}
	if code, _, errs := scheduler("run-once", "no-such-job"); code != 1 || !strings.Contains(errs, "respond-deadline") {
		t.Fatalf("unknown job: %d %s", code, errs)
	}
}

// scheduler runs the program with args and the process environment; it
// returns the exit status, standard output and standard error.
func scheduler(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := run(context.Background(), args, &out, &errs)
	return code, out.String(), errs.String()
}

func mustExec(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Arguments and configuration are checked before anything is opened.
func TestUsageErrors(t *testing.T) {
	t.Setenv("ILL_MYSQL_DSN", "root:@tcp(127.0.0.1:1)/none") // nothing may reach a database
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frob"}, "scheduler: usage: scheduler [run-once JOB [--now RFC3339]]"},
		{[]string{"run-once"}, "scheduler: usage: scheduler run-once JOB [--now RFC3339]"},
		{[]string{"run-once", "overdue", "--now", "tomorrow"}, "scheduler: --now: "},
		{[]string{"run-once", "overdue", "--later"}, "flag provided but not defined: -later"},
	} {
		if code, _, errs := scheduler(c.args...); code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: %d %q, want %q", c.args, code, errs, c.want)
		}
	}
	if code, out, errs := scheduler("run-once", "overdue", "--help"); code != 0 || !strings.Contains(out, "-now") || errs != "" {
		t.Errorf("run-once --help: %d %q %q", code, out, errs)
	}
	var out, errs bytes.Buffer
	t.Setenv("ILL_TZ", "UTC")
	if code := run(context.Background(), nil, &out, &errs); code != 1 || !strings.Contains(errs.String(), "scheduler: config: ILL_TZ") {
		t.Fatalf("ILL_TZ=UTC: %d %q", code, errs.String())
	}
}

// The daemon reports on /readyz what its last calendar coverage check
// found (a warning that leaves it ready), and stops with status 0 when
// its context ends.
func TestDaemonReadinessAndShutdown(t *testing.T) {
	dsn, st := testenv.DB(t, "scheddaemon")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	t.Setenv("ILL_DEMO", "1")
	t.Setenv("ILL_LOG_LEVEL", "info")
	daemon := func() (calendar string) {
		t.Helper()
		addr := freeAddr(t)
		t.Setenv("ILL_SCHEDULER_METRICS_ADDR", addr)
		ctx, cancel := context.WithCancel(context.Background())
		var errs syncBuffer
		done := make(chan int)
		go func() { done <- run(ctx, nil, io.Discard, &errs) }()
		var body struct {
			Status string
			Checks map[string]string
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the scheduler never logged its jobs: %s", errs.String())
			}
			if !strings.Contains(errs.String(), "job scheduled") {
				continue
			}
			res, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			err = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || body.Checks["mysql"] != "ok" {
				t.Fatalf("readyz: %d %+v %v", res.StatusCode, body, err)
			}
			break
		}
		cancel()
		if code := <-done; code != 0 || !strings.Contains(errs.String(), "scheduler stopping") {
			t.Fatalf("shutdown: status %d\n%s", code, errs.String())
		}
		return body.Checks["calendar"]
	}
	if got := daemon(); !strings.HasPrefix(got, "warning: national calendar covers only -1 days ahead") {
		t.Fatalf("no calendar loaded: calendar check %q", got)
	}
	today := ill.DateOf(time.Now())
	for _, y := range []int{today.Year, today.Year + 1} {
		if err := st.ImportCalendar(context.Background(), ill.CalendarYear{Year: y, Source: "test"}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if got := daemon(); got != "ok" {
		t.Fatalf("this year and next loaded: calendar check %q", got)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer the program's logger and the test may use
// at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
