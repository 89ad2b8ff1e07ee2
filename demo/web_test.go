package demo

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// The demo credentials printed by `illctl seed demo` and scripts/demo.sh
// sign in: every demo reader with DemoReaderPIN, each library's staff
// account, the centre admin; running it twice changes nothing.
func TestLoadWebAccounts(t *testing.T) {
	_, st := testenv.DB(t, "demoweb")
	ctx := context.Background()
	if _, err := Load(ctx, st, Options{Books: 20}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		readers, staff, err := LoadWebAccounts(ctx, st, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if readers != len(Patrons()) || staff != len(Libraries())+1 {
			t.Fatalf("readers %d staff %d", readers, staff)
		}
	}
	r, err := st.Reader(ctx, "THU", "THU2024001")
	if err != nil || !app.CheckPIN(r.PINHash, DemoReaderPIN) || app.CheckPIN(r.PINHash, "000000") {
		t.Fatalf("demo reader THU2024001: %+v %v", r, err)
	}
	bfsu, err := st.Reader(ctx, "BFSU", "BFSU2024005")
	if err != nil || bfsu.DepositPaid {
		t.Fatalf("BFSU reader 005 should not have paid the deposit: %+v %v", bfsu, err)
	}
	u, err := st.StaffUser(ctx, "PKU", DemoStaffUser)
	if err != nil || u.Role != ill.StaffMember || !app.CheckPIN(u.PasswordHash, DemoStaffPassword) {
		t.Fatalf("PKU staff: %+v %v", u, err)
	}
	a, err := st.StaffUser(ctx, ill.CentreCode, DemoAdminUser)
	if err != nil || a.Role != ill.StaffCentreAdmin || !app.CheckPIN(a.PasswordHash, DemoAdminPassword) {
		t.Fatalf("centre admin: %+v %v", a, err)
	}
}
