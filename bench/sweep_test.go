package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/service"
)

// BenchmarkOverdueSweep: 1,000,000 loans ON_LOAN, of which 100,000 are past
// due; one run of the overdue job marks those OVERDUE and creates 200,000
// notices (reader and library) with their outbox rows, in batches of 1,000
// claimed with SKIP LOCKED. Reported: sweep seconds and notices/s.
func BenchmarkOverdueSweep(b *testing.B) {
	loans, pastDue := 1_000_000, 100_000
	if os.Getenv("ILL_BENCH_SMALL") != "" { // a quick run while tuning
		loans, pastDue = 100_000, 10_000
	}
	_, st := testenv.DB(b, "sweep")
	testenv.LoadCalendar2026(b, st)
	testenv.Libraries(b, st, "THU", "PKU")
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 10, 0, 0, ill.Shanghai)
	pastDueAt := time.Date(2026, 5, 20, 23, 59, 59, 0, ill.Shanghai).UTC()
	futureDueAt := time.Date(2026, 6, 30, 23, 59, 59, 0, ill.Shanghai).UTC()
	start := time.Now()
	const chunk = 2000
	for i := 0; i < loans; i += chunk {
		var sb strings.Builder
		args := make([]any, 0, chunk*6)
		for k := i; k < i+chunk; k++ {
			if k > i {
				sb.WriteString(",")
			}
			sb.WriteString("(?, 'THU', ?, ?, '测试图书', 'ON_LOAN', 'PKU', ?, ?, ?)")
			due := futureDueAt
			if k%(loans/pastDue) == 0 {
				due = pastDueAt
			}
			args = append(args, fmt.Sprintf("ILL-B%014d", k), fmt.Sprintf("c%d", k), fmt.Sprintf("P%d", k%50000),
				now.Add(-40*24*time.Hour).UTC(), due, now.UTC())
		}
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state,
			lender, submitted_at, due_at, updated_at) VALUES `+sb.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d loans in %v", loans, time.Since(start).Round(time.Second))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := &requests.Processor{Store: st, Eligibility: ill.DefaultEligibility, Calendar: &mysql.CalendarCache{Store: st},
		Subscribers: service.Subscribers("")}
	jobs := &sched.Jobs{Store: st, Processor: p, Log: log}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		n, err := jobs.Overdue(ctx, now.Add(time.Duration(i)*7*24*time.Hour)) // each iteration: the next weekly step
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		if n != pastDue {
			b.Fatalf("swept %d, want %d", n, pastDue)
		}
		b.ReportMetric(took.Seconds(), "sweep-s")
		b.ReportMetric(float64(2*n)/took.Seconds(), "notices/s")
	}
}
