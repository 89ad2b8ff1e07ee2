package main

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// illctl staff add: staff by default, library_admin with --admin (member
// libraries only); updating without --admin or --role keeps the role,
// --role staff takes it away.
func TestStaffAddAdmin(t *testing.T) {
	dsn, st := testenv.DB(t, "illctl_staff")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	ctx := context.Background()
	testenv.Libraries(t, st, "PKU")
	role := func(lib, user string) ill.StaffRole {
		t.Helper()
		u, err := st.StaffUser(ctx, lib, user)
		if err != nil {
			t.Fatal(err)
		}
		return u.Role
	}
	if code, out, errs := illctl(ctx, "staff", "add", "PKU", "li", "--password", "secret-pw"); code != 0 ||
		!strings.Contains(out, "(staff)") || role("PKU", "li") != ill.StaffMember {
		t.Fatalf("default: %d %s %s", code, out, errs)
	}
	if code, out, errs := illctl(ctx, "staff", "add", "PKU", "li", "--admin"); code != 0 ||
		!strings.Contains(out, "(library_admin)") || role("PKU", "li") != ill.StaffLibraryAdmin {
		t.Fatalf("--admin: %d %s %s", code, out, errs)
	}
	if code, _, _ := illctl(ctx, "staff", "add", "PKU", "li", "--password", "new-secret"); code != 0 || role("PKU", "li") != ill.StaffLibraryAdmin {
		t.Fatalf("password reset: %d, role %s", code, role("PKU", "li"))
	}
	if code, _, _ := illctl(ctx, "staff", "add", "PKU", "li", "--role", "staff"); code != 0 || role("PKU", "li") != ill.StaffMember {
		t.Fatalf("--role staff: %d, role %s", code, role("PKU", "li"))
	}
	if code, _, errs := illctl(ctx, "staff", "add", "CENTRE", "boss", "--password", "secret-pw", "--admin"); code == 0 ||
		!strings.Contains(errs, "role") {
		t.Fatalf("a centre account as library admin: %d %s", code, errs)
	}
	if code, _, errs := illctl(ctx, "staff", "add", "PKU", "wu", "--password", "secret-pw", "--admin", "--role", "centre_admin"); code == 0 ||
		!strings.Contains(errs, "--admin") {
		t.Fatalf("--admin with another role: %d %s", code, errs)
	}
}
