package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// txConn is a transaction as the repository's methods use it, run on a
// connection of its own with the transaction statements written out, so
// that they can share round trips with the work:
//
//   - The connection comes from the store's transaction pool, whose
//     sessions run with autocommit off (Open): the transaction begins with
//     its first statement, without a START TRANSACTION, and COMMIT or
//     ROLLBACK ends it; every use of such a connection ends in one of
//     them (or the connection is closed), so none goes back to the pool
//     inside a transaction.
//   - Writes whose result nobody reads (an event, the request row, the rota,
//     an outbox row) are queued with later and travel in front of the next
//     statement (a multi-statement query; the driver skips their OK
//     packets, and LastInsertId/RowsAffected describe the last statement).
//   - Commit sends what is still queued and COMMIT in one round trip.
//
// The server runs the statements in the order of the calls, so reads see
// every earlier write. A statement that fails stops the rest of its round
// trip (COMMIT included); a failed queued write sticks: the transaction
// cannot commit. Every path ends in commit or rollback, which give the
// connection back to the pool (or close it when its state is unknown).
// One goroutine at a time.
type txConn struct {
	conn *sqlx.Conn
	q    strings.Builder
	args []any
	err  error // a failed write: every later use and the commit fail
	sent bool  // a statement has reached the server: a transaction may be open
	done bool  // committed or rolled back; conn released
	// outbox: the rows the transaction wrote to the outbox, handed to
	// Store.OnOutboxCommit's function after the commit.
	outbox []ill.OutboxRow
	// onDuplicate, when set, is what a queued write failing on a unique
	// key means (a duplicate is reported as this error, see meaning),
	// until the round trip carrying the queued writes succeeds.
	onDuplicate error
}

// The transaction statements, written out so that they travel with the
// work (see txConn). Every transaction runs at READ COMMITTED (set per
// session when Open made the connection): a plain read takes no locks and
// sees what committed before it ran, and a locking read or a write locks
// only the rows it matches (no gap locks, except where an INSERT checks a
// unique key).
const (
	commitSQL   = `COMMIT`
	rollbackSQL = `ROLLBACK`
)

// begin takes a connection from the transaction pool for a transaction.
func (s *Store) begin(ctx context.Context) (*txConn, error) {
	conn, err := s.tx.Connx(ctx)
	if err != nil {
		return nil, err
	}
	return &txConn{conn: conn}, nil
}

// commit sends the queued writes and COMMIT together. On failure the
// transaction is rolled back.
func (c *txConn) commit(ctx context.Context) error {
	if c.err != nil {
		c.rollback()
		return c.err
	}
	c.later(commitSQL)
	q, args := c.q.String(), c.args
	c.q.Reset()
	c.args = nil
	if _, err := c.conn.ExecContext(ctx, q, args...); err != nil {
		c.sent = true // whatever ran of it, the server may hold a transaction
		c.rollbackAfter(err)
		return c.meaning(err)
	}
	c.release(nil)
	return nil
}

// rollbackAfter ends the transaction after err: a rollback, or, when err
// says the connection's Galera node does not accept queries, closing the
// connection (which rolls back on the server) so that it is not reused.
func (c *txConn) rollbackAfter(err error) {
	if nodeNotReady(err) && !c.done {
		c.release(err)
		return
	}
	c.rollback()
}

