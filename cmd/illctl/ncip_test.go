package main

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/internal/testenv"
)

// TestLibraryNCIP: `illctl library ncip` registers, shows and switches off a
// member's NCIP responder; agencies given once are kept.
func TestLibraryNCIP(t *testing.T) {
	dsn, st := testenv.DB(t, "illctl")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	testenv.Libraries(t, st, "THU")
	ctx := context.Background()
	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errs := illctl(ctx, args...)
		if code != want {
			t.Fatalf("illctl %v: exit %d, want %d: %s%s", args, code, want, out, errs)
		}
		return out + errs
	}
	run(0, "library", "ncip", "THU", "--url", "https://ils.thu.example/ncip", "--to-agency", "THU-ILS")
	run(0, "library", "ncip", "THU", "--url", "https://ils2.thu.example/ncip")
	if out := run(0, "library", "ncip", "THU"); !strings.Contains(out, "https://ils2.thu.example/ncip") || !strings.Contains(out, `"THU-ILS"`) {
		t.Fatalf("show: %s", out)
	}
	m, err := st.NCIPMember(ctx, "THU")
	if err != nil || m.Endpoint != "https://ils2.thu.example/ncip" || m.ToAgency != "THU-ILS" {
		t.Fatalf("stored: %+v %v", m, err)
	}
	if out := run(1, "library", "ncip", "THU", "--url", "not a url"); !strings.Contains(out, "ncip_url") && !strings.Contains(out, "http(s)") {
		t.Fatalf("a bad URL must be refused: %s", out)
	}
	run(1, "library", "ncip", "NOPE", "--url", "https://x.example")
	run(0, "library", "ncip", "THU", "--url", "")
	if out := run(0, "library", "ncip", "THU"); !strings.Contains(out, "no NCIP") {
		t.Fatalf("switched off: %s", out)
	}
}
