package ill_test

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
	"time"

	"github.com/balis/illhub/ill"
)

func wh26(m time.Month, day, hour, min int) time.Time {
	return time.Date(2026, m, day, hour, min, 0, 0, ill.Shanghai)
}

// Working hours on the 2026 national calendar: only the parts of the
// range on the lender's working days count, cut at Asia/Shanghai
// midnights.
func TestWorkingHoursBetween(t *testing.T) {
	cal := load2026(t)
	s := cal.ScheduleFor(nil)
	closedTue := cal.ScheduleFor([]ill.DateRange{{From: d(2026, 4, 7), To: d(2026, 4, 7)}})
	for _, c := range []struct {
		name     string
		s        ill.Schedule
		from, to time.Time
		want     float64
	}{
		{"same working day", s, wh26(3, 2, 9, 0), wh26(3, 2, 17, 0), 8},
		{"half an hour", s, wh26(3, 2, 9, 0), wh26(3, 2, 9, 30), 0.5},
		{"to equals from", s, wh26(3, 2, 9, 0), wh26(3, 2, 9, 0), 0},
		{"to before from", s, wh26(3, 2, 17, 0), wh26(3, 2, 9, 0), 0},
		{"over midnight between two working days", s, wh26(3, 2, 22, 0), wh26(3, 3, 2, 0), 4},
		{"Friday evening to Monday morning", s, wh26(3, 6, 17, 0), wh26(3, 9, 9, 0), 7 + 9},
		{"Friday to Tuesday over Qingming (04-04..06)", s, wh26(4, 3, 17, 0), wh26(4, 7, 9, 0), 7 + 9},
		{"Friday to the holiday Monday", s, wh26(4, 3, 17, 0), wh26(4, 6, 10, 0), 7},
		{"from a holiday Saturday", s, wh26(4, 4, 10, 0), wh26(4, 7, 10, 0), 10},
		{"inside the holiday", s, wh26(4, 4, 10, 0), wh26(4, 6, 23, 0), 0},
		{"the lender closed on Tuesday 04-07", closedTue, wh26(4, 3, 17, 0), wh26(4, 8, 9, 0), 7 + 9},
		{"Friday 02-13 over the working Saturday 02-14 into the Spring Festival", s, wh26(2, 13, 12, 0), wh26(2, 15, 12, 0), 12 + 24},
		{"a whole week of Labour Day (05-01..05 closed, 05-09 a working Saturday)", s, wh26(4, 30, 0, 0), wh26(5, 10, 0, 0), 24 * 5},
		// 23:00 Friday to 05:00 Saturday in Shanghai: only Friday's hour
		// counts (in UTC both ends would lie on Friday: 6 hours).
		{"Shanghai days, not UTC days", s, wh26(3, 6, 23, 0).UTC(), wh26(3, 7, 5, 0).UTC(), 1},
	} {
		if got := ill.WorkingHoursBetween(c.s, c.from, c.to); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: %v working hours, want %v", c.name, got, c.want)
		}
	}
}

// allOpen2026 is a calendar on which every day of 2026 is a working day
// (every weekend day an adjusted working day, no holidays).
func allOpen2026() *ill.Calendar {
	cy := ill.CalendarYear{Year: 2026}
	for day := d(2026, 1, 1); day.Year == 2026; day = day.AddDays(1) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			cy.Days = append(cy.Days, ill.CalendarDay{Date: day, Kind: ill.Workday})
		}
	}
	return ill.NewCalendar(cy)
}

// hourRange is a random range inside 2026 (up to 40 days long) and a
// point inside it, for the properties below.
type hourRange struct{ From, Mid, To time.Time }

func (hourRange) Generate(r *rand.Rand, _ int) reflect.Value {
	start := wh26(1, 1, 0, 0)
	from := start.Add(time.Duration(r.Int63n(int64(310 * 24 * time.Hour))))
	// Whole minutes half of the time, to hit day boundaries exactly.
	if r.Intn(2) == 0 {
		from = from.Truncate(time.Hour)
	}
	to := from.Add(time.Duration(r.Int63n(int64(40 * 24 * time.Hour))))
	mid := from.Add(time.Duration(r.Int63n(int64(to.Sub(from)) + 1)))
	return reflect.ValueOf(hourRange{from, mid, to})
}

