package ill_test

import (
	"testing"

	"github.com/balis/illhub/ill"
)

// The centre's accounts are centre admins, every member library's are
// staff by default (StaffRoleFor); StaffRoleValid says which others they may have.
func TestStaffRoleFor(t *testing.T) {
	for _, c := range []struct {
		library string
		want    ill.StaffRole
	}{
		{ill.CentreCode, ill.StaffCentreAdmin},
		{"THU", ill.StaffMember},
		{"PKU", ill.StaffMember},
		{"", ill.StaffMember},
	} {
		if got := ill.StaffRoleFor(c.library); got != c.want {
			t.Errorf("StaffRoleFor(%q) = %q, want %q", c.library, got, c.want)
		}
	}
}
