package mysql_test

import (
	"context"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// An account reads back with its typed role; saving it again without a
// password keeps the stored hash; an unknown user is not_found.
func TestStaffRoundTrip(t *testing.T) {
	_, st := testenv.DB(t, "staff")
	ctx := context.Background()
	for _, want := range []ill.Staff{
		{Library: "PKU", Username: "Li", Name: "李", Role: ill.StaffMember, PasswordHash: "h1"},
		{Library: ill.CentreCode, Username: "admin", Name: "中心", Role: ill.StaffCentreAdmin, PasswordHash: "h2"},
	} {
		if err := st.PutStaff(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got, err := st.StaffUser(ctx, want.Library, want.Username); err != nil || got != want {
			t.Fatalf("StaffUser: %+v %v, want %+v", got, err, want)
		}
	}
	disabled := ill.Staff{Library: "PKU", Username: "Li", Name: "李", Role: ill.StaffMember, Disabled: true}
	if err := st.PutStaff(ctx, disabled); err != nil {
		t.Fatal(err)
	}
	disabled.PasswordHash = "h1"
	if got, err := st.StaffUser(ctx, "PKU", "li"); err != nil || got != disabled {
		t.Fatalf("StaffUser after disabling: %+v %v, want %+v", got, err, disabled)
	}
	if got, err := st.StaffUser(ctx, "THU", "Li"); ill.ErrorCode(err) != ill.CodeNotFound || got != (ill.Staff{}) {
		t.Fatalf("unknown account: %+v %v, want not_found", got, err)
	}
}
