package mysql

// The libraries' copy settings (copy_respond_days, copy_deliver_days,
// copy_limit) as the console and illctl edit them, with their history in
// library_policy_history beside the fee rules'.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
)

// lockCopyTermsSQL reads a library's copy settings for an edit. Locks: the
// library row (primary key), until commit, so concurrent edits queue and
// each records the values it replaced.
const lockCopyTermsSQL = `SELECT copy_respond_days, copy_deliver_days, copy_limit FROM libraries WHERE code = ? FOR UPDATE`

// SetCopyTermsBy implements ill.LibraryCopyTerms.
func (s *Store) SetCopyTermsBy(ctx context.Context, library string, ct ill.CopyTerms, by string, at time.Time) ([]ill.PolicyChange, error) {
	var changes []ill.PolicyChange
	err := s.InTx(ctx, func(tx *Tx) error {
		changes = nil
		var cur struct {
			Respond int `db:"copy_respond_days"`
			Deliver int `db:"copy_deliver_days"`
			Limit   int `db:"copy_limit"`
		}
		err := tx.tx.GetContext(ctx, &cur, lockCopyTermsSQL, library)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("library", library)
		}
		if err != nil {
			return err
		}
		changes = ill.CopyTerms{RespondDays: cur.Respond, DeliverDays: cur.Deliver, Limit: cur.Limit}.Changes(ct)
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.tx.ExecContext(ctx, setCopyTermsSQL, ct.RespondDays, ct.DeliverDays, ct.Limit, library); err != nil {
			return err
		}
		return tx.recordPolicyChanges(ctx, changes, library, by, at)
	})
	if err != nil {
		return nil, classify(err)
	}
	if len(changes) > 0 {
		s.dir.Forget() // this process routes with the new settings at once; others within the directory's TTL
	}
	return changes, nil
}
