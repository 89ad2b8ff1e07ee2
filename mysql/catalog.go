package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM records WHERE match_key = ? ORDER BY id LIMIT 1`,
		ill.TitleKey(c.Title, c.Author, c.Publisher, c.Year))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// candidatesSQL aggregates, per member holding the record, its copies and
// its last-90-days lending history (plain reads, no locks: routing facts
// may be a moment stale, which is harmless).
const candidatesSQL = `SELECT h.library_code AS library,
	SUM(h.available) AS available, MAX(h.lendable) AS lendable,
	(SELECT COUNT(*) FROM rota r WHERE r.library_code = h.library_code AND r.outcome = 'will_supply'
		AND r.asked_at >= ?) AS lent,
	(SELECT COUNT(*) FROM rota r WHERE r.library_code = h.library_code
		AND r.outcome IN ('will_supply','unfilled','no_response','not_shipped') AND r.asked_at >= ?) AS answered,
	(SELECT COUNT(*) FROM requests q WHERE q.borrower = h.library_code AND q.submitted_at >= ?) AS borrowed
FROM holdings h JOIN libraries l ON l.code = h.library_code AND l.lending = 1
WHERE h.record_id = ?
GROUP BY h.library_code`

// Candidates returns the lenders holding a record with their routing facts.
// OpenToday is left for the caller, who knows the calendar.
func (t *Tx) Candidates(ctx context.Context, recordID int64, at time.Time) ([]ill.Candidate, error) {
	since := at.Add(-90 * 24 * time.Hour).UTC()
	var rows []struct {
		Library   string `db:"library"`
		Available int    `db:"available"`
		Lendable  bool   `db:"lendable"`
		Lent      int    `db:"lent"`
		Answered  int    `db:"answered"`
		Borrowed  int    `db:"borrowed"`
	}
	if err := t.tx.SelectContext(ctx, &rows, candidatesSQL, since, since, since, recordID); err != nil {
		return nil, err
	}
	out := make([]ill.Candidate, len(rows))
	for i, r := range rows {
		fill := -1.0
		if r.Answered > 0 {
			fill = float64(r.Lent) / float64(r.Answered)
		}
		out[i] = ill.Candidate{Library: r.Library, Available: r.Available, Lendable: r.Lendable,
			Lent: r.Lent, Borrowed: r.Borrowed, FillRate: fill}
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

// HoldingsResult summarises one batch.
type HoldingsResult struct {
	Upserted, Deleted, Rejected int
	Errors                      []string
}

// ApplyHoldings upserts and deletes one library's holdings, matching each
// upsert to a union record (normalised ISBN, then title key) or creating
// one. Rows that cannot be stored are counted as rejected with a reason.
func (t *Tx) ApplyHoldings(ctx context.Context, library string, b ill.HoldingsBatch, at time.Time) (HoldingsResult, error) {
	var res HoldingsResult
	for i, h := range b.Upserts {
		if strings.TrimSpace(h.LocalID) == "" || strings.TrimSpace(h.Title) == "" {
			res.Rejected++
			res.Errors = append(res.Errors, fmt.Sprintf("upserts[%d]: local_id and title are required", i))
			continue
		}
		c := ill.Citation{Title: h.Title, Author: h.Author, ISBN: h.ISBN, Publisher: h.Publisher, Year: h.Year}
		id, err := matchRecord(ctx, t.tx, c)
		if err != nil {
			return res, err
		}
		if id == 0 {
			var isbn sql.NullString
			if n, ok := ill.NormalizeISBN(h.ISBN); ok {
				isbn = sql.NullString{String: n, Valid: true}
			}
			lang, mat := h.Language, h.Material
			if lang == "" {
				lang = "chi"
			}
			if mat == "" {
				mat = "book"
			}
			r, err := t.tx.ExecContext(ctx, `INSERT INTO records (isbn13, title, author, publisher, year, language,
				material, match_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, isbn, h.Title, h.Author, h.Publisher, h.Year,
				lang, mat, ill.TitleKey(h.Title, h.Author, h.Publisher, h.Year))
			if err != nil {
				return res, err
			}
			if id, err = r.LastInsertId(); err != nil {
				return res, err
			}
		}
		lendable := h.Lendable == nil || *h.Lendable
		copies := h.Copies
		if copies <= 0 {
			copies = 1
		}
		avail := min(max(h.Available, 0), copies)
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO holdings (library_code, local_id, record_id, call_number,
			copies, available, lendable, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON DUPLICATE KEY UPDATE record_id = VALUES(record_id), call_number = VALUES(call_number),
			copies = VALUES(copies), available = VALUES(available), lendable = VALUES(lendable),
			updated_at = VALUES(updated_at)`, library, h.LocalID, id, h.CallNumber, copies, avail, lendable, at.UTC()); err != nil {
			return res, err
		}
		res.Upserted++
	}
	for _, id := range b.Deletes {
		r, err := t.tx.ExecContext(ctx, `DELETE FROM holdings WHERE library_code = ? AND local_id = ?`, library, id)
		if err != nil {
			return res, err
		}
		n, _ := r.RowsAffected()
		res.Deleted += int(n)
	}
	return res, nil
}

// SearchQuery is a catalogue search.
type SearchQuery struct {
	Q         string
	ISBN      string
	Library   string
	Available bool
	Page      int
	PerPage   int
}

// SearchHit is one search result.
type SearchHit struct {
	Record
	Holdings  int `db:"holdings"`
	Available int `db:"available"`
}

// Search is the minimal union catalogue search: every word of Q must occur
// in the title or author; ISBN matches exactly after normalisation. Ranked
// exact title first, then by number of holdings.
func (s *Store) Search(ctx context.Context, q SearchQuery) ([]SearchHit, int, error) {
	var where []string
	var args []any
	if q.ISBN != "" {
		n, ok := ill.NormalizeISBN(q.ISBN)
		if !ok {
			return nil, 0, ill.FieldError("isbn", "not a valid ISBN-10 or ISBN-13")
		}
		where = append(where, "r.isbn13 = ?")
		args = append(args, n)
	}
	for _, w := range strings.Fields(q.Q) {
		like := "%" + escapeLike(w) + "%"
		where = append(where, "(r.title LIKE ? OR r.author LIKE ?)")
		args = append(args, like, like)
	}
	having := []string{"COUNT(h.local_id) > 0"}
	if q.Library != "" {
		having = append(having, "SUM(h.library_code = ?) > 0")
		args = append(args, q.Library)
	}
	if q.Available {
		having = append(having, "SUM(h.available) > 0")
	}
	cond := "1=1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	base := `SELECT r.id, r.isbn13, r.title, r.author, r.publisher, r.year, r.language, r.material, r.clc,
		COUNT(h.local_id) AS holdings, COALESCE(SUM(h.available), 0) AS available
		FROM records r LEFT JOIN holdings h ON h.record_id = r.id
		WHERE ` + cond + ` GROUP BY r.id HAVING ` + strings.Join(having, " AND ")
	var total int
	if err := s.DB.GetContext(ctx, &total, `SELECT COUNT(*) FROM (`+base+`) x`, args...); err != nil {
		return nil, 0, err
	}
	var hits []SearchHit
	err := s.DB.SelectContext(ctx, &hits, base+` ORDER BY (r.title = ?) DESC, holdings DESC, r.id LIMIT ? OFFSET ?`,
		append(args, q.Q, q.PerPage, (q.Page-1)*q.PerPage)...)
	return hits, total, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
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
