package mysql

// Credentials: API keys of member libraries and the centre (api_keys),
// courier credentials (courier_keys), their lifecycle (issue, revoke,
// rotate; illctl key) and the audit_log rows that record each change.
// Only ill.HashKey of a key is ever stored; nothing here returns a hash or
// a key to a caller that lists keys.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// CourierOwner is the owner under which courier credentials are listed,
// revoked, rotated and audited (`illctl key revoke COURIER`); it is the
// actor name the API gives a courier (httpapi.CourierActor). No member
// library may use it as its code.
const CourierOwner = "COURIER"

// Principal is who an API key belongs to.
type Principal struct {
	Library string `db:"library_code"`
	Centre  bool   `db:"is_centre"`
}

// PrincipalByKeyHash resolves a hashed API key; not_found when unknown or
// revoked.
func (s *Store) PrincipalByKeyHash(ctx context.Context, hash string) (Principal, error) {
	var p Principal
	err := s.DB.GetContext(ctx, &p, `SELECT library_code, is_centre FROM api_keys
		WHERE key_hash = ? AND revoked_at IS NULL`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("api key", "")
	}
	return p, err
}

// AddKey stores a key's hash for a library (or the centre). Adding a hash
// that exists makes it active again: the demo and test loaders rely on it;
// operators issue keys with IssueKey, which audits.
func (s *Store) AddKey(ctx context.Context, library string, centre bool, key, label string) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO api_keys (key_hash, library_code, is_centre, label) VALUES (?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE library_code = VALUES(library_code), is_centre = VALUES(is_centre), revoked_at = NULL`,
		ill.HashKey(key), library, centre, label)
	return err
}

// AddCourierKey stores a courier credential's hash (active again when it
// existed, like AddKey).
func (s *Store) AddCourierKey(ctx context.Context, key, label string) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO courier_keys (key_hash, label) VALUES (?, ?)
		ON DUPLICATE KEY UPDATE revoked_at = NULL, label = VALUES(label)`, ill.HashKey(key), label)
	return err
}

// CourierKeyValid reports whether hash is a live courier credential.
func (s *Store) CourierKeyValid(ctx context.Context, hash string) (bool, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM courier_keys WHERE key_hash = ? AND revoked_at IS NULL`, hash)
	return n > 0, err
}

// KeyInfo describes a stored key without the key or its hash.
type KeyInfo struct {
	ID        int64        `db:"id"`
	Owner     string       `db:"owner"` // library code, ill.CentreCode or CourierOwner
	Centre    bool         `db:"is_centre"`
	Label     string       `db:"label"`
	CreatedAt time.Time    `db:"created_at"`
	RevokedAt sql.NullTime `db:"revoked_at"`
}

// Keys lists the keys of owner (a library code, ill.CentreCode or
// CourierOwner), or every key when owner is "": library and centre keys
// by owner, then courier credentials, each by id.
func (s *Store) Keys(ctx context.Context, owner string) ([]KeyInfo, error) {
	var out []KeyInfo
	if owner != CourierOwner {
		q, args := `SELECT id, library_code AS owner, is_centre, label, created_at, revoked_at FROM api_keys`, []any{}
		if owner != "" {
			q, args = q+` WHERE library_code = ?`, append(args, owner)
		}
		if err := s.DB.SelectContext(ctx, &out, q+` ORDER BY library_code, id`, args...); err != nil {
			return nil, err
		}
	}
	if owner == "" || owner == CourierOwner {
		var cs []KeyInfo
		if err := s.DB.SelectContext(ctx, &cs, `SELECT id, ? AS owner, 0 AS is_centre, label, created_at, revoked_at
			FROM courier_keys ORDER BY id`, CourierOwner); err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// Actor is who changes credentials, and when; every change writes an
// audit_log row with it.
type Actor struct {
	Name string // the OS user running illctl
	At   time.Time
}

// KeyGrant is a key to store: for a library, the centre (Owner
// ill.CentreCode, Centre true) or the courier (Owner CourierOwner).
type KeyGrant struct {
	Owner string
	Key   string
	Label string
}

func (g KeyGrant) courier() bool { return g.Owner == CourierOwner }
func (g KeyGrant) centre() bool  { return g.Owner == ill.CentreCode }

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

func audit(ctx context.Context, db sqlx.ExecerContext, a Actor, action, library, detail string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, library_code, detail) VALUES (?, ?, ?, ?, ?)`,
		a.At.UTC(), clipRunes(a.Name, 100), action, library, clipRunes(detail, 1000))
	return err
}

