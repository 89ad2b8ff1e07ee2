package ill

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The centre's evaluation of its members as lenders (R8, R9): for every
// request a lender was asked in a period, whether it supplied, why not,
// whether it answered within 1 working day and shipped within 3, and how
// long the request took from reaching it to its supply (a loan's shipment,
// a copy's delivery), in working days and in working hours. The
// figures are computed here from the rota and timeline facts (LenderStep)
// on the lender's own working-day calendar, so the reports, the console
// and the monthly summary agree.

// LenderStep is one lender's turn on one request: the rota entry and the
// times of its answer and supply. Zero times are unknown or not (yet)
// happened.
type LenderStep struct {
	RequestID string
	Lender    string
	Borrower  string
	// ServiceType is the request's (a loan or a copy; "" is a loan).
	ServiceType ServiceType
	Outcome     Outcome
	// Reason is the lender's first unfilled reason (outcome unfilled),
	// "" when it gave none.
	Reason string
	// AskedAt is when the request reached the lender (the start of its
	// 1-working-day answer window).
	AskedAt time.Time
	// AnsweredAt is when the rota entry got its outcome: the lender's
	// answer for will_supply and unfilled, the timer's run for
	// no_response and not_shipped.
	AnsweredAt time.Time
	// AcceptedAt is when the lender answered will supply (the start of its
	// 3-working-day shipping window): AnsweredAt for will_supply, the
	// respond event for not_shipped.
	AcceptedAt time.Time
	// ShippedAt is the supply by this lender: a loan's forward shipment,
	// a copy's delivery (DELIVERED).
	ShippedAt time.Time
}

// UnfilledReasons are the reasons the lender evaluation counts, in display
// order: the lenders' own (SPEC 5.1), the scheduler's (not_delivered: a
// copy's missed deliver deadline), and "other" for an unfilled answer
// without a known reason.
var UnfilledReasons = []string{
	string(ReasonNotHeld), string(ReasonNotOnShelf), string(ReasonNonCirculating),
	string(ReasonNotAvailableForILL), string(ReasonPolicyProblem), string(ReasonPoorCondition),
	string(ReasonNoResponse), string(ReasonNotShipped), string(ReasonNotDelivered), ReasonOther,
}

// ReasonOther is counted for an unfilled answer whose reason is missing or
// not one of UnfilledReasons.
const ReasonOther = "other"

// LenderFigures are one lender's (or the consortium's) figures over a set
// of steps.
type LenderFigures struct {
	Received int            // steps: requests the lender was asked
	Filled   int            // supplied by the lender (a loan shipped, a copy delivered)
	Unfilled int            // unfilled, no_response, not_shipped, not_delivered
	Open     int            // neither yet (asked, accepted and not supplied, cancelled while with it)
	ByReason map[string]int // Unfilled by reason (UnfilledReasons)
	// AnswerDue counts the steps whose answer window closed or that were
	// answered; AnsweredOnTime those answered (will supply or unfilled)
	// by the end of the first working day after AskedAt.
	AnswerDue, AnsweredOnTime int
	// ShipDue counts the accepted steps that were supplied or timed out
	// (not_shipped, not_delivered); ShippedOnTime those supplied by the
	// end of the third working day after AcceptedAt.
	ShipDue, ShippedOnTime int
	// Turnaround holds, per filled step, the working days from AskedAt to
	// ShippedAt (WorkingDaysBetween), in ascending order.
	Turnaround []int
	// WorkingHours holds, per filled step, the working hours from AskedAt
	// to ShippedAt (WorkingHoursBetween), in ascending order.
	WorkingHours []float64
}

func ratioOf(num, den int) (float64, bool) {
	if den == 0 {
		return 0, false
	}
	return float64(num) / float64(den), true
}

// FillRate is Filled ÷ (Filled + Unfilled): of the steps that reached an
// outcome, the share the lender supplied (false: none did).
func (f LenderFigures) FillRate() (float64, bool) { return ratioOf(f.Filled, f.Filled+f.Unfilled) }

// AnsweredRate is AnsweredOnTime ÷ AnswerDue (R8's 1 working day).
func (f LenderFigures) AnsweredRate() (float64, bool) { return ratioOf(f.AnsweredOnTime, f.AnswerDue) }

