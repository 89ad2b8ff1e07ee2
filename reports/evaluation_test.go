package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	illhub "github.com/balis/illhub"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/reports"
	"github.com/xuri/excelize/v2"
)

// fakeStore serves fixed lender turns, flows and libraries (no database):
// the evaluation's arithmetic is checked on its own.
type fakeStore struct {
	steps    []ill.LenderStep
	flows    []ill.Flow
	libs     []ill.Library
	closures map[string][]ill.Closure
}

func (f *fakeStore) StatsRange(ctx context.Context, from, to, today ill.Date, library string) ([]ill.DayStats, error) {
	return nil, nil
}
func (f *fakeStore) Flows(ctx context.Context, from, to time.Time, library string) ([]ill.Flow, error) {
	return f.flows, nil
}
func (f *fakeStore) OverdueLoans(ctx context.Context, library string, limit int) ([]ill.OverdueRow, error) {
	return nil, nil
}
func (f *fakeStore) TopTitles(ctx context.Context, from, to time.Time, library string, limit int) ([]ill.TitleCount, error) {
	return nil, nil
}
func (f *fakeStore) CourierVolume(ctx context.Context, day ill.Date, library string) ([]ill.RouteVolume, error) {
	return nil, nil
}
func (f *fakeStore) LenderSteps(ctx context.Context, from, to time.Time, library string) ([]ill.LenderStep, error) {
	var out []ill.LenderStep
	for _, s := range f.steps {
		if !s.AskedAt.Before(from) && s.AskedAt.Before(to) && (library == "" || s.Lender == library) {
			out = append(out, s)
		}
	}
	return out, nil
}
func (f *fakeStore) Library(ctx context.Context, code string) (*ill.Library, error) {
	for _, l := range f.libs {
		if l.Code == code {
			return &l, nil
		}
	}
	return nil, ill.Errorf(ill.CodeNotFound, "no library %s", code)
}
func (f *fakeStore) Libraries(ctx context.Context) ([]ill.Library, error) { return f.libs, nil }
func (f *fakeStore) ClosuresByLibrary(ctx context.Context) (map[string][]ill.Closure, error) {
	return f.closures, nil
}

type calendar struct{ c *ill.Calendar }

func (c calendar) Get(context.Context) (*ill.Calendar, error) { return c.c, nil }

func cal2026(t *testing.T) *ill.Calendar {
	t.Helper()
	b, err := illhub.Configs.ReadFile("configs/calendar/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	cy, err := ill.ParseCalendarYear(b)
	if err != nil {
		t.Fatal(err)
	}
	return ill.NewCalendar(cy)
}

func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, ill.Shanghai)
}

var members = []ill.Library{{Code: "THU", NameZH: "清华大学图书馆", NameEN: "Tsinghua University Library"},
	{Code: "PKU", NameZH: "北京大学图书馆", NameEN: "Peking University Library"},
	{Code: "RUC", NameZH: "中国人民大学图书馆", NameEN: "Renmin University Library"},
	{Code: ill.CentreCode, NameZH: "BALIS 管理中心", NameEN: "BALIS Centre"}}

