package mysql

// Holdings (table holdings): each member's copies of union records, as
// imported in batches (ApplyHoldings), the records they create or match
// (table records) and the matching conflicts reported for staff (table
// catalog_conflicts); and the reads of a member's copies.

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

type recRef struct {
	id    int64
	title string
	isbn  sql.NullString
}

// ApplyHoldings upserts and deletes one library's holdings, matching each
// upsert to a union record or creating one (ill.NormalizeISBN first, then
// ill.TitleKey; conflicts are stored in catalog_conflicts, not silently
// merged), then brings the search index of every touched record up to
// date. Rows that cannot be stored are counted as rejected with a reason.
func (t *Tx) ApplyHoldings(ctx context.Context, library string, b ill.HoldingsBatch, at time.Time) (ill.HoldingsResult, error) {
	return applyHoldings(ctx, t.tx, library, b, at)
}

// The statements of a holdings batch, in one transaction. Plain reads
// (no locks): holdingsByLocalIDSQL, the current record of local ids, and
// recordsByISBNsSQL, records by ISBN (IN lists, expanded by sqlx.In).
// Writes, each locking its rows until commit: the holdings upsert
// (upsertHoldingsSQL, the value rows insertMany appends,
// upsertHoldingsUpdateSQL) and deleteHoldingsSQL lock the holding rows by
// primary key; upsertConflictSQL locks the conflict's row, with an
// exclusive next-key lock on uq_catalog_conflict when it exists (a gap
// lock even at READ COMMITTED).
const (
	holdingsByLocalIDSQL = `SELECT local_id, record_id FROM holdings WHERE library_code = ? AND local_id IN (?)`
	recordsByISBNsSQL    = `SELECT id, title, isbn13 FROM records WHERE isbn13 IN (?)`
	upsertConflictSQL    = `INSERT INTO catalog_conflicts (kind, library_code, local_id, record_id,
	other_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE record_id = VALUES(record_id),
	other_id = VALUES(other_id), detail = VALUES(detail), created_at = VALUES(created_at)`
	upsertHoldingsSQL = `INSERT INTO holdings (library_code, local_id, record_id, call_number, copies,
	available, lendable, updated_at, issn, coverage) VALUES `
	upsertHoldingsUpdateSQL = ` ON DUPLICATE KEY UPDATE record_id = VALUES(record_id),
	call_number = VALUES(call_number), copies = VALUES(copies), available = VALUES(available),
	lendable = VALUES(lendable), updated_at = VALUES(updated_at), issn = VALUES(issn), coverage = VALUES(coverage)`
	deleteHoldingsSQL = `DELETE FROM holdings WHERE library_code = ? AND local_id IN (?)`
)