// ShippedRate is ShippedOnTime ÷ ShipDue (R8's 3 working days).
func (f LenderFigures) ShippedRate() (float64, bool) { return ratioOf(f.ShippedOnTime, f.ShipDue) }

// MeanTurnaround is the mean of Turnaround in working days.
func (f LenderFigures) MeanTurnaround() (float64, bool) { return mean(f.Turnaround) }

// MedianTurnaround is the median of Turnaround in working days (the mean
// of the two middle values for an even count).
func (f LenderFigures) MedianTurnaround() (float64, bool) { return median(f.Turnaround) }

// MeanWorkingHours is the mean of WorkingHours.
func (f LenderFigures) MeanWorkingHours() (float64, bool) { return mean(f.WorkingHours) }

// MedianWorkingHours is the median of WorkingHours (the mean of the two
// middle values for an even count).
func (f LenderFigures) MedianWorkingHours() (float64, bool) { return median(f.WorkingHours) }

// mean is the mean of xs (false when there are none).
func mean[T int | float64](xs []T) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	var sum T
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs)), true
}

// median is the median of xs, the mean of the two middle values for an
// even count (false when there are none); an unsorted xs is read through
// a sorted copy.
func median[T int | float64](xs []T) (float64, bool) {
	n := len(xs)
	if n == 0 {
		return 0, false
	}
	if !slices.IsSorted(xs) {
		xs = slices.Clone(xs)
		slices.Sort(xs)
	}
	if n%2 == 1 {
		return float64(xs[n/2]), true
	}
	return float64(xs[n/2-1]+xs[n/2]) / 2, true
}

// Add adds o's counts to f (the consortium's figures are the sum of its
// members').
func (f *LenderFigures) Add(o LenderFigures) {
	f.Received += o.Received
	f.Filled += o.Filled
	f.Unfilled += o.Unfilled
	f.Open += o.Open
	f.AnswerDue += o.AnswerDue
	f.AnsweredOnTime += o.AnsweredOnTime
	f.ShipDue += o.ShipDue
	f.ShippedOnTime += o.ShippedOnTime
	for k, v := range o.ByReason {
		if f.ByReason == nil {
			f.ByReason = map[string]int{}
		}
		f.ByReason[k] += v
	}
	f.Turnaround = append(f.Turnaround, o.Turnaround...)
	sort.Ints(f.Turnaround)
	f.WorkingHours = append(f.WorkingHours, o.WorkingHours...)
	sort.Float64s(f.WorkingHours)
}

// WorkingDaysBetween counts the days the schedule is open after a's
// calendar day up to and including b's (Asia/Shanghai): 0 for the same
// day, 1 for the next working day; a closed day at the end adds nothing.
// It is the elapsed time SPEC §6's deadlines are measured in: an event is
// within N working days of a exactly when it happened by
// AddWorkingDays(a, N), unless it fell on a closed day after that
// deadline.
func WorkingDaysBetween(s Schedule, a, b time.Time) int {
	d, end := DateOf(a), DateOf(b)
	n := 0
	for i := 0; i < 5*maxScan && d.Before(end); i++ {
		d = d.AddDays(1)
		if s.Open(d) {
			n++
		}
	}
	return n
}

// within reports whether t happened by the end of the n-th working day of
// s after start.
func within(s Schedule, start, t time.Time, n int) bool {
	deadline, _ := s.AddWorkingDays(start, n)
	return !DateOf(deadline).Before(DateOf(t))
}

