package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

// BenchmarkCourierRunClose: one courier run with 5,000 shipments
// between 40 libraries (requests, titles and call numbers in place); the
// courier-cutoff job closes it: claims the run, reads its manifest (joined
// with requests and both libraries), groups it per stop and stores the JSON
// snapshot. Each iteration reopens the run first (untimed).
func BenchmarkCourierRunClose(b *testing.B) {
	const shipments, libs = 5000, 40
	_, st := testenv.DB(b, "courierbench")
	testenv.LoadCalendar2026(b, st)
	codes := make([]string, libs)
	for i := range codes {
		codes[i] = fmt.Sprintf("L%02d", i)
	}
	testenv.Libraries(b, st, codes...)
	ctx := context.Background()
	day := ill.Date{Year: 2026, Month: 3, Day: 2}
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO courier_runs (run_date, status, created_at) VALUES (?, 'open', NOW())`, day.String()); err != nil {
		b.Fatal(err)
	}
	var runID int64
	if err := st.DB.GetContext(ctx, &runID, `SELECT id FROM courier_runs WHERE run_date = ?`, day.String()); err != nil {
		b.Fatal(err)
	}
	const chunk = 1000
	for i := 0; i < shipments; i += chunk {
		var rq, sh strings.Builder
		var ra, sa []any
		for k := i; k < i+chunk; k++ {
			if k > i {
				rq.WriteString(",")
				sh.WriteString(",")
			}
			from, to := codes[k%libs], codes[(k*7+1)%libs]
			if from == to {
				to = codes[(k+1)%libs]
			}
			id := fmt.Sprintf("ILL-C%014d", k)
			rq.WriteString("(?, ?, ?, 'P1', ?, 'SHIPPED', ?, ?, NOW(), NOW())")
			ra = append(ra, id, to, id, fmt.Sprintf("运输测试图书 %d", k), from, "B"+id)
			sh.WriteString("(?, 'forward', ?, ?, ?, ?, ?, NOW(), ?, ?)")
			sa = append(sa, id, "B"+id, from, to, from+"-"+to, fmt.Sprintf("TP%d.%d/%d", 300+k%50, k%7, k), runID, day.String())
		}
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state,
			lender, item_barcode, submitted_at, updated_at) VALUES `+rq.String(), ra...); err != nil {
			b.Fatal(err)
		}
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO shipments (request_id, direction, item_barcode, from_lib, to_lib,
			route_code, call_number, created_at, run_id, run_date) VALUES `+sh.String(), sa...); err != nil {
			b.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := &requests.Processor{Store: st, Eligibility: ill.DefaultEligibility, Calendar: &mysql.CalendarCache{Store: st},
		Subscribers: service.Subscribers("")}
	j := &sched.Jobs{Store: st, Processor: p, Log: log}
	now := time.Date(2026, 3, 2, 14, 5, 0, 0, ill.Shanghai)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := st.DB.ExecContext(ctx, `UPDATE courier_runs SET status = 'open', manifest = NULL WHERE id = ?`, runID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		n, err := j.CourierCutoff(ctx, now)
		total += time.Since(start)
		if err != nil || n != 1 {
			b.Fatalf("closed %d runs: %v", n, err)
		}
	}
	var size int
	_ = st.DB.GetContext(ctx, &size, `SELECT LENGTH(manifest) FROM courier_runs WHERE id = ?`, runID)
	b.ReportMetric(total.Seconds()/float64(b.N), "s/close")
	b.ReportMetric(float64(shipments)/(total.Seconds()/float64(b.N)), "shipments/s")
	b.Logf("manifest snapshot: %d shipments, %d KiB", shipments, size/1024)
}
