package mysql

// Fee rules of the lending libraries (the fine, damage, loss and courier
// cut-off columns of libraries) as the console edits them, and their
// history (library_policy_history). Other library columns are never
// written here.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
)

type feeRulesRow struct {
	FinePerDayFen int    `db:"fine_per_day_fen"`
	DamageFeeFen  int    `db:"damage_fee_fen"`
	LossFeeFen    int    `db:"loss_fee_fen"`
	CourierCutoff string `db:"courier_cutoff"`
}

// lockFeeRulesSQL reads a library's fee rules for an edit. Locks: the
// library row (primary key), until commit, so concurrent edits queue and
// each records the values it replaced.
const lockFeeRulesSQL = `SELECT fine_per_day_fen, damage_fee_fen, loss_fee_fen, courier_cutoff
	FROM libraries WHERE code = ? FOR UPDATE`

// setFeeRulesSQL writes the fee rules and nothing else of the library.
// Locks: the library row (locked already by lockFeeRulesSQL), until
// commit.
const setFeeRulesSQL = `UPDATE libraries SET fine_per_day_fen = ?, damage_fee_fen = ?, loss_fee_fen = ?,
	courier_cutoff = ? WHERE code = ?`

// addPolicyChangeSQL records one changed field. Locks: the new row, until
// commit.
const addPolicyChangeSQL = `INSERT INTO library_policy_history (library_code, field, old_value, new_value,
	changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)`

// SetFeeRules implements ill.LibraryFees.
func (s *Store) SetFeeRules(ctx context.Context, library string, f ill.FeeRules, by string, at time.Time) ([]ill.PolicyChange, error) {
	var changes []ill.PolicyChange
	err := s.InTx(ctx, func(tx *Tx) error {
		changes = nil
		var cur feeRulesRow
		err := tx.tx.GetContext(ctx, &cur, lockFeeRulesSQL, library)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("library", library)
		}
		if err != nil {
			return err
		}
		changes = ill.FeeRules(cur).Changes(f)
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.tx.ExecContext(ctx, setFeeRulesSQL, f.FinePerDayFen, f.DamageFeeFen, f.LossFeeFen,
			f.CourierCutoff, library); err != nil {
			return err
		}
		return tx.recordPolicyChanges(ctx, changes, library, by, at)
	})
	if err != nil {
		return nil, classify(err)
	}
	if len(changes) > 0 {
		s.dir.Forget() // this process prices with the new rules at once; others within the directory's TTL
	}
	return changes, nil
}

// recordPolicyChanges stamps changes with the library, who (cut to the
// column's 100 characters) and when, and appends them to the library's
// policy history (one row per changed field), in t.
func (t *Tx) recordPolicyChanges(ctx context.Context, changes []ill.PolicyChange, library, by string, at time.Time) error {
	for i := range changes {
		changes[i].Library, changes[i].By, changes[i].At = library, truncate(by, 100), at.UTC()
		c := changes[i]
		if _, err := t.tx.ExecContext(ctx, addPolicyChangeSQL, c.Library, c.Field, c.Old, c.New, c.By, c.At); err != nil {
			return err
		}
	}
	return nil
}

type policyChangeRow struct {
	ID      int64     `db:"id"`
	Library string    `db:"library_code"`
	Field   string    `db:"field"`
	Old     string    `db:"old_value"`
	New     string    `db:"new_value"`
	By      string    `db:"changed_by"`
	At      time.Time `db:"changed_at"`
}

// feeHistorySQL lists a library's ("" every library's) policy changes,
// newest first. Locks: none.
const feeHistorySQL = `SELECT id, library_code, field, old_value, new_value, changed_by, changed_at
	FROM library_policy_history WHERE (? = '' OR library_code = ?) ORDER BY changed_at DESC, id DESC LIMIT ?`

// FeeHistory implements ill.LibraryFees.
func (s *Store) FeeHistory(ctx context.Context, library string, limit int) ([]ill.PolicyChange, error) {
	var rows []policyChangeRow
	if err := s.DB.SelectContext(ctx, &rows, feeHistorySQL, library, library, limit); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.PolicyChange, len(rows))
	for i, r := range rows {
		out[i] = ill.PolicyChange(r)
	}
	return out, nil
}
