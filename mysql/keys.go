package mysql

// Credentials: API keys of member libraries and the centre (api_keys),
// courier credentials (courier_keys), their lifecycle (issue, revoke,
// rotate; illctl key), each change audited (audit.go). Only ill.HashKey
// of a key is ever stored; nothing here returns a hash or a key to a
// caller that lists keys. The key changes run in transactions of their own
// (inKeyTx) at REPEATABLE READ.

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

// principalRow is an api_keys row as principalSQL reads it.
type principalRow struct {
	Library string `db:"library_code"`
	Centre  bool   `db:"is_centre"`
}

// principalSQL resolves an active API key by hash (uq_key_hash). Locks:
// none.
const principalSQL = `SELECT library_code, is_centre FROM api_keys
	WHERE key_hash = ? AND revoked_at IS NULL`

// PrincipalByKeyHash resolves a hashed API key; not_found when unknown or
// revoked.
func (s *Store) PrincipalByKeyHash(ctx context.Context, hash string) (ill.Principal, error) {
	var r principalRow
	err := s.DB.GetContext(ctx, &r, principalSQL, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.Principal{}, notFound("api key", "")
	}
	return ill.Principal(r), classify(err)
}

// addKeySQL stores an API key's hash, or makes an existing one active for
// the given owner. Locks: the key's row, exclusively (a next-key lock on
// uq_key_hash when it exists), for the statement only (autocommit).
const addKeySQL = `INSERT INTO api_keys (key_hash, library_code, is_centre, label) VALUES (?, ?, ?, ?)
	ON DUPLICATE KEY UPDATE library_code = VALUES(library_code), is_centre = VALUES(is_centre), revoked_at = NULL`

// AddKey stores a key's hash for a library (or the centre). Adding a hash
// that exists makes it active again: the demo and test loaders rely on it;
// operators issue keys with IssueKey, which audits.
func (s *Store) AddKey(ctx context.Context, library string, centre bool, key, label string) error {
	_, err := s.DB.ExecContext(ctx, addKeySQL, ill.HashKey(key), library, centre, label)
	return classify(err)
}

// addCourierKeySQL stores a courier credential's hash, or makes an
// existing one active. Locks: the key's row, exclusively (a next-key lock
// on uq_courier_key_hash when it exists), for the statement only
// (autocommit).
const addCourierKeySQL = `INSERT INTO courier_keys (key_hash, label) VALUES (?, ?)
	ON DUPLICATE KEY UPDATE revoked_at = NULL, label = VALUES(label)`

// AddCourierKey stores a courier credential's hash (active again when it
// existed, like AddKey).
func (s *Store) AddCourierKey(ctx context.Context, key, label string) error {
	_, err := s.DB.ExecContext(ctx, addCourierKeySQL, ill.HashKey(key), label)
	return classify(err)
}

// courierKeyValidSQL counts the active courier credentials with a hash.
// Locks: none.
const courierKeyValidSQL = `SELECT COUNT(*) FROM courier_keys WHERE key_hash = ? AND revoked_at IS NULL`

// CourierKeyValid reports whether hash is a live courier credential.
func (s *Store) CourierKeyValid(ctx context.Context, hash string) (bool, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, courierKeyValidSQL, hash)
	return n > 0, classify(err)
}

// keyRow is an api_keys or courier_keys row as apiKeysSQL, courierKeysSQL
// and the lock statements read it.
type keyRow struct {
	ID        int64        `db:"id"`
	Owner     string       `db:"owner"`
	Centre    bool         `db:"is_centre"`
	Label     string       `db:"label"`
	CreatedAt time.Time    `db:"created_at"`
	RevokedAt sql.NullTime `db:"revoked_at"`
}

func (r keyRow) domain() ill.KeyInfo {
	k := ill.KeyInfo{ID: r.ID, Owner: r.Owner, Centre: r.Centre, Label: r.Label, CreatedAt: r.CreatedAt}
	if r.RevokedAt.Valid {
		k.RevokedAt = r.RevokedAt.Time
	}
	return k
}

// apiKeysSQL lists API keys (followed by an optional owner condition and
// apiKeysOrderSQL); courierKeysSQL lists the courier credentials under the
// owner name given as its argument. Locks: none.
const (
	apiKeysSQL      = `SELECT id, library_code AS owner, is_centre, label, created_at, revoked_at FROM api_keys`
	apiKeysOrderSQL = ` ORDER BY library_code, id`
	courierKeysSQL  = `SELECT id, ? AS owner, 0 AS is_centre, label, created_at, revoked_at
	FROM courier_keys ORDER BY id`
)

