package mysql

// Server-wide named locks (GET_LOCK), for work that must not run twice at
// once across processes but holds no row to lock.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"
)

// getNamedLockSQL takes a named lock, waiting at most the seconds given;
// releaseNamedLockSQL frees it. The name is hashed with the database's
// name, so that databases sharing a server (tests) do not share locks.
// Locks: the named lock, held by the session (not the transaction) until
// released or the connection ends; no rows.
const (
	namedLockKey        = `SHA2(CONCAT(DATABASE(), '/', ?), 256)`
	getNamedLockSQL     = `SELECT GET_LOCK(` + namedLockKey + `, ?)`
	releaseNamedLockSQL = `SELECT RELEASE_LOCK(` + namedLockKey + `)`
)

// NamedLock takes a server-wide named lock (GET_LOCK, scoped to this
// database) on a connection of its own, waiting at most wait. release
// frees it; the lock also ends if the connection is lost.
func (s *Store) NamedLock(ctx context.Context, name string, wait time.Duration) (release func(), err error) {
	conn, err := s.DB.Connx(ctx)
	if err != nil {
		return nil, err
	}
	var got sql.NullInt64
	if err := conn.GetContext(ctx, &got, getNamedLockSQL, name, int(wait.Seconds())); err != nil {
		conn.Close()
		return nil, err
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return nil, errors.New("mysql: lock " + name + " is busy")
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(rctx, releaseNamedLockSQL, name); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // drop the session, and its lock, from the pool
		}
		conn.Close()
	}, nil
}
