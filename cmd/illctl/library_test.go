package main

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// TestLibraryAddUpdatesOnlyWhatIsGiven: `illctl library add` on an existing
// member changes the settings given and keeps the fee rules, the cut-off,
// courier days, contacts and ISO 18626 registration.
func TestLibraryAddUpdatesOnlyWhatIsGiven(t *testing.T) {
	dsn, st := testenv.DB(t, "illctl")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	ctx := context.Background()
	cmd := func(args ...string) string {
		t.Helper()
		code, out, errs := illctl(ctx, args...)
		if code != 0 {
			t.Fatalf("illctl %v: %s", args, errs)
		}
		return out
	}
	if out := cmd("library", "add", "ZZU", "测试大学图书馆", "--deposit-required", "--recall-days", "10",
		"--contact-phone", "010-12345678", "--email", "ill@zzu.example"); !strings.Contains(out, "added") {
		t.Fatal(out)
	}
	// fee rules and cut-off as the fee page (another use case) sets them
	if _, err := st.DB.Exec(`UPDATE libraries SET fine_per_day_fen = 50, damage_fee_fen = 3000, loss_fee_fen = 12000,
		courier_cutoff = '11:30' WHERE code = 'ZZU'`); err != nil {
		t.Fatal(err)
	}
	cmd("courier", "days", "ZZU", "mon,wed,fri")
	before, err := st.Library(ctx, "ZZU")
	if err != nil {
		t.Fatal(err)
	}
	if out := cmd("library", "add", "ZZU", "--name-en", "Test University", "--contact-email", "ill-desk@zzu.example"); !strings.Contains(out, "updated") {
		t.Fatal(out)
	}
	after, err := st.Library(ctx, "ZZU")
	if err != nil {
		t.Fatal(err)
	}
	want := *before
	want.NameEN, want.ContactEmail = "Test University", "ill-desk@zzu.example"
	if *after != want {
		t.Fatalf("library add changed more than it was given:\n got %+v\nwant %+v", *after, want)
	}
	if after.FinePerDayFen != 50 || after.CourierCutoff != "11:30" || after.CourierDays != "mon,wed,fri" ||
		!after.DepositRequired || after.RecallDays != 10 || after.ContactPhone != "010-12345678" {
		t.Fatalf("kept values: %+v", after)
	}
	// lending off and on again, nothing else moves
	cmd("library", "add", "ZZU", "--no-lending")
	if l, _ := st.Library(ctx, "ZZU"); l.Lending || l.FinePerDayFen != 50 || l.NameEN != "Test University" {
		t.Fatalf("after --no-lending: %+v", l)
	}
	// a new member needs its Chinese name
	if code, _, errs := illctl(ctx, "library", "add", "NEWU", "--name-en", "New"); code == 0 || !strings.Contains(errs, "NAME_ZH") {
		t.Fatalf("new member without a name: %d %s", code, errs)
	}
	// every save is audited, with the fields, never the values
	rows, _ := st.AuditLog(ctx, "ZZU", 10)
	saves := 0
	for _, r := range rows {
		if r.Action == ill.AuditLibrarySave {
			saves++
			if strings.Contains(r.Detail, "zzu.example") {
				t.Errorf("audit detail holds a value: %q", r.Detail)
			}
		}
	}
	if saves != 3 {
		t.Fatalf("%d library.save audit rows, want 3: %+v", saves, rows)
	}
}
