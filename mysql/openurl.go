package mysql

import (
	"context"
	"time"

	"github.com/balis/illhub/ill"
)

// sourceCountRow is a row of sourceCountsSQL (ill.SourceCount's fields).
type sourceCountRow struct {
	Source   string `db:"source"`
	Requests int    `db:"requests"`
	Filled   int    `db:"filled"`
}

// sourceCountsSQL counts the requests submitted in a time range per source
// (then an optional borrower condition, then sourceCountsOrderSQL); filled
// ones are those a lender agreed to supply (an event into WILL_SUPPLY).
// Locks: none (a plain read on Store.DB).
const (
	sourceCountsSQL = `SELECT q.source, COUNT(*) AS requests,
	COALESCE(SUM(EXISTS (SELECT 1 FROM events e WHERE e.request_id = q.id AND e.to_state = 'WILL_SUPPLY')), 0) AS filled
	FROM requests q WHERE q.submitted_at >= ? AND q.submitted_at < ?`
	sourceCountsOrderSQL = ` GROUP BY q.source ORDER BY requests DESC, q.source LIMIT 1000`
)

// SourceCounts implements ill.RequestSources: requests submitted in [from,
// to) per source, of borrowing library ("" = every library).
func (s *Store) SourceCounts(ctx context.Context, from, to time.Time, library string) ([]ill.SourceCount, error) {
	q := sourceCountsSQL
	args := []any{from.UTC(), to.UTC()}
	if library != "" {
		q += ` AND q.borrower = ?`
		args = append(args, library)
	}
	var rows []sourceCountRow
	if err := s.DB.SelectContext(ctx, &rows, q+sourceCountsOrderSQL, args...); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.SourceCount, len(rows))
	for i, r := range rows {
		out[i] = ill.SourceCount(r)
	}
	return out, nil
}
