package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// illctl key list|issue|revoke|rotate|log for a library, the centre and
// the courier: keys shown once, never listed, revocations effective in
// the database, each change audited under the OS user running illctl.
func TestKeyLifecycle(t *testing.T) {
	dsn, st := testenv.DB(t, "illctlkeys")
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
	fails := func(args ...string) {
		t.Helper()
		if code, _, _ := illctl(ctx, args...); code == 0 {
			t.Errorf("illctl %v: accepted", args)
		}
	}
	live := func(key string) bool {
		t.Helper()
		_, err := st.PrincipalByKeyHash(ctx, ill.HashKey(key))
		if err != nil && ill.ErrorCode(err) != ill.CodeNotFound {
			t.Fatal(err)
		}
		return err == nil
	}
	courierLive := func(key string) bool {
		t.Helper()
		ok, err := st.CourierKeyValid(ctx, ill.HashKey(key))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	idOf := func(key string) string {
		t.Helper()
		var id int64
		if err := st.DB.Get(&id, `SELECT id FROM api_keys WHERE key_hash = ?`, ill.HashKey(key)); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(id)
	}

	cmd("library", "add", "ZZU", "测试大学图书馆")
	k1 := strings.TrimSpace(cmd("library", "key", "ZZU", "--label", "first"))
	// A code in another spelling is the same library (ill.CanonicalCode).
	k2 := strings.TrimSpace(cmd("key", "issue", "ｚｚｕ", "--label", "second"))
	if !live(k1) || !live(k2) || k1 == k2 {
		t.Fatalf("issued keys not live: %v %v", live(k1), live(k2))
	}
	list := cmd("key", "list", "ZZU")
	if strings.Count(list, "ZZU") != 2 || !strings.Contains(list, "first") || !strings.Contains(list, "second") {
		t.Fatalf("key list ZZU:\n%s", list)
	}
	for _, k := range []string{k1, k2} {
		if strings.Contains(list, k) || strings.Contains(list, ill.HashKey(k)) {
			t.Fatalf("key list shows a key or its hash:\n%s", list)
		}
	}

	// Revoke one key by id: only that one stops working.
	cmd("key", "revoke", "ZZU", "--id", idOf(k1))
	if live(k1) || !live(k2) {
		t.Fatalf("after revoke --id: k1 live %v, k2 live %v", live(k1), live(k2))
	}
	fails("key", "revoke", "ZZU", "--id", idOf(k1)) // already revoked
	fails("key", "revoke", "ZZU", "--id", "999999") // not ZZU's
	fails("key", "issue", "NOPE")                   // no such member
	fails("key", "revoke", "ZZ U")                  // not a library code
	fails("key", "rotate")
	fails("library", "add", "COURIER", "快递") // reserved owner

	// Rotate: a new key, every other active key revoked.
	k3 := strings.TrimSpace(cmd("key", "rotate", "ZZU", "--label", "rotated"))
	if !live(k3) || live(k2) {
		t.Fatalf("after rotate: new live %v, old live %v", live(k3), live(k2))
	}
	cmd("key", "revoke", "zzu")
	if live(k3) {
		t.Fatal("key revoke ZZU left a key active")
	}
	if out := cmd("key", "revoke", "ZZU"); !strings.Contains(out, "nothing revoked") {
		t.Fatalf("second revoke: %q", out)
	}

	// Courier credentials: owner COURIER.
	c1 := strings.TrimSpace(cmd("courier", "key", "--label", "scanner"))
	c2 := strings.TrimSpace(cmd("key", "rotate", "COURIER"))
	if courierLive(c1) || !courierLive(c2) || live(c2) {
		t.Fatalf("courier rotate: old %v new %v (as API key %v)", courierLive(c1), courierLive(c2), live(c2))
	}
	if out := cmd("key", "list", "courier"); strings.Count(out, "courier") < 2 || strings.Contains(out, c2) {
		t.Fatalf("key list COURIER:\n%s", out)
	}
	cmd("key", "revoke", "COURIER")
	if courierLive(c2) {
		t.Fatal("key revoke COURIER left a credential active")
	}

	// Centre keys: owner CENTRE.
	cen := strings.TrimSpace(cmd("key", "rotate", "CENTRE"))
	if p, err := st.PrincipalByKeyHash(ctx, ill.HashKey(cen)); err != nil || !p.Centre || p.Library != ill.CentreCode {
		t.Fatalf("centre key resolves to %+v, %v", p, err)
	}

	// The audit log: one row per change, by the OS user, never a key.
	rows, err := st.AuditLog(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.Library+" "+string(r.Action)]++
		if r.Actor != actorNow().Name || r.Actor == "" {
			t.Errorf("audit actor %q, want the OS user %q", r.Actor, actorNow().Name)
		}
		for _, k := range []string{k1, k2, k3, c1, c2, cen} {
			if strings.Contains(r.Detail, k) || strings.Contains(r.Detail, ill.HashKey(k)) {
				t.Errorf("audit detail holds a key: %q", r.Detail)
			}
		}
	}
	want := map[string]int{"ZZU key.issue": 2, "ZZU key.revoke": 2, "ZZU key.rotate": 1,
		"COURIER key.issue": 1, "COURIER key.rotate": 1, "COURIER key.revoke": 1, "CENTRE key.rotate": 1,
		"ZZU library.save": 1} // library add is audited too
	for k, n := range want {
		if count[k] != n {
			t.Errorf("audit rows %q: %d, want %d (all: %v)", k, count[k], n, count)
		}
	}
	if len(rows) != 10 {
		t.Errorf("%d audit rows, want 10: %v", len(rows), count)
	}
	if out := cmd("key", "log", "ZZU"); strings.Count(out, "key.") != 5 {
		t.Errorf("key log ZZU:\n%s", out)
	}
}

