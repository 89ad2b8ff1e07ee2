package mysql

// Readers' portal PINs, staff accounts, web sessions and the
// console's work queues.

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// Reader is a registered reader as the portal sees it.
type Reader struct {
	Library     string `db:"library_code"`
	ID          string `db:"patron_id"`
	Name        string `db:"name"`
	Email       string `db:"email"`
	DepositPaid bool   `db:"deposit_paid"`
	PINHash     string `db:"pin_hash"`
}

// Patron returns the reader as a submit body's patron (the library
// vouches for it again with every submit).
func (r Reader) Patron() ill.Patron {
	return ill.Patron{ID: r.ID, Name: r.Name, Email: r.Email, DepositPaid: r.DepositPaid}
}

// PutReader registers or updates a reader with a PIN hash (POST
// /v1/readers, illctl reader add). An empty pinHash keeps the current PIN.
func (s *Store) PutReader(ctx context.Context, r Reader, at time.Time) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO patrons (library_code, patron_id, name, email, deposit_paid, pin_hash, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE name = VALUES(name), email = VALUES(email), deposit_paid = VALUES(deposit_paid),
		pin_hash = IF(VALUES(pin_hash) = '', pin_hash, VALUES(pin_hash)), updated_at = VALUES(updated_at)`,
		r.Library, r.ID, r.Name, r.Email, r.DepositPaid, r.PINHash, at.UTC())
	return err
}

// Reader reads one reader; not_found when the library never registered it.
func (s *Store) Reader(ctx context.Context, library, id string) (Reader, error) {
	var r Reader
	err := s.DB.GetContext(ctx, &r, `SELECT library_code, patron_id, name, email, deposit_paid, pin_hash
		FROM patrons WHERE library_code = ? AND patron_id = ?`, library, id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("reader", id)
	}
	return r, err
}

// Staff is a console account.
type Staff struct {
	Library      string `db:"library_code"`
	Username     string `db:"username"`
	Name         string `db:"name"`
	Role         string `db:"role"` // staff or centre_admin
	PasswordHash string `db:"password_hash"`
	Disabled     bool   `db:"disabled"`
}

// Staff roles.
const (
	RoleStaff       = "staff"
	RoleCentreAdmin = "centre_admin"
)

// PutStaff creates or updates a console account (illctl staff add). An
// empty PasswordHash keeps the current password.
func (s *Store) PutStaff(ctx context.Context, u Staff) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO staff_users (library_code, username, name, role, password_hash, disabled)
		VALUES (?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE name = VALUES(name), role = VALUES(role), disabled = VALUES(disabled),
		password_hash = IF(VALUES(password_hash) = '', password_hash, VALUES(password_hash))`,
		u.Library, u.Username, u.Name, u.Role, u.PasswordHash, u.Disabled)
	return err
}

// StaffUser reads one account; not_found when missing.
func (s *Store) StaffUser(ctx context.Context, library, username string) (Staff, error) {
	var u Staff
	err := s.DB.GetContext(ctx, &u, `SELECT library_code, username, name, role, password_hash, disabled
		FROM staff_users WHERE library_code = ? AND username = ?`, library, username)
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("staff user", username)
	}
	return u, err
}

// Session is a signed-in web user.
type Session struct {
	IDHash    string    `db:"id_hash"`
	Kind      string    `db:"kind"` // reader or staff
	Library   string    `db:"library_code"`
	Subject   string    `db:"subject"` // patron id or username
	Role      string    `db:"role"`
	CSRF      string    `db:"csrf"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

// AddSession stores a new session (and drops expired ones).
func (s *Store) AddSession(ctx context.Context, ss Session) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at < ? LIMIT 1000`, ss.CreatedAt.UTC()); err != nil {
		return err
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO web_sessions (id_hash, kind, library_code, subject, role, csrf, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ss.IDHash, ss.Kind, ss.Library, ss.Subject, ss.Role, ss.CSRF,
		ss.CreatedAt.UTC(), ss.ExpiresAt.UTC())
	return err
}

// SessionByHash returns a session that has not expired at now; not_found
// otherwise. A staff session also needs its account to exist and not be
// disabled at the time of the lookup: disabling an account (illctl staff
// add --disable) ends its open sessions at their next request, not when
// they expire.
func (s *Store) SessionByHash(ctx context.Context, hash string, now time.Time) (Session, error) {
	var ss Session
	err := s.DB.GetContext(ctx, &ss, `SELECT w.id_hash, w.kind, w.library_code, w.subject, w.role, w.csrf, w.created_at, w.expires_at
		FROM web_sessions w WHERE w.id_hash = ? AND w.expires_at > ?
		AND (w.kind <> 'staff' OR EXISTS (SELECT 1 FROM staff_users u
			WHERE u.library_code = w.library_code AND u.username = w.subject AND u.disabled = 0))`, hash, now.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return ss, notFound("session", "")
	}
	return ss, err
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, hash)
	return err
}

