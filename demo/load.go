package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	illhub "github.com/balis/illhub"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/jmoiron/sqlx"
)

// DefaultBatchSize is the number of records per transaction and the maximum
// number of rows per multi-row INSERT.
const DefaultBatchSize = 500

// Options configure Load. The zero value loads the default dataset.
type Options struct {
	Books     int       // catalogue size; 0 means DefaultBooks
	BatchSize int       // records per transaction and rows per INSERT; 0 means DefaultBatchSize
	Now       time.Time // stamp for updated_at columns; zero means time.Now()
	// Progress, when set, is called after each committed catalogue batch
	// with the number of records loaded so far and the total.
	Progress func(done, total int)
}

// Summary counts the rows Load wrote (inserted or updated) per table.
type Summary struct {
	Libraries     int
	APIKeys       int // one per library plus the centre key
	Patrons       int
	Records       int
	Holdings      int
	CalendarYears int
	CalendarDays  int
	Elapsed       time.Duration
}

func (s Summary) String() string {
	return fmt.Sprintf("%d libraries, %d api keys, %d patrons, %d records, %d holdings, %d calendar days (%d years) in %s",
		s.Libraries, s.APIKeys, s.Patrons, s.Records, s.Holdings, s.CalendarDays, s.CalendarYears,
		s.Elapsed.Round(time.Millisecond))
}

