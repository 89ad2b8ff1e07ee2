package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

func TestAdminCommands(t *testing.T) {
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
	if out := cmd("migrate"); !strings.Contains(out, "schema applied") { // idempotent on a migrated database
		t.Fatal(out)
	}
	cmd("library", "add", "ZZU", "测试大学图书馆", "--name-en", "Test University Library", "--deposit-required")
	if out := cmd("library", "list"); !strings.Contains(out, "ZZU") || !strings.Contains(out, "测试大学图书馆") {
		t.Fatalf("list: %s", out)
	}
	key := strings.TrimSpace(cmd("library", "key", "ZZU"))
	p, err := st.PrincipalByKeyHash(ctx, ill.HashKey(key))
	if err != nil || p.Library != "ZZU" || p.Centre {
		t.Fatalf("issued key resolves to %+v, %v", p, err)
	}
	var plain int
	_ = st.DB.Get(&plain, `SELECT COUNT(*) FROM api_keys WHERE key_hash = ?`, key)
	if plain != 0 {
		t.Fatal("the key is stored in clear")
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "2027.json")
	if err := os.WriteFile(file, []byte(`{"year":2027,"source":"test","days":[{"date":"2027-01-01","kind":"holiday","name":"元旦"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := cmd("calendar", "import", file); !strings.Contains(out, "calendar 2027 loaded") {
		t.Fatal(out)
	}
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"year":2027,"days":[{"date":"2028-01-01","kind":"holiday"}]}`), 0o600)
	if code, _, _ := illctl(ctx, "calendar", "import", bad); code == 0 {
		t.Fatal("a day outside the year was accepted")
	}

	cmd("closures", "add", "ZZU", "2027-01-20", "2027-02-20", "寒假")
	out := cmd("closures", "list", "ZZU")
	if !strings.Contains(out, "2027-01-20") || !strings.Contains(out, "寒假") {
		t.Fatalf("closures list: %s", out)
	}
	id := strings.Fields(out)[0]
	cmd("closures", "remove", id)
	if out := cmd("closures", "list"); strings.Contains(out, "ZZU") {
		t.Fatalf("closure not removed: %s", out)
	}
	if code, _, _ := illctl(ctx, "closures", "add", "ZZU", "2027-02-20", "2027-01-20"); code == 0 {
		t.Fatal("a closure ending before it starts was accepted")
	}
	if code, _, errs := illctl(ctx, "frobnicate"); code != 1 || !strings.HasPrefix(errs, `illctl: unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %s", code, errs)
	}
}

// illctl runs the program with args and the process environment (as set
// with t.Setenv); it returns the exit status, standard output and
// standard error.
func illctl(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = run(ctx, args, &out, &errs)
	return code, out.String(), errs.String()
}

// Help, usage errors and configuration errors, before any database.
func TestRunStatusAndStreams(t *testing.T) {
	t.Setenv("ILL_MYSQL_DSN", "root:@tcp(127.0.0.1:1)/none") // nothing here may reach a database
	ctx := context.Background()
	for _, c := range []struct {
		args         []string
		code         int
		stdout, errs string // prefixes; "" matches anything
	}{
		{nil, 0, "illctl — illhub administration", ""},
		{[]string{"help"}, 0, "illctl — illhub administration", ""},
		{[]string{"-h"}, 0, "illctl — illhub administration", ""},
		{[]string{"migrate", "--help"}, 0, "usage: illctl migrate", ""}, // flag.ErrHelp is not a failure
		{[]string{"key", "--help"}, 0, "usage:\n  illctl key list", ""},
		{[]string{"key"}, 1, "usage:\n  illctl key list", "illctl: illctl key needs a subcommand\n"},
		{[]string{"migrate", "--force"}, 1, "flag provided but not defined: -force", "illctl: flag provided but not defined: -force\n"},
	} {
		code, out, errs := illctl(ctx, c.args...)
		if code != c.code || !strings.HasPrefix(out, c.stdout) || !strings.HasPrefix(errs, c.errs) || (c.code == 0 && errs != "") {
			t.Errorf("illctl %v: status %d, stdout %q, stderr %q", c.args, code, out, errs)
		}
	}
	var out, errs bytes.Buffer
	t.Setenv("ILL_KEY_CACHE_TTL", "1h")
	if code := run(ctx, []string{"library", "list"}, &out, &errs); code != 1 || !strings.HasPrefix(errs.String(), "illctl: config: ILL_KEY_CACHE_TTL=1h0m0s") {
		t.Fatalf("bad configuration: %d %q", code, errs.String())
	}
}