// Keys lists the keys of owner (a library code, ill.CentreCode or
// ill.CourierOwner), or every key when owner is "": library and centre
// keys by owner, then courier credentials, each by id.
func (s *Store) Keys(ctx context.Context, owner string) ([]ill.KeyInfo, error) {
	var rows []keyRow
	if owner != ill.CourierOwner {
		q, args := apiKeysSQL, []any{}
		if owner != "" {
			q, args = q+` WHERE library_code = ?`, append(args, owner)
		}
		if err := s.DB.SelectContext(ctx, &rows, q+apiKeysOrderSQL, args...); err != nil {
			return nil, classify(err)
		}
	}
	if owner == "" || owner == ill.CourierOwner {
		var cs []keyRow
		if err := s.DB.SelectContext(ctx, &cs, courierKeysSQL, ill.CourierOwner); err != nil {
			return nil, classify(err)
		}
		rows = append(rows, cs...)
	}
	var out []ill.KeyInfo
	for _, r := range rows {
		out = append(out, r.domain())
	}
	return out, nil
}

// inKeyTx runs fn in a transaction of its own (credential changes are
// rare and small: no retry); its error is classified (classify).
func (s *Store) inKeyTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	// REPEATABLE READ named explicitly: Open sets READ COMMITTED on every
	// connection, and the key changes rely on next-key locks (below).
	tx, err := s.DB.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

// insertCourierKeySQL and insertAPIKeySQL store a new key (a duplicate
// hash fails). Locks: the new row until commit.
const (
	insertCourierKeySQL = `INSERT INTO courier_keys (key_hash, label) VALUES (?, ?)`
	insertAPIKeySQL     = `INSERT INTO api_keys (key_hash, library_code, is_centre, label) VALUES (?, ?, ?, ?)`
)

func insertKey(ctx context.Context, tx *sqlx.Tx, g ill.KeyGrant) (int64, error) {
	var res sql.Result
	var err error
	if g.Courier() {
		res, err = tx.ExecContext(ctx, insertCourierKeySQL, ill.HashKey(g.Key), g.Label)
	} else {
		res, err = tx.ExecContext(ctx, insertAPIKeySQL, ill.HashKey(g.Key), g.Owner, g.Centre(), g.Label)
	}
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// IssueKey stores a new key for g.Owner and audits it; it returns the
// key's id. The key must be new (a random one).
func (s *Store) IssueKey(ctx context.Context, g ill.KeyGrant, a ill.AuditActor) (int64, error) {
	var id int64
	err := s.inKeyTx(ctx, func(tx *sqlx.Tx) (err error) {
		if id, err = insertKey(ctx, tx, g); err != nil {
			return err
		}
		return audit(ctx, tx, a, ill.AuditKeyIssue, g.Owner, fmt.Sprintf("issued key %d%s", id, labelDetail(g.Label)))
	})
	return id, err
}

// RevokeKeys revokes owner's active keys (all of them, or only key id when
// id > 0) and audits it; it returns the ids revoked (none when owner had
// no active key). A key id that is not owner's is not_found; one already
// revoked is a conflict.
func (s *Store) RevokeKeys(ctx context.Context, owner string, id int64, a ill.AuditActor) ([]int64, error) {
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
		return audit(ctx, tx, a, ill.AuditKeyRevoke, owner, "revoked key "+joinIDs(ids))
	})
	return ids, err
}

// RotateKey issues g's new key and, in the same transaction, revokes every
// other active key of g.Owner; it audits both and returns the new key's id
// and the ids revoked.
func (s *Store) RotateKey(ctx context.Context, g ill.KeyGrant, a ill.AuditActor) (int64, []int64, error) {
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
		return audit(ctx, tx, a, ill.AuditKeyRotate, g.Owner, detail)
	})
	return id, ids, err
}

// lockCourierKeySQL and lockAPIKeySQL read one key of an owner. Locks:
// its row (FOR UPDATE, by primary key) until commit.
const (
	lockCourierKeySQL = `SELECT id, ? AS owner, 0 AS is_centre, label, created_at, revoked_at
	FROM courier_keys WHERE id = ? FOR UPDATE`
	lockAPIKeySQL = `SELECT id, library_code AS owner, is_centre, label, created_at, revoked_at
	FROM api_keys WHERE id = ? AND library_code = ? FOR UPDATE`
)