// `illctl seed demo` loads public credentials: refused without ILL_DEMO=1
// (nothing written); in a demo it loads, and re-seeding restores revoked
// demo keys (the documented choice: a demo may be reset).
func TestSeedDemoNeedsDemoMode(t *testing.T) {
	dsn, st := testenv.DB(t, "illctlseed")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	ctx := context.Background()
	t.Setenv("ILL_DEMO", "0")
	if code, _, errs := illctl(ctx, "seed", "demo", "--books", "20"); code == 0 || !strings.Contains(errs, "ILL_DEMO=1") {
		t.Fatalf("seed demo without ILL_DEMO: %d %s", code, errs)
	}
	var n int
	_ = st.DB.Get(&n, `SELECT COUNT(*) FROM api_keys`)
	if n != 0 {
		t.Fatalf("a refused seed wrote %d keys", n)
	}

	t.Setenv("ILL_DEMO", "1")
	if code, _, errs := illctl(ctx, "seed", "demo", "--books", "20"); code != 0 {
		t.Fatal(errs)
	}
	active, err := st.ActiveDemoKeys(ctx)
	if err != nil || len(active) < 3 {
		t.Fatalf("after seeding: %d demo credentials, %v", len(active), err)
	}
	code, out, errs := illctl(ctx, "key", "revoke", "--demo")
	if code != 0 {
		t.Fatal(errs)
	}
	if left, _ := st.ActiveDemoKeys(ctx); len(left) != 0 || !strings.Contains(out, fmt.Sprintf("%d demo credential", len(active))) {
		t.Fatalf("after key revoke --demo: %d left; output %q", len(left), out)
	}
	if ok, _ := st.CourierKeyValid(ctx, ill.HashKey(ill.DemoKey(ill.CourierOwner))); ok {
		t.Fatal("demo courier key still active")
	}
	if code, _, errs := illctl(ctx, "seed", "demo", "--books", "20"); code != 0 {
		t.Fatal(errs)
	}
	if again, _ := st.ActiveDemoKeys(ctx); len(again) != len(active) {
		t.Fatalf("re-seeding a demo restored %d of %d demo credentials", len(again), len(active))
	}
	rows, _ := st.AuditLog(ctx, "", 100)
	seeds := 0
	for _, r := range rows {
		if r.Action == ill.AuditDemoSeed {
			seeds++
		}
	}
	if seeds != 2 {
		t.Errorf("%d demo.seed audit rows, want 2", seeds)
	}
}