// Load writes the demo dataset into a database migrated with schema.sql:
// Libraries, their demo API keys (ill.DemoKey(code), stored as
// ill.HashKey, plus the centre key ill.DemoKey(ill.CentreCode) with
// is_centre = 1), Patrons, Catalogue(opts.Books) with its holdings, and
// every national calendar embedded in configs/calendar (see Calendars).
//
// Load is idempotent: it upserts by natural key (library code, key hash,
// library + patron id, ISBN-13 or, for records without ISBN, match key,
// library + local id) so running it again adds no rows and restores the demo
// values (including availability, deposit flags and revoked demo keys:
// resetting a demo is the point; `illctl seed demo`, its only caller outside
// tests, runs only with ILL_DEMO=1, and programs without ILL_DEMO refuse to
// start while demo keys are active). It
// leaves rows it did not create alone, and keeps a library's email, webhook
// and ISO 18626 endpoint once set. A smaller Books after a larger one keeps
// the extra records. The catalogue is written in transactions of
// opts.BatchSize records with multi-row INSERTs; on error, the batches
// already committed stay (run Load again). Load does not retry deadlocks:
// run it while no holdings updates are being processed, or run it again.
func Load(ctx context.Context, db *sqlx.DB, opts Options) (Summary, error) {
	start := time.Now()
	var sum Summary
	if opts.Books < 0 || opts.BatchSize < 0 {
		return sum, errors.New("demo: Books and BatchSize must not be negative")
	}
	if opts.Books == 0 {
		opts.Books = DefaultBooks
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()

	libs := Libraries()
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := upsertLibraries(ctx, tx, libs); err != nil {
			return fmt.Errorf("libraries: %w", err)
		}
		if err := upsertKeys(ctx, tx, libs); err != nil {
			return fmt.Errorf("api keys: %w", err)
		}
		if err := upsertCourierKey(ctx, tx); err != nil {
			return fmt.Errorf("courier key: %w", err)
		}
		if err := upsertPatrons(ctx, tx, Patrons(), now, opts.BatchSize); err != nil {
			return fmt.Errorf("patrons: %w", err)
		}
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("demo: %w", err)
	}
	sum.Libraries, sum.APIKeys, sum.Patrons = len(libs), len(libs)+1, len(libs)*PatronsPerLibrary

	cys, err := Calendars()
	if err != nil {
		return sum, err
	}
	for _, cy := range cys {
		if err := LoadCalendar(ctx, db, cy); err != nil {
			return sum, err
		}
		sum.CalendarYears++
		sum.CalendarDays += len(cy.Days)
	}

	books := Catalogue(opts.Books)
	for lo := 0; lo < len(books); lo += opts.BatchSize {
		batch := books[lo:min(lo+opts.BatchSize, len(books))]
		var holdings int
		err := inTx(ctx, db, func(tx *sqlx.Tx) (err error) {
			holdings, err = loadBooks(ctx, tx, batch, now, opts.BatchSize)
			return err
		})
		if err != nil {
			return sum, fmt.Errorf("demo: catalogue records %d–%d: %w", lo+1, lo+len(batch), err)
		}
		sum.Records += len(batch)
		sum.Holdings += holdings
		if opts.Progress != nil {
			opts.Progress(sum.Records, len(books))
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// Calendars returns the national calendars embedded in configs/calendar
// (one file per year, YYYY.json), parsed and ordered by year.
func Calendars() ([]ill.CalendarYear, error) {
	names, err := fs.Glob(illhub.Configs, "configs/calendar/*.json")
	if err != nil {
		return nil, err
	}
	var cys []ill.CalendarYear
	for _, name := range names { // fs.Glob returns names in lexical, i.e. year, order
		b, err := fs.ReadFile(illhub.Configs, name)
		if err != nil {
			return nil, err
		}
		cy, err := ill.ParseCalendarYear(b)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", name, err)
		}
		cys = append(cys, cy)
	}
	return cys, nil
}

// LoadCalendar replaces one year of the national calendar in one
// transaction: the year's rows in calendar_days are deleted and cy.Days
// inserted, and the year is upserted into calendar_years with its source and
// the load time. cy must be valid as ill.ParseCalendarYear checks it (year in
// 2000–2200, every day in that year, kind holiday or workday, no day twice);
// otherwise nothing is written.
func LoadCalendar(ctx context.Context, db *sqlx.DB, cy ill.CalendarYear) error {
	if err := (&mysql.Store{DB: db, MaxAttempts: 3}).ImportCalendar(ctx, cy, time.Now()); err != nil {
		return fmt.Errorf("demo: calendar %d: %w", cy.Year, err)
	}
	return nil
}

func upsertLibraries(ctx context.Context, tx *sqlx.Tx, libs []Library) error {
	rows := make([][]any, len(libs))
	for i, l := range libs {
		rows[i] = []any{l.Code, l.NameZH, l.NameEN, l.ISOSymbol(), l.Lending, l.DepositRequired, l.LoanMonths,
			l.RecallDays, l.FinePerDayFen, l.DamageFeeFen, l.LossFeeFen, "zh", l.Email(), l.CourierCutoff}
	}
	return insertRows(ctx, tx, `INSERT INTO libraries (code, name_zh, name_en, iso_symbol, lending, deposit_required,
		loan_months, recall_days, fine_per_day_fen, damage_fee_fen, loss_fee_fen, locale, email, courier_cutoff) VALUES `,
		` ON DUPLICATE KEY UPDATE name_zh = VALUES(name_zh), name_en = VALUES(name_en), iso_symbol = VALUES(iso_symbol),
		lending = VALUES(lending), deposit_required = VALUES(deposit_required), loan_months = VALUES(loan_months),
		recall_days = VALUES(recall_days), fine_per_day_fen = VALUES(fine_per_day_fen),
		damage_fee_fen = VALUES(damage_fee_fen), loss_fee_fen = VALUES(loss_fee_fen), locale = VALUES(locale),
		courier_cutoff = VALUES(courier_cutoff)`, rows, len(rows))
}

func upsertKeys(ctx context.Context, tx *sqlx.Tx, libs []Library) error {
	rows := make([][]any, 0, len(libs)+1)
	for _, l := range libs {
		rows = append(rows, []any{ill.HashKey(ill.DemoKey(l.Code)), l.Code, false, "demo key"})
	}
	rows = append(rows, []any{ill.HashKey(ill.DemoKey(ill.CentreCode)), ill.CentreCode, true, "demo centre key"})
	return insertRows(ctx, tx, `INSERT INTO api_keys (key_hash, library_code, is_centre, label) VALUES `,
		` ON DUPLICATE KEY UPDATE library_code = VALUES(library_code), is_centre = VALUES(is_centre),
		label = VALUES(label), revoked_at = NULL`, rows, len(rows))
}

func upsertPatrons(ctx context.Context, tx *sqlx.Tx, ps []Patron, now time.Time, chunk int) error {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.Library, p.ID, p.Name, p.Email, p.DepositPaid, now}
	}
	return insertRows(ctx, tx, `INSERT INTO patrons (library_code, patron_id, name, email, deposit_paid, updated_at) VALUES `,
		` ON DUPLICATE KEY UPDATE name = VALUES(name), email = VALUES(email), deposit_paid = VALUES(deposit_paid),
		updated_at = VALUES(updated_at)`, rows, chunk)
}

