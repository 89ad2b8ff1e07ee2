package mysql

// The audit log (table audit_log): administrative actions, each key
// change in the transaction that makes it.

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Actor is who changes credentials, and when; every change writes an
// audit_log row with it.
type Actor struct {
	Name string // the OS user running illctl
	At   time.Time
}

// Audit actions (audit_log.action).
const (
	AuditKeyIssue  = "key.issue"
	AuditKeyRevoke = "key.revoke"
	AuditKeyRotate = "key.rotate"
	AuditDemoSeed  = "demo.seed"
)

// AuditEntry is one audit_log row.
type AuditEntry struct {
	ID      int64     `db:"id"`
	At      time.Time `db:"at"`
	Actor   string    `db:"actor"`
	Action  string    `db:"action"`
	Library string    `db:"library_code"`
	Detail  string    `db:"detail"`
}

// Audit records an administrative action outside a key change (e.g.
// AuditDemoSeed).
func (s *Store) Audit(ctx context.Context, a Actor, action, library, detail string) error {
	return audit(ctx, s.DB, a, action, library, detail)
}

// auditSQL appends an audit row. Locks: the new row (until commit inside a
// key change's transaction, for the statement only outside one).
const auditSQL = `INSERT INTO audit_log (at, actor, action, library_code, detail) VALUES (?, ?, ?, ?, ?)`

func audit(ctx context.Context, db sqlx.ExecerContext, a Actor, action, library, detail string) error {
	_, err := db.ExecContext(ctx, auditSQL,
		a.At.UTC(), truncate(a.Name, 100), action, library, truncate(detail, 1000))
	return err
}

// auditLogSQL lists audit rows (followed by an optional library condition
// and auditLogOrderSQL). Locks: none.
const (
	auditLogSQL      = `SELECT id, at, actor, action, library_code, detail FROM audit_log`
	auditLogOrderSQL = ` ORDER BY id DESC LIMIT ?`
)

// AuditLog returns the newest audit rows (of library when not ""), newest
// first, at most limit.
func (s *Store) AuditLog(ctx context.Context, library string, limit int) ([]AuditEntry, error) {
	q, args := auditLogSQL, []any{}
	if library != "" {
		q, args = q+` WHERE library_code = ?`, append(args, library)
	}
	var out []AuditEntry
	err := s.DB.SelectContext(ctx, &out, q+auditLogOrderSQL, append(args, max(limit, 1))...)
	return out, err
}
