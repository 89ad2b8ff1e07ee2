package main

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

func TestCourierCommands(t *testing.T) {
	dsn, st := testenv.DB(t, "illctlcour")
	testenv.Libraries(t, st, "THU")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	ctx := context.Background()
	code, out, errs := illctl(ctx, "courier", "key", "--label", "scanner 1")
	if code != 0 {
		t.Fatal(errs)
	}
	key := strings.TrimSpace(out)
	if ok, err := st.CourierKeyValid(ctx, ill.HashKey(key)); err != nil || !ok {
		t.Fatalf("issued courier key %q is not valid: %v", key, err)
	}
	var plain int
	_ = st.DB.Get(&plain, `SELECT COUNT(*) FROM courier_keys WHERE key_hash = ?`, key)
	if plain != 0 {
		t.Fatal("the courier key is stored in clear")
	}
	if _, err := st.PrincipalByKeyHash(ctx, ill.HashKey(key)); err == nil {
		t.Fatal("a courier key works as a library key")
	}
	if ok, _ := st.CourierKeyValid(ctx, ill.HashKey(ill.DemoKey("THU"))); ok {
		t.Fatal("a library key works as a courier key")
	}
	if code, out, errs = illctl(ctx, "courier", "days", "thu", "Mon,Wed,Fri", "--cutoff", "9:30"); code != 0 {
		t.Fatal(errs)
	}
	var days, cutoff string
	_ = st.DB.QueryRow(`SELECT courier_days, courier_cutoff FROM libraries WHERE code = 'THU'`).Scan(&days, &cutoff)
	if days != "mon,wed,fri" || cutoff != "09:30" {
		t.Fatalf("THU: %q %q (output %q)", days, cutoff, out)
	}
	for _, bad := range [][]string{{"courier", "days", "THU", "someday"}, {"courier", "days", "NOPE", "mon"},
		{"courier", "days", "THU", "mon", "--cutoff", "25:99"}, {"courier", "nothing"}} {
		if code, _, _ := illctl(ctx, bad...); code == 0 {
			t.Errorf("illctl %v: accepted", bad)
		}
	}
}
