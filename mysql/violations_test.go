package mysql_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

func addViolation(t *testing.T, st *mysql.Store, v ill.ViolationRow) {
	t.Helper()
	if err := st.InTx(context.Background(), func(tx *mysql.Tx) error {
		_, err := tx.AddViolation(context.Background(), v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// Violations are recorded pending; the list filters by side, state, kind,
// request and Beijing month; a settlement is recorded once (of two
// concurrent ones exactly one wins), the other answered conflict.
func TestViolationSettlement(t *testing.T) {
	_, st := testenv.DB(t, "violations")
	ctx := context.Background()
	endOfMarch := time.Date(2026, 3, 31, 23, 30, 0, 0, ill.Shanghai) // 15:30 UTC, still March in Beijing
	addViolation(t, st, ill.ViolationRow{RequestID: "R1", Kind: ill.ViolationOverdue, Lender: "PKU", Borrower: "THU",
		PatronID: "P1", Days: 3, AmountFen: 150, Note: "late", CreatedAt: endOfMarch})
	addViolation(t, st, ill.ViolationRow{RequestID: "R1", Kind: ill.ViolationDamaged, Lender: "PKU", Borrower: "THU",
		AmountFen: 2000, CreatedAt: endOfMarch.Add(time.Hour)}) // April 1st in Beijing
	addViolation(t, st, ill.ViolationRow{RequestID: "R2", Kind: ill.ViolationLost, Lender: "THU", Borrower: "RUC",
		AmountFen: 8000, CreatedAt: endOfMarch.AddDate(0, 0, -3)})

	list := func(q ill.ViolationQuery) []ill.ViolationRow {
		t.Helper()
		rows, err := st.ViolationList(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	mar, marEnd, _ := ill.ParseMonth("2026-03")
	for _, c := range []struct {
		name  string
		q     ill.ViolationQuery
		kinds []string
	}{
		{"all, oldest first", ill.ViolationQuery{}, []string{"lost", "overdue", "damaged"}},
		{"THU either side", ill.ViolationQuery{Library: "THU"}, []string{"lost", "overdue", "damaged"}},
		{"THU as borrower", ill.ViolationQuery{Library: "THU", Role: ill.ViolationAsBorrower}, []string{"overdue", "damaged"}},
		{"THU as lender", ill.ViolationQuery{Library: "THU", Role: ill.ViolationAsLender}, []string{"lost"}},
		{"March in Beijing", ill.ViolationQuery{From: mar, To: marEnd}, []string{"lost", "overdue"}},
		{"kind", ill.ViolationQuery{Kind: ill.ViolationDamaged}, []string{"damaged"}},
		{"request", ill.ViolationQuery{RequestID: "R2"}, []string{"lost"}},
		{"pending", ill.ViolationQuery{State: ill.SettlementPending}, []string{"lost", "overdue", "damaged"}},
		{"limit", ill.ViolationQuery{Limit: 1}, []string{"lost"}},
	} {
		rows := list(c.q)
		var got []string
		for _, v := range rows {
			got = append(got, v.Kind)
		}
		if len(got) != len(c.kinds) {
			t.Errorf("%s: %v, want %v", c.name, got, c.kinds)
			continue
		}
		for i := range got {
			if got[i] != c.kinds[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.kinds)
			}
		}
	}
	overdue := list(ill.ViolationQuery{Kind: ill.ViolationOverdue})[0]
	if overdue.State != ill.SettlementPending || overdue.PatronID != "P1" || overdue.Days != 3 || !overdue.SettledAt.IsZero() {
		t.Fatalf("recorded: %+v", overdue)
	}

	// two settlements at once: one wins, the other is a conflict
	at := time.Date(2026, 4, 2, 10, 0, 0, 0, ill.Shanghai)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []ill.Settlement{{State: ill.SettlementPaid, By: "PKU/li", Note: "现金", At: at},
		{State: ill.SettlementWaived, By: "CENTRE/admin", At: at}} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = st.SettleViolation(ctx, overdue.ID, s) }()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || (ill.ErrorCode(errs[0]) != ill.CodeConflict && ill.ErrorCode(errs[1]) != ill.CodeConflict) {
		t.Fatalf("concurrent settlements: %v, %v", errs[0], errs[1])
	}
	got, err := st.ViolationByID(ctx, overdue.ID)
	if err != nil || !got.Settled() || !got.SettledAt.Equal(at) || got.Title != "" {
		t.Fatalf("settled: %+v %v", got, err)
	}
	if errs[0] == nil && (got.State != ill.SettlementPaid || got.SettledBy != "PKU/li" || got.SettleNote != "现金") {
		t.Errorf("the first won but the row says %+v", got)
	}
	if err := st.SettleViolation(ctx, overdue.ID, ill.Settlement{State: ill.SettlementPaid, By: "PKU/li", At: at}); ill.ErrorCode(err) != ill.CodeConflict {
		t.Errorf("settling again: %v", err)
	}
	if again, _ := st.ViolationByID(ctx, overdue.ID); again != got {
		t.Errorf("a refused settlement changed the row: %+v, was %+v", again, got)
	}
	if err := st.SettleViolation(ctx, 999999, ill.Settlement{State: ill.SettlementPaid, By: "PKU", At: at}); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Errorf("unknown violation: %v", err)
	}
	if _, err := st.ViolationByID(ctx, 999999); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Errorf("unknown violation read: %v", err)
	}
	if n := len(list(ill.ViolationQuery{State: ill.SettlementPending})); n != 2 {
		t.Errorf("%d pending after the settlement, want 2", n)
	}
	// the report's reader still sees every violation, with its settlement
	rows, err := st.Violations(ctx, ill.ViolationFilter{From: mar, To: marEnd.AddDays(1)})
	if err != nil || len(rows) != 3 {
		t.Fatalf("report: %d rows, %v", len(rows), err)
	}
}
