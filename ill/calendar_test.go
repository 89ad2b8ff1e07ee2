package ill_test

import (
	"math/rand"
	"os"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/balis/illhub/ill"
)

func load2026(t testing.TB) *ill.Calendar {
	t.Helper()
	b, err := os.ReadFile("../configs/calendar/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	cy, err := ill.ParseCalendarYear(b)
	if err != nil {
		t.Fatalf("ParseCalendarYear(2026.json): %v", err)
	}
	if cy.Year != 2026 {
		t.Fatalf("year %d", cy.Year)
	}
	return ill.NewCalendar(cy)
}

func d(y int, m time.Month, day int) ill.Date { return ill.Date{Year: y, Month: m, Day: day} }

// specClosed2026 are SPEC §6's 2026 public holidays and specWork2026 its
// adjusted working days, written out independently of the JSON file.
var (
	specClosed2026 = [][2]ill.Date{
		{d(2026, 1, 1), d(2026, 1, 3)},
		{d(2026, 2, 15), d(2026, 2, 23)},
		{d(2026, 4, 4), d(2026, 4, 6)},
		{d(2026, 5, 1), d(2026, 5, 5)},
		{d(2026, 6, 19), d(2026, 6, 21)},
		{d(2026, 9, 25), d(2026, 9, 27)},
		{d(2026, 10, 1), d(2026, 10, 7)},
	}
	specWork2026 = []ill.Date{d(2026, 1, 4), d(2026, 2, 14), d(2026, 2, 28), d(2026, 5, 9), d(2026, 9, 20), d(2026, 10, 10)}
)

// specOpen is the SPEC §6 oracle for the national calendar with only 2026
// loaded: weekends closed, the listed holidays closed, the listed adjusted
// working days open; other years weekends only.
func specOpen(x ill.Date) bool {
	if x.Year == 2026 {
		for _, w := range specWork2026 {
			if x == w {
				return true
			}
		}
		for _, r := range specClosed2026 {
			if !x.Before(r[0]) && !r[1].Before(x) {
				return false
			}
		}
	}
	wd := time.Date(x.Year, x.Month, x.Day, 12, 0, 0, 0, time.UTC).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func TestCalendar2026MatchesSpec(t *testing.T) {
	cal := load2026(t)
	s := cal.ScheduleFor(nil)
	// Every day from 2025-12-01 to 2027-01-31.
	n := 0
	for x := d(2025, 12, 1); x.Before(d(2027, 2, 1)); x = x.AddDays(1) {
		n++
		if got, want := s.Open(x), specOpen(x); got != want {
			t.Errorf("Open(%s, %s) = %v, want %v", x, x.Weekday(), got, want)
		}
		if s.Open(x) != cal.NationalWorkingDay(x) {
			t.Errorf("%s: Open without closures differs from NationalWorkingDay", x)
		}
	}
	if n != 31+365+31 {
		t.Errorf("iterated %d days", n)
	}
	// The explicit lists of SPEC §6, by name.
	for _, w := range specWork2026 {
		if wd := w.Weekday(); wd != time.Saturday && wd != time.Sunday {
			t.Errorf("adjusted working day %s is a %s", w, wd)
		}
		if !s.Open(w) {
			t.Errorf("adjusted working day %s closed", w)
		}
	}
	for _, r := range specClosed2026 {
		for x := r[0]; !r[1].Before(x); x = x.AddDays(1) {
			if s.Open(x) {
				t.Errorf("holiday %s open", x)
			}
		}
	}
}

func TestCalendarCoverage(t *testing.T) {
	cal := load2026(t)
	if !cal.Covers(d(2026, 1, 1)) || !cal.Covers(d(2026, 12, 31)) {
		t.Error("2026 not covered")
	}
	if cal.Covers(d(2027, 1, 1)) || cal.Covers(d(2025, 12, 31)) {
		t.Error("2025/2027 covered")
	}
	if got := cal.CoveredUntil(d(2026, 11, 1)); got != d(2026, 12, 31) {
		t.Errorf("CoveredUntil = %s", got)
	}
	if got := cal.CoveredUntil(d(2027, 1, 5)); got != d(2027, 1, 4) {
		t.Errorf("CoveredUntil(2027-01-05) = %s, want the day before", got)
	}
	two := ill.NewCalendar(ill.CalendarYear{Year: 2026}, ill.CalendarYear{Year: 2027}, ill.CalendarYear{Year: 2029})
	if got := two.CoveredUntil(d(2026, 3, 1)); got != d(2027, 12, 31) {
		t.Errorf("CoveredUntil across contiguous years = %s", got)
	}
	// An empty calendar: weekends only.
	empty := ill.NewCalendar()
	if !empty.NationalWorkingDay(d(2026, 1, 1)) || empty.NationalWorkingDay(d(2026, 1, 4)) {
		t.Error("empty calendar should be weekends only")
	}
}

func TestLibraryClosures(t *testing.T) {
	cal := load2026(t)
	winter := cal.ScheduleFor([]ill.DateRange{{From: d(2026, 1, 19), To: d(2026, 1, 30)}, {From: d(2026, 7, 20), To: d(2026, 7, 20)}})
	for _, c := range []struct {
		x    ill.Date
		open bool
	}{
		{d(2026, 1, 16), true}, {d(2026, 1, 19), false}, {d(2026, 1, 23), false}, {d(2026, 1, 30), false},
		{d(2026, 2, 2), true}, {d(2026, 7, 20), false}, {d(2026, 7, 21), true}, {d(2026, 7, 17), true},
	} {
		if got := winter.Open(c.x); got != c.open {
			t.Errorf("closure Open(%s) = %v, want %v", c.x, got, c.open)
		}
	}
	// A working day inside a closure is closed; a day outside follows the nation.
	if got := winter.NextOpen(d(2026, 1, 19)); got != d(2026, 2, 2) {
		t.Errorf("NextOpen in closure = %s, want 2026-02-02", got)
	}
	// The deadline counts only the library's open days.
	got, _ := winter.AddWorkingDays(d(2026, 1, 16).Start().Add(10*time.Hour), 1)
	if want := d(2026, 2, 2).End(); !got.Equal(want) {
		t.Errorf("AddWorkingDays over closure = %v, want %v", got, want)
	}
	r := ill.DateRange{From: d(2026, 3, 1), To: d(2026, 3, 3)}
	for _, c := range []struct {
		x  ill.Date
		in bool
	}{{d(2026, 2, 28), false}, {d(2026, 3, 1), true}, {d(2026, 3, 3), true}, {d(2026, 3, 4), false}} {
		if r.Contains(c.x) != c.in {
			t.Errorf("%v.Contains(%s) != %v", r, c.x, c.in)
		}
	}
}

func TestAddWorkingDaysExamples(t *testing.T) {
	cal := load2026(t)
	s := cal.ScheduleFor(nil)
	at := func(y int, m time.Month, day, h, min int) time.Time {
		return time.Date(y, m, day, h, min, 0, 0, ill.Shanghai)
	}
	cases := []struct {
		name string
		t    time.Time
		n    int
		want ill.Date
		prov bool
	}{
		// SPEC §6 examples.
		{"respond_by Fri 2026-02-13", at(2026, 2, 13, 10, 0), 1, d(2026, 2, 14), false},
		{"ship_by accepted Fri 2026-02-13", at(2026, 2, 13, 16, 30), 3, d(2026, 2, 25), false},
		{"Sat workday itself counts from next day", at(2026, 2, 14, 9, 0), 1, d(2026, 2, 24), false},
		{"inside Spring Festival", at(2026, 2, 18, 9, 0), 1, d(2026, 2, 24), false},
		{"before 2026-02-28 workday", at(2026, 2, 27, 9, 0), 1, d(2026, 2, 28), false},
		{"new year", at(2025, 12, 31, 9, 0), 1, d(2026, 1, 4), true},
		{"Jan 1 holiday", at(2026, 1, 1, 9, 0), 1, d(2026, 1, 4), false},
		{"Jan 4 Sunday workday → Mon", at(2026, 1, 4, 9, 0), 1, d(2026, 1, 5), false},
		{"Qingming", at(2026, 4, 3, 9, 0), 1, d(2026, 4, 7), false},
		{"Labour Day", at(2026, 4, 30, 9, 0), 1, d(2026, 5, 6), false},
		{"Labour Day ×4 via May 9", at(2026, 4, 30, 9, 0), 4, d(2026, 5, 9), false},
		{"Dragon Boat", at(2026, 6, 18, 9, 0), 1, d(2026, 6, 22), false},
		{"Sep 20 Sunday workday", at(2026, 9, 18, 9, 0), 1, d(2026, 9, 20), false},
		{"Mid-Autumn", at(2026, 9, 24, 9, 0), 1, d(2026, 9, 28), false},
		{"National Day 1", at(2026, 9, 30, 9, 0), 1, d(2026, 10, 8), false},
		{"National Day 2", at(2026, 9, 30, 9, 0), 2, d(2026, 10, 9), false},
		{"National Day 3 via Oct 10", at(2026, 9, 30, 9, 0), 3, d(2026, 10, 10), false},
		{"National Day 4", at(2026, 9, 30, 9, 0), 4, d(2026, 10, 12), false},
		{"National Day from Sep 29 ×2", at(2026, 9, 29, 9, 0), 2, d(2026, 10, 8), false},
		// Late in the day still counts from that calendar day.
		{"23:30 Shanghai", at(2026, 2, 13, 23, 30), 1, d(2026, 2, 14), false},
		{"23:59:59 Shanghai", time.Date(2026, 2, 13, 23, 59, 59, 0, ill.Shanghai), 1, d(2026, 2, 14), false},
		// UTC time that is already the next day in Shanghai.
		{"UTC Thu 16:30 = Fri 00:30 Shanghai", time.Date(2026, 2, 12, 16, 30, 0, 0, time.UTC), 1, d(2026, 2, 14), false},
		{"UTC Fri 15:59 = Fri 23:59 Shanghai", time.Date(2026, 2, 13, 15, 59, 0, 0, time.UTC), 1, d(2026, 2, 14), false},
		{"UTC Fri 16:00 = Sat 00:00 Shanghai", time.Date(2026, 2, 13, 16, 0, 0, 0, time.UTC), 1, d(2026, 2, 24), false},
		// Beyond the loaded calendar: weekends only, provisional.
		{"2027 provisional", at(2027, 3, 5, 9, 0), 1, d(2027, 3, 8), true},
		{"into 2027", at(2026, 12, 31, 9, 0), 1, d(2027, 1, 1), true},
		{"last 2026 deadline", at(2026, 12, 30, 9, 0), 1, d(2026, 12, 31), false},
	}
	for _, c := range cases {
		got, prov := s.AddWorkingDays(c.t, c.n)
		if want := c.want.End(); !got.Equal(want) {
			t.Errorf("%s: AddWorkingDays(%v, %d) = %v, want %v", c.name, c.t, c.n, got.In(ill.Shanghai), want)
		}
		if prov != c.prov {
			t.Errorf("%s: provisional = %v, want %v", c.name, prov, c.prov)
		}
	}
	// The exact instant of SPEC §6's example, with its offset.
	got, _ := s.AddWorkingDays(at(2026, 2, 13, 10, 0), 1)
	if f := got.In(ill.Shanghai).Format(time.RFC3339); f != "2026-02-14T23:59:59+08:00" {
		t.Errorf("respond_by = %s, want 2026-02-14T23:59:59+08:00", f)
	}
	got, _ = s.AddWorkingDays(at(2026, 2, 13, 10, 0), 3)
	if f := got.In(ill.Shanghai).Format(time.RFC3339); f != "2026-02-25T23:59:59+08:00" {
		t.Errorf("ship_by = %s, want 2026-02-25T23:59:59+08:00", f)
	}
	if f := got.UTC().Format(time.RFC3339); f != "2026-02-25T15:59:59Z" {
		t.Errorf("ship_by UTC = %s", f)
	}
}

// TestAddWorkingDaysProperties checks, for random instants and counts, that
// the deadline is the end of an open day strictly after t's Shanghai day,
// that exactly n open days lie in (day(t), deadline], and monotonicity.
func TestAddWorkingDaysProperties(t *testing.T) {
	cal := load2026(t)
	schedules := []ill.Schedule{
		cal.ScheduleFor(nil),
		cal.ScheduleFor([]ill.DateRange{{From: d(2026, 1, 12), To: d(2026, 2, 27)}, {From: d(2026, 7, 1), To: d(2026, 8, 31)}}),
		ill.NewCalendar().ScheduleFor(nil),
	}
	rng := rand.New(rand.NewSource(20260213))
	lo := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	randTime := func() time.Time { return time.Unix(lo+rng.Int63n(hi-lo), 0).UTC() }
	for i := 0; i < 1500; i++ {
		s := schedules[i%len(schedules)]
		t1 := randTime()
		n := 1 + rng.Intn(12)
		got, prov := s.AddWorkingDays(t1, n)
		dd := ill.DateOf(got)
		if !got.Equal(dd.End()) {
			t.Fatalf("AddWorkingDays(%v, %d) = %v: not 23:59:59 Shanghai", t1, n, got)
		}
		if h, m, sec := got.In(ill.Shanghai).Clock(); h != 23 || m != 59 || sec != 59 {
			t.Fatalf("AddWorkingDays(%v, %d) = %v: clock %02d:%02d:%02d", t1, n, got, h, m, sec)
		}
		if !s.Open(dd) {
			t.Fatalf("AddWorkingDays(%v, %d) = %s: a closed day", t1, n, dd)
		}
		start := ill.DateOf(t1)
		if !start.Before(dd) {
			t.Fatalf("AddWorkingDays(%v, %d) = %s: not after %s", t1, n, dd, start)
		}
		open := 0
		for x := start.AddDays(1); !dd.Before(x); x = x.AddDays(1) {
			if s.Open(x) {
				open++
			}
		}
		if open != n {
			t.Fatalf("AddWorkingDays(%v, %d) = %s: %d open days in between", t1, n, dd, open)
		}
		wantProv := !s.Cal.Covers(dd) || !s.Cal.Covers(start)
		if prov != wantProv {
			t.Fatalf("AddWorkingDays(%v, %d) = %s: provisional %v", t1, n, dd, prov)
		}
		// Monotonic in t.
		t2 := t1.Add(time.Duration(rng.Int63n(int64(20 * 24 * time.Hour))))
		if got2, _ := s.AddWorkingDays(t2, n); got2.Before(got) {
			t.Fatalf("not monotonic in t: (%v,%d)=%v > (%v,%d)=%v", t1, n, got, t2, n, got2)
		}
		// Strictly monotonic in n.
		if got3, _ := s.AddWorkingDays(t1, n+1); !got3.After(got) {
			t.Fatalf("not strictly monotonic in n: (%v,%d)=%v, n+1 → %v", t1, n, got, got3)
		}
		// Composition: n working days = 1 working day, then n-1 more.
		if n > 1 {
			step, _ := s.AddWorkingDays(t1, 1)
			rest, _ := s.AddWorkingDays(step, n-1)
			if !rest.Equal(got) {
				t.Fatalf("AddWorkingDays(%v,%d)=%v but 1 then %d gives %v", t1, n, got, n-1, rest)
			}
		}
	}
}

func TestLoanDue(t *testing.T) {
	cal := load2026(t)
	s := cal.ScheduleFor(nil)
	at := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 15, 0, 0, 0, ill.Shanghai) }
	cases := []struct {
		name     string
		checkout time.Time
		months   int
		sched    ill.Schedule
		want     ill.Date
		prov     bool
	}{
		{"Jan 31 → Feb 28 (adjusted workday, open)", at(2026, 1, 31), 1, s, d(2026, 2, 28), false},
		{"Jan 15 → Feb 15 Spring Festival → Feb 24", at(2026, 1, 15), 1, s, d(2026, 2, 24), false},
		{"Jan 20 → Feb 20 Spring Festival → Feb 24", at(2026, 1, 20), 1, s, d(2026, 2, 24), false},
		{"Jan 23 → Feb 23 last holiday → Feb 24", at(2026, 1, 23), 1, s, d(2026, 2, 24), false},
		{"Jan 14 → Feb 14 adjusted Saturday", at(2026, 1, 14), 1, s, d(2026, 2, 14), false},
		{"Jan 24 → Feb 24 open", at(2026, 1, 24), 1, s, d(2026, 2, 24), false},
		{"Mar 7 → Apr 7 open", at(2026, 3, 7), 1, s, d(2026, 4, 7), false},
		{"Mar 4 → Apr 4 Qingming → Apr 7", at(2026, 3, 4), 1, s, d(2026, 4, 7), false},
		{"Mar 31 → Apr 30", at(2026, 3, 31), 1, s, d(2026, 4, 30), false},
		{"Aug 31 → Sep 30", at(2026, 8, 31), 1, s, d(2026, 9, 30), false},
		{"Sep 1 → Oct 1 National Day → Oct 8", at(2026, 9, 1), 1, s, d(2026, 10, 8), false},
		{"Feb 7 → Mar 7 Saturday → Mar 9", at(2026, 2, 7), 1, s, d(2026, 3, 9), false},
		{"months 0 means 1", at(2026, 3, 10), 0, s, d(2026, 4, 10), false},
		{"two months", at(2026, 12, 31), 2, s, d(2027, 3, 1), true}, // Feb 28 2027 is a Sunday
		{"Dec 10 → Jan 11 2027 (Jan 10 Sunday) provisional", at(2026, 12, 10), 1, s, d(2027, 1, 11), true},
		{"Jan 20 with closure to Feb 27 → Feb 28", at(2026, 1, 20), 1,
			cal.ScheduleFor([]ill.DateRange{{From: d(2026, 2, 24), To: d(2026, 2, 27)}}), d(2026, 2, 28), false},
		{"Jan 31 with closure on Feb 28 → Mar 2", at(2026, 1, 31), 1,
			cal.ScheduleFor([]ill.DateRange{{From: d(2026, 2, 28), To: d(2026, 2, 28)}}), d(2026, 3, 2), false},
		// Checkout late on Jan 31 UTC is already Feb 1 in Shanghai: Mar 1 is a Sunday.
		{"UTC Jan 31 20:00 = Feb 1 Shanghai → Mar 2", time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC), 1, s, d(2026, 3, 2), false},
	}
	for _, c := range cases {
		got, prov := c.sched.LoanDue(c.checkout, c.months)
		if want := c.want.End(); !got.Equal(want) {
			t.Errorf("%s: LoanDue = %v, want %v", c.name, got.In(ill.Shanghai), want)
		}
		if prov != c.prov {
			t.Errorf("%s: provisional = %v, want %v", c.name, prov, c.prov)
		}
	}
}