// DeleteSessionsOf ends every session of one account (kind reader or
// staff; library and subject compared as the collation does) and returns
// how many there were.
func (s *Store) DeleteSessionsOf(ctx context.Context, kind, library, subject string) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM web_sessions WHERE kind = ? AND library_code = ? AND subject = ?`,
		kind, library, subject)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Queue is a console work queue: requests in some states where the
// library is the current lender (Side "lender") or the borrower.
type Queue struct {
	Key    string
	Side   string // lender or borrower
	States []ill.State
	Order  string // column the queue is sorted by (ascending, nulls last)
}

// queueOrders are the columns a queue may sort by (never user input).
var queueOrders = map[string]bool{"respond_by": true, "ship_by": true, "due_at": true, "updated_at": true, "submitted_at": true}

// QueueRequests lists a queue's requests for library (every library's when
// library is ""), at most limit, with the total.
func (s *Store) QueueRequests(ctx context.Context, q Queue, library string, limit int) ([]*ill.Request, int, error) {
	if !queueOrders[q.Order] || (q.Side != "lender" && q.Side != "borrower") {
		return nil, 0, errors.New("mysql: bad queue " + q.Key)
	}
	cond := "state IN (?)"
	args := []any{q.States}
	if library != "" {
		cond += " AND " + q.Side + " = ?"
		args = append(args, library)
	}
	query, qargs, err := sqlx.In(`SELECT COUNT(*) FROM requests WHERE `+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.DB.GetContext(ctx, &total, query, qargs...); err != nil {
		return nil, 0, err
	}
	query, qargs, err = sqlx.In(`SELECT `+requestColumns+` FROM requests WHERE `+cond+`
		ORDER BY `+q.Order+` IS NULL, `+q.Order+`, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, err
	}
	var rows []requestRow
	if err := s.DB.SelectContext(ctx, &rows, query, qargs...); err != nil {
		return nil, 0, err
	}
	out := make([]*ill.Request, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// ShipmentRow is one courier shipment as the console lists it.
type ShipmentRow struct {
	ID          int64          `db:"id"`
	RequestID   string         `db:"request_id"`
	Direction   string         `db:"direction"`
	ItemBarcode string         `db:"item_barcode"`
	From        string         `db:"from_lib"`
	To          string         `db:"to_lib"`
	Route       string         `db:"route_code"`
	Status      string         `db:"status"`
	RunDate     sql.NullTime   `db:"run_date"`
	Title       sql.NullString `db:"title"`
}

// OpenShipments lists shipments not yet delivered that leave from or go to
// library ("" for all), newest run first.
func (s *Store) OpenShipments(ctx context.Context, library string, limit int) ([]ShipmentRow, error) {
	cond, args := "1=1", []any{}
	if library != "" {
		cond, args = "(s.from_lib = ? OR s.to_lib = ?)", []any{library, library}
	}
	var out []ShipmentRow
	err := s.DB.SelectContext(ctx, &out, `SELECT s.id, s.request_id, s.direction, s.item_barcode, s.from_lib, s.to_lib,
		s.route_code, s.status, s.run_date, q.title FROM shipments s LEFT JOIN requests q ON q.id = s.request_id
		WHERE `+cond+` AND s.status NOT IN ('delivered','cancelled') ORDER BY s.run_date IS NULL, s.run_date DESC, s.id DESC LIMIT ?`,
		append(args, limit)...)
	return out, err
}

// MissedDeadline is a lender's missed response or shipping deadline (R9).
type MissedDeadline struct {
	RequestID string       `db:"request_id"`
	Library   string       `db:"library_code"`
	Outcome   string       `db:"outcome"`
	At        sql.NullTime `db:"answered_at"`
	Title     string       `db:"title"`
}

// MissedDeadlines lists the most recent missed deadlines (library "" for all).
func (s *Store) MissedDeadlines(ctx context.Context, library string, limit int) ([]MissedDeadline, error) {
	cond, args := "", []any{}
	if library != "" {
		cond, args = "AND r.library_code = ?", []any{library}
	}
	var out []MissedDeadline
	err := s.DB.SelectContext(ctx, &out, `SELECT r.request_id, r.library_code, r.outcome, r.answered_at, q.title
		FROM rota r JOIN requests q ON q.id = r.request_id
		WHERE r.outcome IN ('no_response','not_shipped') `+cond+` ORDER BY r.answered_at DESC LIMIT ?`, append(args, limit)...)
	return out, err
}

// LibraryNames maps every library code to its Chinese and English names.
func (s *Store) LibraryNames(ctx context.Context) (map[string][2]string, error) {
	var rows []struct {
		Code string `db:"code"`
		ZH   string `db:"name_zh"`
		EN   string `db:"name_en"`
	}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT code, name_zh, name_en FROM libraries ORDER BY code`); err != nil {
		return nil, err
	}
	out := make(map[string][2]string, len(rows))
	for _, r := range rows {
		out[r.Code] = [2]string{r.ZH, strings.TrimSpace(r.EN)}
	}
	return out, nil
}
