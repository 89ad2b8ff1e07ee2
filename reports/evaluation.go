package reports

import (
	"context"
	"slices"
	"sort"

	"github.com/balis/illhub/ill"
)

// The centre's evaluation of its members: the lenders report (fill rate,
// unfilled reasons, the 1- and 3-working-day limits, turnaround in
// working days and in working hours), the unfilled reasons, and every library's borrow/lend
// balance. Each has a consortium totals row computed over every member,
// so a member sees its own row beside the consortium's.

// evaluate reads the turns lenders began in the report's period (of the
// report's service type, every type when it is "") and computes each
// lender's figures and the consortium's on the working-day calendar
// (ill.EvaluateLenders).
func (s *Service) evaluate(ctx context.Context, rep *Report) (map[string]*ill.LenderFigures, ill.LenderFigures, error) {
	steps, err := s.Store.LenderSteps(ctx, rep.From.Start(), rep.To.AddDays(1).Start(), "")
	if err != nil {
		return nil, ill.LenderFigures{}, err
	}
	if rep.Service != "" {
		steps = slices.DeleteFunc(steps, func(st ill.LenderStep) bool { return st.ServiceType.OrLoan() != rep.Service })
	}
	cal := ill.NewCalendar()
	if s.Calendar != nil {
		if cal, err = s.Calendar.Get(ctx); err != nil {
			return nil, ill.LenderFigures{}, err
		}
	}
	stored, err := s.Store.ClosuresByLibrary(ctx)
	if err != nil {
		return nil, ill.LenderFigures{}, err
	}
	closures := make(map[string][]ill.DateRange, len(stored))
	for lib, cs := range stored {
		for _, c := range cs {
			closures[lib] = append(closures[lib], c.Range)
		}
	}
	by, total := ill.EvaluateLenders(steps, cal, closures)
	return by, total, nil
}

// members lists the report's rows' libraries: the one asked for, or every
// member (the centre's own code excluded) plus any other code in seen.
func members(rep *Report, libs []ill.Library, seen []string) []string {
	if rep.Library != "" {
		return []string{rep.Library}
	}
	set := map[string]bool{}
	for _, l := range libs {
		if l.Code != ill.CentreCode {
			set[l.Code] = true
		}
	}
	for _, c := range seen {
		set[c] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func opt(v float64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func (s *Service) lenders(ctx context.Context, rep *Report, libs []ill.Library) error {
	rep.Columns = []Column{col("lender", "出借馆", "Lender", Lib),
		col("received", "收到申请", "Requests received", Int), col("filled", "已提供", "Supplied", Int),
		col("unfilled", "未满足", "Unfilled", Int), col("open", "处理中", "Open", Int),
		col("fill_rate", "满足率", "Fill rate", Pct),
		col("answered_1wd", "1个工作日内答复率", "Answered within 1 working day", Pct),
		col("shipped_3wd", "3个工作日内寄出率", "Shipped within 3 working days", Pct),
		col("median_wd", "周转中位数（工作日）", "Median turnaround (working days)", Float),
		col("mean_wd", "平均周转（工作日）", "Mean turnaround (working days)", Float),
		col("median_wh", "周转中位数（工作小时）", "Median turnaround (working hours)", Float),
		col("mean_wh", "平均周转（工作小时）", "Mean turnaround (working hours)", Float)}
	for _, r := range ill.UnfilledReasons {
		l := ill.UnfilledReasonLabels[r]
		rep.Columns = append(rep.Columns, col("unfilled_"+r, "未满足："+l[0], "Unfilled: "+l[1], Int))
	}
	by, total, err := s.evaluate(ctx, rep)
	if err != nil {
		return err
	}
	seen := make([]string, 0, len(by))
	for l := range by {
		seen = append(seen, l)
	}
	for _, l := range members(rep, libs, seen) {
		f := ill.LenderFigures{}
		if x := by[l]; x != nil {
			f = *x
		}
		rep.Rows = append(rep.Rows, lenderRow(l, f))
	}
	rep.Total = lenderRow(nil, total)
	return nil
}

func lenderRow(lender any, f ill.LenderFigures) []any {
	row := []any{lender, f.Received, f.Filled, f.Unfilled, f.Open, opt(f.FillRate()), opt(f.AnsweredRate()),
		opt(f.ShippedRate()), opt(f.MedianTurnaround()), opt(f.MeanTurnaround()),
		opt(f.MedianWorkingHours()), opt(f.MeanWorkingHours())}
	for _, r := range ill.UnfilledReasons {
		row = append(row, f.ByReason[r])
	}
	return row
}

func (s *Service) unfilledReasons(ctx context.Context, rep *Report) error {
	rep.Columns = []Column{col("reason", "未满足原因", "Unfilled reason", ReasonCode),
		col("count", "次数", "Count", Int), col("share", "占比", "Share", Pct),
		col("consortium_count", "全体成员馆次数", "Consortium count", Int),
		col("consortium_share", "全体成员馆占比", "Consortium share", Pct)}
	by, total, err := s.evaluate(ctx, rep)
	if err != nil {
		return err
	}
	mine := total
	if rep.Library != "" {
		mine = ill.LenderFigures{}
		if f := by[rep.Library]; f != nil {
			mine = *f
		}
	}
	for _, r := range ill.UnfilledReasons {
		rep.Rows = append(rep.Rows, []any{r, mine.ByReason[r], ratio(mine.ByReason[r], mine.Unfilled),
			total.ByReason[r], ratio(total.ByReason[r], total.Unfilled)})
	}
	rep.Total = []any{nil, mine.Unfilled, ratio(mine.Unfilled, mine.Unfilled), total.Unfilled, ratio(total.Unfilled, total.Unfilled)}
	return nil
}

// libraryBalance is every library's borrow/lend balance over the period:
// the items it shipped as lender, the items shipped to it as borrower,
// and the difference.
func (s *Service) libraryBalance(ctx context.Context, rep *Report, libs []ill.Library) error {
	rep.Columns = []Column{col("library", "图书馆", "Library", Lib), col("lent", "借出（册）", "Items lent", Int),
		col("borrowed", "借入（册）", "Items borrowed", Int), col("net", "净借出", "Net lent", Int)}
	flows, err := s.Store.Flows(ctx, rep.From.Start(), rep.To.AddDays(1).Start(), "")
	if err != nil {
		return err
	}
	lent, borrowed := map[string]int{}, map[string]int{}
	var seen []string
	total := 0
	for _, f := range flows {
		lent[f.Lender] += f.Items
		borrowed[f.Borrower] += f.Items
		total += f.Items
		seen = append(seen, f.Lender, f.Borrower)
	}
	for _, l := range members(rep, libs, seen) {
		rep.Rows = append(rep.Rows, []any{l, lent[l], borrowed[l], lent[l] - borrowed[l]})
	}
	rep.Total = []any{nil, total, total, 0}
	return nil
}