func applyHoldings(ctx context.Context, tx *txConn, library string, b ill.HoldingsBatch, at time.Time) (ill.HoldingsResult, error) {
	var res ill.HoldingsResult
	at = at.UTC()
	// Current record of every local id the batch names.
	var locals []string
	for _, h := range b.Upserts {
		locals = append(locals, h.LocalID)
	}
	locals = append(locals, b.Deletes...)
	before := map[string]int64{}
	for lo := 0; lo < len(locals); lo += 1000 {
		q, args, err := sqlx.In(holdingsByLocalIDSQL, library, locals[lo:min(lo+1000, len(locals))])
		if err != nil {
			return res, err
		}
		var rows []struct {
			LocalID  string `db:"local_id"`
			RecordID int64  `db:"record_id"`
		}
		if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
			return res, err
		}
		for _, r := range rows {
			before[r.LocalID] = r.RecordID
		}
	}
	// Records by ISBN, in bulk.
	byISBN := map[string]recRef{}
	var isbns []string
	for _, h := range b.Upserts {
		if n, ok := ill.NormalizeISBN(h.ISBN); ok {
			isbns = append(isbns, n)
		}
	}
	for lo := 0; lo < len(isbns); lo += 1000 {
		q, args, err := sqlx.In(recordsByISBNsSQL, isbns[lo:min(lo+1000, len(isbns))])
		if err != nil {
			return res, err
		}
		var rows []struct {
			ID    int64          `db:"id"`
			Title string         `db:"title"`
			ISBN  sql.NullString `db:"isbn13"`
		}
		if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
			return res, err
		}
		for _, r := range rows {
			byISBN[r.ISBN.String] = recRef{r.ID, r.Title, r.ISBN}
		}
	}
	touched := map[int64]bool{}
	seen := map[string]bool{}
	var hrows [][]any
	for i, h := range b.Upserts {
		if why := ill.ValidateHolding(h); why != "" {
			res.Reject(i, h.LocalID, why)
			continue
		}
		if seen[h.LocalID] {
			res.Reject(i, h.LocalID, "local_id appears twice in the batch")
			continue
		}
		seen[h.LocalID] = true
		id, conflicts, err := matchHolding(ctx, tx, h, byISBN)
		if err != nil {
			return res, err
		}
		for _, c := range conflicts {
			res.Conflicts++
			if _, err := tx.ExecContext(ctx, upsertConflictSQL,
				string(c.kind), library, h.LocalID, nullID(id), nullID(c.other), truncate(c.detail, 600), at); err != nil {
				return res, err
			}
		}
		lendable := h.Lendable == nil || *h.Lendable
		copies := h.Copies
		if copies <= 0 {
			copies = 1
		}
		avail := min(max(h.Available, 0), copies)
		// ValidateHolding checked both: a serial's ISSN in its normal
		// form (NULL for other material), its coverage normalised
		var issn sql.NullString
		if n, ok := ill.NormalizeISSN(h.ISSN); ok {
			issn = sql.NullString{String: n, Valid: true}
		}
		cov, _ := ill.ParseCoverage(h.Coverage)
		hrows = append(hrows, []any{library, h.LocalID, id, h.CallNumber, copies, avail, lendable, at, issn, cov.String()})
		touched[id] = true
		if old, ok := before[h.LocalID]; ok {
			touched[old] = true
			res.Updated++
		} else {
			res.Added++
		}
		res.Upserted++
	}
	if err := insertMany(ctx, tx, upsertHoldingsSQL, 10, hrows, 500, upsertHoldingsUpdateSQL); err != nil {
		return res, err
	}
	for lo := 0; lo < len(b.Deletes); lo += 1000 {
		q, args, err := sqlx.In(deleteHoldingsSQL, library, b.Deletes[lo:min(lo+1000, len(b.Deletes))])
		if err != nil {
			return res, err
		}
		r, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return res, err
		}
		n, _ := r.RowsAffected()
		res.Deleted += int(n)
	}
	for _, id := range b.Deletes {
		if old, ok := before[id]; ok {
			touched[old] = true
		}
	}
	for id := range touched {
		res.Records = append(res.Records, id)
	}
	return res, refreshRecords(ctx, tx, res.Records)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

type conflict struct {
	kind   ill.ConflictKind
	other  int64
	detail string
}