func TestWorkingHoursProperties(t *testing.T) {
	cal := load2026(t)
	national := cal.ScheduleFor([]ill.DateRange{{From: d(2026, 7, 13), To: d(2026, 8, 21)}}) // a summer closure
	open := allOpen2026().ScheduleFor(nil)
	weekends := ill.NewCalendar().ScheduleFor(nil)
	const eps = 1e-9
	cfg := &quick.Config{MaxCount: 500, Rand: rand.New(rand.NewSource(19))}
	props := map[string]func(hourRange) bool{
		"never negative, never more than the clock hours": func(r hourRange) bool {
			h := ill.WorkingHoursBetween(national, r.From, r.To)
			return h >= 0 && h <= r.To.Sub(r.From).Hours()+eps
		},
		"the clock hours when every day is a working day": func(r hourRange) bool {
			return math.Abs(ill.WorkingHoursBetween(open, r.From, r.To)-r.To.Sub(r.From).Hours()) < eps
		},
		"additive over a split point": func(r hourRange) bool {
			whole := ill.WorkingHoursBetween(national, r.From, r.To)
			parts := ill.WorkingHoursBetween(national, r.From, r.Mid) + ill.WorkingHoursBetween(national, r.Mid, r.To)
			return math.Abs(whole-parts) < eps
		},
		"any 7 × 24 hours on a weekends-only calendar hold 5 × 24 working hours": func(r hourRange) bool {
			return math.Abs(ill.WorkingHoursBetween(weekends, r.From, r.From.Add(7*24*time.Hour))-120) < eps
		},
		"a closure never adds hours": func(r hourRange) bool {
			return ill.WorkingHoursBetween(national, r.From, r.To) <= ill.WorkingHoursBetween(cal.ScheduleFor(nil), r.From, r.To)+eps
		},
		"zero exactly when no working day is touched": func(r hourRange) bool {
			h := ill.WorkingHoursBetween(national, r.From, r.To)
			touched := false
			for day := ill.DateOf(r.From); !ill.DateOf(r.To).Before(day); day = day.AddDays(1) {
				lo, hi := day.Start(), day.AddDays(1).Start()
				if national.Open(day) && r.To.After(lo) && r.From.Before(hi) && r.To.After(r.From) {
					touched = true
				}
			}
			return (h > 0) == touched
		},
	}
	for name, p := range props {
		if err := quick.Check(p, cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The lender evaluation counts a delivered copy as filled, with its
// working hours beside its working days; a copy's missed deliver deadline
// is unfilled (not_delivered), a missed delivery when the lender had
// accepted and a missed answer when it had not.
func TestEvaluateLendersWorkingHoursAndCopies(t *testing.T) {
	cal := load2026(t)
	steps := []ill.LenderStep{
		// A loan: Friday 17:00 → shipped Tuesday 09:00 over Qingming:
		// 1 working day, 16 working hours.
		{RequestID: "L1", Lender: "THU", ServiceType: ill.ServiceLoan, Outcome: ill.OutcomeWillSupply,
			AskedAt: wh26(4, 3, 17, 0), AnsweredAt: wh26(4, 3, 18, 0), ShippedAt: wh26(4, 7, 9, 0)},
		// A copy delivered the same day: 0 working days, 3 hours.
		{RequestID: "C1", Lender: "THU", ServiceType: ill.ServiceCopy, Outcome: ill.OutcomeWillSupply,
			AskedAt: wh26(4, 8, 9, 0), AnsweredAt: wh26(4, 8, 10, 0), ShippedAt: wh26(4, 8, 12, 0)},
		// A copy delivered the next day: 1 working day, 15 + 11 = 26 hours.
		{RequestID: "C2", Lender: "THU", ServiceType: ill.ServiceCopy, Outcome: ill.OutcomeWillSupply,
			AskedAt: wh26(4, 8, 9, 0), AnsweredAt: wh26(4, 8, 10, 0), ShippedAt: wh26(4, 9, 11, 0)},
		// Copies not delivered in time: accepted, and never answered.
		{RequestID: "C3", Lender: "PKU", ServiceType: ill.ServiceCopy, Outcome: ill.OutcomeNotDelivered,
			AskedAt: wh26(4, 8, 9, 0), AcceptedAt: wh26(4, 8, 10, 0), AnsweredAt: wh26(4, 14, 0, 0)},
		{RequestID: "C4", Lender: "PKU", ServiceType: ill.ServiceCopy, Outcome: ill.OutcomeNotDelivered,
			AskedAt: wh26(4, 8, 9, 0), AnsweredAt: wh26(4, 14, 0, 0)},
	}
	by, total := ill.EvaluateLenders(steps, cal, nil)
	thu := by["THU"]
	if thu.Filled != 3 || thu.Unfilled != 0 || thu.Open != 0 {
		t.Fatalf("THU: %+v", thu)
	}
	if !reflect.DeepEqual(thu.Turnaround, []int{0, 1, 1}) || !reflect.DeepEqual(thu.WorkingHours, []float64{3, 16, 26}) {
		t.Errorf("THU turnaround %v days, %v hours", thu.Turnaround, thu.WorkingHours)
	}
	if m, ok := thu.MedianWorkingHours(); !ok || m != 16 {
		t.Errorf("THU median %v %v", m, ok)
	}
	if m, ok := thu.MeanWorkingHours(); !ok || math.Abs(m-15) > 1e-9 {
		t.Errorf("THU mean %v %v", m, ok)
	}
	pku := by["PKU"]
	if pku.Filled != 0 || pku.Unfilled != 2 || pku.ByReason["not_delivered"] != 2 || pku.ByReason["not_shipped"] != 0 {
		t.Errorf("PKU: %+v", pku)
	}
	if pku.ShipDue != 1 || pku.ShippedOnTime != 0 || pku.AnswerDue != 2 || pku.AnsweredOnTime != 1 {
		t.Errorf("PKU limits: ship %d/%d answer %d/%d", pku.ShippedOnTime, pku.ShipDue, pku.AnsweredOnTime, pku.AnswerDue)
	}
	if _, ok := pku.MedianWorkingHours(); ok {
		t.Errorf("PKU supplied nothing but has a median")
	}
	if _, ok := pku.MeanWorkingHours(); ok {
		t.Errorf("PKU supplied nothing but has a mean")
	}
	if !reflect.DeepEqual(total.WorkingHours, []float64{3, 16, 26}) || total.Filled != 3 || total.Unfilled != 2 {
		t.Errorf("consortium: %+v", total)
	}

	// The median of an even count is the mean of the middle two, whatever
	// the order the hours were added in.
	f := ill.LenderFigures{WorkingHours: []float64{30, 2, 10, 4}}
	if m, _ := f.MedianWorkingHours(); m != 7 {
		t.Errorf("median of 2, 4, 10, 30 = %v, want 7", m)
	}
	var sum ill.LenderFigures
	sum.Add(ill.LenderFigures{WorkingHours: []float64{5, 9}})
	sum.Add(ill.LenderFigures{WorkingHours: []float64{1, 7}})
	if !reflect.DeepEqual(sum.WorkingHours, []float64{1, 5, 7, 9}) {
		t.Errorf("Add: %v", sum.WorkingHours)
	}
}
