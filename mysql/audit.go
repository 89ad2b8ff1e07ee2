package mysql

// The audit log (table audit_log): administrative actions, each key
// change in the transaction that makes it.

import (
	"context"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// auditRow is an audit_log row as auditLogSQL reads it.
type auditRow struct {
	ID      int64     `db:"id"`
	At      time.Time `db:"at"`
	Actor   string    `db:"actor"`
	Action  string    `db:"action"`
	Library string    `db:"library_code"`
	Detail  string    `db:"detail"`
}

func (r auditRow) domain() ill.AuditEntry {
	return ill.AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Action: ill.AuditAction(r.Action), Library: r.Library, Detail: r.Detail}
}

// Audit records an administrative action outside a key change (e.g.
// ill.AuditDemoSeed).
func (s *Store) Audit(ctx context.Context, a ill.AuditActor, action ill.AuditAction, library, detail string) error {
	return classify(audit(ctx, s.DB, a, action, library, detail))
}

// auditSQL appends an audit row. Locks: the new row (until commit inside a
// key change's transaction, for the statement only outside one).
const auditSQL = `INSERT INTO audit_log (at, actor, action, library_code, detail) VALUES (?, ?, ?, ?, ?)`

func audit(ctx context.Context, db sqlx.ExecerContext, a ill.AuditActor, action ill.AuditAction, library, detail string) error {
	_, err := db.ExecContext(ctx, auditSQL,
		a.At.UTC(), truncate(a.Name, 100), string(action), library, truncate(detail, 1000))
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
func (s *Store) AuditLog(ctx context.Context, library string, limit int) ([]ill.AuditEntry, error) {
	q, args := auditLogSQL, []any{}
	if library != "" {
		q, args = q+` WHERE library_code = ?`, append(args, library)
	}
	var rows []auditRow
	if err := s.DB.SelectContext(ctx, &rows, q+auditLogOrderSQL, append(args, max(limit, 1))...); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
