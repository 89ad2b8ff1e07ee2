package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// The monthly summary's schedule reads as the default until saved, then
// as saved; a summary's mark is taken once per library and month.
func TestReportScheduleAndMonthlyMarks(t *testing.T) {
	_, st := testenv.DB(t, "reportsched")
	ctx := context.Background()
	got, err := st.ReportSchedule(ctx)
	if err != nil || got != ill.DefaultReportSchedule {
		t.Fatalf("default schedule %+v %v", got, err)
	}
	at := time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC)
	want := ill.ReportSchedule{Enabled: true, WorkingDay: 3, ConsoleURL: "https://ill.example.edu.cn", UpdatedBy: "console:CENTRE/admin", UpdatedAt: at}
	for i := 0; i < 2; i++ { // saving twice updates the one row
		if err := st.SetReportSchedule(ctx, want); err != nil {
			t.Fatal(err)
		}
	}
	if got, err = st.ReportSchedule(ctx); err != nil || got.Enabled != want.Enabled || got.WorkingDay != 3 ||
		got.ConsoleURL != want.ConsoleURL || got.UpdatedBy != want.UpdatedBy || !got.UpdatedAt.Equal(at) {
		t.Fatalf("saved schedule %+v %v", got, err)
	}

	march := ill.Month{Year: 2026, Month: time.March}
	mark := func(lib string, m ill.Month) bool {
		var first bool
		if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
			first, err = tx.MarkMonthlySummary(ctx, lib, m, at)
			if err == nil && first {
				err = tx.SetMonthlySummaryNotice(ctx, lib, m, 42)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !mark("THU", march) || mark("THU", march) || !mark("PKU", march) || !mark("THU", march.Next()) {
		t.Fatal("marks are not once per library and month")
	}
	if n, err := st.MonthlySummaries(ctx, march); err != nil || n != 2 {
		t.Fatalf("march summaries %d %v", n, err)
	}
}