// checkKeyID makes sure key id exists, is owner's and is active.
func checkKeyID(ctx context.Context, tx *sqlx.Tx, owner string, id int64) error {
	var k keyRow
	var err error
	if owner == ill.CourierOwner {
		err = tx.GetContext(ctx, &k, lockCourierKeySQL, ill.CourierOwner, id)
	} else {
		err = tx.GetContext(ctx, &k, lockAPIKeySQL, id, owner)
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

// lockActiveKeysSQL reads the ids of active keys and revokeKeysSQL revokes
// them (an IN list, expanded by sqlx.In); %[1]s is the table (api_keys or
// courier_keys), %[2]s revokeActive's condition with ? arguments. Locks:
// lockActiveKeysSQL the rows it scans until commit, next-key locks at
// REPEATABLE READ: with an id, that key's row; without one, every row of
// the table (no index on the owner or revoked_at), so such key changes are
// serialised (they are rare).
const (
	lockActiveKeysSQL = `SELECT id FROM %[1]s WHERE %[2]s ORDER BY id FOR UPDATE`
	revokeKeysSQL     = `UPDATE %[1]s SET revoked_at = ? WHERE id IN (?)`
)

// revokeActive revokes owner's active keys (only id when id > 0) and
// returns their ids.
func revokeActive(ctx context.Context, tx *sqlx.Tx, owner string, id int64, at time.Time) ([]int64, error) {
	table, where, args := "api_keys", "library_code = ? AND revoked_at IS NULL", []any{owner}
	if owner == ill.CourierOwner {
		table, where, args = "courier_keys", "revoked_at IS NULL", nil
	}
	if id > 0 {
		where, args = where+" AND id = ?", append(args, id)
	}
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, fmt.Sprintf(lockActiveKeysSQL, table, where), args...); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	q, qargs, err := sqlx.In(fmt.Sprintf(revokeKeysSQL, table), at.UTC(), ids)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, q, qargs...); err != nil {
		return nil, err
	}
	return ids, nil
}

// The reads of ActiveDemoKeys: the owners with an active API key, the
// active API keys with given hashes (an IN list, expanded by sqlx.In), the
// active courier credentials with a hash. Locks: none.
const (
	activeKeyOwnersSQL  = `SELECT DISTINCT library_code FROM api_keys WHERE revoked_at IS NULL`
	activeKeysByHashSQL = `SELECT library_code AS owner, id FROM api_keys WHERE revoked_at IS NULL AND key_hash IN (?)
	ORDER BY library_code, id`
	activeCourierKeysByHashSQL = `SELECT id FROM courier_keys WHERE revoked_at IS NULL AND key_hash = ? ORDER BY id`
)

// ActiveDemoKeys lists the active credentials that are demo dataset keys:
// ill.DemoKey(code) for every code that holds an active API key, and the
// demo courier credential ill.DemoKey(ill.CourierOwner). Their keys are
// public, so outside a demo none may be active.
func (s *Store) ActiveDemoKeys(ctx context.Context) ([]ill.DemoCredential, error) {
	out, err := s.activeDemoKeys(ctx)
	return out, classify(err)
}

func (s *Store) activeDemoKeys(ctx context.Context) ([]ill.DemoCredential, error) {
	var codes []string
	if err := s.DB.SelectContext(ctx, &codes, activeKeyOwnersSQL); err != nil {
		return nil, err
	}
	var out []ill.DemoCredential
	if len(codes) > 0 {
		hashes := make([]string, len(codes))
		for i, c := range codes {
			hashes[i] = ill.HashKey(ill.DemoKey(c))
		}
		q, args, err := sqlx.In(activeKeysByHashSQL, hashes)
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
			out = append(out, ill.DemoCredential{Owner: r.Owner, ID: r.ID})
		}
	}
	var ids []int64
	if err := s.DB.SelectContext(ctx, &ids, activeCourierKeysByHashSQL,
		ill.HashKey(ill.DemoKey(ill.CourierOwner))); err != nil {
		return nil, err
	}
	for _, id := range ids {
		out = append(out, ill.DemoCredential{Owner: ill.CourierOwner, ID: id})
	}
	return out, nil
}

// RevokeDemoKeys revokes every active demo credential (ActiveDemoKeys),
// auditing each owner's revocation, and returns them.
func (s *Store) RevokeDemoKeys(ctx context.Context, a ill.AuditActor) ([]ill.DemoCredential, error) {
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
			if err := audit(ctx, tx, a, ill.AuditKeyRevoke, c.Owner, "revoked demo key "+joinIDs(ids)); err != nil {
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
