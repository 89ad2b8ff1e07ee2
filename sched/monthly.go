package sched

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// MonthlySummary is the monthly-summary job: when the centre turned the
// summary on (ill.ReportSchedule, the console's reports page) and today
// is on or after the chosen working day of the month, it creates one
// notice (kind monthly_summary) per member library with the previous
// month's figures of that library (ill.MonthlySummaryText), delivered by
// the notices pool like every notice (e-mail to the library's address,
// its webhook). The notice channel carries no attachments, so the text
// links to the lenders report in the console instead of attaching the
// workbook.
//
// Safe to run twice, or daily for the rest of the month: each library's
// summary of a month is marked (monthly_summaries) in the transaction that
// creates its notice, and a marked one is skipped. It returns the number
// of notices created.
func (j *Jobs) MonthlySummary(ctx context.Context, now time.Time) (int, error) {
	set, err := j.Store.ReportSchedule(ctx)
	if err != nil || !set.Enabled {
		return 0, err
	}
	cal, err := j.Processor.Calendar.Get(ctx)
	if err != nil {
		return 0, err
	}
	today := ill.DateOf(now)
	this := ill.MonthContaining(today)
	if today.Before(cal.NthWorkingDay(this, set.WorkingDay)) {
		return 0, nil
	}
	month := this.Prev()
	libs, err := j.Store.Libraries(ctx)
	if err != nil {
		return 0, err
	}
	sums, total, err := j.monthlyFigures(ctx, cal, month, today)
	if err != nil {
		return 0, err
	}
	created := 0
	for _, l := range libs {
		if l.Code == ill.CentreCode {
			continue
		}
		s, ok := sums[l.Code]
		if !ok {
			s = ill.MonthlySummary{Consortium: total}
		}
		s.Month, s.Library, s.NameZH, s.NameEN = month, l.Code, l.NameZH, l.NameEN
		s.ReportURL = monthlyReportURL(set.ConsoleURL, month, l.Code)
		ok, err := j.addMonthlySummary(ctx, l, s, now)
		if err != nil {
			return created, err
		}
		if ok {
			created++
		}
	}
	if created > 0 {
		j.Log.Info("monthly summaries created", "month", month.String(), "notices", created)
	}
	return created, nil
}

// monthlyFigures computes every library's figures of month: as lender
// (ill.EvaluateLenders on the working-day calendar), as borrower (the
// daily roll-ups) and the items shipped each way, and the consortium's
// lender figures (which each summary carries). A library without activity
// has no entry.
func (j *Jobs) monthlyFigures(ctx context.Context, cal *ill.Calendar, month ill.Month, today ill.Date) (map[string]ill.MonthlySummary, ill.LenderFigures, error) {
	from, to := month.First().Start(), month.Next().First().Start()
	steps, err := j.Store.LenderSteps(ctx, from, to, "")
	if err != nil {
		return nil, ill.LenderFigures{}, err
	}
	stored, err := j.Store.ClosuresByLibrary(ctx)
	if err != nil {
		return nil, ill.LenderFigures{}, err
	}
	closures := map[string][]ill.DateRange{}
	for lib, cs := range stored {
		for _, c := range cs {
			closures[lib] = append(closures[lib], c.Range)
		}
	}
	by, total := ill.EvaluateLenders(steps, cal, closures)
	out := map[string]ill.MonthlySummary{}
	get := func(lib string) ill.MonthlySummary {
		s, ok := out[lib]
		if !ok {
			s = ill.MonthlySummary{Consortium: total}
			if f := by[lib]; f != nil {
				s.Lender = *f
			}
		}
		return s
	}
	for lib := range by {
		out[lib] = get(lib)
	}
	stats, err := j.Store.StatsRange(ctx, month.First(), month.Last(), today, "")
	if err != nil {
		return nil, ill.LenderFigures{}, err
	}
	for _, d := range stats {
		s := get(d.Library)
		s.Borrowed += d.Borrowed
		s.Received += d.Received
		s.BorrowUnfilled += d.Unfilled
		out[d.Library] = s
	}
	flows, err := j.Store.Flows(ctx, from, to, "")
	if err != nil {
		return nil, ill.LenderFigures{}, err
	}
	for _, f := range flows {
		s := get(f.Lender)
		s.ItemsLent += f.Items
		out[f.Lender] = s
		s = get(f.Borrower)
		s.ItemsBorrowed += f.Items
		out[f.Borrower] = s
	}
	return out, total, nil
}

// addMonthlySummary marks library l's summary of s.Month and stores its
// notice and the notice's delivery message, in one transaction; false
// when the summary was created before.
func (j *Jobs) addMonthlySummary(ctx context.Context, l ill.Library, s ill.MonthlySummary, now time.Time) (bool, error) {
	created := false
	err := j.Store.InTx(ctx, func(t *mysql.Tx) error {
		created = false // InTx may rerun the closure
		first, err := t.MarkMonthlySummary(ctx, l.Code, s.Month, now)
		if err != nil || !first {
			return err
		}
		locale := l.Locale
		if locale != "en" {
			locale = "zh"
		}
		subject, body := ill.MonthlySummaryText(locale, s)
		id, ok, err := t.AddNotice(ctx, ill.Notice{RequestID: ill.MonthlySummaryRef(s.Month, l.Code),
			Kind: ill.NoticeMonthlySummary, Library: l.Code, Recipient: l.Email, Locale: locale,
			Subject: subject, Body: body, At: now})
		if err != nil || !ok {
			return err
		}
		if err := t.SetMonthlySummaryNotice(ctx, l.Code, s.Month, id); err != nil {
			return err
		}
		ref, _ := json.Marshal(map[string]int64{"notice_id": id})
		created = true
		return t.Enqueue(ctx, ill.Message{ID: "notice:" + strconv.FormatInt(id, 10), Type: ill.MsgNotice,
			Actor: ill.SystemActor, At: now, Body: ref})
	})
	return created, err
}

// monthlyReportURL links the console's lenders report of month for
// library; "" without the console's address.
func monthlyReportURL(base string, m ill.Month, library string) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" {
		return ""
	}
	q := url.Values{"report": {"lenders"}, "from": {m.First().String()}, "to": {m.Last().String()}, "library": {library}}
	return base + "/console/reports?" + q.Encode()
}
