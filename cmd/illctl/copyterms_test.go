package main

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// `illctl library copy-terms` changes the settings given, keeps the
// others, records each change in the policy history and refuses values
// out of bounds without changing anything.
func TestLibraryCopyTerms(t *testing.T) {
	dsn, st := testenv.DB(t, "illctl")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	ctx := context.Background()
	if code, _, errs := illctl(ctx, "library", "add", "ZZU", "测试大学图书馆"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := illctl(ctx, "library", "copy-terms", "zzu", "--deliver", "5", "--limit", "4")
	if code != 0 || !strings.Contains(out, "copy_deliver_days: 3 → 5") || !strings.Contains(out, "(2 changed)") {
		t.Fatalf("copy-terms: %d %q %q", code, out, errs)
	}
	l, err := st.Library(ctx, "ZZU")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.CopyTerms(); got != (ill.CopyTerms{RespondDays: 1, DeliverDays: 5, Limit: 4}) {
		t.Fatalf("terms %+v", got)
	}
	h, err := st.FeeHistory(ctx, "ZZU", 10)
	if err != nil || len(h) != 2 {
		t.Fatalf("history %+v %v", h, err)
	}
	for _, c := range h {
		if c.By == "" || (c.Field != ill.CopyDeliverDaysField && c.Field != ill.CopyLimitField) {
			t.Fatalf("history line %+v", c)
		}
	}
	// The same again: nothing changes, nothing recorded.
	if code, out, _ := illctl(ctx, "library", "copy-terms", "ZZU", "--deliver", "5"); code != 0 || !strings.Contains(out, "(0 changed)") {
		t.Fatalf("again: %d %q", code, out)
	}
	for _, bad := range [][]string{{"--respond", "6"}, {"--limit", "101"}, {"--deliver", "21"}} {
		if code, _, errs := illctl(ctx, append([]string{"library", "copy-terms", "ZZU"}, bad...)...); code == 0 || !strings.Contains(errs, "copy_") {
			t.Fatalf("%v accepted: %q", bad, errs)
		}
	}
	if code, _, _ := illctl(ctx, "library", "copy-terms", "NOPE", "--limit", "3"); code == 0 {
		t.Fatal("an unknown library accepted")
	}
	if h, _ := st.FeeHistory(ctx, "ZZU", 10); len(h) != 2 {
		t.Fatalf("history after refusals: %d lines", len(h))
	}
}
