package mysql

// Console accounts (table staff_users).

import (
	"context"
	"database/sql"
	"errors"

	"github.com/balis/illhub/ill"
)

// staffRow is a staff_users row as staffUserSQL scans it.
type staffRow struct {
	Library      string `db:"library_code"`
	Username     string `db:"username"`
	Name         string `db:"name"`
	Role         string `db:"role"`
	PasswordHash string `db:"password_hash"`
	Disabled     bool   `db:"disabled"`
}

func (r staffRow) domain() ill.Staff {
	return ill.Staff{Library: r.Library, Username: r.Username, Name: r.Name, Role: ill.StaffRole(r.Role),
		PasswordHash: r.PasswordHash, Disabled: r.Disabled}
}

// putStaffSQL creates or updates an account; an empty password_hash keeps
// the stored one. Locks: the account's row (by primary key), for the
// statement only (autocommit).
const putStaffSQL = `INSERT INTO staff_users (library_code, username, name, role, password_hash, disabled)
	VALUES (?, ?, ?, ?, ?, ?)
	ON DUPLICATE KEY UPDATE name = VALUES(name), role = VALUES(role), disabled = VALUES(disabled),
	password_hash = IF(VALUES(password_hash) = '', password_hash, VALUES(password_hash))`

// PutStaff creates or updates a console account (illctl staff add). An
// empty PasswordHash keeps the current password.
func (s *Store) PutStaff(ctx context.Context, u ill.Staff) error {
	_, err := s.DB.ExecContext(ctx, putStaffSQL, u.Library, u.Username, u.Name, string(u.Role), u.PasswordHash, u.Disabled)
	return classify(err)
}

// staffUserSQL reads one account with its password hash. Locks: none.
const staffUserSQL = `SELECT library_code, username, name, role, password_hash, disabled
	FROM staff_users WHERE library_code = ? AND username = ?`

// StaffUser reads one account; not_found when missing.
func (s *Store) StaffUser(ctx context.Context, library, username string) (ill.Staff, error) {
	var u staffRow
	err := s.DB.GetContext(ctx, &u, staffUserSQL, library, username)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.Staff{}, notFound("staff user", username)
	}
	return u.domain(), classify(err)
}
