package mysql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/balis/illhub/ill"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// The errors a Galera cluster answers with, as the driver returns them:
// certification conflicts are retried like deadlocks; a node outside the
// primary component is retried and, if it persists, unavailable (503, the
// consumers hold the delivery); other errors are neither.
func TestGaleraErrorsClassified(t *testing.T) {
	cases := []struct {
		name               string
		err                error
		retry, unavailable bool
	}{
		{"certification failure at commit", &gomysql.MySQLError{Number: 1213, SQLState: [5]byte{'4', '0', '0', '0', '1'},
			Message: "Deadlock found when trying to get lock; try restarting transaction"}, true, false},
		{"aborted by a replicated transaction", &gomysql.MySQLError{Number: 1213,
			Message: "WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction"}, true, false},
		{"wrapped", fmt.Errorf("claim: %w", &gomysql.MySQLError{Number: 1213, Message: "Deadlock: wsrep aborted transaction"}), true, false},
		{"node not in the primary component", &gomysql.MySQLError{Number: 1047, SQLState: [5]byte{'0', '8', 'S', '0', '1'},
			Message: "WSREP has not yet prepared node for application use"}, true, true},
		{"replication failed at commit", &gomysql.MySQLError{Number: 1180,
			Message: `Got error 6 "No such device or address" during COMMIT`}, true, false},
		{"lock wait timeout", &gomysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}, true, false},
		{"duplicate key", &gomysql.MySQLError{Number: 1062, Message: "Duplicate entry"}, false, false},
		{"no primary key (wsrep_mode)", &gomysql.MySQLError{Number: 1173,
			Message: "This table type requires a primary key"}, false, false},
		{"plain error", errors.New("boom"), false, false},
	}
	for _, c := range cases {
		if got := Retryable(c.err); got != c.retry {
			t.Errorf("%s: Retryable = %v, want %v", c.name, got, c.retry)
		}
		if got := IsUnavailable(c.err); got != c.unavailable {
			t.Errorf("%s: IsUnavailable = %v, want %v", c.name, got, c.unavailable)
		}
		var ie *ill.Error
		if got := errors.As(classify(c.err), &ie) && ie.Code == ill.CodeUnavailable; got != c.unavailable {
			t.Errorf("%s: classified unavailable = %v, want %v", c.name, got, c.unavailable)
		}
	}
}

// After a node-not-ready error (1047) a transaction's connection is closed,
// not put back in the pool: through HAProxy the next connection reaches the
// node that now takes the writes. After other errors it is rolled back and
// reused.
func TestNodeNotReadyDropsTheConnection(t *testing.T) {
	base := os.Getenv("ILL_TEST_MYSQL_DSN_BASE")
	if base == "" {
		base = "root:@tcp(127.0.0.1:3306)/"
	}
	db, err := sqlx.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, c := range []struct {
		err  error
		kept bool
	}{
		{&gomysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}, true},
		{&gomysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}, false},
	} {
		conn, err := db.Connx(ctx)
		if err != nil {
			t.Fatalf("cannot reach MariaDB: %v", err)
		}
		tx := &txConn{conn: conn}
		if _, err := tx.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		before := db.Stats().OpenConnections
		tx.rollbackAfter(c.err)
		if kept := db.Stats().OpenConnections == before; kept != c.kept {
			t.Errorf("after %v: connection kept in the pool = %v, want %v", c.err, kept, c.kept)
		}
	}
}