func TestEndOfOpenDay(t *testing.T) {
	s := load2026(t).ScheduleFor(nil)
	for _, c := range []struct{ in, want ill.Date }{
		{d(2026, 2, 13), d(2026, 2, 13)},
		{d(2026, 2, 15), d(2026, 2, 24)},
		{d(2026, 10, 3), d(2026, 10, 8)},
		{d(2026, 10, 10), d(2026, 10, 10)},
		{d(2026, 10, 11), d(2026, 10, 12)},
	} {
		got, prov := s.EndOfOpenDay(c.in)
		if !got.Equal(c.want.End()) || prov {
			t.Errorf("EndOfOpenDay(%s) = %v %v, want %s", c.in, got, prov, c.want)
		}
	}
	if got, prov := s.EndOfOpenDay(d(2027, 1, 2)); !got.Equal(d(2027, 1, 4).End()) || !prov {
		t.Errorf("EndOfOpenDay(2027-01-02) = %v %v", got, prov)
	}
}

func TestAddMonthsClamped(t *testing.T) {
	cases := []struct {
		in     ill.Date
		months int
		want   ill.Date
	}{
		{d(2026, 1, 31), 1, d(2026, 2, 28)},
		{d(2028, 1, 31), 1, d(2028, 2, 29)}, // leap year
		{d(2026, 1, 30), 1, d(2026, 2, 28)},
		{d(2026, 1, 28), 1, d(2026, 2, 28)},
		{d(2026, 1, 27), 1, d(2026, 2, 27)},
		{d(2026, 2, 28), 1, d(2026, 3, 28)},
		{d(2026, 3, 31), 1, d(2026, 4, 30)},
		{d(2026, 5, 31), 1, d(2026, 6, 30)},
		{d(2026, 7, 31), 1, d(2026, 8, 31)},
		{d(2026, 12, 15), 1, d(2027, 1, 15)},
		{d(2026, 12, 31), 2, d(2027, 2, 28)},
		{d(2026, 8, 31), 6, d(2027, 2, 28)},
		{d(2026, 1, 31), 13, d(2027, 2, 28)},
		{d(2026, 1, 31), 12, d(2027, 1, 31)},
		{d(2026, 1, 31), 0, d(2026, 1, 31)},
		{d(2026, 3, 31), -1, d(2026, 2, 28)},
		{d(2026, 1, 15), -1, d(2025, 12, 15)},
		{d(2099, 12, 31), 2, d(2100, 2, 28)}, // 2100 is not a leap year
		{d(2000, 1, 31), 1, d(2000, 2, 29)},  // 2000 is
	}
	for _, c := range cases {
		if got := ill.AddMonthsClamped(c.in, c.months); got != c.want {
			t.Errorf("AddMonthsClamped(%s, %d) = %s, want %s", c.in, c.months, got, c.want)
		}
	}
	// Property: the month moves by exactly `months`, the day never grows and
	// is kept whenever the target month has it.
	f := func(dayOffset uint16, months uint8) bool {
		in := d(2024, 1, 1).AddDays(int(dayOffset % 3000))
		m := int(months%36) + 1
		out := ill.AddMonthsClamped(in, m)
		if (out.Year*12+int(out.Month))-(in.Year*12+int(in.Month)) != m {
			return false
		}
		last := time.Date(out.Year, out.Month+1, 0, 12, 0, 0, 0, time.UTC).Day()
		if in.Day <= last {
			return out.Day == in.Day
		}
		return out.Day == last
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000, Rand: rand.New(rand.NewSource(7))}); err != nil {
		t.Error(err)
	}
}

