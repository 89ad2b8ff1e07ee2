package ill_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func cal2026(t *testing.T) *ill.Calendar {
	t.Helper()
	b, err := os.ReadFile("../configs/calendar/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var cy ill.CalendarYear
	if err := json.Unmarshal(b, &cy); err != nil {
		t.Fatal(err)
	}
	return ill.NewCalendar(cy)
}

func sh(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, ill.Shanghai)
}

func TestNextRun(t *testing.T) {
	cal := cal2026(t)
	open := cal.ScheduleFor(nil)
	winter := cal.ScheduleFor([]ill.DateRange{{From: ill.Date{Year: 2026, Month: 3, Day: 3}, To: ill.Date{Year: 2026, Month: 3, Day: 4}}})
	mwf, _ := ill.ParseCourierDays("mon,wed,fri")
	std := ill.CourierStop{Sched: open, Days: ill.DefaultCourierDays, Cutoff: "14:00"}
	late := ill.CourierStop{Sched: open, Days: ill.DefaultCourierDays, Cutoff: "15:00"}
	cases := []struct {
		name     string
		at       time.Time
		from, to ill.CourierStop
		want     string
	}{
		{"before cut-off: today's run", sh(2026, 3, 2, 13, 59), std, std, "2026-03-02"},
		{"at the cut-off: next working day", sh(2026, 3, 2, 14, 0), std, std, "2026-03-03"},
		{"after cut-off: next working day", sh(2026, 3, 2, 16, 30), std, std, "2026-03-03"},
		{"sender's later cut-off", sh(2026, 3, 2, 14, 30), late, std, "2026-03-02"},
		{"friday after cut-off: monday", sh(2026, 3, 6, 15, 0), std, std, "2026-03-09"},
		{"weekend: monday", sh(2026, 3, 7, 9, 0), std, std, "2026-03-09"},
		{"friday 13 Feb after cut-off: the adjusted working Saturday", sh(2026, 2, 13, 15, 0), std, std, "2026-02-14"},
		{"Spring Festival skipped: Sat 14 Feb after cut-off → Tue 24 Feb", sh(2026, 2, 14, 15, 0), std, std, "2026-02-24"},
		{"during the Spring Festival", sh(2026, 2, 18, 10, 0), std, std, "2026-02-24"},
		{"receiver closed (own closure)", sh(2026, 3, 2, 15, 0), std, ill.CourierStop{Sched: winter, Days: ill.DefaultCourierDays, Cutoff: "14:00"}, "2026-03-05"},
		{"receiver served mon/wed/fri only", sh(2026, 3, 2, 15, 0), std, ill.CourierStop{Sched: open, Days: mwf, Cutoff: "14:00"}, "2026-03-04"},
		{"sender served mon/wed/fri only, tuesday", sh(2026, 3, 3, 9, 0), ill.CourierStop{Sched: open, Days: mwf, Cutoff: "14:00"}, std, "2026-03-04"},
		{"bad cut-off falls back to 14:00", sh(2026, 3, 2, 14, 30), ill.CourierStop{Sched: open, Cutoff: "x"}, std, "2026-03-03"},
	}
	for _, c := range cases {
		got, ok := ill.NextRun(c.at, c.from, c.to)
		if !ok || got.String() != c.want {
			t.Errorf("%s: got %s (ok %v), want %s", c.name, got, ok, c.want)
		}
	}
	sat, _ := ill.ParseCourierDays("sat")
	sun, _ := ill.ParseCourierDays("sun")
	if d, ok := ill.NextRun(sh(2026, 3, 2, 9, 0), ill.CourierStop{Sched: open, Days: sat}, ill.CourierStop{Sched: open, Days: sun}); ok {
		t.Errorf("no courier day in common: want ok=false, got %s", d)
	}
}

func TestParseCourierDays(t *testing.T) {
	cases := []struct {
		in, want string
		err      bool
	}{
		{"", "mon,tue,wed,thu,fri", false},
		{"Mon, WED ,fri", "mon,wed,fri", false},
		{"sun,sat", "sat,sun", false},
		{"mon,xyz", "", true},
	}
	for _, c := range cases {
		d, err := ill.ParseCourierDays(c.in)
		if (err != nil) != c.err || (!c.err && d.String() != c.want) {
			t.Errorf("%q: %v %v, want %q err=%v", c.in, d, err, c.want, c.err)
		}
	}
}

func TestRunCloseTime(t *testing.T) {
	d := ill.Date{Year: 2026, Month: 3, Day: 2}
	if got := ill.RunCloseTime(d, []string{"13:30", "15:00", "14:00"}); !got.Equal(sh(2026, 3, 2, 15, 0)) {
		t.Errorf("latest cut-off: %v", got)
	}
	if got := ill.RunCloseTime(d, nil); !got.Equal(sh(2026, 3, 2, 14, 0)) {
		t.Errorf("default: %v", got)
	}
	if got := ill.RunCloseTime(d, []string{"bad"}); !got.Equal(sh(2026, 3, 2, 14, 0)) {
		t.Errorf("no valid cut-off: %v, want the 14:00 default", got)
	}
	if got := ill.RunCloseTime(d, []string{"09:00", "x"}); !got.Equal(sh(2026, 3, 2, 9, 0)) {
		t.Errorf("one early cut-off: %v", got)
	}
}

func TestExceptionDue(t *testing.T) {
	cal := cal2026(t)
	cases := []struct {
		at   time.Time
		want string
	}{
		{sh(2026, 3, 2, 10, 0), "2026-03-05T23:59:59+08:00"},  // Mon → Thu
		{sh(2026, 3, 5, 10, 0), "2026-03-10T23:59:59+08:00"},  // Thu → Tue (weekend skipped)
		{sh(2026, 2, 13, 10, 0), "2026-02-25T23:59:59+08:00"}, // Fri → Sat 14, Tue 24, Wed 25
	}
	for _, c := range cases {
		if got := ill.ExceptionDue(c.at, cal.ScheduleFor(nil)).Format(time.RFC3339); got != c.want {
			t.Errorf("%v: %s, want %s", c.at, got, c.want)
		}
	}
}

func TestComputeViolations(t *testing.T) {
	due := sh(2026, 4, 2, 23, 59).Add(59 * time.Second)
	pol := ill.LenderPolicy{FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: 10000}
	type v = ill.Violation
	cases := []struct {
		name string
		f    ill.ReturnFacts
		p    ill.LenderPolicy
		want []v
	}{
		{"on time, good", ill.ReturnFacts{DueAt: due, ReturnedAt: sh(2026, 4, 2, 18, 0), ReturnCondition: "good", CheckinCondition: "good"}, pol, nil},
		{"3 days late", ill.ReturnFacts{DueAt: due, ReturnedAt: sh(2026, 4, 5, 9, 0), ReturnCondition: "good", CheckinCondition: "good"}, pol,
			[]v{{Kind: "overdue", Days: 3, AmountFen: 150}}},
		{"just after midnight is 1 day", ill.ReturnFacts{DueAt: due, ReturnedAt: sh(2026, 4, 3, 0, 1)}, pol,
			[]v{{Kind: "overdue", Days: 1, AmountFen: 50}}},
		{"damaged at inspection", ill.ReturnFacts{DueAt: due, ReturnedAt: sh(2026, 4, 1, 9, 0), ReturnCondition: "damaged", CheckinCondition: "good"}, pol,
			[]v{{Kind: "damaged", AmountFen: 2000}}},
		{"damaged at check-in only", ill.ReturnFacts{DueAt: due, ReturnedAt: sh(2026, 4, 1, 9, 0), ReturnCondition: "good", CheckinCondition: "damaged"}, pol,
			[]v{{Kind: "damaged", AmountFen: 2000}}},
		{"late and damaged", ill.ReturnFacts{DueAt: due, ReturnedAt: sh(2026, 4, 4, 9, 0), ReturnCondition: "damaged"}, pol,
			[]v{{Kind: "overdue", Days: 2, AmountFen: 100}, {Kind: "damaged", AmountFen: 2000}}},
		{"lost: loss fee only", ill.ReturnFacts{DueAt: due, Lost: true, ReturnCondition: "damaged"}, pol,
			[]v{{Kind: "lost", AmountFen: 10000}}},
		{"default policy: recorded at 0", ill.ReturnFacts{DueAt: due, ReturnedAt: sh(2026, 4, 5, 9, 0)}, ill.LenderPolicy{},
			[]v{{Kind: "overdue", Days: 3, AmountFen: 0}}},
		{"never checked out: no overdue", ill.ReturnFacts{ReturnedAt: sh(2026, 4, 5, 9, 0)}, pol, nil},
	}
	for _, c := range cases {
		got := ill.ComputeViolations(c.f, c.p)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i].Kind != c.want[i].Kind || got[i].Days != c.want[i].Days || got[i].AmountFen != c.want[i].AmountFen {
				t.Errorf("%s: [%d] got %+v, want %+v", c.name, i, got[i], c.want[i])
			}
		}
	}
}

