package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// moneyFixture adds violations of PKU (lender) to THU (borrower) and one
// of THU (lender) to RUC, recorded in February and March.
func moneyFixture(t *testing.T) *fixture {
	f := newFixture(t)
	mar := time.Date(2026, 3, 1, 9, 0, 0, 0, ill.Shanghai)
	f.st.PutViolation(ill.ViolationRow{ID: 1, RequestID: "REQ-LOAN", Kind: ill.ViolationOverdue, Lender: "PKU", Borrower: "THU",
		Days: 3, AmountFen: 150, CreatedAt: mar})
	f.st.PutViolation(ill.ViolationRow{ID: 2, RequestID: "REQ-LOAN", Kind: ill.ViolationDamaged, Lender: "PKU", Borrower: "THU",
		AmountFen: 2000, CreatedAt: mar.Add(time.Hour)})
	f.st.PutViolation(ill.ViolationRow{ID: 3, RequestID: "REQ-X", Kind: ill.ViolationLost, Lender: "THU", Borrower: "RUC",
		AmountFen: 8000, CreatedAt: mar.AddDate(0, -1, 0)})
	return f
}

func TestSettleViolation(t *testing.T) {
	ctx := context.Background()
	f := moneyFixture(t)
	// the borrower sees it but may not settle; another library does not see it
	_, err := f.svc.SettleViolation(ctx, thu, "THU/wang", 1, app.SettleBody{State: "paid"})
	wantCode(t, err, ill.CodeForbidden)
	_, err = f.svc.SettleViolation(ctx, ruc, "RUC/zhao", 1, app.SettleBody{State: "paid"})
	wantCode(t, err, ill.CodeNotFound)
	_, err = f.svc.Violation(ctx, ruc, 1)
	wantCode(t, err, ill.CodeNotFound)
	_, err = f.svc.SettleViolation(ctx, pku, "PKU/li", 1, app.SettleBody{State: "pending"})
	wantCode(t, err, ill.CodeBadRequest)
	_, err = f.svc.SettleViolation(ctx, pku, "PKU/li", 99, app.SettleBody{State: "paid"})
	wantCode(t, err, ill.CodeNotFound)

	// the lender settles, once
	v, err := f.svc.SettleViolation(ctx, pku, "PKU/li", 1, app.SettleBody{State: "paid", Note: " 现金 "})
	wantCode(t, err, "")
	if v.State != ill.SettlementPaid || v.SettledBy != "PKU/li" || !v.SettledAt.Equal(now) || v.SettleNote != "现金" || v.Title != "红楼梦" {
		t.Errorf("settled: %+v", v)
	}
	_, err = f.svc.SettleViolation(ctx, pku, "PKU/li", 1, app.SettleBody{State: "waived"})
	wantCode(t, err, ill.CodeConflict)
	_, err = f.svc.SettleViolation(ctx, centre, "CENTRE/admin", 1, app.SettleBody{State: "paid"})
	wantCode(t, err, ill.CodeConflict)
	if v, _ := f.svc.Violation(ctx, thu, 1); v.State != ill.SettlementPaid || v.SettledBy != "PKU/li" {
		t.Errorf("the borrower sees %+v", v)
	}
	// the centre settles any
	v, err = f.svc.SettleViolation(ctx, centre, "CENTRE/admin", 2, app.SettleBody{State: "waived"})
	wantCode(t, err, "")
	if v.State != ill.SettlementWaived || v.SettledBy != "CENTRE/admin" {
		t.Errorf("centre settled: %+v", v)
	}
}

