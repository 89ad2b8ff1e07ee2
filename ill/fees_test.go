package ill_test

import (
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// Only the lender (and the centre) settles; the borrower sees but may not
// settle, a stranger may not even see; a settled violation stays settled.
func TestCheckSettle(t *testing.T) {
	pending := ill.ViolationRow{ID: 7, Lender: "PKU", Borrower: "THU"}
	paid := pending
	paid.State, paid.SettledBy = ill.SettlementPaid, "PKU/li"
	waived := pending
	waived.State = ill.SettlementWaived
	for _, c := range []struct {
		name    string
		v       ill.ViolationRow
		library string
		centre  bool
		want    ill.Code
	}{
		{"lender settles", pending, "PKU", false, ""},
		{"centre settles", pending, ill.CentreCode, true, ""},
		{"borrower may not", pending, "THU", false, ill.CodeForbidden},
		{"stranger does not see it", pending, "RUC", false, ill.CodeNotFound},
		{"paid already", paid, "PKU", false, ill.CodeConflict},
		{"waived already, centre too", waived, ill.CentreCode, true, ill.CodeConflict},
		{"borrower of a settled one: still forbidden", paid, "THU", false, ill.CodeForbidden},
	} {
		if got := ill.ErrorCode(ill.CheckSettle(c.v, c.library, c.centre)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseSettlement(t *testing.T) {
	for in, want := range map[string]ill.SettlementState{"paid": ill.SettlementPaid, " Waived ": ill.SettlementWaived,
		"pending": "", "": "", "refunded": ""} {
		got, err := ill.ParseSettlement(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseSettlement(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestViolationQueryMatches(t *testing.T) {
	at := time.Date(2026, 3, 31, 23, 30, 0, 0, ill.Shanghai) // 15:30 UTC, still March in Beijing
	v := ill.ViolationRow{Lender: "PKU", Borrower: "THU", Kind: ill.ViolationOverdue, CreatedAt: at.UTC(), RequestID: "R1"}
	mar, _, _ := ill.ParseMonth("2026-03")
	apr, aprEnd, _ := ill.ParseMonth("2026-04")
	marEnd := ill.Date{Year: 2026, Month: 3, Day: 31}
	for _, c := range []struct {
		name string
		q    ill.ViolationQuery
		want bool
	}{
		{"everything", ill.ViolationQuery{}, true},
		{"as lender", ill.ViolationQuery{Library: "PKU", Role: "lender"}, true},
		{"lender asked as borrower", ill.ViolationQuery{Library: "PKU", Role: "borrower"}, false},
		{"borrower either role", ill.ViolationQuery{Library: "THU"}, true},
		{"stranger", ill.ViolationQuery{Library: "RUC"}, false},
		{"pending is the default state", ill.ViolationQuery{State: ill.SettlementPending}, true},
		{"not paid", ill.ViolationQuery{State: ill.SettlementPaid}, false},
		{"kind", ill.ViolationQuery{Kind: ill.ViolationLost}, false},
		{"request", ill.ViolationQuery{RequestID: "R2"}, false},
		{"March (Beijing day)", ill.ViolationQuery{From: mar, To: marEnd}, true},
		{"April", ill.ViolationQuery{From: apr, To: aprEnd}, false},
	} {
		if got := c.q.Matches(v); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if err := (ill.ViolationQuery{Role: "reader"}).Validate(); ill.ErrorCode(err) != ill.CodeBadRequest {
		t.Errorf("role reader: %v", err)
	}
	if _, _, err := ill.ParseMonth("2026-13"); err == nil {
		t.Error("month 13 accepted")
	}
	if from, to, _ := ill.ParseMonth("2026-02"); from.String() != "2026-02-01" || to.String() != "2026-02-28" {
		t.Errorf("February: %s – %s", from, to)
	}
}

func TestViolationTotals(t *testing.T) {
	rows := []ill.ViolationRow{
		{Kind: ill.ViolationOverdue, AmountFen: 150},
		{Kind: ill.ViolationOverdue, AmountFen: 50, State: ill.SettlementPaid},
		{Kind: ill.ViolationLost, AmountFen: 8000, State: ill.SettlementWaived},
	}
	byState, byKind, all := ill.ViolationTotals(rows)
	if all.Count != 3 || all.AmountFen != 8200 {
		t.Errorf("all %+v", all)
	}
	wantState := []ill.ViolationTotal{{"pending", 1, 150}, {"paid", 1, 50}, {"waived", 1, 8000}}
	wantKind := []ill.ViolationTotal{{"overdue", 2, 200}, {"damaged", 0, 0}, {"lost", 1, 8000}}
	for i := range wantState {
		if byState[i] != wantState[i] {
			t.Errorf("by state %+v, want %+v", byState, wantState)
		}
	}
	for i := range wantKind {
		if byKind[i] != wantKind[i] {
			t.Errorf("by kind %+v, want %+v", byKind, wantKind)
		}
	}
}

func TestFeeRulesNormalize(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    ill.FeeRules
		field string
		cut   string
	}{
		{"valid", ill.FeeRules{FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: 8000, CourierCutoff: "9:05"}, "", "09:05"},
		{"zero prices", ill.FeeRules{CourierCutoff: "14:00"}, "", "14:00"},
		{"negative fine", ill.FeeRules{FinePerDayFen: -1, CourierCutoff: "14:00"}, ill.FeeFinePerDay, ""},
		{"fine too high", ill.FeeRules{FinePerDayFen: ill.MaxFinePerDayFen + 1, CourierCutoff: "14:00"}, ill.FeeFinePerDay, ""},
		{"loss too high", ill.FeeRules{LossFeeFen: ill.MaxItemFeeFen + 1, CourierCutoff: "14:00"}, ill.FeeLoss, ""},
		{"negative damage", ill.FeeRules{DamageFeeFen: -5, CourierCutoff: "14:00"}, ill.FeeDamage, ""},
		{"bad cut-off", ill.FeeRules{CourierCutoff: "25:00"}, ill.FeeCourierCutoff, ""},
		{"no cut-off", ill.FeeRules{}, ill.FeeCourierCutoff, ""},
	} {
		got, err := c.in.Normalize()
		var field string
		if e, ok := err.(*ill.Error); ok {
			field = e.Field
		} else if err != nil {
			field = "?"
		}
		if field != c.field || (c.field == "" && got.CourierCutoff != c.cut) {
			t.Errorf("%s: %+v, %v; want field %q cut-off %q", c.name, got, err, c.field, c.cut)
		}
	}
}

func TestFeeRulesChanges(t *testing.T) {
	old := ill.FeeRules{FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: 8000, CourierCutoff: "14:00"}
	if ch := old.Changes(old); len(ch) != 0 {
		t.Errorf("no change: %+v", ch)
	}
	next := old
	next.FinePerDayFen, next.CourierCutoff = 100, "15:30"
	ch := old.Changes(next)
	if len(ch) != 2 || ch[0].Field != ill.FeeFinePerDay || ch[0].Old != "50" || ch[0].New != "100" ||
		ch[1].Field != ill.FeeCourierCutoff || ch[1].Old != "14:00" || ch[1].New != "15:30" {
		t.Errorf("changes %+v", ch)
	}
}

// The centre edits any library's fees, a library admin its own only, plain
// staff none.
func TestMayEditFees(t *testing.T) {
	for _, c := range []struct {
		name    string
		a       ill.StaffActor
		library string
		ok      bool
	}{
		{"centre admin, any member", ill.StaffActor{Library: ill.CentreCode, Role: ill.StaffCentreAdmin}, "PKU", true},
		{"library admin, own", ill.StaffActor{Library: "PKU", Role: ill.StaffLibraryAdmin}, "PKU", true},
		{"library admin, another", ill.StaffActor{Library: "PKU", Role: ill.StaffLibraryAdmin}, "THU", false},
		{"staff, own", ill.StaffActor{Library: "PKU", Role: ill.StaffMember}, "PKU", false},
		{"centre_admin role on a member account", ill.StaffActor{Library: "PKU", Role: ill.StaffCentreAdmin}, "THU", false},
	} {
		err := c.a.MayEditFees(c.library)
		if (err == nil) != c.ok || (err != nil && ill.ErrorCode(err) != ill.CodeForbidden) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestStaffRoleValid(t *testing.T) {
	for _, c := range []struct {
		library string
		role    ill.StaffRole
		ok      bool
	}{
		{ill.CentreCode, ill.StaffCentreAdmin, true},
		{ill.CentreCode, ill.StaffLibraryAdmin, false},
		{ill.CentreCode, ill.StaffMember, false},
		{"PKU", ill.StaffMember, true},
		{"PKU", ill.StaffLibraryAdmin, true},
		{"PKU", ill.StaffCentreAdmin, false},
		{"PKU", "boss", false},
	} {
		if got := ill.StaffRoleValid(c.library, c.role); got != c.ok {
			t.Errorf("StaffRoleValid(%q, %q) = %v", c.library, c.role, got)
		}
	}
}