// EvaluateLenders computes the figures of each lender over steps, each on
// its own working days (cal and the lenders' closures), and the
// consortium's (the sum over all lenders). A step is filled when it has a
// supply time (ShippedAt), whatever its service type; a copy's missed
// deliver deadline (not_delivered) is unfilled like a loan's not_shipped.
func EvaluateLenders(steps []LenderStep, cal *Calendar, closures map[string][]DateRange) (map[string]*LenderFigures, LenderFigures) {
	by := map[string]*LenderFigures{}
	for _, st := range steps {
		f := by[st.Lender]
		if f == nil {
			f = &LenderFigures{ByReason: map[string]int{}}
			by[st.Lender] = f
		}
		s := cal.ScheduleFor(closures[st.Lender])
		f.Received++
		answered := time.Time{}
		switch {
		case !st.ShippedAt.IsZero():
			f.Filled++
			f.Turnaround = append(f.Turnaround, WorkingDaysBetween(s, st.AskedAt, st.ShippedAt))
			f.WorkingHours = append(f.WorkingHours, WorkingHoursBetween(s, st.AskedAt, st.ShippedAt))
			answered = st.AcceptedAt
			if answered.IsZero() {
				answered = st.AnsweredAt
			}
			f.ShipDue++
			if !answered.IsZero() && within(s, answered, st.ShippedAt, 3) {
				f.ShippedOnTime++
			}
		case st.Outcome == OutcomeUnfilled:
			f.Unfilled++
			r := st.Reason
			if !slices.Contains(UnfilledReasons, r) || r == string(ReasonNoResponse) || r == string(ReasonNotShipped) ||
				r == string(ReasonNotDelivered) {
				r = ReasonOther
			}
			f.ByReason[r]++
			answered = st.AnsweredAt
		case st.Outcome == OutcomeNoResponse:
			f.Unfilled++
			f.ByReason[string(ReasonNoResponse)]++
			f.AnswerDue++ // missed: never on time
		case st.Outcome == OutcomeNotShipped:
			f.Unfilled++
			f.ByReason[string(ReasonNotShipped)]++
			f.ShipDue++ // missed
			answered = st.AcceptedAt
		case st.Outcome == OutcomeNotDelivered:
			// A copy's deliver deadline runs whether the lender answered
			// or not: accepted, it missed the delivery; never answered,
			// it missed the answer.
			f.Unfilled++
			f.ByReason[string(ReasonNotDelivered)]++
			answered = st.AcceptedAt
			if answered.IsZero() {
				f.AnswerDue++ // missed: never on time
			} else {
				f.ShipDue++ // missed
			}
		default:
			f.Open++
			if st.Outcome == OutcomeWillSupply {
				answered = st.AnsweredAt
			}
		}
		if !answered.IsZero() {
			f.AnswerDue++
			if within(s, st.AskedAt, answered, 1) {
				f.AnsweredOnTime++
			}
		}
	}
	var total LenderFigures
	for _, f := range by {
		sort.Ints(f.Turnaround)
		sort.Float64s(f.WorkingHours)
		total.Add(*f)
	}
	if total.ByReason == nil {
		total.ByReason = map[string]int{}
	}
	return by, total
}

// Month is a calendar month (Asia/Shanghai).
type Month struct {
	Year  int
	Month time.Month
}

// MonthContaining is the month d lies in.
func MonthContaining(d Date) Month { return Month{d.Year, d.Month} }

// String is "2006-01".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }

// First and Last are the month's first and last days.
func (m Month) First() Date { return Date{Year: m.Year, Month: m.Month, Day: 1} }
func (m Month) Last() Date  { return m.Next().First().AddDays(-1) }

// Next and Prev are the following and the preceding month.
func (m Month) Next() Month { d := m.First().AddDays(32); return Month{d.Year, d.Month} }
func (m Month) Prev() Month { d := m.First().AddDays(-1); return Month{d.Year, d.Month} }

// NthWorkingDay is the n-th national working day of m (n ≥ 1; beyond the
// month's working days, its last working day).
func (c *Calendar) NthWorkingDay(m Month, n int) Date {
	last := m.First()
	k := 0
	for d := m.First(); !m.Last().Before(d); d = d.AddDays(1) {
		if c.NationalWorkingDay(d) {
			last = d
			if k++; k == n {
				return d
			}
		}
	}
	return last
}

// ReportSchedule is the centre's setting of the monthly summary e-mail
// (the console's reports page): whether it is sent, on which working day
// of the month, and the console address its link points to.
type ReportSchedule struct {
	Enabled bool
	// WorkingDay: the summary of the previous month is sent on the n-th
	// national working day of each month (1 to MaxSummaryWorkingDay), or
	// on the first scheduler run after it.
	WorkingDay int
	// ConsoleURL is the console's public address (https://…), the base
	// of the link to the full report; "" names the page without a link.
	ConsoleURL string
	UpdatedBy  string
	UpdatedAt  time.Time
}