func TestViolationListScope(t *testing.T) {
	ctx := context.Background()
	f := moneyFixture(t)
	ids := func(p ill.Principal, q ill.ViolationQuery) []int64 {
		t.Helper()
		rows, err := f.svc.ViolationList(ctx, p, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, v := range rows {
			out = append(out, v.ID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		p    ill.Principal
		q    ill.ViolationQuery
		want []int64
	}{
		{"THU both sides", thu, ill.ViolationQuery{}, []int64{3, 1, 2}},
		{"THU as borrower", thu, ill.ViolationQuery{Role: "borrower"}, []int64{1, 2}},
		{"THU as lender", thu, ill.ViolationQuery{Role: "lender"}, []int64{3}},
		{"PKU damaged", pku, ill.ViolationQuery{Kind: ill.ViolationDamaged}, []int64{2}},
		{"RUC", ruc, ill.ViolationQuery{}, []int64{3}},
		{"centre all", centre, ill.ViolationQuery{}, []int64{3, 1, 2}},
		{"centre one library", centre, ill.ViolationQuery{Library: "RUC"}, []int64{3}},
		{"pending", pku, ill.ViolationQuery{State: ill.SettlementPending}, []int64{1, 2}},
	} {
		if got := ids(c.p, c.q); len(got) != len(c.want) || (len(got) > 0 && !equalIDs(got, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	_, err := f.svc.ViolationList(ctx, thu, ill.ViolationQuery{Library: "PKU"})
	wantCode(t, err, ill.CodeForbidden)
	_, err = f.svc.ViolationList(ctx, thu, ill.ViolationQuery{State: "owed"})
	wantCode(t, err, ill.CodeBadRequest)
	_, err = f.svc.ViolationList(ctx, app.Courier, ill.ViolationQuery{})
	wantCode(t, err, ill.CodeForbidden)
}

func equalIDs(a, b []int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStatement(t *testing.T) {
	ctx := context.Background()
	f := moneyFixture(t)
	if _, err := f.svc.SettleViolation(ctx, pku, "PKU/li", 2, app.SettleBody{State: "waived"}); err != nil {
		t.Fatal(err)
	}
	st, err := f.svc.Statement(ctx, thu, "", "") // the current month: March 2026
	wantCode(t, err, "")
	if st.Month != "2026-03" || st.Library != "THU" || len(st.Rows) != 2 || st.Total.AmountFen != 2150 {
		t.Fatalf("statement %+v", st)
	}
	if st.ByState[0] != (ill.ViolationTotal{Key: "pending", Count: 1, AmountFen: 150}) ||
		st.ByState[2] != (ill.ViolationTotal{Key: "waived", Count: 1, AmountFen: 2000}) {
		t.Errorf("by state %+v", st.ByState)
	}
	feb, err := f.svc.Statement(ctx, thu, "THU", "2026-02")
	wantCode(t, err, "")
	if len(feb.Rows) != 1 || feb.Rows[0].ID != 3 || feb.ByKind[2].AmountFen != 8000 {
		t.Errorf("February %+v", feb)
	}
	_, err = f.svc.Statement(ctx, thu, "PKU", "2026-03")
	wantCode(t, err, ill.CodeForbidden)
	_, err = f.svc.Statement(ctx, thu, "", "2026-3x")
	wantCode(t, err, ill.CodeBadRequest)
	all, err := f.svc.Statement(ctx, centre, "", "2026-03")
	wantCode(t, err, "")
	if all.Library != "" || len(all.Rows) != 2 {
		t.Errorf("centre %+v", all)
	}
	_, err = f.svc.Statement(ctx, centre, "BNU", "2026-03")
	wantCode(t, err, ill.CodeNotFound)
}

func TestSetFees(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rules := ill.FeeRules{FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: 8000, CourierCutoff: "15:30"}
	admin := ill.StaffActor{Library: "PKU", Username: "li", Role: ill.StaffLibraryAdmin}
	staff := ill.StaffActor{Library: "PKU", Username: "wang", Role: ill.StaffMember}
	thuAdmin := ill.StaffActor{Library: "THU", Username: "zhang", Role: ill.StaffLibraryAdmin}
	centreAdmin := ill.StaffActor{Library: ill.CentreCode, Username: "admin", Role: ill.StaffCentreAdmin}

	_, err := f.svc.SetFees(ctx, staff, "", rules)
	wantCode(t, err, ill.CodeForbidden)
	_, err = f.svc.SetFees(ctx, thuAdmin, "PKU", rules)
	wantCode(t, err, ill.CodeForbidden)
	bad := rules
	bad.FinePerDayFen = -1
	_, err = f.svc.SetFees(ctx, admin, "", bad)
	wantCode(t, err, ill.CodeBadRequest)

	ch, err := f.svc.SetFees(ctx, admin, "", rules)
	wantCode(t, err, "")
	if len(ch) != 4 || ch[0].By != "PKU/li" || ch[3].Old != "14:00" || ch[3].New != "15:30" {
		t.Errorf("changes %+v", ch)
	}
	l, _ := f.st.Library(ctx, "PKU")
	if l.FeeRules() != rules || !l.Lending || l.NameZH != "PKU图书馆" {
		t.Errorf("library after the edit: %+v", l)
	}
	// the centre edits any member's
	next := rules
	next.LossFeeFen = 10000
	ch, err = f.svc.SetFees(ctx, centreAdmin, "PKU", next)
	wantCode(t, err, "")
	if len(ch) != 1 || ch[0].Field != ill.FeeLoss || ch[0].Old != "8000" || ch[0].New != "10000" || ch[0].By != "CENTRE/admin" {
		t.Errorf("centre's changes %+v", ch)
	}
	_, err = f.svc.SetFees(ctx, centreAdmin, "", next) // the centre must choose a library
	wantCode(t, err, ill.CodeBadRequest)

	// plain staff read their fees and history but cannot edit
	fees, err := f.svc.Fees(ctx, staff, "")
	wantCode(t, err, "")
	if fees.CanEdit || fees.Rules != next || len(fees.History) != 5 || fees.History[0].By != "CENTRE/admin" {
		t.Errorf("fees page %+v", fees)
	}
	if fees, _ := f.svc.Fees(ctx, admin, ""); !fees.CanEdit {
		t.Error("the library admin cannot edit")
	}
	_, err = f.svc.Fees(ctx, staff, "THU")
	wantCode(t, err, ill.CodeForbidden)
}

// A member's account may be a library admin; the centre's may not.
func TestRegisterLibraryAdmin(t *testing.T) {
	f := newFixture(t)
	u, _, err := f.svc.RegisterStaff(context.Background(), app.StaffBody{Library: "PKU", Username: "li",
		Role: ill.StaffLibraryAdmin, Password: "secret-pw"})
	wantCode(t, err, "")
	if u.Role != ill.StaffLibraryAdmin {
		t.Errorf("role %q", u.Role)
	}
	_, _, err = f.svc.RegisterStaff(context.Background(), app.StaffBody{Library: "centre", Username: "boss",
		Role: ill.StaffLibraryAdmin, Password: "secret-pw"})
	wantCode(t, err, ill.CodeBadRequest)
}
