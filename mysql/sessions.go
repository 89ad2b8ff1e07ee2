package mysql

// Web sessions of the readers' portal and the staff console (table
// web_sessions; only a hash of the session id is stored).

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
)

// sessionRow is a web_sessions row as sessionSQL scans it.
type sessionRow struct {
	IDHash    string    `db:"id_hash"`
	Kind      string    `db:"kind"`
	Library   string    `db:"library_code"`
	Subject   string    `db:"subject"`
	Role      string    `db:"role"`
	CSRF      string    `db:"csrf"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

func (r sessionRow) domain() ill.Session {
	return ill.Session{IDHash: r.IDHash, Kind: r.Kind, Library: r.Library, Subject: r.Subject,
		Role: ill.StaffRole(r.Role), CSRF: r.CSRF, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// purgeSessionsSQL deletes up to 1,000 sessions expired before a time.
// Locks: the range of ix_web_sessions_expiry it deletes from, for the
// statement only (autocommit).
const purgeSessionsSQL = `DELETE FROM web_sessions WHERE expires_at < ? LIMIT 1000`

// insertSessionSQL stores a new session. Locks: the new row, for the
// statement only (autocommit).
const insertSessionSQL = `INSERT INTO web_sessions (id_hash, kind, library_code, subject, role, csrf, created_at, expires_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// AddSession stores a new session (and drops expired ones).
func (s *Store) AddSession(ctx context.Context, ss ill.Session) error {
	if _, err := s.DB.ExecContext(ctx, purgeSessionsSQL, ss.CreatedAt.UTC()); err != nil {
		return classify(err)
	}
	_, err := s.DB.ExecContext(ctx, insertSessionSQL, ss.IDHash, ss.Kind, ss.Library, ss.Subject, string(ss.Role), ss.CSRF,
		ss.CreatedAt.UTC(), ss.ExpiresAt.UTC())
	return classify(err)
}

// sessionSQL reads a live session by id hash; a staff session only while
// its account exists and is enabled. Locks: none.
const sessionSQL = `SELECT w.id_hash, w.kind, w.library_code, w.subject, w.role, w.csrf, w.created_at, w.expires_at
	FROM web_sessions w WHERE w.id_hash = ? AND w.expires_at > ?
	AND (w.kind <> 'staff' OR EXISTS (SELECT 1 FROM staff_users u
		WHERE u.library_code = w.library_code AND u.username = w.subject AND u.disabled = 0))`

// SessionByHash returns a session that has not expired at now; not_found
// otherwise. A staff session also needs its account to exist and not be
// disabled at the time of the lookup: disabling an account (illctl staff
// add --disable) ends its open sessions at their next request, not when
// they expire.
func (s *Store) SessionByHash(ctx context.Context, hash string, now time.Time) (ill.Session, error) {
	var ss sessionRow
	err := s.DB.GetContext(ctx, &ss, sessionSQL, hash, now.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return ill.Session{}, notFound("session", "")
	}
	return ss.domain(), classify(err)
}

// deleteSessionSQL ends one session. Locks: its row, for the statement
// only (autocommit).
const deleteSessionSQL = `DELETE FROM web_sessions WHERE id_hash = ?`

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.DB.ExecContext(ctx, deleteSessionSQL, hash)
	return classify(err)
}

// deleteSessionsOfSQL ends every session of one account. Locks: the rows
// it scans (web_sessions has no index on the account: the whole table),
// for the statement only (autocommit).
const deleteSessionsOfSQL = `DELETE FROM web_sessions WHERE kind = ? AND library_code = ? AND subject = ?`

// DeleteSessionsOf ends every session of one account (kind reader or
// staff; library and subject compared as the collation does) and returns
// how many there were.
func (s *Store) DeleteSessionsOf(ctx context.Context, kind, library, subject string) (int64, error) {
	res, err := s.DB.ExecContext(ctx, deleteSessionsOfSQL, kind, library, subject)
	if err != nil {
		return 0, classify(err)
	}
	n, err := res.RowsAffected()
	return n, classify(err)
}
