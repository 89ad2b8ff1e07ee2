package mysql

import (
	"errors"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

// A duplicate key means what the queued writes say (onDuplicate) only for
// the round trip that carries them: once one has carried them without an
// error, a later duplicate is its own error again; a statement that
// carried nothing is never mapped.
func TestDuplicateMeaningLastsUntilTheQueuedWritesAreIn(t *testing.T) {
	dup := &gomysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'uq'"}
	c := &txConn{onDuplicate: ErrRequestExists}
	if err := c.failed(dup, false); !errors.Is(err, dup) {
		t.Fatalf("a statement that carried nothing: %v, want its own error", err)
	}
	if err := c.failed(dup, true); !errors.Is(err, ErrRequestExists) || !errors.Is(c.err, ErrRequestExists) {
		t.Fatalf("the round trip carrying the request row: %v (sticky %v), want ErrRequestExists", err, c.err)
	}

	c = &txConn{onDuplicate: ErrRequestExists}
	if err := c.failed(nil, true); err != nil || c.onDuplicate != nil {
		t.Fatalf("a successful carrying round trip: %v, onDuplicate %v; want it cleared", err, c.onDuplicate)
	}
	if err := c.failed(dup, true); !errors.Is(err, dup) {
		t.Fatalf("a later duplicate: %v, want its own error", err)
	}
}
