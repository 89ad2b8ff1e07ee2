package mysql_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// A database created before the migrations (schema.sql only) gets the new
// columns; Migrate stays idempotent, also when run concurrently and after a
// crash between a migration's DDL and its version row.
func TestMigrationsUpgradeAnOldDatabase(t *testing.T) {
	dsn, st := testenv.DB(t, "migrate")
	ctx := context.Background()
	columns := func() int {
		var n int
		if err := st.DB.Get(&n, `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
			AND ((table_name = 'libraries' AND column_name = 'webhook_secret')
			  OR (table_name = 'notices' AND column_name IN ('delivered_via', 'last_error')))`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if columns() != 3 {
		t.Fatalf("fresh database: %d of 3 migrated columns", columns())
	}
	// Back to the schema of before the migrations.
	for _, q := range []string{`ALTER TABLE libraries DROP COLUMN webhook_secret`,
		`ALTER TABLE notices DROP COLUMN delivered_via, DROP COLUMN last_error`, `DROP TABLE schema_migrations`} {
		if _, err := st.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- mysql.Migrate(ctx, dsn) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	if columns() != 3 {
		t.Fatalf("upgraded database: %d of 3 migrated columns", columns())
	}
	// Crash after the DDL, before the version row: taken as applied.
	if _, err := st.DB.Exec(`DELETE FROM schema_migrations WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if err := mysql.Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	var versions []int
	if err := st.DB.Select(&versions, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if want := mysql.MigrationVersions(); !slices.Equal(versions, want) {
		t.Fatalf("versions = %v, want %v", versions, want)
	}
	// The secret round-trips through AddLibrary and ill.Library.
	if err := st.AddLibrary(ctx, ill.Library{Code: "THU", NameZH: "清华大学图书馆", WebhookURL: "https://x.example/h",
		WebhookSecret: "whsec_1"}); err != nil {
		t.Fatal(err)
	}
	l, err := st.Library(ctx, "THU")
	if err != nil || l.WebhookSecret != "whsec_1" || l.WebhookURL != "https://x.example/h" {
		t.Fatalf("library = %+v, %v", l, err)
	}
}

// Versions are unique and increasing, so a merge that reuses a number fails here.
func TestMigrationVersions(t *testing.T) {
	v := mysql.MigrationVersions()
	for i := 1; i < len(v); i++ {
		if v[i] <= v[i-1] {
			t.Fatalf("migration versions not strictly increasing: %v", v)
		}
	}
}
