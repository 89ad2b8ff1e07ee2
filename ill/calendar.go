package ill

import (
	"encoding/json"
	"fmt"
	"time"
)

// Shanghai is the time zone all BALIS deadlines are computed in. Times are
// stored in UTC; calendar days are Asia/Shanghai days.
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// No tzdata on the host: fall back to the fixed +08:00 offset, which
		// is exact for China (no daylight saving since 1991).
		return time.FixedZone(name, 8*3600)
	}
	return loc
}

// Date is a civil date in Asia/Shanghai.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns t's calendar day in Asia/Shanghai.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Shanghai).Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation("2006-01-02", s, Shanghai)
	if err != nil {
		return Date{}, fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Start is 00:00:00 of d in Asia/Shanghai.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Shanghai) }

// End is 23:59:59 of d in Asia/Shanghai, the instant a deadline on d expires.
func (d Date) End() time.Time { return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, Shanghai) }

// AddDays returns d plus n calendar days.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, Shanghai))
}

// Weekday of d.
func (d Date) Weekday() time.Weekday { return d.Start().Weekday() }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Start().Before(e.Start()) }

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	*d = v
	return err
}

// DateRange is an inclusive range of days, e.g. a library's winter closure.
type DateRange struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// Contains reports whether d lies in r.
func (r DateRange) Contains(d Date) bool { return !d.Before(r.From) && !r.To.Before(d) }

// DayKind classifies a day in the national calendar file.
type DayKind string

const (
	Holiday DayKind = "holiday" // a public holiday: closed even on a weekday
	Workday DayKind = "workday" // an adjusted working day (调休上班): open even on a weekend
)

// CalendarYear is one year of the national calendar as ops load it
// (configs/calendar/2026.json, `illctl calendar import`).
type CalendarYear struct {
	Year   int           `json:"year"`
	Source string        `json:"source"`
	Days   []CalendarDay `json:"days"`
}

// CalendarDay is one exceptional day of a CalendarYear.
type CalendarDay struct {
	Date Date    `json:"date"`
	Kind DayKind `json:"kind"`
	Name string  `json:"name"`
}

// ParseCalendarYear decodes and validates a calendar file.
func ParseCalendarYear(b []byte) (CalendarYear, error) {
	var cy CalendarYear
	if err := json.Unmarshal(b, &cy); err != nil {
		return cy, fmt.Errorf("calendar file: %w", err)
	}
	return cy, cy.Validate()
}

// Validate checks the year, that every day lies in it, has a known kind
// and is listed once.
func (cy CalendarYear) Validate() error {
	if cy.Year < 2000 || cy.Year > 2200 {
		return fmt.Errorf("calendar file: year %d out of range", cy.Year)
	}
	seen := map[Date]bool{}
	for i, d := range cy.Days {
		if d.Date.Year != cy.Year {
			return fmt.Errorf("calendar file: day %d (%s) is not in %d", i, d.Date, cy.Year)
		}
		if d.Kind != Holiday && d.Kind != Workday {
			return fmt.Errorf("calendar file: day %s has kind %q, want holiday or workday", d.Date, d.Kind)
		}
		if seen[d.Date] {
			return fmt.Errorf("calendar file: day %s is listed twice", d.Date)
		}
		seen[d.Date] = true
	}
	return nil
}

// Calendar is the national working-day calendar: weekends closed, public
// holidays closed, adjusted working days open, for the years loaded. Beyond
// the loaded years only weekends are closed and results are provisional.
// A Calendar is immutable after construction and safe for concurrent use.
type Calendar struct {
	days  map[Date]DayKind
	years map[int]bool
}

// NewCalendar builds a calendar from loaded years.
func NewCalendar(years ...CalendarYear) *Calendar {
	c := &Calendar{days: map[Date]DayKind{}, years: map[int]bool{}}
	for _, y := range years {
		c.years[y.Year] = true
		for _, d := range y.Days {
			c.days[d.Date] = d.Kind
		}
	}
	return c
}