// MaxSummaryWorkingDay bounds ReportSchedule.WorkingDay.
const MaxSummaryWorkingDay = 10

// DefaultReportSchedule is the setting before the centre saved one: off,
// on the first working day.
var DefaultReportSchedule = ReportSchedule{WorkingDay: 1}

// Validate checks a schedule the centre submits.
func (r ReportSchedule) Validate() error {
	if r.WorkingDay < 1 || r.WorkingDay > MaxSummaryWorkingDay {
		return FieldError("working_day", "working_day must be 1 to %d", MaxSummaryWorkingDay)
	}
	if u := r.ConsoleURL; u != "" && !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) ||
		len(r.ConsoleURL) > 200 || strings.ContainsAny(r.ConsoleURL, " \t\r\n\"'<>") {
		return FieldError("console_url", "console_url must be an http(s) address of at most 200 characters")
	}
	return nil
}

// ReportSettings stores the monthly summary's schedule and the marks of
// the summaries sent (implemented by mysql.Store; memstore in tests).
type ReportSettings interface {
	// ReportSchedule returns the stored schedule, DefaultReportSchedule
	// when none was saved.
	ReportSchedule(ctx context.Context) (ReportSchedule, error)
	// SetReportSchedule stores the schedule (the caller validated it).
	SetReportSchedule(ctx context.Context, r ReportSchedule) error
}

// NoticeMonthlySummary is the monthly summary to a member library: its
// previous month's figures (kind of the notices table; one per library and
// month, RequestID MonthlySummaryRef).
const NoticeMonthlySummary = "monthly_summary"

// MonthlySummaryRef is the reference a monthly summary notice carries in
// place of a request id ("summary-2026-03-THU", at most 32 characters):
// with kind NoticeMonthlySummary it makes the notice unique per library
// and month.
func MonthlySummaryRef(m Month, library string) string {
	return "summary-" + m.String() + "-" + library
}

// MonthlySummary is what one member's monthly e-mail reports.
type MonthlySummary struct {
	Month   Month
	Library string
	NameZH  string
	NameEN  string
	// As lender: its figures, and the consortium's for comparison.
	Lender     LenderFigures
	Consortium LenderFigures
	// As borrower: requests its readers submitted, items received,
	// requests that ended unfilled.
	Borrowed, Received, BorrowUnfilled int
	// Items shipped by it (lent) and to it (borrowed in): the balance.
	ItemsLent, ItemsBorrowed int
	// ReportURL is the link to the full report ("" when the console's
	// address is not set).
	ReportURL string
}