// Working days across the Qingming holiday (2026-04-04 to 04-06, Saturday
// to Monday): a request that reached the lender on Friday 04-03 and was
// answered on Tuesday 04-07 was answered within 1 working day, and shipped
// that Tuesday took 1 working day; on a weekends-only calendar the same
// answer would be late and the shipment 2 working days.
func TestWorkingDayTurnaroundAcrossAHoliday(t *testing.T) {
	cal := cal2026(t)
	s := cal.ScheduleFor(nil)
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"same day", at(4, 3, 9), at(4, 3, 17), 0},
		{"Friday to Tuesday over the holiday", at(4, 3, 10), at(4, 7, 10), 1},
		{"Friday to the holiday Monday", at(4, 3, 10), at(4, 6, 10), 0},
		{"over the Labour Day week (05-01..05, 05-09 a working Saturday)", at(4, 30, 10), at(5, 9, 10), 4},
		{"Friday 02-13 to the working Saturday 02-14", at(2, 13, 10), at(2, 14, 10), 1},
		{"Friday 02-13 to 02-25 (Spring Festival)", at(2, 13, 10), at(2, 25, 10), 3},
	} {
		if got := ill.WorkingDaysBetween(s, c.from, c.to); got != c.want {
			t.Errorf("%s: %d working days, want %d", c.name, got, c.want)
		}
	}

	steps := []ill.LenderStep{{RequestID: "R1", Lender: "THU", Borrower: "PKU", Outcome: ill.OutcomeWillSupply,
		AskedAt: at(4, 3, 10), AnsweredAt: at(4, 7, 9), ShippedAt: at(4, 7, 15)}}
	by, _ := ill.EvaluateLenders(steps, cal, nil)
	f := by["THU"]
	if f.AnsweredOnTime != 1 || f.ShippedOnTime != 1 || len(f.Turnaround) != 1 || f.Turnaround[0] != 1 {
		t.Errorf("with the holiday calendar: %+v", f)
	}
	weekends, _ := ill.EvaluateLenders(steps, ill.NewCalendar(), nil)
	if w := weekends["THU"]; w.AnsweredOnTime != 0 || w.Turnaround[0] != 2 {
		t.Errorf("weekends only: %+v", w)
	}
	// A lender's own closure also stops the clock: THU closed 04-07 makes
	// the answer on 04-07 still within its first working day (04-08).
	closed, _ := ill.EvaluateLenders(steps, cal, map[string][]ill.DateRange{"THU": {{From: ill.Date{Year: 2026, Month: 4, Day: 7}, To: ill.Date{Year: 2026, Month: 4, Day: 7}}}})
	if c := closed["THU"]; c.AnsweredOnTime != 1 || c.Turnaround[0] != 0 {
		t.Errorf("with THU closed on 04-07: %+v", c)
	}
}

// lenderFixture: THU supplies 3 of 4 (one unfilled not_on_shelf), PKU 1
// of 4 (no response, not shipped, unfilled without a reason), RUC was
// asked once and has not answered.
func lenderFixture() []ill.LenderStep {
	d := func(day, hour int) time.Time { return at(3, day, hour) }
	return []ill.LenderStep{
		// THU: answered the same day, shipped within 3 working days.
		{RequestID: "A1", Lender: "THU", Outcome: ill.OutcomeWillSupply, AskedAt: d(2, 9), AnsweredAt: d(2, 11), ShippedAt: d(3, 10)},
		{RequestID: "A2", Lender: "THU", Outcome: ill.OutcomeWillSupply, AskedAt: d(2, 9), AnsweredAt: d(3, 11), ShippedAt: d(5, 10)},
		// answered late (2 working days), shipped late (due by Monday 03-09),
		// 8 working days from reaching THU to shipment
		{RequestID: "A3", Lender: "THU", Outcome: ill.OutcomeWillSupply, AskedAt: d(2, 9), AnsweredAt: d(4, 11), ShippedAt: d(12, 10)},
		{RequestID: "A4", Lender: "THU", Outcome: ill.OutcomeUnfilled, Reason: "not_on_shelf", AskedAt: d(3, 9), AnsweredAt: d(3, 10)},
		// PKU
		{RequestID: "B1", Lender: "PKU", Outcome: ill.OutcomeWillSupply, AskedAt: d(2, 9), AnsweredAt: d(2, 10), ShippedAt: d(2, 16)},
		{RequestID: "B2", Lender: "PKU", Outcome: ill.OutcomeNoResponse, AskedAt: d(2, 9), AnsweredAt: d(4, 0)},
		{RequestID: "B3", Lender: "PKU", Outcome: ill.OutcomeNotShipped, AskedAt: d(2, 9), AcceptedAt: d(2, 12), AnsweredAt: d(10, 0)},
		{RequestID: "B4", Lender: "PKU", Outcome: ill.OutcomeUnfilled, AskedAt: d(3, 9), AnsweredAt: d(3, 9)},
		// RUC: still with it
		{RequestID: "C1", Lender: "RUC", Outcome: ill.OutcomeAsked, AskedAt: d(20, 9)},
	}
}

func buildRep(t *testing.T, svc *reports.Service, name, library string) *reports.Report {
	t.Helper()
	rep, err := svc.Build(context.Background(), reports.Query{Name: name, From: ill.Date{Year: 2026, Month: 3, Day: 1},
		To: ill.Date{Year: 2026, Month: 3, Day: 31}, Library: library})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func rowOf(t *testing.T, rep *reports.Report, code string) []any {
	t.Helper()
	for _, r := range rep.Rows {
		if r[0] == code {
			return r
		}
	}
	t.Fatalf("%s: no row for %s in %v", rep.Name, code, rep.Rows)
	return nil
}

func TestLendersReport(t *testing.T) {
	st := &fakeStore{steps: lenderFixture(), libs: members}
	svc := &reports.Service{Store: st, Clock: testenv.NewClock(at(4, 1, 9)), Calendar: calendar{cal2026(t)}}
	rep := buildRep(t, svc, "lenders", "")
	v := func(row []any, key string) any { return row[rep.Column(key)] }

	// Fill rate and the limits by lender.
	for _, c := range []struct {
		lib                                 string
		received, filled, unfilled, open    int
		fill, answered, shipped, median, mn any
	}{
		{"THU", 4, 3, 1, 0, 0.75, 0.75, 2.0 / 3, 3.0, 4.0},
		{"PKU", 4, 1, 3, 0, 0.25, 0.75, 0.5, 0.0, 0.0},
		{"RUC", 1, 0, 0, 1, nil, nil, nil, nil, nil},
	} {
		row := rowOf(t, rep, c.lib)
		got := []any{v(row, "received"), v(row, "filled"), v(row, "unfilled"), v(row, "open"), v(row, "fill_rate"),
			v(row, "answered_1wd"), v(row, "shipped_3wd"), v(row, "median_wd"), v(row, "mean_wd")}
		want := []any{c.received, c.filled, c.unfilled, c.open, c.fill, c.answered, c.shipped, c.median, c.mn}
		for i := range want {
			if !same(got[i], want[i]) {
				t.Errorf("%s %s = %v, want %v", c.lib, rep.Columns[rep.Column("received")+i].Key, got[i], want[i])
			}
		}
	}
	pku := rowOf(t, rep, "PKU")
	for key, want := range map[string]int{"unfilled_no_response": 1, "unfilled_not_shipped": 1, "unfilled_other": 1, "unfilled_not_held": 0} {
		if got := v(pku, key); got != want {
			t.Errorf("PKU %s = %v, want %d", key, got, want)
		}
	}
	if got := v(rowOf(t, rep, "THU"), "unfilled_not_on_shelf"); got != 1 {
		t.Errorf("THU not_on_shelf = %v", got)
	}
	// The centre is not a lender row.
	for _, r := range rep.Rows {
		if r[0] == ill.CentreCode {
			t.Errorf("the centre has a row: %v", r)
		}
	}

	// The totals row: every count is the sum of the rows, the rates are
	// the consortium's (not an average of rates).
	assertTotals(t, rep)
	if got := rep.Total[rep.Column("fill_rate")]; !same(got, 0.5) {
		t.Errorf("consortium fill rate %v, want 4/8", got)
	}

	// A member sees its own row and the same consortium totals.
	own := buildRep(t, svc, "lenders", "PKU")
	if len(own.Rows) != 1 || own.Rows[0][0] != "PKU" {
		t.Fatalf("PKU's lenders report rows %v", own.Rows)
	}
	for i := range rep.Total {
		if !same(own.Total[i], rep.Total[i]) {
			t.Errorf("PKU's totals %s = %v, the centre's %v", rep.Columns[i].Key, own.Total[i], rep.Total[i])
		}
	}

	// Unfilled reasons: PKU's three and the consortium's four.
	ur := buildRep(t, svc, "unfilled-reasons", "PKU")
	if len(ur.Rows) != len(ill.UnfilledReasons) {
		t.Fatalf("reason rows %v", ur.Rows)
	}
	assertTotals(t, ur)
	if got := ur.Total[1:4]; !same(got[0], 3) || !same(got[2], 4) {
		t.Errorf("unfilled totals %v", ur.Total)
	}
}

// assertTotals checks that every Int column of the totals row is the sum
// of the rows.
func assertTotals(t *testing.T, rep *reports.Report) {
	t.Helper()
	if rep.Total == nil {
		t.Fatalf("%s has no totals row", rep.Name)
	}
	for j, c := range rep.Columns {
		if c.Kind != reports.Int {
			continue
		}
		sum := 0
		for _, r := range rep.Rows {
			sum += r[j].(int)
		}
		if rep.Total[j] != sum {
			t.Errorf("%s totals %s = %v, rows sum to %d", rep.Name, c.Key, rep.Total[j], sum)
		}
	}
}

func same(a, b any) bool {
	fa, okA := a.(float64)
	fb, okB := b.(float64)
	if okA && okB {
		d := fa - fb
		return d < 1e-9 && d > -1e-9
	}
	return a == b
}

// The borrow/lend balance per library, with names, in CSV and XLSX: a
// name column and a code column, the totals row last, in both languages.
func TestLibraryBalanceFiles(t *testing.T) {
	st := &fakeStore{libs: members, flows: []ill.Flow{{Lender: "THU", Borrower: "PKU", Items: 5},
		{Lender: "PKU", Borrower: "THU", Items: 2}, {Lender: "RUC", Borrower: "THU", Items: 1}}}
	svc := &reports.Service{Store: st, Clock: testenv.NewClock(at(4, 1, 9))}
	rep := buildRep(t, svc, "library-balance", "")
	assertTotals(t, rep)
	want := map[string][3]int{"THU": {5, 3, 2}, "PKU": {2, 5, -3}, "RUC": {1, 0, 1}}
	for code, w := range want {
		r := rowOf(t, rep, code)
		if r[1] != w[0] || r[2] != w[1] || r[3] != w[2] {
			t.Errorf("%s balance %v, want %v", code, r, w)
		}
	}
	var c bytes.Buffer
	if err := rep.WriteCSV(&c, "zh"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.String(), "\xEF\xBB\xBF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "图书馆,图书馆代码,借出（册）,借入（册）,净借出" {
		t.Errorf("csv header %q", got)
	}
	if got := strings.Join(recs[len(recs)-1], ","); got != "全体成员馆合计,,8,8,0" {
		t.Errorf("csv totals %q", got)
	}
	found := false
	for _, r := range recs[1:] {
		if r[1] == "PKU" {
			found = r[0] == "北京大学图书馆" && r[4] == "-3"
		}
	}
	if !found {
		t.Errorf("csv has no named PKU row: %v", recs)
	}
	var x bytes.Buffer
	if err := rep.WriteXLSX(&x, "en"); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := wb.GetRows("library-balance")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rep.Rows)+2 || rows[0][1] != "Library code" || rows[len(rows)-1][0] != "Consortium total" {
		t.Fatalf("xlsx rows %v", rows)
	}
	for _, r := range rows[1 : len(rows)-1] {
		if r[1] == "THU" && r[0] != "Tsinghua University Library" {
			t.Errorf("xlsx THU row %v", r)
		}
	}
	// A member sees its own balance and the consortium's totals.
	own := buildRep(t, svc, "library-balance", "RUC")
	if len(own.Rows) != 1 || own.Rows[0][1] != 1 || own.Total[1] != 8 {
		t.Errorf("RUC's balance %v total %v", own.Rows, own.Total)
	}
}

// The lenders report honours the service type: copies only, loans only or
// both; a delivered copy is a supplied turn; the working-hours columns are
// the median and mean of the supplied turns' hours on the lender's working
// days. The other evaluation reports ignore the filter.
func TestLendersReportByServiceTypeWithWorkingHours(t *testing.T) {
	// THU: a loan asked Friday 04-03 17:00 and shipped Tuesday 04-07 09:00
	// over Qingming (16 working hours, 1 working day); two copies asked
	// Wednesday 04-08 09:00, delivered at 12:00 (3 h) and the next day at
	// 11:00 (26 h); PKU: a copy not delivered in time, a loan unanswered.
	steps := []ill.LenderStep{
		{RequestID: "L1", Lender: "THU", ServiceType: ill.ServiceLoan, Outcome: ill.OutcomeWillSupply,
			AskedAt: at(4, 3, 17), AnsweredAt: at(4, 3, 18), ShippedAt: at(4, 7, 9)},
		{RequestID: "C1", Lender: "THU", ServiceType: ill.ServiceCopy, Outcome: ill.OutcomeWillSupply,
			AskedAt: at(4, 8, 9), AnsweredAt: at(4, 8, 10), ShippedAt: at(4, 8, 12)},
		{RequestID: "C2", Lender: "THU", ServiceType: ill.ServiceCopy, Outcome: ill.OutcomeWillSupply,
			AskedAt: at(4, 8, 9), AnsweredAt: at(4, 8, 10), ShippedAt: at(4, 9, 11)},
		{RequestID: "C3", Lender: "PKU", ServiceType: ill.ServiceCopy, Outcome: ill.OutcomeNotDelivered,
			AskedAt: at(4, 8, 9), AcceptedAt: at(4, 8, 10), AnsweredAt: at(4, 14, 0)},
		{RequestID: "L2", Lender: "PKU", Outcome: ill.OutcomeNoResponse, AskedAt: at(4, 8, 9), AnsweredAt: at(4, 10, 0)},
	}
	svc := &reports.Service{Store: &fakeStore{steps: steps, libs: members}, Clock: testenv.NewClock(at(5, 1, 9)),
		Calendar: calendar{cal2026(t)}}
	build := func(name string, service ill.ServiceType) *reports.Report {
		t.Helper()
		rep, err := svc.Build(context.Background(), reports.Query{Name: name, From: ill.Date{Year: 2026, Month: 4, Day: 1},
			To: ill.Date{Year: 2026, Month: 4, Day: 30}, Service: service})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for _, key := range []string{"median_wh", "mean_wh"} {
		c := build("lenders", "").Columns[build("lenders", "").Column(key)]
		if c.Key != key || c.Kind != reports.Float || c.ZH == "" || c.EN == "" {
			t.Fatalf("column %s: %+v", key, c)
		}
	}
	if c := build("lenders", "").Columns; c[len(c)-1].Key != "unfilled_other" || c[len(c)-2].Key != "unfilled_not_delivered" {
		t.Errorf("reason columns end with %s, %s", c[len(c)-2].Key, c[len(c)-1].Key)
	}
	for _, c := range []struct {
		service                          ill.ServiceType
		thuFilled                        int
		thuMedianWH, thuMeanWH, thuMedWD any
		pkuReceived, pkuNotDelivered     int
		totalReceived                    int
	}{
		{"", 3, 16.0, 15.0, 1.0, 2, 1, 5},
		{ill.ServiceCopy, 2, 14.5, 14.5, 0.5, 1, 1, 3},
		{ill.ServiceLoan, 1, 16.0, 16.0, 1.0, 1, 0, 2},
	} {
		rep := build("lenders", c.service)
		if rep.Service != c.service {
			t.Errorf("%q: report service %q", c.service, rep.Service)
		}
		v := func(row []any, key string) any { return row[rep.Column(key)] }
		thu, pku := rowOf(t, rep, "THU"), rowOf(t, rep, "PKU")
		if got := v(thu, "filled"); got != c.thuFilled {
			t.Errorf("%q: THU supplied %v, want %d", c.service, got, c.thuFilled)
		}
		for key, want := range map[string]any{"median_wh": c.thuMedianWH, "mean_wh": c.thuMeanWH, "median_wd": c.thuMedWD} {
			if got := v(thu, key); !same(got, want) {
				t.Errorf("%q: THU %s = %v, want %v", c.service, key, got, want)
			}
		}
		if got := v(pku, "median_wh"); got != nil {
			t.Errorf("%q: PKU supplied nothing, median_wh %v", c.service, got)
		}
		if v(pku, "received") != c.pkuReceived || v(pku, "unfilled_not_delivered") != c.pkuNotDelivered {
			t.Errorf("%q: PKU row %v", c.service, pku)
		}
		if got := rep.Total[rep.Column("received")]; got != c.totalReceived {
			t.Errorf("%q: consortium received %v, want %d", c.service, got, c.totalReceived)
		}
		if got := rep.Total[rep.Column("median_wh")]; !same(got, c.thuMedianWH) {
			t.Errorf("%q: consortium median_wh %v", c.service, got)
		}
		assertTotals(t, rep)
	}
	// The unfilled reasons count every service type whatever is asked.
	ur := build("unfilled-reasons", ill.ServiceCopy)
	if ur.Service != "" || ur.Total[3] != 2 {
		t.Errorf("unfilled-reasons with service copy: service %q, totals %v", ur.Service, ur.Total)
	}
}