func TestRecallDue(t *testing.T) {
	cal := load2026(t)
	s := cal.ScheduleFor(nil)
	sh := func(y int, m time.Month, day, h int) time.Time { return time.Date(y, m, day, h, 0, 0, 0, ill.Shanghai) }
	cases := []struct {
		name     string
		current  time.Time
		recalled time.Time
		period   int
		want     time.Time
		prov     bool
	}{
		{"recall+7 earlier than due", d(2026, 3, 31).End(), sh(2026, 3, 2, 10), 7, d(2026, 3, 9).End(), false},
		{"due earlier than recall+7 keeps due", d(2026, 3, 10).End(), sh(2026, 3, 5, 10), 7, d(2026, 3, 10).End(), false},
		{"equal keeps it", d(2026, 3, 12).End(), sh(2026, 3, 5, 10), 7, d(2026, 3, 12).End(), false},
		{"recall+7 on Saturday → Monday", d(2026, 3, 31).End(), sh(2026, 3, 7, 10), 7, d(2026, 3, 16).End(), false},
		{"recall+7 on Sunday → Monday", d(2026, 3, 31).End(), sh(2026, 3, 1, 10), 7, d(2026, 3, 9).End(), false},
		{"recall+7 into Spring Festival → Feb 24", d(2026, 3, 10).End(), sh(2026, 2, 10, 10), 7, d(2026, 2, 24).End(), false},
		{"recalled before checkout (zero due)", time.Time{}, sh(2026, 2, 10, 10), 7, d(2026, 2, 24).End(), false},
		{"zero due, open day", time.Time{}, sh(2026, 3, 2, 10), 7, d(2026, 3, 9).End(), false},
		{"lender period 14", time.Time{}, sh(2026, 3, 2, 10), 14, d(2026, 3, 16).End(), false},
		{"period 0: end of today", d(2026, 3, 31).End(), sh(2026, 3, 2, 10), 0, d(2026, 3, 2).End(), false},
		{"negative period treated as 0", d(2026, 3, 31).End(), sh(2026, 3, 2, 10), -5, d(2026, 3, 2).End(), false},
		{"already overdue keeps old due", d(2026, 3, 1).End(), sh(2026, 3, 5, 10), 7, d(2026, 3, 1).End(), false},
		{"UTC recall is next Shanghai day", time.Time{}, time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC), 7, d(2026, 3, 9).End(), false},
		{"into 2027 provisional", time.Time{}, sh(2026, 12, 28, 10), 7, d(2027, 1, 4).End(), true},
	}
	for _, c := range cases {
		got, prov := s.RecallDue(c.current, c.recalled, c.period)
		if !got.Equal(c.want) {
			t.Errorf("%s: RecallDue = %v, want %v", c.name, got.In(ill.Shanghai), c.want.In(ill.Shanghai))
		}
		if prov != c.prov {
			t.Errorf("%s: provisional = %v, want %v", c.name, prov, c.prov)
		}
		if !c.current.IsZero() && got.After(c.current) {
			t.Errorf("%s: recall moved the due date later", c.name)
		}
	}
}

