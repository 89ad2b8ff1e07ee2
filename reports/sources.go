package reports

import (
	"context"
	"time"

	"github.com/balis/illhub/ill"
)

// sources is the sources report: the requests submitted in the period per
// source (an OpenURL link's rfr_id or sid, or what a member system sent as
// source; "" for requests that named none), with how many a lender agreed
// to supply. A member sees the requests it borrowed.
func (s *Service) sources(ctx context.Context, rep *Report, start, end time.Time) error {
	rep.Columns = []Column{col("source", "来源", "Source", Text), col("requests", "申请数", "Requests", Int),
		col("filled", "已满足", "Filled", Int), col("fill_rate", "满足率", "Fill rate", Pct)}
	st, ok := s.Store.(ill.RequestSources)
	if !ok {
		return ill.Errorf(ill.CodeInternal, "the store does not count request sources")
	}
	rows, err := st.SourceCounts(ctx, start, end, rep.Library)
	if err != nil {
		return err
	}
	for _, r := range rows {
		var rate any
		if r.Requests > 0 {
			rate = float64(r.Filled) / float64(r.Requests)
		}
		rep.Rows = append(rep.Rows, []any{r.Source, r.Requests, r.Filled, rate})
	}
	return nil
}
