package mysql

// The catalogue search index (docs/catalog.md): record_search holds, per
// record, its folded title/author, year and holdings/availability counts;
// record_terms holds its bigrams keyed (term, rk, record_id) with
// rk = -holdings, so each term's postings are stored in rank order.
//
// refreshRecords keeps both in step with records and holdings: call it in
// the transaction that changed a record's holdings or text.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/balis/illhub/ill"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

type searchRow struct {
	RecordID   int64  `db:"record_id"`
	RK         int    `db:"rk"`
	Holdings   int    `db:"holdings"`
	Available  int    `db:"available"`
	Year       int    `db:"year"`
	TitleFold  string `db:"title_fold"`
	AuthorFold string `db:"author_fold"`
}

func (r searchRow) terms() []ill.Term {
	ts := ill.Bigrams(r.TitleFold)
	seen := make(map[ill.Term]bool, len(ts))
	for _, t := range ts {
		seen[t] = true
	}
	for _, t := range ill.Bigrams(r.AuthorFold) {
		if !seen[t] {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	return ts
}

// refreshRecords recomputes the search rows and terms of the given records
// from records and holdings. It first locks (or creates and locks) their
// record_search rows in id order, then counts holdings: two transactions
// changing the same record's holdings serialise on that row, and the later
// one counts after the earlier committed (READ COMMITTED), so the counts are
// never stale. Terms are rewritten only when the rank or the text changed.
func refreshRecords(ctx context.Context, ex sqlx.ExtContext, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for lo := 0; lo < len(ids); lo += 500 {
		if err := refreshChunk(ctx, ex, ids[lo:min(lo+500, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

// The statements of refreshChunk, in the caller's transaction, in this
// order:
//   - ensureSearchRowsSQL (followed by one "(?)" per record) creates the
//     missing record_search rows; lockSearchRowsSQL then locks them in id
//     order (FOR UPDATE, until commit): the serialisation point of two
//     transactions refreshing the same record.
//   - searchCountsSQL reads the records' text and holdings counts (plain
//     read: at READ COMMITTED it sees what committed before it).
//   - deleteSearchRowSQL (a record that is gone) and deleteTermsSQL (a
//     record's old postings, an IN list of terms) delete by primary key,
//     locking what they delete.
//   - insertTermsSQL and upsertSearchRowsSQL/upsertSearchRowsUpdateSQL
//     (value rows appended by insertMany) write the new postings and rows,
//     locking them by primary key (a posting that exists: a shared lock).
const (
	ensureSearchRowsSQL = `INSERT IGNORE INTO record_search (record_id) VALUES `
	lockSearchRowsSQL   = `SELECT record_id, rk, holdings, available, year, title_fold, author_fold
	FROM record_search WHERE record_id IN (?) ORDER BY record_id FOR UPDATE`
	searchCountsSQL = `SELECT r.id AS record_id, r.title AS title_fold, r.author AS author_fold, r.year,
	(SELECT COUNT(*) FROM holdings h WHERE h.record_id = r.id) AS holdings,
	(SELECT COALESCE(SUM(h.available), 0) FROM holdings h WHERE h.record_id = r.id) AS available,
	0 AS rk
	FROM records r WHERE r.id IN (?)`
	deleteSearchRowSQL  = `DELETE FROM record_search WHERE record_id = ?`
	deleteTermsSQL      = `DELETE FROM record_terms WHERE record_id = ? AND rk = ? AND term IN (?)`
	insertTermsSQL      = `INSERT IGNORE INTO record_terms (term, rk, record_id) VALUES `
	upsertSearchRowsSQL = `INSERT INTO record_search (record_id, rk, holdings, available, year, title_fold,
	author_fold) VALUES `
	upsertSearchRowsUpdateSQL = ` ON DUPLICATE KEY UPDATE rk = VALUES(rk), holdings = VALUES(holdings),
	available = VALUES(available), year = VALUES(year), title_fold = VALUES(title_fold),
	author_fold = VALUES(author_fold)`
)

func refreshChunk(ctx context.Context, ex sqlx.ExtContext, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ins := strings.TrimSuffix(strings.Repeat("(?),", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if _, err := ex.ExecContext(ctx, ensureSearchRowsSQL+ins, args...); err != nil {
		return err
	}
	q, qa, err := sqlx.In(lockSearchRowsSQL, ids)
	if err != nil {
		return err
	}
	var old []searchRow
	if err := sqlx.SelectContext(ctx, ex, &old, q, qa...); err != nil {
		return err
	}
	q, qa, err = sqlx.In(searchCountsSQL, ids)
	if err != nil {
		return err
	}
	var cur []searchRow
	if err := sqlx.SelectContext(ctx, ex, &cur, q, qa...); err != nil {
		return err
	}
	byID := make(map[int64]searchRow, len(old))
	for _, o := range old {
		byID[o.RecordID] = o
	}
	var drops []searchRow
	var adds []searchRow
	var ups []searchRow
	for _, c := range cur {
		c.TitleFold, c.AuthorFold = ill.Fold(c.TitleFold), ill.Fold(c.AuthorFold)
		c.TitleFold, c.AuthorFold = truncate(c.TitleFold, 400), truncate(c.AuthorFold, 200)
		c.RK = -c.Holdings
		o := byID[c.RecordID]
		if o != c {
			ups = append(ups, c)
		}
		if o.RK != c.RK || o.TitleFold != c.TitleFold || o.AuthorFold != c.AuthorFold {
			drops = append(drops, o)
			adds = append(adds, c)
		}
		delete(byID, c.RecordID)
	}
	for _, o := range byID { // the record itself is gone
		drops = append(drops, o)
		if _, err := ex.ExecContext(ctx, deleteSearchRowSQL, o.RecordID); err != nil {
			return err
		}
	}
	for _, o := range drops {
		ts := o.terms()
		if len(ts) == 0 {
			continue
		}
		q, qa, err := sqlx.In(deleteTermsSQL, o.RecordID, o.RK, termArgs(ts))
		if err != nil {
			return err
		}
		if _, err := ex.ExecContext(ctx, q, qa...); err != nil {
			return err
		}
	}
	var rows [][]any
	for _, c := range adds {
		for _, t := range c.terms() {
			rows = append(rows, []any{uint64(t), c.RK, c.RecordID})
		}
	}
	if err := insertMany(ctx, ex, insertTermsSQL, 3, rows, 1000); err != nil {
		return err
	}
	rows = rows[:0]
	for _, c := range ups {
		rows = append(rows, []any{c.RecordID, c.RK, c.Holdings, c.Available, c.Year, c.TitleFold, c.AuthorFold})
	}
	return insertMany(ctx, ex, upsertSearchRowsSQL, 7, rows, 500, upsertSearchRowsUpdateSQL)
}

func termArgs(ts []ill.Term) []uint64 {
	out := make([]uint64, len(ts))
	for i, t := range ts {
		out[i] = uint64(t)
	}
	return out
}

// RefreshRecords brings the search index of the given records up to date
// (after rows were written to records/holdings outside ApplyHoldings, e.g.
// by the demo loader).
func (s *Store) RefreshRecords(ctx context.Context, ids []int64) error {
	return s.InTx(ctx, func(t *Tx) error { return refreshRecords(ctx, t.tx, ids) })
}

// The statements of RebuildSearchIndex, each a statement of its own
// (autocommit, no transaction): it reads records (countRecordsSQL,
// recordsPageSQL) and holdings counts (holdingsCountsSQL) without locks,
// rewrites stale match keys (updateMatchKeySQL, one record row at a time),
// fills side tables (created empty, then newSearchRowsSQL and
// loadTermsSQL or newTermsSQL, which nobody else reads or locks), swaps
// them in with swapSearchIndexSQL (one atomic RENAME under a metadata
// lock: searches wait for it, briefly) and drops the old tables
// (dropTableSQL, followed by a table name).
const (
	countRecordsSQL = `SELECT COUNT(*) FROM records`
	recordsPageSQL  = `SELECT id, title, author, publisher, year, match_key FROM records
	WHERE id > ? ORDER BY id LIMIT 5000`
	holdingsCountsSQL = `SELECT record_id, COUNT(*) AS holdings, COALESCE(SUM(available), 0)
	AS available FROM holdings WHERE record_id BETWEEN ? AND ? GROUP BY record_id`
	updateMatchKeySQL = `UPDATE records SET match_key = ? WHERE id = ?`
	newSearchRowsSQL  = `INSERT INTO record_search_new (record_id, rk, holdings, available, year,
	title_fold, author_fold) VALUES `
	// loadTermsSQL loads the postings from the reader registered as
	// Reader::%s (LOAD DATA LOCAL INFILE, when the server allows it);
	// emptyNewTermsSQL clears what it loaded when it failed half way.
	loadTermsSQL = `LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE record_terms_new
	FIELDS TERMINATED BY '\t' LINES TERMINATED BY '\n' (term, rk, record_id)`
	emptyNewTermsSQL   = `TRUNCATE TABLE record_terms_new`
	newTermsSQL        = `INSERT INTO record_terms_new (term, rk, record_id) VALUES `
	swapSearchIndexSQL = `RENAME TABLE record_search TO record_search_old, record_search_new TO record_search,
	record_terms TO record_terms_old, record_terms_new TO record_terms`
	dropTableSQL = `DROP TABLE IF EXISTS `
)

// The side tables of a rebuild, created empty (after dropping those a
// rebuild that stopped half way left behind).
const (
	dropNewSearchSQL   = `DROP TABLE IF EXISTS record_search_new`
	dropNewTermsSQL    = `DROP TABLE IF EXISTS record_terms_new`
	createNewSearchSQL = `CREATE TABLE record_search_new LIKE record_search`
	createNewTermsSQL  = `CREATE TABLE record_terms_new LIKE record_terms`
)

// RebuildSearchIndex rebuilds record_search and record_terms from records
// and holdings (`illctl catalog reindex`): the new index is built in side
// tables in key order and swapped in with one atomic RENAME TABLE, so
// searches keep working meanwhile. Holdings changes applied while it runs
// may be missed by the new index: run it when the holdings queue is idle
// (or run it again). It also recomputes records.match_key with the current
// ill.TitleKey. progress (optional) gets records done and the total.
func (s *Store) RebuildSearchIndex(ctx context.Context, progress func(done, total int)) (records, terms int, err error) {
	defer func() { err = classify(err) }()
	db := s.DB
	var total int
	if err := db.GetContext(ctx, &total, countRecordsSQL); err != nil {
		return 0, 0, err
	}
	for _, stmt := range []string{dropNewSearchSQL, dropNewTermsSQL, createNewSearchSQL, createNewTermsSQL} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return 0, 0, err
		}
	}
	type posting struct {
		term ill.Term
		rk   int32
		id   int64
	}
	var all []posting
	var last int64
	for {
		var rs []struct {
			ID        int64  `db:"id"`
			Title     string `db:"title"`
			Author    string `db:"author"`
			Publisher string `db:"publisher"`
			Year      int    `db:"year"`
			MatchKey  string `db:"match_key"`
		}
		if err := db.SelectContext(ctx, &rs, recordsPageSQL, last); err != nil {
			return 0, 0, err
		}
		if len(rs) == 0 {
			break
		}
		lo, hi := rs[0].ID, rs[len(rs)-1].ID
		var aggs []struct {
			ID        int64 `db:"record_id"`
			Holdings  int   `db:"holdings"`
			Available int   `db:"available"`
		}
		if err := db.SelectContext(ctx, &aggs, holdingsCountsSQL, lo, hi); err != nil {
			return 0, 0, err
		}
		agg := make(map[int64][2]int, len(aggs))
		for _, a := range aggs {
			agg[a.ID] = [2]int{a.Holdings, a.Available}
		}
		var rows [][]any
		for _, r := range rs {
			a := agg[r.ID]
			row := searchRow{RecordID: r.ID, RK: -a[0], Holdings: a[0], Available: a[1], Year: r.Year,
				TitleFold: truncate(ill.Fold(r.Title), 400), AuthorFold: truncate(ill.Fold(r.Author), 200)}
			rows = append(rows, []any{row.RecordID, row.RK, row.Holdings, row.Available, row.Year, row.TitleFold, row.AuthorFold})
			for _, t := range row.terms() {
				all = append(all, posting{t, int32(row.RK), r.ID})
			}
			if k := ill.TitleKey(r.Title, r.Author, r.Publisher, r.Year); k != r.MatchKey {
				if _, err := db.ExecContext(ctx, updateMatchKeySQL, k, r.ID); err != nil {
					return 0, 0, err
				}
			}
		}
		if err := insertMany(ctx, db, newSearchRowsSQL, 7, rows, 1000); err != nil {
			return 0, 0, err
		}
		records += len(rs)
		last = hi
		if progress != nil {
			progress(records, total)
		}
	}
	slices.SortFunc(all, func(a, b posting) int {
		switch {
		case a.term != b.term:
			if a.term < b.term {
				return -1
			}
			return 1
		case a.rk != b.rk:
			return int(a.rk - b.rk)
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	// LOAD DATA LOCAL INFILE from memory when the server allows it (several
	// times faster than INSERTs); otherwise multi-row INSERTs, in key order.
	loaded := false
	if len(all) > 0 {
		name := fmt.Sprintf("illhub-postings-%p", &all)
		gomysql.RegisterReaderHandler(name, func() io.Reader {
			pr, pw := io.Pipe()
			go func() {
				bw := bufio.NewWriterSize(pw, 1<<20)
				for _, p := range all {
					fmt.Fprintf(bw, "%d\t%d\t%d\n", uint64(p.term), p.rk, p.id)
				}
				pw.CloseWithError(bw.Flush())
			}()
			return pr
		})
		_, err := db.ExecContext(ctx, fmt.Sprintf(loadTermsSQL, name))
		gomysql.DeregisterReaderHandler(name)
		if err == nil {
			loaded = true
		} else if _, err := db.ExecContext(ctx, emptyNewTermsSQL); err != nil {
			return 0, 0, err
		}
	}
	const per = 4000
	rows := make([][]any, 0, per)
	for lo := 0; lo < len(all) && !loaded; lo += per {
		rows = rows[:0]
		for _, p := range all[lo:min(lo+per, len(all))] {
			rows = append(rows, []any{uint64(p.term), p.rk, p.id})
		}
		if err := insertMany(ctx, db, newTermsSQL, 3, rows, per); err != nil {
			return 0, 0, err
		}
	}
	if _, err := db.ExecContext(ctx, swapSearchIndexSQL); err != nil {
		return 0, 0, fmt.Errorf("mysql: swap search index: %w", err)
	}
	for _, t := range []string{"record_search_old", "record_terms_old"} {
		if _, err := db.ExecContext(ctx, dropTableSQL+t); err != nil {
			return 0, 0, err
		}
	}
	return records, len(all), nil
}
