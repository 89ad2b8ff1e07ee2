package ill

import "time"

// AuditActor is who makes an administrative change (a key issued,
// revoked or rotated, the demo dataset loaded), and when: every change
// writes an audit log row with it.
type AuditActor struct {
	Name string // the OS user running illctl (and who used sudo to become it)
	At   time.Time
}

// AuditAction is what an audit log row records. The values are stored
// (audit_log.action) and shown by illctl key log.
type AuditAction string

const (
	AuditKeyIssue  AuditAction = "key.issue"
	AuditKeyRevoke AuditAction = "key.revoke"
	AuditKeyRotate AuditAction = "key.rotate"
	AuditDemoSeed  AuditAction = "demo.seed"
)

// AuditEntry is one row of the audit log. Library is the owner the action
// concerned (a library code, CentreCode, CourierOwner, or "" for the whole
// hub); Detail names key ids, never a key.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  AuditAction
	Library string
	Detail  string
}
