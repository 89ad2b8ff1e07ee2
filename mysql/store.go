// Package mysql is illhub's storage adapter for MySQL 8 and MariaDB 10.11+.
//
// The repository owns the transaction: callers pass a closure to InTx, which
// runs it in one transaction and retries the whole closure on deadlock (1213)
// and lock wait timeout (1205) with bounded backoff. Inbox, state changes,
// events and outbox rows are written through the same *Tx, so they commit or
// roll back together.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	illhub "github.com/balis/illhub"
	"github.com/balis/illhub/ill"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// Store is the database handle. It is safe for concurrent use.
type Store struct {
	DB *sqlx.DB
	// MaxAttempts bounds InTx's retries of a closure on deadlock/lock wait.
	MaxAttempts int

	dir *Directory // nil: libraries and closures are read from the database (UseDirectory)
}

// normalizeDSN forces the session settings the code relies on: UTC times,
// parsed DATETIMEs, utf8mb4.
func normalizeDSN(dsn string) (*gomysql.Config, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: bad ILL_MYSQL_DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Collation = "utf8mb4_unicode_ci"
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	// Arguments are interpolated client-side (safe with utf8mb4): one
	// round trip per statement instead of prepare + execute + close, which
	// halves the round trips of a consumer's transaction.
	cfg.InterpolateParams = true
	// Several statements per round trip: a transaction's queued writes are
	// sent together (txConn.later). Every statement is built from
	// constants with ? placeholders, and arguments are escaped by the
	// driver, never concatenated.
	cfg.MultiStatements = true
	return cfg, nil
}

// driverLogger sends the driver's own messages (e.g. "unexpected EOF" on a
// connection the server closed) to the structured log.
type driverLogger struct{}

func (driverLogger) Print(v ...any) { slog.Warn("mysql driver", "msg", fmt.Sprint(v...)) }

func init() { _ = gomysql.SetLogger(driverLogger{}) }

// Open connects (without waiting for the server to be up: use Ping).
func Open(dsn string) (*Store, error) {
	cfg, err := normalizeDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(20)
	db.SetConnMaxLifetime(30 * time.Minute)
	return &Store{DB: db, MaxAttempts: 6}, nil
}

// Close closes the pool.
func (s *Store) Close() error { return s.DB.Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// Migrate creates the database named in dsn when missing and applies
// schema.sql, then the additive migrations (migrations.go). It is
// idempotent.
func Migrate(ctx context.Context, dsn string) error {
	cfg, err := normalizeDSN(dsn)
	if err != nil {
		return err
	}
	name := cfg.DBName
	if name == "" || strings.ContainsAny(name, "`;") {
		return fmt.Errorf("mysql: ILL_MYSQL_DSN must name a database")
	}
	cfg.DBName = ""
	cfg.MultiStatements = true
	root, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer root.Close()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("mysql: create database %s: %w", name, err)
	}
	if _, err := root.ExecContext(ctx, "USE `"+name+"`;\n"+illhub.Schema); err != nil {
		return fmt.Errorf("mysql: apply schema.sql: %w", err)
	}
	return applyMigrations(ctx, root, name)
}

// Tx is one database transaction. Methods on Tx are the repository's
// write-side operations; they must only be called inside InTx's closure.
type Tx struct {
	tx  *txConn
	dir *Directory
}

// InTx runs fn in a transaction and commits when it returns nil. On MySQL
// deadlock (1213), lock wait timeout (1205) or a broken connection it rolls
// back and runs fn again, at most MaxAttempts times, with jittered backoff;
// fn must therefore have no effects outside the transaction. Errors that
// survive the retries are returned wrapped as ill transient errors.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) (err error) {
	if g, ok := ctx.Value(groupKey{}).(*group); ok && g.store == s {
		// Inside Group: join its transaction. No retry here: an error
		// rolls the whole group back and its messages are applied again
		// one by one, each in an InTx of its own.
		if err := fn(&Tx{tx: g.tx, dir: s.dir}); err != nil {
			g.failed = true // even if the caller swallows it: its writes are in the group
			return Classify(err)
		}
		return nil
	}
	attempts := s.MaxAttempts
	if attempts < 1 {
		attempts = 1
	}
	defer func() { err = Classify(err) }()
	for i := 0; i < attempts; i++ {
		if i > 0 {
			d := time.Duration(10*(1<<i)) * time.Millisecond
			d += time.Duration(time.Now().UnixNano() % int64(d))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		err = s.once(ctx, fn)
		if err == nil || !Retryable(err) {
			return err
		}
	}
	if IsUnavailable(err) {
		return err // classified as unavailable by the deferred Classify
	}
	return &ill.Error{Code: ill.CodeTransient, Message: fmt.Sprintf("database busy after %d attempts: %v", attempts, err)}
}

type groupKey struct{}

type group struct {
	store  *Store
	tx     *txConn // shared by the joined closures: queued writes flush in order
	failed bool    // a joined closure failed: the group must not commit
}

// Group runs apply with a context in which every InTx of this store joins
// one transaction, and commits it when apply returns nil; on any error
// nothing is committed. The consumers use it to apply several prefetched
// messages (each with its inbox row, state changes and outbox rows) in one
// transaction (rabbitmq.Consumer.Group): one BEGIN and one durable COMMIT
// for the lot. apply's InTx closures are not retried inside the group (a
// deadlock fails the group; the caller then applies its messages one by
// one). The joined transaction holds every lock taken until the end of
// apply, so groups are kept small.
func (s *Store) Group(ctx context.Context, apply func(ctx context.Context) error) (err error) {
	defer func() { err = Classify(err) }()
	return s.transact(ctx, func(c *txConn) error {
		g := &group{store: s, tx: c}
		if err := apply(context.WithValue(ctx, groupKey{}, g)); err != nil {
			return err
		}
		if g.failed {
			return errors.New("mysql: a closure of the group failed")
		}
		return nil
	})
}

func (s *Store) once(ctx context.Context, fn func(*Tx) error) error {
	return s.transact(ctx, func(c *txConn) error { return fn(&Tx{tx: c, dir: s.dir}) })
}

// transact runs body in a transaction of its own connection and commits
// when body returns nil; on an error or a panic it rolls back.
func (s *Store) transact(ctx context.Context, body func(*txConn) error) error {
	c, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			c.rollback()
			panic(p)
		}
	}()
	if err := body(c); err != nil {
		c.rollback()
		return err
	}
	return c.commit(ctx)
}

// IsUnavailable reports whether err means the database cannot be reached
// (connection refused or lost, server gone away), as opposed to a query
// that failed.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false // a slow or abandoned query, not a lost server
	}
	var oe *net.OpError
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		// too many connections, server shutdown in progress
		return me.Number == 1040 || me.Number == 1053
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) ||
		errors.As(err, &oe) || errors.Is(err, syscall.ECONNREFUSED)
}

// Classify turns database connectivity failures into *ill.Error with code
// unavailable (HTTP 503; consumers hold the delivery and retry instead of
// spending its attempts); other errors pass unchanged.
func Classify(err error) error {
	if err == nil || !IsUnavailable(err) {
		return err
	}
	var e *ill.Error
	if errors.As(err, &e) {
		return err
	}
	return &ill.Error{Code: ill.CodeUnavailable, Message: "database unavailable: " + err.Error()}
}

// Retryable reports whether err is a deadlock, lock wait timeout or lost
// connection, after which the whole transaction may be retried.
func Retryable(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn)
}

func isDuplicate(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

// nullTime maps a zero time to NULL.
func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func nullInt(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }
