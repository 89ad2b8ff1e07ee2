package app_test

import (
	"context"
	"testing"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
)

// Only the centre reads and sets the monthly summary's schedule; a bad
// working day or address is refused with the field named; the address is
// stored without its trailing slash.
func TestReportScheduleCentreOnly(t *testing.T) {
	svc := app.New(app.Config{Store: &memstore.Store{}, Publisher: &memstore.Publisher{}, Clock: fixedClock{}})
	ctx := context.Background()
	centre, thu := ill.Principal{Library: ill.CentreCode, Centre: true}, ill.Principal{Library: "THU"}
	if _, err := svc.ReportSchedule(ctx, thu); ill.ErrorCode(err) != ill.CodeForbidden {
		t.Errorf("member reads the schedule: %v", err)
	}
	if _, err := svc.SetReportSchedule(ctx, thu, ill.ReportSchedule{Enabled: true, WorkingDay: 1}, "x"); ill.ErrorCode(err) != ill.CodeForbidden {
		t.Errorf("member sets the schedule: %v", err)
	}
	if got, err := svc.ReportSchedule(ctx, centre); err != nil || got != ill.DefaultReportSchedule {
		t.Errorf("default %+v %v", got, err)
	}
	for _, bad := range []ill.ReportSchedule{{WorkingDay: 0}, {WorkingDay: 11}, {WorkingDay: 1, ConsoleURL: "javascript:alert(1)"},
		{WorkingDay: 1, ConsoleURL: "https://a b"}} {
		if _, err := svc.SetReportSchedule(ctx, centre, bad, "x"); ill.ErrorCode(err) != ill.CodeBadRequest {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := svc.SetReportSchedule(ctx, centre, ill.ReportSchedule{Enabled: true, WorkingDay: 2, ConsoleURL: " https://ill.example.edu.cn/ "}, "console:CENTRE/admin"); err != nil {
		t.Fatal(err)
	}
	got, err := svc.ReportSchedule(ctx, centre)
	if err != nil || !got.Enabled || got.WorkingDay != 2 || got.ConsoleURL != "https://ill.example.edu.cn" ||
		got.UpdatedBy != "console:CENTRE/admin" || !got.UpdatedAt.Equal(now) {
		t.Errorf("saved %+v %v", got, err)
	}
}
