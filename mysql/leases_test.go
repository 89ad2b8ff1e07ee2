package mysql_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/internal/testenv"
)

// A lease is one holder's until it expires: others are refused, the holder
// renews it, a release or the expiry frees it; of many takers at once
// exactly one gets it.
func TestLeases(t *testing.T) {
	_, st := testenv.DB(t, "leases")
	ctx := context.Background()
	take := func(name, holder string, ttl time.Duration) bool {
		t.Helper()
		ok, err := st.TakeLease(ctx, name, holder, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("job", "a", time.Minute) {
		t.Fatal("a could not take a free lease")
	}
	if take("job", "b", time.Minute) {
		t.Fatal("b took a's running lease")
	}
	if !take("job", "a", time.Minute) {
		t.Fatal("a could not renew its lease")
	}
	if !take("other", "b", time.Minute) {
		t.Fatal("leases of different names interfere")
	}
	if err := st.ReleaseLease(ctx, "job", "b"); err != nil { // not b's: no effect
		t.Fatal(err)
	}
	if take("job", "b", time.Minute) {
		t.Fatal("b's release freed a's lease")
	}
	if err := st.ReleaseLease(ctx, "job", "a"); err != nil {
		t.Fatal(err)
	}
	if !take("job", "b", 200*time.Millisecond) {
		t.Fatal("b could not take the released lease")
	}
	if take("job", "a", time.Minute) {
		t.Fatal("a took b's lease before it expired")
	}
	time.Sleep(400 * time.Millisecond)
	if !take("job", "a", time.Minute) {
		t.Fatal("a could not take b's expired lease")
	}
	var holder string
	if err := st.DB.Get(&holder, `SELECT holder FROM leases WHERE name = 'job' AND expires_at > NOW(3) + INTERVAL 50 SECOND`); err != nil || holder != "a" {
		t.Fatalf("lease row: holder %q (%v), want a with a fresh expiry", holder, err)
	}

	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := st.TakeLease(ctx, "race", string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d of 8 concurrent takers got the lease, want 1", won.Load())
	}
	if _, err := st.TakeLease(ctx, "", "a", time.Minute); err == nil {
		t.Fatal("a lease without a name was taken")
	}
}

// Galera replicates only InnoDB tables and needs a primary key on every
// table (rows are certified and applied by key): after Migrate, none may
// lack either.
func TestEveryTableHasPrimaryKey(t *testing.T) {
	_, st := testenv.DB(t, "pk")
	var bad []struct {
		Table  string `db:"table_name"`
		Engine string `db:"engine"`
		PK     bool   `db:"has_pk"`
	}
	if err := st.DB.Select(&bad, `SELECT t.TABLE_NAME AS table_name, COALESCE(t.ENGINE, '') AS engine,
		COUNT(c.CONSTRAINT_NAME) > 0 AS has_pk
		FROM information_schema.TABLES t
		LEFT JOIN information_schema.TABLE_CONSTRAINTS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA
		  AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY'
		WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
		GROUP BY t.TABLE_NAME, t.ENGINE
		HAVING has_pk = 0 OR engine <> 'InnoDB'`); err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("table %s: engine %s, primary key %v (Galera needs InnoDB with a primary key)", b.Table, b.Engine, b.PK)
	}
	var tables int
	if err := st.DB.Get(&tables, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`); err != nil || tables < 40 {
		t.Fatalf("only %d tables found (%v): the check looked at the wrong database", tables, err)
	}
}
