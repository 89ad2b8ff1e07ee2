package mysql

// Leases: rows in the leases table that give one holder a named piece of
// work until they expire. They replace server-side named locks (GET_LOCK),
// which a Galera cluster does not replicate: a lock taken on one node is
// unknown to the others, while a lease row is an ordinary InnoDB write
// that every node certifies. Two nodes taking the same lease at once
// conflict at commit (error 1213), and the retry sees the winner's row.
// Expiry, not a session, ends a lease, so a holder that dies frees it
// after its TTL; a holder that needs longer renews it (TakeLease again).
// Times are the database's (NOW(3)), so the holders' clocks do not matter.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The statements of a lease, in one transaction. takeLeaseSQL inserts the
// lease or, when its row exists, gives it to holder if holder already has
// it or it has expired (args: name, holder, ttl in microseconds). MariaDB
// assigns left to right: holder is decided on the old row, then expires_at
// is extended only if holder is now ours. leaseHolderSQL then reads who
// has it (the transaction's own write, or the current holder's).
// releaseLeaseSQL deletes it if holder has it (args: name, holder).
// Locks: the lease's row (primary key), until the transaction ends.
const (
	takeLeaseSQL = `INSERT INTO leases (name, holder, expires_at)
VALUES (?, ?, NOW(3) + INTERVAL ? MICROSECOND)
ON DUPLICATE KEY UPDATE
  holder     = IF(holder = VALUES(holder) OR expires_at < NOW(3), VALUES(holder), holder),
  expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)`
	leaseHolderSQL  = `SELECT holder FROM leases WHERE name = ?`
	releaseLeaseSQL = `DELETE FROM leases WHERE name = ? AND holder = ?`
)

// leaseAttempts bounds the retries of a lease transaction after a
// deadlock or a Galera certification conflict (both 1213).
const leaseAttempts = 5

// TakeLease gives the lease called name to holder for ttl and reports
// whether holder has it now: true when it was free, expired, or already
// holder's (then its expiry is extended to now+ttl); false while another
// holder's lease runs. Names and holders are at most 191 characters.
func (s *Store) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	ok, err := takeLease(ctx, s.DB, name, holder, ttl)
	return ok, classify(err)
}

// ReleaseLease ends holder's lease on name (nothing when another holder
// has it by now).
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.DB.ExecContext(ctx, releaseLeaseSQL, name, holder)
	return classify(err)
}

// txBeginner is a *sqlx.DB, or a *sqlx.Conn (the migrator's, whose
// session has the database selected).
type txBeginner interface {
	BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error)
}

func takeLease(ctx context.Context, db txBeginner, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || len(name) > 191 || len(holder) > 191 {
		return false, fmt.Errorf("mysql: lease name and holder must be 1-191 characters")
	}
	if ttl < time.Millisecond {
		return false, fmt.Errorf("mysql: lease TTL %s is too short", ttl)
	}
	var err error
	for i := range leaseAttempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(time.Duration(10*(1<<i)) * time.Millisecond):
			}
		}
		var got string
		got, err = takeLeaseOnce(ctx, db, name, holder, ttl)
		if err == nil {
			return got == holder, nil
		}
		if !Retryable(err) {
			return false, err
		}
	}
	return false, err
}

func takeLeaseOnce(ctx context.Context, db txBeginner, name, holder string, ttl time.Duration) (got string, err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err = tx.ExecContext(ctx, takeLeaseSQL, name, holder, ttl.Microseconds()); err != nil {
		return "", err
	}
	if err = tx.GetContext(ctx, &got, leaseHolderSQL, name); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = fmt.Errorf("mysql: lease %q vanished", name)
		}
		return "", err
	}
	return got, tx.Commit()
}