// The statements of matchHolding: recordsByMatchKeySQL, the records with
// a title key (plain read, no locks); adoptISBNSQL, an ISBN for a record
// that has none (locks the record row until commit; uq_records_isbn
// refuses a second record with it); insertRecordSQL, a new record (locks
// the new row until commit).
const (
	recordsByMatchKeySQL = `SELECT id, isbn13, title FROM records WHERE match_key = ? ORDER BY id LIMIT 5`
	adoptISBNSQL         = `UPDATE records SET isbn13 = ? WHERE id = ? AND isbn13 IS NULL`
	insertRecordSQL      = `INSERT INTO records (isbn13, title, author, publisher, year, language,
	material, match_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// matchHolding finds or creates the union record of one holding.
func matchHolding(ctx context.Context, tx *txConn, h ill.Holding, byISBN map[string]recRef) (int64, []conflict, error) {
	var cs []conflict
	isbn, isbnOK := ill.NormalizeISBN(h.ISBN)
	if strings.TrimSpace(h.ISBN) != "" && !isbnOK {
		cs = append(cs, conflict{kind: ill.ConflictInvalidISBN, detail: "ISBN " + strconv.Quote(h.ISBN) + " is not a valid ISBN-10/13; matched by title key"})
	}
	if isbnOK {
		if r, ok := byISBN[isbn]; ok {
			if !ill.SameTitle(r.title, h.Title) {
				cs = append(cs, conflict{kind: ill.ConflictISBNTitle, other: r.id,
					detail: fmt.Sprintf("ISBN %s is record %d %q; this holding says %q", isbn, r.id, r.title, h.Title)})
			}
			return r.id, cs, nil
		}
	}
	key := ill.TitleKey(h.Title, h.Author, h.Publisher, h.Year)
	var cands []struct {
		ID    int64          `db:"id"`
		ISBN  sql.NullString `db:"isbn13"`
		Title string         `db:"title"`
	}
	if err := tx.SelectContext(ctx, &cands, recordsByMatchKeySQL, key); err != nil {
		return 0, nil, err
	}
	var id int64
	switch {
	case isbnOK:
		for _, c := range cands {
			if !c.ISBN.Valid {
				// Same work without an ISBN so far: it gets this one.
				if _, err := tx.ExecContext(ctx, adoptISBNSQL, isbn, c.ID); err != nil {
					return 0, nil, err
				}
				byISBN[isbn] = recRef{c.ID, c.Title, sql.NullString{String: isbn, Valid: true}}
				return c.ID, cs, nil
			}
		}
		if len(cands) > 0 {
			cs = append(cs, conflict{kind: ill.ConflictSameKeyOtherISBN, other: cands[0].ID,
				detail: fmt.Sprintf("title/author/publisher/year match record %d (ISBN %s) but this ISBN is %s: kept apart",
					cands[0].ID, cands[0].ISBN.String, isbn)})
		}
	case len(cands) == 1:
		return cands[0].ID, cs, nil
	case len(cands) > 1:
		cs = append(cs, conflict{kind: ill.ConflictAmbiguousKey, other: cands[1].ID,
			detail: fmt.Sprintf("no ISBN; title key matches records %d and %d (and maybe more): attached to %d",
				cands[0].ID, cands[1].ID, cands[0].ID)})
		return cands[0].ID, cs, nil
	}
	var isbnCol sql.NullString
	if isbnOK {
		isbnCol = sql.NullString{String: isbn, Valid: true}
	}
	lang, mat := h.Language, h.Material
	if lang == "" {
		lang = "chi"
	}
	if mat == "" {
		mat = "book"
	}
	r, err := tx.ExecContext(ctx, insertRecordSQL, isbnCol, h.Title, h.Author, h.Publisher, h.Year,
		truncate(lang, 8), truncate(mat, 16), key)
	if err != nil {
		return 0, nil, err
	}
	if id, err = r.LastInsertId(); err != nil {
		return 0, nil, err
	}
	if isbnOK {
		byISBN[isbn] = recRef{id, h.Title, isbnCol}
	}
	return id, cs, nil
}

// conflictRow is a catalog_conflicts row as conflictsSQL scans it.
type conflictRow struct {
	ID        int64     `db:"id"`
	Kind      string    `db:"kind"`
	Library   string    `db:"library_code"`
	LocalID   string    `db:"local_id"`
	RecordID  *int64    `db:"record_id"`
	OtherID   *int64    `db:"other_id"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}

func (r conflictRow) domain() ill.Conflict {
	return ill.Conflict{ID: r.ID, Kind: ill.ConflictKind(r.Kind), Library: r.Library, LocalID: r.LocalID,
		RecordID: r.RecordID, OtherID: r.OtherID, Detail: r.Detail, CreatedAt: r.CreatedAt}
}

// countConflictsSQL and conflictsSQL are the conflicts list's total and
// page, each followed by Conflicts' library condition and the page by
// conflictsOrderSQL. Locks: none.
const (
	countConflictsSQL = `SELECT COUNT(*) FROM catalog_conflicts WHERE `
	conflictsSQL      = `SELECT id, kind, library_code, local_id, record_id, other_id, detail, created_at
	FROM catalog_conflicts WHERE `
	conflictsOrderSQL = ` ORDER BY id DESC LIMIT ? OFFSET ?`
)