// MonthlySummaryText renders the monthly summary in "zh" or "en".
func MonthlySummaryText(locale string, s MonthlySummary) (subject, body string) {
	en := locale == "en"
	pct := func(v float64, ok bool) string {
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", v*100)
	}
	days := func(v float64, ok bool) string {
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.1f", v)
	}
	f, c := s.Lender, s.Consortium
	var reasons []string
	for _, r := range UnfilledReasons {
		if n := f.ByReason[r]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s %d", reasonLabel(r, en), n))
		}
	}
	sep := "、"
	if en {
		sep = ", "
	}
	reasonText := strings.Join(reasons, sep)
	if reasonText == "" {
		reasonText = "—"
	}
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	name := s.NameZH
	if en && s.NameEN != "" {
		name = s.NameEN
	}
	if name == "" {
		name = s.Library
	}
	if en {
		subject = fmt.Sprintf("BALIS ILL monthly summary %s: %s", s.Month, name)
		line("Monthly interlibrary-loan summary of %s (%s) for %s.", name, s.Library, s.Month)
		line("")
		line("As lender")
		line("- Requests received: %d; supplied: %d; unfilled: %d; still open: %d", f.Received, f.Filled, f.Unfilled, f.Open)
		line("- Fill rate: %s (consortium: %s)", pct(f.FillRate()), pct(c.FillRate()))
		line("- Answered within 1 working day: %s (consortium: %s)", pct(f.AnsweredRate()), pct(c.AnsweredRate()))
		line("- Shipped within 3 working days: %s (consortium: %s)", pct(f.ShippedRate()), pct(c.ShippedRate()))
		line("- Turnaround, request to shipment, in working days: median %s, mean %s (consortium median %s)",
			days(f.MedianTurnaround()), days(f.MeanTurnaround()), days(c.MedianTurnaround()))
		line("- Unfilled by reason: %s", reasonText)
		line("")
		line("As borrower")
		line("- Requests from your readers: %d; items received: %d; unfilled: %d", s.Borrowed, s.Received, s.BorrowUnfilled)
		line("")
		line("Balance: items lent %d, items borrowed %d, net %+d", s.ItemsLent, s.ItemsBorrowed, s.ItemsLent-s.ItemsBorrowed)
		line("")
		if s.ReportURL != "" {
			line("Full report (sign in to the console): %s", s.ReportURL)
		} else {
			line("The full report is in the console under Reports → Lender evaluation.")
		}
		return subject, b.String()
	}
	subject = fmt.Sprintf("BALIS 馆际互借月度统计 %s：%s", s.Month, name)
	line("%s（%s）%s 馆际互借月度统计。", name, s.Library, s.Month)
	line("")
	line("作为出借馆")
	line("- 收到申请 %d 件；已提供 %d 件；未满足 %d 件；处理中 %d 件", f.Received, f.Filled, f.Unfilled, f.Open)
	line("- 满足率：%s（全体成员馆：%s）", pct(f.FillRate()), pct(c.FillRate()))
	line("- 1个工作日内答复率：%s（全体成员馆：%s）", pct(f.AnsweredRate()), pct(c.AnsweredRate()))
	line("- 3个工作日内寄出率：%s（全体成员馆：%s）", pct(f.ShippedRate()), pct(c.ShippedRate()))
	line("- 从收到申请到寄出（工作日）：中位数 %s，平均 %s（全体成员馆中位数 %s）",
		days(f.MedianTurnaround()), days(f.MeanTurnaround()), days(c.MedianTurnaround()))
	line("- 未满足原因：%s", reasonText)
	line("")
	line("作为借入馆")
	line("- 本馆读者申请 %d 件；已收到 %d 册；未满足 %d 件", s.Borrowed, s.Received, s.BorrowUnfilled)
	line("")
	line("借贷平衡：借出 %d 册，借入 %d 册，净借出 %+d 册", s.ItemsLent, s.ItemsBorrowed, s.ItemsLent-s.ItemsBorrowed)
	line("")
	if s.ReportURL != "" {
		line("完整报表（请先登录管理控制台）：%s", s.ReportURL)
	} else {
		line("完整报表见管理控制台“统计报表 → 出借馆考核”。")
	}
	return subject, b.String()
}

// reasonLabel names an unfilled reason in the notice texts.
func reasonLabel(r string, en bool) string {
	l, ok := UnfilledReasonLabels[r]
	if !ok {
		return r
	}
	if en {
		return l[1]
	}
	return l[0]
}

// UnfilledReasonLabels name the UnfilledReasons {zh, en} in reports and
// notices.
var UnfilledReasonLabels = map[string][2]string{
	string(ReasonNotHeld):            {"无馆藏", "Not held"},
	string(ReasonNotOnShelf):         {"不在架", "Not on shelf"},
	string(ReasonNonCirculating):     {"不外借", "Non-circulating"},
	string(ReasonNotAvailableForILL): {"不提供馆际互借", "Not available for ILL"},
	string(ReasonPolicyProblem):      {"政策限制", "Policy problem"},
	string(ReasonPoorCondition):      {"品相不佳", "Poor condition"},
	string(ReasonNoResponse):         {"超时未答复", "No response"},
	string(ReasonNotShipped):         {"超时未寄出", "Not shipped"},
	string(ReasonNotDelivered):       {"超时未传递", "Not delivered"},
	ReasonOther:                      {"其他", "Other"},
}

// LenderTurns reads the lenders' turns for the evaluation (implemented by
// mysql.Store).
type LenderTurns interface {
	// LenderSteps returns the turns that began (the request reached the
	// lender) in [from, to): library "" = every lender's, else that
	// lender's. Each carries the lender's first unfilled reason, the time
	// it accepted and, for the lender that supplied, the shipment.
	LenderSteps(ctx context.Context, from, to time.Time, library string) ([]LenderStep, error)
}
