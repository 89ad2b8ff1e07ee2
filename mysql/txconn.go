package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"
)

// txConn is a transaction as the repository's methods use it. Writes whose
// result nobody reads (an event, the request row, the rota, an outbox row)
// are queued with later and travel in front of the transaction's next
// statement, in the same round trip (a multi-statement query; the driver
// skips their OK packets, and LastInsertId/RowsAffected describe the last
// statement), or are sent at commit. The server runs the statements in
// the order of the calls, so reads see every earlier write; a consumer's
// state change costs fewer round trips.
//
// A queued write that fails makes the statement it travelled with fail,
// and the error sticks: the transaction cannot commit. One goroutine at a
// time.
type txConn struct {
	tx   *sqlx.Tx
	q    strings.Builder
	args []any
	err  error // a failed write: every later use and the commit fail
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
	if err != nil && carried && !errors.Is(err, sql.ErrNoRows) {
		c.err = err
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
	if _, err := c.tx.ExecContext(ctx, q, args...); err != nil {
		c.err = err
	}
	return c.err
}

// finish sends what is still queued, before commit.
func (c *txConn) finish(ctx context.Context) error { return c.flush(ctx) }

func (c *txConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if c.err != nil {
		return nil, c.err
	}
	q, a, carried := c.with(query, args)
	res, err := c.tx.ExecContext(ctx, q, a...)
	return res, c.failed(err, carried)
}

func (c *txConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if c.err != nil {
		return nil, c.err
	}
	q, a, carried := c.with(query, args)
	rows, err := c.tx.QueryContext(ctx, q, a...)
	return rows, c.failed(err, carried)
}

func (c *txConn) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if c.err != nil {
		return nil, c.err
	}
	q, a, carried := c.with(query, args)
	rows, err := c.tx.QueryxContext(ctx, q, a...)
	return rows, c.failed(err, carried)
}

// QueryRowxContext sends the queued writes on their own first: *sqlx.Row
// reports errors only when scanned, too late to make them stick. A failed
// write fails the transaction's next statement and its commit.
func (c *txConn) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	_ = c.flush(ctx)
	return c.tx.QueryRowxContext(ctx, query, args...)
}

func (c *txConn) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	if c.err != nil {
		return c.err
	}
	q, a, carried := c.with(query, args)
	return c.failed(c.tx.GetContext(ctx, dest, q, a...), carried)
}

func (c *txConn) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	if c.err != nil {
		return c.err
	}
	q, a, carried := c.with(query, args)
	return c.failed(c.tx.SelectContext(ctx, dest, q, a...), carried)
}

// DriverName, Rebind and BindNamed make txConn an sqlx.ExtContext.
func (c *txConn) DriverName() string         { return c.tx.DriverName() }
func (c *txConn) Rebind(query string) string { return c.tx.Rebind(query) }
func (c *txConn) BindNamed(query string, arg any) (string, []any, error) {
	return c.tx.BindNamed(query, arg)
}
