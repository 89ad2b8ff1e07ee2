package mysql

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// Record is a union catalogue record.
type Record struct {
	ID        int64          `db:"id"`
	ISBN13    sql.NullString `db:"isbn13"`
	Title     string         `db:"title"`
	Author    string         `db:"author"`
	Publisher string         `db:"publisher"`
	Year      int            `db:"year"`
	Language  string         `db:"language"`
	Material  string         `db:"material"`
	CLC       string         `db:"clc"`
}

const recordColumns = `id, isbn13, title, author, publisher, year, language, material, clc`

func getRecord(ctx context.Context, q sqlx.QueryerContext, id int64) (*Record, error) {
	var r Record
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+recordColumns+` FROM records WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("record", strconv.FormatInt(id, 10))
	}
	return &r, err
}

// Record reads one record inside the transaction.
func (t *Tx) Record(ctx context.Context, id int64) (*Record, error) { return getRecord(ctx, t.tx, id) }

// MatchRecord finds the union record for a citation: by normalised ISBN
// first, then by the normalised title/author/publisher/year key. 0 when
// nothing matches.
func (t *Tx) MatchRecord(ctx context.Context, c ill.Citation) (int64, error) {
	return matchRecord(ctx, t.tx, c)
}

func matchRecord(ctx context.Context, q sqlx.QueryerContext, c ill.Citation) (int64, error) {
	var id int64
	if isbn, ok := ill.NormalizeISBN(c.ISBN); ok {
		err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM records WHERE isbn13 = ?`, isbn)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return id, err
		}
	}
	if strings.TrimSpace(c.Title) == "" {
		return 0, nil
	}
	// By folded title, then the author, publisher and year the citation
	// gives: one candidate left is the match; several (editions) are for
	// staff to choose (mediation).
	var cs []struct {
		ID        int64  `db:"id"`
		Author    string `db:"author"`
		Publisher string `db:"publisher"`
		Year      int    `db:"year"`
	}
	if err := sqlx.SelectContext(ctx, q, &cs, `SELECT r.id, r.author, r.publisher, r.year FROM record_search s
		JOIN records r ON r.id = s.record_id WHERE s.title_fold = ? ORDER BY r.id LIMIT 50`,
		truncRunes(ill.Fold(c.Title), 400)); err != nil {
		return 0, err
	}
	author, pub := ill.FirstAuthor(c.Author), ill.Fold(c.Publisher)
	var found []int64
	for _, r := range cs {
		if (author == "" || ill.FirstAuthor(r.Author) == author) && (pub == "" || ill.Fold(r.Publisher) == pub) &&
			(c.Year <= 0 || r.Year == c.Year) {
			found = append(found, r.ID)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return 0, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// candidatesSQL lists, per member holding the record, its copies (plain
// reads, no locks: routing facts may be a moment stale, which is harmless).
const candidatesSQL = `SELECT h.library_code AS library,
	SUM(h.available) AS available, MAX(h.lendable) AS lendable
FROM holdings h JOIN libraries l ON l.code = h.library_code AND l.lending = 1
WHERE h.record_id = ?
GROUP BY h.library_code`

// lenderFactsSQL is a library's last-90-days lending history (one row per
// library code in the IN list, which is appended).
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
func (t *Tx) Candidates(ctx context.Context, recordID int64, at time.Time) ([]ill.Candidate, error) {
	var rows []struct {
		Library   string `db:"library"`
		Available int    `db:"available"`
		Lendable  bool   `db:"lendable"`
	}
	if err := t.tx.SelectContext(ctx, &rows, candidatesSQL, recordID); err != nil {
		return nil, err
	}
	libs := make([]string, len(rows))
	for i, r := range rows {
		libs[i] = r.Library
	}
	facts, err := t.dir.lenderFacts(ctx, t.tx, libs, at)
	if err != nil {
		return nil, err
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
		parts = append(parts, `(SELECT library_code, TIMESTAMPDIFF(SECOND, asked_at, answered_at) AS secs FROM rota
			WHERE library_code = ? AND outcome IN ('will_supply', 'unfilled') AND asked_at >= ? AND answered_at IS NOT NULL
			ORDER BY asked_at DESC LIMIT 200)`)
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

// HoldsAvailable reports whether library has an available copy of record.
func (t *Tx) HoldsAvailable(ctx context.Context, library string, recordID int64) (bool, error) {
	var n int
	err := t.tx.GetContext(ctx, &n, `SELECT COALESCE(SUM(available), 0) FROM holdings
		WHERE library_code = ? AND record_id = ?`, library, recordID)
	return n > 0, err
}

// LocalID returns a library's own record id for a union record ("" if none).
func (t *Tx) LocalID(ctx context.Context, library string, recordID int64) (string, error) {
	var id string
	err := t.tx.GetContext(ctx, &id, `SELECT local_id FROM holdings WHERE library_code = ? AND record_id = ?
		ORDER BY local_id LIMIT 1`, library, recordID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// HoldingView is one member's holding of a record.
type HoldingView struct {
	Library    string `db:"library_code" json:"library"`
	NameZH     string `db:"name_zh" json:"library_name"`
	LocalID    string `db:"local_id" json:"local_id"`
	CallNumber string `db:"call_number" json:"call_number"`
	Copies     int    `db:"copies" json:"copies"`
	Available  int    `db:"available" json:"available"`
	Lendable   bool   `db:"lendable" json:"lendable"`
}

// RecordWithHoldings reads a record and every member's holdings of it.
func (s *Store) RecordWithHoldings(ctx context.Context, id int64) (*Record, []HoldingView, error) {
	r, err := getRecord(ctx, s.DB, id)
	if err != nil {
		return nil, nil, err
	}
	var hs []HoldingView
	err = s.DB.SelectContext(ctx, &hs, `SELECT h.library_code, l.name_zh, h.local_id, h.call_number, h.copies,
		h.available, h.lendable FROM holdings h JOIN libraries l ON l.code = h.library_code
		WHERE h.record_id = ? ORDER BY h.library_code, h.local_id`, id)
	return r, hs, err
}