// Covers reports whether d's year is loaded (results on d are not provisional).
func (c *Calendar) Covers(d Date) bool { return c.years[d.Year] }

// CoveredUntil is the last day of the last contiguous loaded year starting
// from today's year, or the day before today when today's year is missing.
func (c *Calendar) CoveredUntil(today Date) Date {
	y := today.Year
	if !c.years[y] {
		return today.AddDays(-1)
	}
	for c.years[y+1] {
		y++
	}
	return Date{y, time.December, 31}
}

// NationalWorkingDay reports whether d is a working day nationally.
func (c *Calendar) NationalWorkingDay(d Date) bool {
	switch c.days[d] {
	case Holiday:
		return false
	case Workday:
		return true
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Schedule is the calendar as one library sees it: national days plus the
// library's own closures.
type Schedule struct {
	Cal      *Calendar
	Closures []DateRange
}

// ScheduleFor combines the national calendar with a library's closures.
func (c *Calendar) ScheduleFor(closures []DateRange) Schedule {
	return Schedule{Cal: c, Closures: closures}
}

// Open reports whether the library works on d.
func (s Schedule) Open(d Date) bool {
	if !s.Cal.NationalWorkingDay(d) {
		return false
	}
	for _, r := range s.Closures {
		if r.Contains(d) {
			return false
		}
	}
	return true
}

// maxScan bounds searches for working days (a closure of years is a data
// error, not a reason to loop forever).
const maxScan = 800

// NextOpen returns the first open day on or after d.
func (s Schedule) NextOpen(d Date) Date {
	for i := 0; i < maxScan; i++ {
		if s.Open(d) {
			return d
		}
		d = d.AddDays(1)
	}
	return d
}

// AddWorkingDays is SPEC §6's "N working days after t": the end (23:59:59
// Asia/Shanghai) of the N-th working day after t's calendar day. n must be
// at least 1. provisional is true when any day used lies beyond the loaded
// calendar.
func (s Schedule) AddWorkingDays(t time.Time, n int) (deadline time.Time, provisional bool) {
	d := DateOf(t)
	for i := 0; i < n; i++ {
		d = s.NextOpen(d.AddDays(1))
	}
	return d.End(), !s.Cal.Covers(d) || !s.Cal.Covers(DateOf(t))
}

// EndOfOpenDay returns the end of d, or of the next open day when the
// library is closed on d (R4, R6).
func (s Schedule) EndOfOpenDay(d Date) (time.Time, bool) {
	o := s.NextOpen(d)
	return o.End(), !s.Cal.Covers(o)
}

// LoanDue is R4: one calendar month after checkout, clamped to the end of a
// shorter month (Jan 31 → Feb 28), moved to the end of the borrowing
// library's next working day when that day is closed.
func (s Schedule) LoanDue(checkout time.Time, months int) (time.Time, bool) {
	if months < 1 {
		months = 1
	}
	d := DateOf(checkout)
	return s.EndOfOpenDay(AddMonthsClamped(d, months))
}

// AddMonthsClamped adds calendar months, clamping the day to the target
// month's length.
func AddMonthsClamped(d Date, months int) Date {
	first := time.Date(d.Year, d.Month+time.Month(months), 1, 12, 0, 0, 0, Shanghai)
	last := time.Date(first.Year(), first.Month()+1, 0, 12, 0, 0, 0, Shanghai).Day()
	day := d.Day
	if day > last {
		day = last
	}
	return Date{first.Year(), first.Month(), day}
}

// RecallDue is R6: the earlier of the current due date and the recall time
// plus the lender's recall period (calendar days), moved to the end of the
// borrowing library's next working day when closed. A zero current due date
// (recalled before checkout) means "no due date yet".
func (s Schedule) RecallDue(current, recalledAt time.Time, periodDays int) (time.Time, bool) {
	if periodDays < 0 {
		periodDays = 0
	}
	due, prov := s.EndOfOpenDay(DateOf(recalledAt).AddDays(periodDays))
	if !current.IsZero() && current.Before(due) {
		return current, false
	}
	return due, prov
}