// rollback ends the transaction without its effects. When the server's
// state is unknown afterwards (ROLLBACK failed), the connection is closed
// instead of going back to the pool.
func (c *txConn) rollback() {
	if c.done {
		return
	}
	if !c.sent {
		c.release(nil) // nothing reached the server
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.conn.ExecContext(ctx, rollbackSQL)
	c.release(err)
}

func (c *txConn) release(failed error) {
	c.done = true
	if failed != nil {
		_ = c.conn.Raw(func(any) error { return driver.ErrBadConn }) // close it, do not reuse
	}
	_ = c.conn.Close()
}

// later queues a write (one statement, no trailing semicolon).
func (c *txConn) later(query string, args ...any) {
	if c.q.Len() > 0 {
		c.q.WriteString(";\n")
	}
	c.q.WriteString(query)
	c.args = append(c.args, args...)
}

// with puts the queued writes in front of query; carried reports whether
// there were any.
func (c *txConn) with(query string, args []any) (string, []any, bool) {
	if c.q.Len() == 0 {
		return query, args, false
	}
	c.q.WriteString(";\n")
	c.q.WriteString(query)
	q, all := c.q.String(), append(c.args, args...)
	c.q.Reset()
	c.args = nil
	return q, all, true
}

// failed records err as sticky when the statement carried queued writes
// (which of them failed is unknown; a row not found is not a failure).
func (c *txConn) failed(err error, carried bool) error {
	switch {
	case err != nil && carried && !errors.Is(err, sql.ErrNoRows):
		err = c.meaning(err)
		c.err = err
	case err == nil && carried:
		c.onDuplicate = nil // the queued writes it stood for are in
	}
	return err
}

// meaning is err as the transaction's queued writes define it: a
// duplicate key is onDuplicate when that is set.
func (c *txConn) meaning(err error) error {
	if c.onDuplicate != nil && isDuplicate(err) {
		return c.onDuplicate
	}
	return err
}

// flush sends the queued writes, if any, on their own.
func (c *txConn) flush(ctx context.Context) error {
	if c.err != nil || c.q.Len() == 0 {
		return c.err
	}
	q, args := c.q.String(), c.args
	c.q.Reset()
	c.args = nil
	c.sent = true
	if _, err := c.conn.ExecContext(ctx, q, args...); err != nil {
		c.err = c.meaning(err)
	} else {
		c.onDuplicate = nil
	}
	return c.err
}

// send runs do with the queued writes in front of query (see with and
// failed).
func (c *txConn) send(query string, args []any, do func(q string, a []any) error) error {
	if c.err != nil {
		return c.err
	}
	q, a, carried := c.with(query, args)
	c.sent = true
	return c.failed(do(q, a), carried)
}

func (c *txConn) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = c.send(query, args, func(q string, a []any) (err error) { res, err = c.conn.ExecContext(ctx, q, a...); return err })
	return res, err
}

func (c *txConn) QueryContext(ctx context.Context, query string, args ...any) (rows *sql.Rows, err error) {
	err = c.send(query, args, func(q string, a []any) (err error) { rows, err = c.conn.QueryContext(ctx, q, a...); return err })
	return rows, err
}

func (c *txConn) QueryxContext(ctx context.Context, query string, args ...any) (rows *sqlx.Rows, err error) {
	err = c.send(query, args, func(q string, a []any) (err error) { rows, err = c.conn.QueryxContext(ctx, q, a...); return err })
	return rows, err
}

// QueryRowxContext sends the queued writes on their own first: *sqlx.Row
// reports errors only when scanned, too late to make them stick. A failed
// write fails the transaction's next statement and its commit.
func (c *txConn) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	_ = c.flush(ctx)
	c.sent = true
	return c.conn.QueryRowxContext(ctx, query, args...)
}

func (c *txConn) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return c.send(query, args, func(q string, a []any) error { return c.conn.GetContext(ctx, dest, q, a...) })
}

func (c *txConn) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return c.send(query, args, func(q string, a []any) error { return c.conn.SelectContext(ctx, dest, q, a...) })
}

// selectEach runs queries in one round trip (a multi-statement query, the
// queued writes in front) and scans the i-th one's rows into dests[i], a
// pointer to a slice of structs as SelectContext takes; args are the
// queries' arguments in order.
func (c *txConn) selectEach(ctx context.Context, dests []any, queries []string, args ...[]any) error {
	var all []any
	for _, a := range args {
		all = append(all, a...)
	}
	return c.send(strings.Join(queries, ";\n"), all, func(q string, a []any) error {
		rows, err := c.conn.QueryxContext(ctx, q, a...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for i, dest := range dests {
			if i > 0 && !rows.NextResultSet() {
				if err := rows.Err(); err != nil {
					return err
				}
				return fmt.Errorf("mysql: %d result sets for %d queries", i, len(queries))
			}
			if err := sqlx.StructScan(rows, dest); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// DriverName, Rebind and BindNamed make txConn an sqlx.ExtContext.
func (c *txConn) DriverName() string         { return "mysql" }
func (c *txConn) Rebind(query string) string { return query } // MySQL uses ? already
func (c *txConn) BindNamed(query string, arg any) (string, []any, error) {
	return sqlx.BindNamed(sqlx.QUESTION, query, arg)
}
