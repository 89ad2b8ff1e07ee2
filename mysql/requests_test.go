package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// The reads of requests, the catalogue, search and reports (and the
// imports and sweeps that run outside a consumer's transaction) report an
// unreachable database as unavailable themselves: callers map the error
// code to 503 or a held delivery without asking mysql.
func TestStoreReadsClassifyUnavailable(t *testing.T) {
	st, err := mysql.Open("root:@tcp(127.0.0.1:1)/illhub_nowhere?timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now()
	today := ill.DateOf(now)
	queue := ill.Queue{Key: "to_answer", Side: ill.RoleLender, States: []ill.State{ill.Requested}, Order: "respond_by"}
	calls := map[string]func() error{
		"GetRequest":          func() error { _, err := st.GetRequest(ctx, "R1"); return err },
		"RequestIDByClientID": func() error { _, _, err := st.RequestIDByClientID(ctx, "THU", "c1"); return err },
		"ListRequests": func() error {
			_, _, err := st.ListRequests(ctx, ill.ListFilter{Caller: "THU", Page: 1, PerPage: 10})
			return err
		},
		"RequestForAccess": func() error { _, err := st.RequestForAccess(ctx, "R1"); return err },
		"RequestForAction": func() error { _, err := st.RequestForAction(ctx, "R1", "THU", false); return err },
		"CountByState":     func() error { _, err := st.CountByState(ctx); return err },
		"QueueRequests":    func() error { _, _, err := st.QueueRequests(ctx, queue, "THU", 5); return err },
		"MissedDeadlines":  func() error { _, err := st.MissedDeadlines(ctx, "", 50); return err },
		"PullSlip":         func() error { _, err := st.PullSlip(ctx, "PKU"); return err },
		"OldestDeadline": func() error {
			_, err := st.OldestDeadline(ctx, ill.OnLoan, ill.DeadlineDue)
			return err
		},
		"Rollup":             func() error { _, err := st.Rollup(ctx, today, now); return err },
		"MatchCitation":      func() error { _, err := st.MatchCitation(ctx, ill.Citation{Title: "红楼梦"}); return err },
		"RecordWithHoldings": func() error { _, _, err := st.RecordWithHoldings(ctx, 1); return err },
		"RecordByLocalID":    func() error { _, err := st.RecordByLocalID(ctx, "PKU", "b1"); return err },
		"Conflicts":          func() error { _, _, err := st.Conflicts(ctx, "", 1, 20); return err },
		"ApplyHoldingsBatch": func() error {
			_, err := st.ApplyHoldingsBatch(ctx, "PKU", ill.HoldingsBatch{Deletes: []string{"b1"}}, now)
			return err
		},
		"ReplaceHoldings":    func() error { _, err := st.ReplaceHoldings(ctx, "PKU", now); return err },
		"SearchFull":         func() error { _, err := st.SearchFull(ctx, ill.SearchQuery{Q: "数据"}); return err },
		"RefreshRecords":     func() error { return st.RefreshRecords(ctx, []int64{1}) },
		"RebuildSearchIndex": func() error { _, _, err := st.RebuildSearchIndex(ctx, nil); return err },
		"StatsRange":         func() error { _, err := st.StatsRange(ctx, today.AddDays(-3), today, today, ""); return err },
		"Flows":              func() error { _, err := st.Flows(ctx, now.Add(-time.Hour), now, ""); return err },
		"OverdueLoans":       func() error { _, err := st.OverdueLoans(ctx, "", 10); return err },
		"TopTitles":          func() error { _, err := st.TopTitles(ctx, now.Add(-time.Hour), now, "", 10); return err },
	}
	for name, call := range calls {
		if err := call(); ill.ErrorCode(err) != ill.CodeUnavailable {
			t.Errorf("%s: %v, want code unavailable", name, err)
		}
	}
}
