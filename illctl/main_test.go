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
		var out bytes.Buffer
		if err := run(ctx, args, &out); err != nil {
			t.Fatalf("illctl %v: %v", args, err)
		}
		return out.String()
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
	if err := run(ctx, []string{"calendar", "import", bad}, &bytes.Buffer{}); err == nil {
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
	if err := run(ctx, []string{"closures", "add", "ZZU", "2027-02-20", "2027-01-20"}, &bytes.Buffer{}); err == nil {
		t.Fatal("a closure ending before it starts was accepted")
	}
	if err := run(ctx, []string{"frobnicate"}, &bytes.Buffer{}); err == nil {
		t.Fatal("unknown command accepted")
	}
}
