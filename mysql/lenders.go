package mysql

// Lenders of a record, as routing ranks them: the members holding it
// (holdings) and each one's 90-day lending history (rota, requests).

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// candidatesSQL lists, per member holding the record, its copies (plain
// reads, no locks: routing facts may be a moment stale, which is harmless).
const candidatesSQL = `SELECT h.library_code AS library,
	SUM(h.available) AS available, MAX(h.lendable) AS lendable, MAX(l.lending) AS lending
FROM holdings h JOIN libraries l ON l.code = h.library_code AND (l.lending = 1 OR l.code = ?)
WHERE h.record_id = ?
GROUP BY h.library_code`

// lenderFactsSQL is a library's last-90-days lending history (one row per
// library code in the IN list, which is appended). Locks: none (plain
// read).
const lenderFactsSQL = `SELECT l.code AS library,
	(SELECT COUNT(*) FROM rota r WHERE r.library_code = l.code AND r.outcome = 'will_supply'
		AND r.asked_at >= ?) AS lent,
	(SELECT COUNT(*) FROM rota r WHERE r.library_code = l.code
		AND r.outcome IN ('will_supply','unfilled','no_response','not_shipped') AND r.asked_at >= ?) AS answered,
	(SELECT COUNT(*) FROM requests q WHERE q.borrower = l.code AND q.submitted_at >= ?) AS borrowed
FROM libraries l WHERE l.code IN `

// lenderFacts is one library's routing history (ill.Candidate's Lent,
// Borrowed, FillRate and MedianResponseHours).
type lenderFacts struct {
	Lent, Answered, Borrowed int
	MedianHours              float64
}

// Candidates returns the lenders holding a record with their routing facts.
// OpenToday is left for the caller, who knows the calendar. The copies are
// read live; the lenders' 90-day history comes from the Directory when one
// is attached (refreshed per library every TTL: it changes slowly, and
// reading it costs a range scan per lender that grows with the history).
//
// borrower's own copies are read in the same statement: local is whether it
// has one available (a library that does not lend is not a candidate but
// can still hold the book itself).
func (t *Tx) Candidates(ctx context.Context, recordID int64, borrower string, at time.Time) (cands []ill.Candidate, local bool, err error) {
	var all []candidateRow
	if err := t.tx.SelectContext(ctx, &all, candidatesSQL, borrower, recordID); err != nil {
		return nil, false, err
	}
	return t.candidates(ctx, all, borrower, at)
}

// candidateRow is a row of candidatesSQL.
type candidateRow struct {
	Library   string `db:"library"`
	Available int    `db:"available"`
	Lendable  bool   `db:"lendable"`
	Lending   bool   `db:"lending"`
}

// candidates gives the rows of candidatesSQL their routing facts
// (Candidates).
func (t *Tx) candidates(ctx context.Context, all []candidateRow, borrower string, at time.Time) (cands []ill.Candidate, local bool, err error) {
	rows := all[:0]
	for _, r := range all {
		if r.Library == borrower && r.Available > 0 {
			local = true
		}
		if r.Lending {
			rows = append(rows, r)
		}
	}
	libs := make([]string, len(rows))
	for i, r := range rows {
		libs[i] = r.Library
	}
	facts, err := t.dir.lenderFacts(ctx, t.tx, libs, at)
	if err != nil {
		return nil, false, err
	}
	out := make([]ill.Candidate, len(rows))
	for i, r := range rows {
		f := facts[r.Library]
		fill := -1.0
		if f.Answered > 0 {
			fill = float64(f.Lent) / float64(f.Answered)
		}
		out[i] = ill.Candidate{Library: r.Library, Available: r.Available, Lendable: r.Lendable,
			Lent: f.Lent, Borrowed: f.Borrowed, FillRate: fill, MedianResponseHours: f.MedianHours}
	}
	return out, local, nil
}

// serialHoldingsSQL lists the holdings of a serial by ISSN with their
// coverage (ix_holdings_issn; plain read, no locks, as candidatesSQL).
const serialHoldingsSQL = `SELECT h.library_code AS library, h.lendable, h.coverage
FROM holdings h JOIN libraries l ON l.code = h.library_code AND l.lending = 1
WHERE h.issn = ?`