// AuditLog returns the newest audit rows (of library when not ""), newest
// first, at most limit.
func (s *Store) AuditLog(ctx context.Context, library string, limit int) ([]AuditEntry, error) {
	q, args := `SELECT id, at, actor, action, library_code, detail FROM audit_log`, []any{}
	if library != "" {
		q, args = q+` WHERE library_code = ?`, append(args, library)
	}
	var out []AuditEntry
	err := s.DB.SelectContext(ctx, &out, q+` ORDER BY id DESC LIMIT ?`, append(args, max(limit, 1))...)
	return out, err
}

// inKeyTx runs fn in a transaction of its own (credential changes are
// rare and small: no retry).
func (s *Store) inKeyTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func insertKey(ctx context.Context, tx *sqlx.Tx, g KeyGrant) (int64, error) {
	var res sql.Result
	var err error
	if g.courier() {
		res, err = tx.ExecContext(ctx, `INSERT INTO courier_keys (key_hash, label) VALUES (?, ?)`, ill.HashKey(g.Key), g.Label)
	} else {
		res, err = tx.ExecContext(ctx, `INSERT INTO api_keys (key_hash, library_code, is_centre, label) VALUES (?, ?, ?, ?)`,
			ill.HashKey(g.Key), g.Owner, g.centre(), g.Label)
	}
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// IssueKey stores a new key for g.Owner and audits it; it returns the
// key's id. The key must be new (a random one).
func (s *Store) IssueKey(ctx context.Context, g KeyGrant, a Actor) (int64, error) {
	var id int64
	err := s.inKeyTx(ctx, func(tx *sqlx.Tx) (err error) {
		if id, err = insertKey(ctx, tx, g); err != nil {
			return err
		}
		return audit(ctx, tx, a, AuditKeyIssue, g.Owner, fmt.Sprintf("issued key %d%s", id, labelDetail(g.Label)))
	})
	return id, err
}

// RevokeKeys revokes owner's active keys (all of them, or only key id when
// id > 0) and audits it; it returns the ids revoked (none when owner had
// no active key). A key id that is not owner's is not_found; one already
// revoked is a conflict.
func (s *Store) RevokeKeys(ctx context.Context, owner string, id int64, a Actor) ([]int64, error) {
	var ids []int64
	err := s.inKeyTx(ctx, func(tx *sqlx.Tx) (err error) {
		if id > 0 {
			if err := checkKeyID(ctx, tx, owner, id); err != nil {
				return err
			}
		}
		if ids, err = revokeActive(ctx, tx, owner, id, a.At); err != nil || len(ids) == 0 {
			return err
		}
		return audit(ctx, tx, a, AuditKeyRevoke, owner, "revoked key "+joinIDs(ids))
	})
	return ids, err
}

// RotateKey issues g's new key and, in the same transaction, revokes every
// other active key of g.Owner; it audits both and returns the new key's id
// and the ids revoked.
func (s *Store) RotateKey(ctx context.Context, g KeyGrant, a Actor) (int64, []int64, error) {
	var id int64
	var ids []int64
	err := s.inKeyTx(ctx, func(tx *sqlx.Tx) (err error) {
		if ids, err = revokeActive(ctx, tx, g.Owner, 0, a.At); err != nil {
			return err
		}
		if id, err = insertKey(ctx, tx, g); err != nil {
			return err
		}
		detail := fmt.Sprintf("issued key %d%s; revoked key %s", id, labelDetail(g.Label), joinIDs(ids))
		if len(ids) == 0 {
			detail = fmt.Sprintf("issued key %d%s; no other active key", id, labelDetail(g.Label))
		}
		return audit(ctx, tx, a, AuditKeyRotate, g.Owner, detail)
	})
	return id, ids, err
}

// checkKeyID makes sure key id exists, is owner's and is active.
func checkKeyID(ctx context.Context, tx *sqlx.Tx, owner string, id int64) error {
	var k KeyInfo
	var err error
	if owner == CourierOwner {
		err = tx.GetContext(ctx, &k, `SELECT id, ? AS owner, 0 AS is_centre, label, created_at, revoked_at
			FROM courier_keys WHERE id = ? FOR UPDATE`, CourierOwner, id)
	} else {
		err = tx.GetContext(ctx, &k, `SELECT id, library_code AS owner, is_centre, label, created_at, revoked_at
			FROM api_keys WHERE id = ? AND library_code = ? FOR UPDATE`, id, owner)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ill.Errorf(ill.CodeNotFound, "%s has no key %d (illctl key list %s)", owner, id, owner)
	}
	if err != nil {
		return err
	}
	if k.RevokedAt.Valid {
		return ill.Errorf(ill.CodeConflict, "key %d of %s was already revoked at %s", id, owner,
			k.RevokedAt.Time.In(ill.Shanghai).Format("2006-01-02 15:04:05"))
	}
	return nil
}

// revokeActive revokes owner's active keys (only id when id > 0) and
// returns their ids.
func revokeActive(ctx context.Context, tx *sqlx.Tx, owner string, id int64, at time.Time) ([]int64, error) {
	table, where, args := "api_keys", "library_code = ? AND revoked_at IS NULL", []any{owner}
	if owner == CourierOwner {
		table, where, args = "courier_keys", "revoked_at IS NULL", nil
	}
	if id > 0 {
		where, args = where+" AND id = ?", append(args, id)
	}
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM `+table+` WHERE `+where+` ORDER BY id FOR UPDATE`, args...); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	q, qargs, err := sqlx.In(`UPDATE `+table+` SET revoked_at = ? WHERE id IN (?)`, at.UTC(), ids)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, q, qargs...); err != nil {
		return nil, err
	}
	return ids, nil
}

// DemoCredential is an active demo dataset credential (ill.DemoKey of a
// library code, of ill.CentreCode or of CourierOwner).
type DemoCredential struct {
	Owner string // library code, ill.CentreCode or CourierOwner
	ID    int64
}

// ActiveDemoKeys lists the active credentials that are demo dataset keys:
// ill.DemoKey(code) for every code that holds an active API key, and the
// demo courier credential ill.DemoKey(CourierOwner). Their keys are public,
// so outside a demo none may be active.
func (s *Store) ActiveDemoKeys(ctx context.Context) ([]DemoCredential, error) {
	var codes []string
	if err := s.DB.SelectContext(ctx, &codes, `SELECT DISTINCT library_code FROM api_keys WHERE revoked_at IS NULL`); err != nil {
		return nil, err
	}
	var out []DemoCredential
	if len(codes) > 0 {
		hashes := make([]string, len(codes))
		for i, c := range codes {
			hashes[i] = ill.HashKey(ill.DemoKey(c))
		}
		q, args, err := sqlx.In(`SELECT library_code AS owner, id FROM api_keys WHERE revoked_at IS NULL AND key_hash IN (?)
			ORDER BY library_code, id`, hashes)
		if err != nil {
			return nil, err
		}
		var rows []struct {
			Owner string `db:"owner"`
			ID    int64  `db:"id"`
		}
		if err := s.DB.SelectContext(ctx, &rows, q, args...); err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, DemoCredential{Owner: r.Owner, ID: r.ID})
		}
	}
	var ids []int64
	if err := s.DB.SelectContext(ctx, &ids, `SELECT id FROM courier_keys WHERE revoked_at IS NULL AND key_hash = ? ORDER BY id`,
		ill.HashKey(ill.DemoKey(CourierOwner))); err != nil {
		return nil, err
	}
	for _, id := range ids {
		out = append(out, DemoCredential{Owner: CourierOwner, ID: id})
	}
	return out, nil
}

// RevokeDemoKeys revokes every active demo credential (ActiveDemoKeys),
// auditing each owner's revocation, and returns them.
func (s *Store) RevokeDemoKeys(ctx context.Context, a Actor) ([]DemoCredential, error) {
	creds, err := s.ActiveDemoKeys(ctx)
	if err != nil || len(creds) == 0 {
		return nil, err
	}
	err = s.inKeyTx(ctx, func(tx *sqlx.Tx) error {
		for _, c := range creds {
			ids, err := revokeActive(ctx, tx, c.Owner, c.ID, a.At)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				continue
			}
			if err := audit(ctx, tx, a, AuditKeyRevoke, c.Owner, "revoked demo key "+joinIDs(ids)); err != nil {
				return err
			}
		}
		return nil
	})
	return creds, err
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}

func labelDetail(label string) string {
	if label == "" {
		return ""
	}
	return fmt.Sprintf(" (label %q)", label)
}

// clipRunes cuts s to at most n characters (the audit columns' widths).
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
