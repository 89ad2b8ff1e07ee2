package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// Store is the database handle. It is safe for concurrent use.
type Store struct {
	DB *sqlx.DB
	// MaxAttempts bounds InTx's retries of a closure on deadlock/lock wait.
	MaxAttempts int

	dir *Directory // nil: libraries and closures are read from the database (UseDirectory)
	// readCommitted: every connection of DB was set to READ COMMITTED
	// when it was opened (Open), so a transaction need not say so.
	readCommitted bool
	// onOutbox is told, after the commit, of every transaction that
	// wrote outbox rows (OnOutboxCommit).
	onOutbox func()
}

// OnOutboxCommit makes the store call f after each commit of a
// transaction (or group) that wrote outbox rows, so that the process's
// relay publishes them at once instead of at its next poll. f must not
// block (a non-blocking send on a wake-up channel); it is not called for a
// rollback. Set it before the store is used; the poll stays the safety net
// for rows whose process died between commit and publish.
func (s *Store) OnOutboxCommit(f func()) { s.onOutbox = f }

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
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sqlx.NewDb(sql.OpenDB(readCommittedConnector{conn}), "mysql")
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(20)
	db.SetConnMaxLifetime(30 * time.Minute)
	return &Store{DB: db, MaxAttempts: 6, readCommitted: true}, nil
}

// sessionReadCommittedSQL makes READ COMMITTED the isolation level of
// every later transaction of the session (see txConn for why), once per
// connection instead of a SET TRANSACTION per transaction. It is a
// statement, not a DSN variable, because the variable's name differs
// (MySQL 8: transaction_isolation; MariaDB before 11.1: tx_isolation).
// Locks: none.
const sessionReadCommittedSQL = `SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED`

// readCommittedConnector opens connections already set to READ COMMITTED.
// A connection whose setting fails is closed, never used.
type readCommittedConnector struct{ driver.Connector }

func (c readCommittedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("mysql: the driver's connection cannot run %q", sessionReadCommittedSQL)
	}
	if _, err := ex.ExecContext(ctx, sessionReadCommittedSQL, nil); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// Close closes the pool.
func (s *Store) Close() error { return s.DB.Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }
