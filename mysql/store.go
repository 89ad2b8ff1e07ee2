package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
	// tx is the transaction pool (InTx, Group): its sessions run with
	// autocommit off, so a transaction needs no START TRANSACTION (see
	// txConn); DB's sessions autocommit. Both run at READ COMMITTED.
	tx *sqlx.DB
	// onOutbox is handed, after the commit, the outbox rows of every
	// transaction that wrote some (OnOutboxCommit).
	onOutbox func([]ill.OutboxRow)
}

// OnOutboxCommit makes the store hand f the outbox rows of each committed
// transaction (or group) that wrote some, so that the process's relay
// publishes them at once, without reading them back (the rows carry no id:
// the relay marks them by message id). f must not block; it is not called
// for a rollback, and a row an INSERT IGNORE skipped (its message id was
// there already) is handed over too: publishing it again is harmless.
// Set it before the store is used; the relay's poll stays the safety net
// for rows whose process died between commit and publish.
func (s *Store) OnOutboxCommit(f func([]ill.OutboxRow)) { s.onOutbox = f }

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

// Open connects (without waiting for the server to be up: use Ping). It
// opens two pools on the same server: DB (at most 24 connections), whose
// sessions autocommit, for reads and single statements, and the
// transaction pool (at most 32), whose sessions do not, for InTx.
func Open(dsn string) (*Store, error) {
	cfg, err := normalizeDSN(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sqlx.NewDb(sql.OpenDB(sessionConnector{conn, sessionReadCommittedSQL}), "mysql")
	db.SetMaxOpenConns(24)
	db.SetMaxIdleConns(24)
	db.SetConnMaxLifetime(30 * time.Minute)
	tx := sqlx.NewDb(sql.OpenDB(sessionConnector{conn, sessionReadCommittedSQL + ";\n" + sessionNoAutocommitSQL}), "mysql")
	tx.SetMaxOpenConns(32)
	tx.SetMaxIdleConns(32)
	tx.SetConnMaxLifetime(30 * time.Minute)
	return &Store{DB: db, MaxAttempts: 6, tx: tx}, nil
}

// sessionReadCommittedSQL makes READ COMMITTED the isolation level of
// every later transaction of the session (see txConn for why), once per
// connection instead of a SET TRANSACTION per transaction. It is a
// statement, not a DSN variable, because the variable's name differs
// (MySQL 8: transaction_isolation; MariaDB before 11.1: tx_isolation).
// sessionNoAutocommitSQL turns autocommit off for the transaction pool's
// sessions. Locks: none.
const (
	sessionReadCommittedSQL = `SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED`
	sessionNoAutocommitSQL  = `SET SESSION autocommit = 0`
)

// sessionConnector opens connections with the session settings already
// made (setup, one round trip). A connection whose settings fail is
// closed, never used.
type sessionConnector struct {
	driver.Connector
	setup string
}

func (c sessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("mysql: the driver's connection cannot run %q", c.setup)
	}
	if _, err := ex.ExecContext(ctx, c.setup, nil); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// Close closes both pools.
func (s *Store) Close() error { return errors.Join(s.tx.Close(), s.DB.Close()) }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }
