package mysql

// The staff review list (table courier_review): scans and returns that
// could not be matched, for a person to look at.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
)

// reviewRow is a courier_review row as scanned.
type reviewRow struct {
	ID           int64        `db:"id"`
	Code         ill.Code     `db:"code"`
	Source       string       `db:"source"`
	Barcode      string       `db:"barcode"`
	RequestID    string       `db:"request_id"`
	Library      string       `db:"library_code"`
	OtherLibrary string       `db:"other_library"`
	Detail       string       `db:"detail"`
	CreatedAt    time.Time    `db:"created_at"`
	ResolvedAt   sql.NullTime `db:"resolved_at"`
	ResolvedBy   string       `db:"resolved_by"`
	Resolution   string       `db:"resolution"`
}

func (r reviewRow) domain() ill.ReviewItem {
	return ill.ReviewItem{ID: r.ID, Code: r.Code, Source: r.Source, Barcode: r.Barcode, RequestID: r.RequestID,
		Library: r.Library, OtherLibrary: r.OtherLibrary, Detail: r.Detail, CreatedAt: r.CreatedAt,
		ResolvedAt: r.ResolvedAt.Time, ResolvedBy: r.ResolvedBy, Resolution: r.Resolution}
}

// insertReviewSQL adds an entry. Locks: the new row (until commit inside a
// transaction, for the statement only outside one).
const insertReviewSQL = `INSERT INTO courier_review (code, source, barcode, request_id, library_code, other_library, detail, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// reviewArgs are insertReviewSQL's arguments: barcode and detail cut to
// their columns' widths (a scanner may send anything).
func reviewArgs(it ill.ReviewItem) []any {
	return []any{string(it.Code), it.Source, truncate(it.Barcode, 64), it.RequestID, it.Library, it.OtherLibrary, truncate(it.Detail, 400), it.CreatedAt.UTC()}
}

// AddReview puts an entry on the staff review list (API: a refused scan)
// and returns its id. ID, ResolvedAt, ResolvedBy and Resolution of it are
// ignored.
func (s *Store) AddReview(ctx context.Context, it ill.ReviewItem) (int64, error) {
	res, err := s.DB.ExecContext(ctx, insertReviewSQL, reviewArgs(it)...)
	if err != nil {
		return 0, classify(err)
	}
	id, err := res.LastInsertId()
	return id, classify(err)
}

// AddReview puts an entry on the staff review list (consumers), as
// Store.AddReview does, inside the transaction.
func (t *Tx) AddReview(ctx context.Context, it ill.ReviewItem) error {
	_, err := t.tx.ExecContext(ctx, insertReviewSQL, reviewArgs(it)...)
	return err
}

// reviewColumns is the courier_review row as reviewRow scans it.
const reviewColumns = `id, code, source, barcode, request_id, library_code, other_library, detail,
	created_at, resolved_at, resolved_by, resolution`

// reviewListSQL lists the entries visible to a library ("": all), open
// ones only unless the first argument is true. Locks: none.
const reviewListSQL = `SELECT ` + reviewColumns + ` FROM courier_review
	WHERE (? OR resolved_at IS NULL) AND (? = '' OR library_code = ? OR other_library = ?) ORDER BY id LIMIT 5000`

// ReviewList lists review entries visible to library ("" = all), open
// ones only unless all is set, oldest first.
func (s *Store) ReviewList(ctx context.Context, library string, all bool) ([]ill.ReviewItem, error) {
	var rows []reviewRow
	if err := s.DB.SelectContext(ctx, &rows, reviewListSQL, all, library, library, library); err != nil {
		return nil, classify(err)
	}
	var out []ill.ReviewItem
	for _, r := range rows {
		out = append(out, r.domain())
	}
	return out, nil
}

// reviewItemSQL reads one entry; resolveReviewSQL closes it unless it is
// closed already (so of two concurrent resolutions one wins). Locks:
// reviewItemSQL none; resolveReviewSQL the entry's row, for the statement
// only (autocommit).
const (
	reviewItemSQL    = `SELECT ` + reviewColumns + ` FROM courier_review WHERE id = ?`
	resolveReviewSQL = `UPDATE courier_review SET resolved_at = ?, resolved_by = ?, resolution = ?
	WHERE id = ? AND resolved_at IS NULL`
)

// ResolveReview closes a review entry. Only the centre (library "") or a
// library the entry names may resolve it.
func (s *Store) ResolveReview(ctx context.Context, id int64, library, by, note string, at time.Time) error {
	var it reviewRow
	err := s.DB.GetContext(ctx, &it, reviewItemSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("review entry", fmt.Sprint(id))
	}
	if err != nil {
		return classify(err)
	}
	if library != "" && it.Library != library && it.OtherLibrary != library {
		return ill.Errorf(ill.CodeForbidden, "review entry %d does not concern %s", id, library)
	}
	if it.ResolvedAt.Valid {
		return ill.Errorf(ill.CodeConflict, "review entry %d was already resolved by %s", id, it.ResolvedBy)
	}
	_, err = s.DB.ExecContext(ctx, resolveReviewSQL, at.UTC(), by, truncate(note, 400), id)
	return classify(err)
}