// loadBooks upserts one batch of records and their holdings and returns the
// number of holdings written.
func loadBooks(ctx context.Context, tx *sqlx.Tx, books []Book, now time.Time, chunk int) (int, error) {
	ids := make([]int64, len(books))

	// Records with an ISBN: upsert on uq_records_isbn, then read the ids.
	var withISBN [][]any
	var isbns []string
	for _, b := range books {
		if b.ISBN13 != "" {
			withISBN = append(withISBN, []any{b.ISBN13, b.Title, b.Author, b.Publisher, b.Year, b.Language,
				b.Material, b.CLC, b.MatchKey()})
			isbns = append(isbns, b.ISBN13)
		}
	}
	if len(withISBN) > 0 {
		if err := insertRows(ctx, tx, `INSERT INTO records (isbn13, title, author, publisher, year, language, material,
			clc, match_key) VALUES `, ` ON DUPLICATE KEY UPDATE title = VALUES(title), author = VALUES(author),
			publisher = VALUES(publisher), year = VALUES(year), language = VALUES(language),
			material = VALUES(material), clc = VALUES(clc), match_key = VALUES(match_key)`, withISBN, chunk); err != nil {
			return 0, err
		}
		byISBN, err := idsBy(ctx, tx, `SELECT id, isbn13 AS k FROM records WHERE isbn13 IN (?)`, isbns)
		if err != nil {
			return 0, err
		}
		for i, b := range books {
			if b.ISBN13 != "" {
				ids[i] = byISBN[b.ISBN13]
			}
		}
	}

	// Records without an ISBN (journals, theses): matched by match key.
	var keys []string
	for _, b := range books {
		if b.ISBN13 == "" {
			keys = append(keys, b.MatchKey())
		}
	}
	if len(keys) > 0 {
		byKey, err := idsBy(ctx, tx, `SELECT MIN(id) AS id, match_key AS k FROM records
			WHERE isbn13 IS NULL AND match_key IN (?) GROUP BY match_key`, keys)
		if err != nil {
			return 0, err
		}
		var missing [][]any
		for _, b := range books {
			if b.ISBN13 != "" {
				continue
			}
			if id, ok := byKey[b.MatchKey()]; ok {
				if _, err := tx.ExecContext(ctx, `UPDATE records SET language = ?, material = ?, clc = ? WHERE id = ?`,
					b.Language, b.Material, b.CLC, id); err != nil {
					return 0, err
				}
				continue
			}
			missing = append(missing, []any{nil, b.Title, b.Author, b.Publisher, b.Year, b.Language, b.Material,
				b.CLC, b.MatchKey()})
		}
		if len(missing) > 0 {
			if err := insertRows(ctx, tx, `INSERT INTO records (isbn13, title, author, publisher, year, language,
				material, clc, match_key) VALUES `, "", missing, chunk); err != nil {
				return 0, err
			}
			if byKey, err = idsBy(ctx, tx, `SELECT MIN(id) AS id, match_key AS k FROM records
				WHERE isbn13 IS NULL AND match_key IN (?) GROUP BY match_key`, keys); err != nil {
				return 0, err
			}
		}
		for i, b := range books {
			if b.ISBN13 == "" {
				ids[i] = byKey[b.MatchKey()]
			}
		}
	}

	var holdings [][]any
	for i, b := range books {
		if ids[i] == 0 {
			return 0, fmt.Errorf("record %q (%s) not found after upsert", b.Title, b.ISBN13)
		}
		for _, h := range b.Holdings {
			holdings = append(holdings, []any{h.Library, h.LocalID, ids[i], h.CallNumber, h.Copies, h.Available,
				h.Lendable, now})
		}
	}
	err := insertRows(ctx, tx, `INSERT INTO holdings (library_code, local_id, record_id, call_number, copies, available,
		lendable, updated_at) VALUES `, ` ON DUPLICATE KEY UPDATE record_id = VALUES(record_id),
		call_number = VALUES(call_number), copies = VALUES(copies), available = VALUES(available),
		lendable = VALUES(lendable), updated_at = VALUES(updated_at)`, holdings, chunk)
	if err != nil {
		return 0, err
	}
	// Keep the catalogue search index (record_search, record_terms) in step.
	return len(holdings), mysql.RefreshSearchIndex(ctx, tx, ids)
}

// idsBy runs query, which selects columns id and k with one IN (?) list
// bound to keys, and maps k to id.
func idsBy(ctx context.Context, tx *sqlx.Tx, query string, keys []string) (map[string]int64, error) {
	q, args, err := sqlx.In(query, keys)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID int64  `db:"id"`
		K  string `db:"k"`
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return nil, err
	}
	m := make(map[string]int64, len(rows))
	for _, r := range rows {
		m[r.K] = r.ID
	}
	return m, nil
}

// insertRows executes head + "(?, …), (?, …)" + tail for rows, at most chunk
// rows per statement. Every row must have the same number of values.
func insertRows(ctx context.Context, tx *sqlx.Tx, head, tail string, rows [][]any, chunk int) error {
	if len(rows) == 0 {
		return nil
	}
	if chunk < 1 {
		chunk = len(rows)
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	for lo := 0; lo < len(rows); lo += chunk {
		part := rows[lo:min(lo+chunk, len(rows))]
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, len(part)*len(rows[0]))
		for i, r := range part {
			if len(r) != len(rows[0]) {
				return fmt.Errorf("insertRows: row %d has %d values, want %d", lo+i, len(r), len(rows[0]))
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			args = append(args, r...)
		}
		q.WriteString(tail)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a transaction, committing when it returns nil.
func inTx(ctx context.Context, db *sqlx.DB, fn func(*sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if rb := tx.Rollback(); rb != nil && !errors.Is(rb, sql.ErrTxDone) {
			return errors.Join(err, rb)
		}
		return err
	}
	return tx.Commit()
}