// Conflicts lists matching conflicts, newest first; library "" lists every
// library's (centre).
func (s *Store) Conflicts(ctx context.Context, library string, page, perPage int) ([]ill.Conflict, int, error) {
	where, args := "1=1", []any{}
	if library != "" {
		where, args = "library_code = ?", append(args, library)
	}
	var total int
	if err := s.DB.GetContext(ctx, &total, countConflictsSQL+where, args...); err != nil {
		return nil, 0, classify(err)
	}
	var rows []conflictRow
	if err := s.DB.SelectContext(ctx, &rows, conflictsSQL+where+conflictsOrderSQL, append(args, perPage, (page-1)*perPage)...); err != nil {
		return nil, total, classify(err)
	}
	return domains(rows, conflictRow.domain), total, nil
}

// staleHoldingsSQL pages through a library's holdings not written since
// a time. Locks: none (each page is deleted in a transaction of its own,
// applyHoldings).
const staleHoldingsSQL = `SELECT local_id FROM holdings WHERE library_code = ? AND updated_at < ?
	ORDER BY local_id LIMIT 5000`

// ReplaceHoldings removes a library's holdings not written since
// `since` (a full re-import: every row of the export was upserted with
// updated_at >= since). Other libraries' holdings are untouched.
func (s *Store) ReplaceHoldings(ctx context.Context, library string, since time.Time) (int, error) {
	deleted := 0
	for {
		var locals []string
		if err := s.DB.SelectContext(ctx, &locals, staleHoldingsSQL, library, since.UTC()); err != nil {
			return deleted, classify(err)
		}
		if len(locals) == 0 {
			return deleted, nil
		}
		var r ill.HoldingsResult
		err := s.InTx(ctx, func(t *Tx) (err error) {
			r, err = applyHoldings(ctx, t.tx, library, ill.HoldingsBatch{Deletes: locals}, since)
			return err
		})
		if err != nil {
			return deleted, err
		}
		deleted += r.Deleted
	}
}

// ApplyHoldingsBatch applies one batch in its own transaction (illctl
// import; the queue path goes through the holdings consumer's Tx).
func (s *Store) ApplyHoldingsBatch(ctx context.Context, library string, b ill.HoldingsBatch, at time.Time) (ill.HoldingsResult, error) {
	var res ill.HoldingsResult
	if _, err := s.Library(ctx, library); err != nil {
		return res, classify(err)
	}
	err := s.InTx(ctx, func(t *Tx) (err error) {
		res, err = applyHoldings(ctx, t.tx, library, b, at)
		return err
	})
	return res, err
}

// Reads of one member's copies of a record: its first local id, its best
// local id (available copies first), and the record of a local id. Locks:
// none.
const (
	firstLocalIDSQL = `SELECT local_id FROM holdings WHERE library_code = ? AND record_id = ?
	ORDER BY local_id LIMIT 1`
	bestLocalIDSQL = `SELECT local_id FROM holdings WHERE library_code = ? AND record_id = ?
	ORDER BY available DESC, local_id LIMIT 1`
	recordByLocalIDSQL = `SELECT record_id FROM holdings WHERE library_code = ? AND local_id = ?`
)

// LocalID returns a library's own record id for a union record ("" if none).
func (t *Tx) LocalID(ctx context.Context, library string, recordID int64) (string, error) {
	var id string
	err := t.tx.GetContext(ctx, &id, firstLocalIDSQL, library, recordID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// LocalIDOf returns a lender's own id for a union record ("" when it has
// no holding of it): supplierUniqueRecordId in the request sent to it.
func (t *Tx) LocalIDOf(ctx context.Context, library string, recordID int64) (string, error) {
	var id string
	err := t.tx.GetContext(ctx, &id, bestLocalIDSQL, library, recordID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// RecordByLocalID maps a member's own record id (supplierUniqueRecordId)
// to the union record; 0 when unknown.
func (s *Store) RecordByLocalID(ctx context.Context, library, localID string) (int64, error) {
	var id int64
	err := s.DB.GetContext(ctx, &id, recordByLocalIDSQL, library, localID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, classify(err)
}
