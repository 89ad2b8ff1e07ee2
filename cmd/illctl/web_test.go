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

// illctl reader add --category: the category is stored on the reader
// (the copy-fee subsidy's key), case-insensitively; left out on an update
// it is kept; an unknown category is refused before anything is stored.
func TestReaderAddCategory(t *testing.T) {
	dsn, st := testenv.DB(t, "illctl_reader_category")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	ctx := context.Background()
	testenv.Libraries(t, st, "PKU")
	category := func(card string) ill.ReaderCategory {
		t.Helper()
		r, err := st.Reader(ctx, "PKU", card)
		if err != nil {
			t.Fatal(err)
		}
		return r.Category
	}
	if code, out, errs := illctl(ctx, "reader", "add", "PKU", "PKU2024100", "--pin", "123456", "--category", "postgraduate"); code != 0 ||
		!strings.Contains(out, "reader PKU/PKU2024100 saved (category postgraduate)") {
		t.Fatalf("--category postgraduate: %d %q %q", code, out, errs)
	}
	if got := category("PKU2024100"); got != ill.CategoryPostgraduate {
		t.Fatalf("stored category %q, want postgraduate", got)
	}
	// An update without --category keeps it; with one it changes.
	if code, _, errs := illctl(ctx, "reader", "add", "PKU", "PKU2024100", "--pin", "654321", "--name", "王芳"); code != 0 ||
		category("PKU2024100") != ill.CategoryPostgraduate {
		t.Fatalf("update without --category: %d %s, category %q", code, errs, category("PKU2024100"))
	}
	if code, _, errs := illctl(ctx, "reader", "add", "PKU", "PKU2024100", "--pin", "654321", "--category", "Faculty"); code != 0 ||
		category("PKU2024100") != ill.CategoryFaculty {
		t.Fatalf("--category Faculty: %d %s, category %q", code, errs, category("PKU2024100"))
	}
	// A new reader without --category is other.
	if code, out, errs := illctl(ctx, "reader", "add", "PKU", "PKU2024101", "--pin", "123456"); code != 0 ||
		!strings.Contains(out, "(category other)") {
		t.Fatalf("no --category: %d %q %q", code, out, errs)
	}
	// An unknown category: refused with the allowed ones named, nothing stored.
	code, _, errs := illctl(ctx, "reader", "add", "PKU", "PKU2024102", "--pin", "123456", "--category", "visitor")
	if code == 0 || !strings.Contains(errs, `--category must be one of faculty, postgraduate, undergraduate, other, not "visitor"`) {
		t.Fatalf("--category visitor: %d %q", code, errs)
	}
	if _, err := st.Reader(ctx, "PKU", "PKU2024102"); err == nil {
		t.Fatalf("a reader with an unknown category was stored")
	}
	if code, _, _ := illctl(ctx, "reader", "add", "PKU", "PKU2024100", "--pin", "654321", "--category", "staff"); code == 0 ||
		category("PKU2024100") != ill.CategoryFaculty {
		t.Fatalf("--category staff changed the reader: %d, category %q", code, category("PKU2024100"))
	}
}
