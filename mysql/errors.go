package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/balis/illhub/ill"
	gomysql "github.com/go-sql-driver/mysql"
)

// ErrNotFound is returned (wrapped in *ill.Error) when a row does not exist.
var ErrNotFound = errors.New("not found")

func notFound(what, id string) error {
	return &ill.Error{Code: ill.CodeNotFound, Message: fmt.Sprintf("%s %q not found", what, id)}
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
		// too many connections, server shutdown in progress, a Galera
		// node that is not part of the primary component
		return me.Number == 1040 || me.Number == 1053 || nodeNotReady(err)
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) ||
		errors.As(err, &oe) || errors.Is(err, syscall.ECONNREFUSED)
}

// classify turns database connectivity failures into *ill.Error with code
// unavailable (HTTP 503; consumers hold the delivery and retry instead of
// spending its attempts); other errors pass unchanged.
func classify(err error) error {
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
// connection, after which the whole transaction may be retried. On a
// Galera cluster this covers a certification failure (1213: the write set
// conflicted with one committed first on another node, "Deadlock found
// when trying to get lock" at commit, or "WSREP detected deadlock/conflict
// and aborted the transaction" for a transaction aborted by a replicated
// one), a node that left the primary component (1047, see nodeNotReady)
// and a commit that failed in replication (1180, "Got error … during
// COMMIT": nothing was committed).
func Retryable(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205 || me.Number == 1180 || nodeNotReady(err)
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn)
}

// nodeNotReady reports a Galera node that does not accept queries (not
// synced with the primary component: "WSREP has not yet prepared node for
// application use", 1047). Its connection is dropped rather than reused:
// the next one reaches the node HAProxy now routes to.
func nodeNotReady(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1047
}

func isDuplicate(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}