func TestFormatCNY(t *testing.T) {
	for fen, want := range map[int]string{0: "0.00", 5: "0.05", 150: "1.50", 123456: "1234.56", -250: "-2.50"} {
		if got := ill.FormatCNY(fen); got != want {
			t.Errorf("%d: %s, want %s", fen, got, want)
		}
	}
}

func TestShelfOrder(t *testing.T) {
	in := []string{"TP312/9", "", "I247.5/100", "TP311.13/12", "TP31/5", "TP311.13/9", "TP32/1", "I247.5/20", "H31/3-2", "H31/3-10", "TP311.1/7"}
	want := []string{"H31/3-2", "H31/3-10", "I247.5/20", "I247.5/100", "TP31/5", "TP311.1/7", "TP311.13/9", "TP311.13/12", "TP312/9", "TP32/1", ""}
	got := slices.Clone(in)
	ill.SortShelf(got, func(s string) string { return s })
	if !slices.Equal(got, want) {
		t.Errorf("shelf order\n got %v\nwant %v", got, want)
	}
}

func TestScanResult(t *testing.T) {
	cases := []struct {
		status, event, want string
		ok                  bool
	}{
		{"awaiting_pickup", "picked_up", "picked_up", true},
		{"awaiting_pickup", "delivered", "delivered", true},
		{"picked_up", "delivered", "delivered", true},
		{"exception", "delivered", "delivered", true},
		{"picked_up", "picked_up", "picked_up", false},
		{"delivered", "delivered", "delivered", false},
		{"delivered", "picked_up", "delivered", false},
		{"exception", "picked_up", "exception", false},
	}
	for _, c := range cases {
		got, ok := ill.ScanResult(c.status, c.event)
		if got != c.want || ok != c.ok {
			t.Errorf("%s + %s: %s %v, want %s %v", c.status, c.event, got, ok, c.want, c.ok)
		}
	}
}

func TestScanTime(t *testing.T) {
	now := sh(2026, 3, 2, 12, 0)
	at := func(tm time.Time) *time.Time { return &tm }
	cases := []struct {
		scanned *time.Time
		want    time.Time
		err     bool
	}{
		{nil, now, false},
		{at(sh(2026, 3, 2, 10, 30)), sh(2026, 3, 2, 10, 30), false},
		{at(sh(2026, 3, 2, 12, 3)), now, false}, // clock skew: taken as now
		{at(sh(2026, 3, 2, 12, 6)), now, true},
		{at(sh(2026, 2, 23, 11, 59)), now, true},
	}
	for _, c := range cases {
		got, err := ill.CourierScanBody{ScannedAt: c.scanned}.ScanTime(now)
		if (err != nil) != c.err || !got.Equal(c.want) {
			t.Errorf("%v: %v %v, want %v err=%v", c.scanned, got, err, c.want, c.err)
		}
	}
}

func TestCourierScanBodyValidate(t *testing.T) {
	cases := []struct {
		b     ill.CourierScanBody
		field string
	}{
		{ill.CourierScanBody{Barcode: "B1", Event: "picked_up"}, ""},
		{ill.CourierScanBody{Barcode: "", Event: "picked_up"}, "barcode"},
		{ill.CourierScanBody{Barcode: "B1", Event: "lost"}, "event"},
		{ill.CourierScanBody{Barcode: "B1", Event: "delivered", Stop: "ABCDEFGHIJKLMNOPQ"}, "stop"},
	}
	for _, c := range cases {
		err := c.b.Validate()
		var e *ill.Error
		if c.field == "" && err != nil || c.field != "" && (!errors.As(err, &e) || e.Field != c.field) {
			t.Errorf("%+v: %v, want field %q", c.b, err, c.field)
		}
	}
}