func TestDateHelpers(t *testing.T) {
	x, err := ill.ParseDate("2026-02-13")
	if err != nil || x != d(2026, 2, 13) || x.String() != "2026-02-13" || x.Weekday() != time.Friday {
		t.Errorf("ParseDate: %v %v", x, err)
	}
	for _, bad := range []string{"", "2026-2-13", "2026-02-30", "13/02/2026", "2026-02-13T00:00:00Z"} {
		if _, err := ill.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if got := d(2026, 12, 31).AddDays(1); got != d(2027, 1, 1) {
		t.Errorf("AddDays = %s", got)
	}
	if got := d(2026, 3, 1).AddDays(-1); got != d(2026, 2, 28) {
		t.Errorf("AddDays(-1) = %s", got)
	}
	if f := d(2026, 2, 14).End().Format(time.RFC3339); f != "2026-02-14T23:59:59+08:00" {
		t.Errorf("End = %s", f)
	}
	if f := d(2026, 2, 14).Start().Format(time.RFC3339); f != "2026-02-14T00:00:00+08:00" {
		t.Errorf("Start = %s", f)
	}
	if got := ill.DateOf(time.Date(2026, 2, 13, 16, 0, 0, 0, time.UTC)); got != d(2026, 2, 14) {
		t.Errorf("DateOf(UTC 16:00) = %s", got)
	}
	b, _ := d(2026, 1, 4).MarshalText()
	var back ill.Date
	if err := back.UnmarshalText(b); err != nil || back != d(2026, 1, 4) {
		t.Errorf("text round trip: %s %v", back, err)
	}
	if !d(2026, 1, 4).Before(d(2026, 1, 5)) || d(2026, 1, 5).Before(d(2026, 1, 5)) {
		t.Error("Before")
	}
}

func TestParseCalendarYear(t *testing.T) {
	good := `{"year":2027,"source":"x","days":[{"date":"2027-01-01","kind":"holiday","name":"元旦"},{"date":"2027-02-06","kind":"workday"}]}`
	cy, err := ill.ParseCalendarYear([]byte(good))
	if err != nil || cy.Year != 2027 || len(cy.Days) != 2 || cy.Days[0].Date != d(2027, 1, 1) || cy.Days[1].Kind != ill.Workday {
		t.Fatalf("good file: %+v %v", cy, err)
	}
	c := ill.NewCalendar(cy)
	if c.NationalWorkingDay(d(2027, 1, 1)) || !c.NationalWorkingDay(d(2027, 2, 6)) {
		t.Error("parsed 2027 days not applied")
	}
	bad := map[string]string{
		"bad json":      `{"year":2026,`,
		"bad kind":      `{"year":2026,"days":[{"date":"2026-01-01","kind":"festival"}]}`,
		"empty kind":    `{"year":2026,"days":[{"date":"2026-01-01"}]}`,
		"wrong year":    `{"year":2026,"days":[{"date":"2027-01-01","kind":"holiday"}]}`,
		"year missing":  `{"days":[]}`,
		"year too big":  `{"year":99999,"days":[]}`,
		"bad date":      `{"year":2026,"days":[{"date":"2026-13-01","kind":"holiday"}]}`,
		"date format":   `{"year":2026,"days":[{"date":"2026/01/01","kind":"holiday"}]}`,
		"year a string": `{"year":"2026","days":[]}`,
	}
	for name, b := range bad {
		if _, err := ill.ParseCalendarYear([]byte(b)); err == nil {
			t.Errorf("%s: accepted %s", name, b)
		} else if !strings.HasPrefix(err.Error(), "calendar file") && !strings.Contains(err.Error(), "date") {
			t.Errorf("%s: error %q", name, err)
		}
	}
}
