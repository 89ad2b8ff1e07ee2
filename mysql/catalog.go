package mysql

// The union catalogue's records (table records) as callers read them:
// one record, the record of a citation, a record with its holdings.
// Writes come with the holdings (holdings.go); the search index:
// search_index.go.

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// recordRow is a records row as recordColumns scans it.
type recordRow struct {
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

func (r recordRow) domain() ill.Record {
	return ill.Record{ID: r.ID, ISBN13: r.ISBN13.String, Title: r.Title, Author: r.Author, Publisher: r.Publisher,
		Year: r.Year, Language: r.Language, Material: r.Material, CLC: r.CLC}
}

// recordColumns is the records row as recordRow scans it.
const recordColumns = `id, isbn13, title, author, publisher, year, language, material, clc`

// recordSQL reads one record. Locks: none.
const recordSQL = `SELECT ` + recordColumns + ` FROM records WHERE id = ?`

func getRecord(ctx context.Context, q sqlx.QueryerContext, id int64) (*ill.Record, error) {
	var r recordRow
	if err := sqlx.GetContext(ctx, q, &r, recordSQL, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("record", strconv.FormatInt(id, 10))
		}
		return nil, err
	}
	rec := r.domain()
	return &rec, nil
}

// Record reads one record inside the transaction.
func (t *Tx) Record(ctx context.Context, id int64) (*ill.Record, error) {
	return getRecord(ctx, t.tx, id)
}

// MatchRecord finds the union record for a citation: by normalised ISBN
// first, then by the normalised title/author/publisher/year key. 0 when
// nothing matches.
func (t *Tx) MatchRecord(ctx context.Context, c ill.Citation) (int64, error) {
	return matchRecord(ctx, t.tx, c)
}

// MatchCitation finds the union record of a citation (ISBN, then
// title/author/publisher/year); 0 when none.
func (s *Store) MatchCitation(ctx context.Context, c ill.Citation) (int64, error) {
	id, err := matchRecord(ctx, s.DB, c)
	return id, classify(err)
}

// recordByISBNSQL finds the record of a normalised ISBN-13
// (uq_records_isbn); recordsByTitleSQL the records whose folded title is
// the given one. Locks: none.
const (
	recordByISBNSQL   = `SELECT id FROM records WHERE isbn13 = ?`
	recordsByTitleSQL = `SELECT r.id, r.author, r.publisher, r.year FROM record_search s
	JOIN records r ON r.id = s.record_id WHERE s.title_fold = ? ORDER BY r.id LIMIT 50`
)

func matchRecord(ctx context.Context, q sqlx.QueryerContext, c ill.Citation) (int64, error) {
	var id int64
	if isbn, ok := ill.NormalizeISBN(c.ISBN); ok {
		err := sqlx.GetContext(ctx, q, &id, recordByISBNSQL, isbn)
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
	if err := sqlx.SelectContext(ctx, q, &cs, recordsByTitleSQL, truncate(ill.Fold(c.Title), 400)); err != nil {
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

// holdingViewRow is a row of recordHoldingsSQL (ill.HoldingView's fields).
type holdingViewRow struct {
	Library    string `db:"library_code"`
	NameZH     string `db:"name_zh"`
	LocalID    string `db:"local_id"`
	CallNumber string `db:"call_number"`
	Copies     int    `db:"copies"`
	Available  int    `db:"available"`
	Lendable   bool   `db:"lendable"`
}

// recordHoldingsSQL lists every member's holdings of a record with the
// member's name. Locks: none.
const recordHoldingsSQL = `SELECT h.library_code, l.name_zh, h.local_id, h.call_number, h.copies,
	h.available, h.lendable FROM holdings h JOIN libraries l ON l.code = h.library_code
	WHERE h.record_id = ? ORDER BY h.library_code, h.local_id`

// RecordWithHoldings reads a record and every member's holdings of it.
func (s *Store) RecordWithHoldings(ctx context.Context, id int64) (*ill.Record, []ill.HoldingView, error) {
	r, err := getRecord(ctx, s.DB, id)
	if err != nil {
		return nil, nil, classify(err)
	}
	var rows []holdingViewRow
	if err := s.DB.SelectContext(ctx, &rows, recordHoldingsSQL, id); err != nil {
		return r, nil, classify(err)
	}
	return r, domains(rows, func(h holdingViewRow) ill.HoldingView { return ill.HoldingView(h) }), nil
}