// SerialCandidates returns the members holding the serial issn (normal
// form, ill.NormalizeISSN) with a run covering year (0: any year), with
// their routing facts as Candidates gives them; a covering holder counts
// one available copy (the volume is on its shelf). The borrower is among
// them when it holds the serial itself.
func (t *Tx) SerialCandidates(ctx context.Context, issn string, year int, at time.Time) ([]ill.Candidate, error) {
	var rows []struct {
		Library  string `db:"library"`
		Lendable bool   `db:"lendable"`
		Coverage string `db:"coverage"`
	}
	if err := t.tx.SelectContext(ctx, &rows, serialHoldingsSQL, issn); err != nil {
		return nil, err
	}
	lendable := map[string]bool{}
	var libs []string
	for _, r := range rows {
		if cov, err := ill.ParseCoverage(r.Coverage); err != nil || !cov.Contains(year) {
			continue // stored normalised (ApplyHoldings); a run that misses the year
		}
		if _, seen := lendable[r.Library]; !seen {
			libs = append(libs, r.Library)
		}
		lendable[r.Library] = lendable[r.Library] || r.Lendable
	}
	slices.Sort(libs)
	facts, err := t.dir.lenderFacts(ctx, t.tx, libs, at)
	if err != nil {
		return nil, err
	}
	out := make([]ill.Candidate, len(libs))
	for i, l := range libs {
		f := facts[l]
		fill := -1.0
		if f.Answered > 0 {
			fill = float64(f.Lent) / float64(f.Answered)
		}
		out[i] = ill.Candidate{Library: l, Available: 1, Lendable: lendable[l],
			Lent: f.Lent, Borrowed: f.Borrowed, FillRate: fill, MedianResponseHours: f.MedianHours}
	}
	return out, nil
}

// loadLenderFacts reads the 90-day history before at of the given libraries.
func loadLenderFacts(ctx context.Context, q sqlx.QueryerContext, libs []string, at time.Time) (map[string]lenderFacts, error) {
	out := make(map[string]lenderFacts, len(libs))
	if len(libs) == 0 {
		return out, nil
	}
	since := at.Add(-90 * 24 * time.Hour).UTC()
	args := []any{since, since, since}
	for _, l := range libs {
		args = append(args, l)
	}
	var rows []struct {
		Library  string `db:"library"`
		Lent     int    `db:"lent"`
		Answered int    `db:"answered"`
		Borrowed int    `db:"borrowed"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, lenderFactsSQL+"(?"+strings.Repeat(", ?", len(libs)-1)+")", args...); err != nil {
		return nil, err
	}
	med, err := medianResponseHours(ctx, q, libs, since)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Library] = lenderFacts{Lent: r.Lent, Answered: r.Answered, Borrowed: r.Borrowed, MedianHours: med[r.Library]}
	}
	return out, nil
}

// responseTimesSQL is one library's last 200 answer times since a time
// (one per library, joined with UNION ALL). Locks: none (plain read).
const responseTimesSQL = `(SELECT library_code, TIMESTAMPDIFF(SECOND, asked_at, answered_at) AS secs FROM rota
	WHERE library_code = ? AND outcome IN ('will_supply', 'unfilled') AND asked_at >= ? AND answered_at IS NOT NULL
	ORDER BY asked_at DESC LIMIT 200)`

// medianResponseHours is, per library, the median time from being asked to
// answering (will_supply or unfilled) over its last 200 answers since
// `since`: a bounded sample, so routing stays one cheap query however busy
// a lender is. Libraries without answers are absent (0: no history).
func medianResponseHours(ctx context.Context, q sqlx.QueryerContext, libs []string, since time.Time) (map[string]float64, error) {
	out := map[string]float64{}
	if len(libs) == 0 {
		return out, nil
	}
	var parts []string
	var args []any
	for _, l := range libs {
		parts = append(parts, responseTimesSQL)
		args = append(args, l, since)
	}
	var rows []struct {
		Library string `db:"library_code"`
		Secs    int64  `db:"secs"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, strings.Join(parts, " UNION ALL "), args...); err != nil {
		return nil, err
	}
	by := map[string][]int64{}
	for _, r := range rows {
		by[r.Library] = append(by[r.Library], max(r.Secs, 0))
	}
	for l, xs := range by {
		slices.Sort(xs)
		m := float64(xs[len(xs)/2])
		if len(xs)%2 == 0 {
			m = float64(xs[len(xs)/2-1]+xs[len(xs)/2]) / 2
		}
		out[l] = max(m/3600, 0.01) // an instant answer still counts as history
	}
	return out, nil
}
