package mysql_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
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

// The claim of a request and the list of requests read each request with
// its rota in one statement (a join): every entry comes back, in rank
// order, with the right request; a request without a rota has none; a
// page holds PerPage requests whatever the number of rota rows.
func TestClaimAndListReadRotas(t *testing.T) {
	_, st := testenv.DB(t, "rotajoin")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU", "PKU", "RUC", "NLC")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	rotas := map[string][]string{
		"ILL-RJ1": {"PKU", "RUC", "NLC"},
		"ILL-RJ2": nil,
		"ILL-RJ3": {"RUC", "PKU"},
	}
	ids := []string{"ILL-RJ1", "ILL-RJ2", "ILL-RJ3"}
	for i, id := range ids {
		r := &ill.Request{ID: id, Borrower: "THU", ClientRequestID: "c" + id, PatronID: "P1", Title: "书",
			State: ill.Requested, SubmittedAt: at.Add(time.Duration(i) * time.Minute), UpdatedAt: at}
		for k, lib := range rotas[id] {
			r.Rota = append(r.Rota, ill.RotaEntry{Library: lib, Rank: k + 1, Outcome: ill.OutcomePending, Reasons: []string{"a", "b"}})
		}
		if err := st.InTx(ctx, func(tx *mysql.Tx) error {
			if err := tx.LockPatron(ctx, "THU", ill.Patron{ID: "P1"}, at); err != nil {
				return err
			}
			if err := tx.InsertRequest(ctx, r); err != nil {
				return err
			}
			return tx.SaveRota(ctx, r, at)
		}); err != nil {
			t.Fatal(err)
		}
	}
	libs := func(r *ill.Request) []string {
		var out []string
		for k, e := range r.Rota {
			if e.Rank != k+1 || len(e.Reasons) != 2 {
				t.Errorf("%s: entry %d is %+v", r.ID, k, e)
			}
			out = append(out, e.Library)
		}
		return out
	}
	// A message is applied once it left a timeline line, or, without one,
	// an inbox row; another message on the same request is still new.
	for k, id := range ids {
		err := st.InTx(ctx, func(tx *mysql.Tx) error {
			first, r, err := tx.ClaimRequest(ctx, "requests", "m-"+id, id)
			if err != nil {
				return err
			}
			if !first || r.ID != id || !slices.Equal(libs(r), rotas[id]) {
				t.Errorf("claim of %s: first %v, %s with rota %v, want %v", id, first, r.ID, libs(r), rotas[id])
			}
			if k%2 == 0 {
				err = tx.AddEvent(ctx, id, "m-"+id, ill.Event{At: at, Actor: "THU", Action: ill.ActCancel, From: r.State, To: r.State})
			} else {
				tx.RecordApplied("requests", "m-"+id, at)
			}
			if err != nil {
				return err
			}
			again, _, err := tx.ClaimRequest(ctx, "requests", "m-"+id, id)
			if err == nil && again {
				t.Errorf("claim of %s again: first", id)
			}
			other, _, err := tx.ClaimRequest(ctx, "requests", "n-"+id, id)
			if err == nil && !other {
				t.Errorf("claim of %s by another message: not first", id)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Newest first, two a page: RJ3 and RJ2, then RJ1.
	var got []string
	for page := 1; page <= 2; page++ {
		rs, total, err := st.ListRequests(ctx, ill.ListFilter{Centre: true, IDs: ids, Page: page, PerPage: 2})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 {
			t.Errorf("page %d: total %d, want 3", page, total)
		}
		for _, r := range rs {
			got = append(got, r.ID)
			if !slices.Equal(libs(r), rotas[r.ID]) {
				t.Errorf("list: %s has rota %v, want %v", r.ID, libs(r), rotas[r.ID])
			}
		}
	}
	if want := []string{"ILL-RJ3", "ILL-RJ2", "ILL-RJ1"}; !slices.Equal(got, want) {
		t.Errorf("list order %v, want %v", got, want)
	}
}
