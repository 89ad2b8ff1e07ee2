package mysql

// The demo dataset (package demo generates it): its members, credentials
// and readers (tables libraries, api_keys, courier_keys, patrons) and its
// union catalogue with the members' holdings (records, holdings), written
// in bulk with multi-row upserts, and the search index of the records
// written (record_search, record_terms).

import (
	"context"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// DemoMembers are the demo dataset's member libraries, their credentials
// and their readers, as LoadDemoMembers writes them.
type DemoMembers struct {
	// Libraries are upserted by code with every policy column; Email is
	// stored only when the library is new (a member's address, like its
	// webhook and ISO 18626 endpoint, is kept once set). WebhookURL,
	// WebhookSecret, ISOEndpoint, CourierDays and the ISO 18626
	// registration are not written.
	Libraries []ill.Library
	// Keys are stored as ill.HashKey(Key): a courier grant (Owner
	// ill.CourierOwner) in courier_keys, any other in api_keys for its
	// owner (a centre key when Owner is ill.CentreCode). A key that exists
	// is made active again and, in api_keys, given the grant's owner and
	// label.
	Keys []ill.KeyGrant
	// Readers are upserted by library and card number; PINHash is not
	// written (a reader's PIN is kept).
	Readers []ill.Reader
}

// DemoRecord is a union record of the demo catalogue with its members'
// holdings, as LoadDemoRecords writes it. Record.ID is ignored: the row is
// found by ISBN-13 or, for a record without one, by its title key
// (ill.TitleKey), and created when missing.
type DemoRecord struct {
	ill.Record
	Holdings []DemoHolding
}

// DemoHolding is one member's holding of a DemoRecord (table holdings).
type DemoHolding struct {
	Library    string // member code
	LocalID    string // the member's own record id, unique within the member
	CallNumber string
	Copies     int
	Available  int // copies on the shelf, 0..Copies
	Lendable   bool
}

// The statements of LoadDemoMembers, in one transaction (READ COMMITTED,
// InTx); the multi-row upserts are completed by insertMany (the value rows)
// and end with their ON DUPLICATE KEY UPDATE part (…UpdateSQL). Each locks
// the rows it writes until commit: upsertDemoLibrariesSQL the library rows
// by primary key (code), upsertDemoPatronsSQL the patron rows by primary
// key (library_code, patron_id), so that a submit for a demo reader waits
// for the load; upsertDemoKeysSQL and upsertDemoCourierKeySQL the key rows,
// with an exclusive next-key lock on uq_key_hash / uq_courier_key_hash
// where the hash exists (a gap lock even at READ COMMITTED).
const (
	upsertDemoLibrariesSQL = `INSERT INTO libraries (code, name_zh, name_en, iso_symbol, lending,
	deposit_required, loan_months, recall_days, fine_per_day_fen, damage_fee_fen, loss_fee_fen, locale, email,
	courier_cutoff) VALUES `
	upsertDemoLibrariesUpdateSQL = ` ON DUPLICATE KEY UPDATE name_zh = VALUES(name_zh), name_en = VALUES(name_en),
	iso_symbol = VALUES(iso_symbol), lending = VALUES(lending), deposit_required = VALUES(deposit_required),
	loan_months = VALUES(loan_months), recall_days = VALUES(recall_days), fine_per_day_fen = VALUES(fine_per_day_fen),
	damage_fee_fen = VALUES(damage_fee_fen), loss_fee_fen = VALUES(loss_fee_fen), locale = VALUES(locale),
	courier_cutoff = VALUES(courier_cutoff)`
	upsertDemoKeysSQL       = `INSERT INTO api_keys (key_hash, library_code, is_centre, label) VALUES `
	upsertDemoKeysUpdateSQL = ` ON DUPLICATE KEY UPDATE library_code = VALUES(library_code),
	is_centre = VALUES(is_centre), label = VALUES(label), revoked_at = NULL`
	upsertDemoCourierKeySQL = `INSERT INTO courier_keys (key_hash, label) VALUES (?, ?)
	ON DUPLICATE KEY UPDATE revoked_at = NULL`
	upsertDemoPatronsSQL = `INSERT INTO patrons (library_code, patron_id, name, email, deposit_paid,
	updated_at) VALUES `
	upsertDemoPatronsUpdateSQL = ` ON DUPLICATE KEY UPDATE name = VALUES(name), email = VALUES(email),
	deposit_paid = VALUES(deposit_paid), updated_at = VALUES(updated_at)`
)

// LoadDemoMembers upserts the demo members, their keys and their readers
// in one transaction (retried on deadlock like every InTx): the libraries
// and the API keys in one statement each, the readers at most per rows per
// statement (per < 1: all in one). It is idempotent: it
// upserts by natural key (library code, key hash, library and card
// number), so running it again adds no rows and restores the demo values,
// revoked demo keys included; rows it does not name are left alone. at
// stamps the readers' updated_at.
//
// Only the demo loader calls it: the keys it activates are public.
func (s *Store) LoadDemoMembers(ctx context.Context, m DemoMembers, at time.Time, per int) error {
	defer s.dir.Forget()
	at = at.UTC()
	libs := make([][]any, len(m.Libraries))
	for i, l := range m.Libraries {
		libs[i] = []any{l.Code, l.NameZH, l.NameEN, l.ISOSymbol, l.Lending, l.DepositRequired, l.LoanMonths,
			l.RecallDays, l.FinePerDayFen, l.DamageFeeFen, l.LossFeeFen, l.Locale, l.Email, l.CourierCutoff}
	}
	var keys, courier [][]any
	for _, g := range m.Keys {
		if g.Courier() {
			courier = append(courier, []any{ill.HashKey(g.Key), g.Label})
			continue
		}
		keys = append(keys, []any{ill.HashKey(g.Key), g.Owner, g.Centre(), g.Label})
	}
	readers := make([][]any, len(m.Readers))
	for i, r := range m.Readers {
		readers[i] = []any{r.Library, r.ID, r.Name, r.Email, r.DepositPaid, at}
	}
	return s.InTx(ctx, func(t *Tx) error {
		if err := insertMany(ctx, t.tx, upsertDemoLibrariesSQL, 14, libs, rowsPer(0, len(libs)),
			upsertDemoLibrariesUpdateSQL); err != nil {
			return fmt.Errorf("libraries: %w", err)
		}
		if err := insertMany(ctx, t.tx, upsertDemoKeysSQL, 4, keys, rowsPer(0, len(keys)),
			upsertDemoKeysUpdateSQL); err != nil {
			return fmt.Errorf("api keys: %w", err)
		}
		for _, c := range courier {
			if _, err := t.tx.ExecContext(ctx, upsertDemoCourierKeySQL, c...); err != nil {
				return fmt.Errorf("courier key: %w", err)
			}
		}
		if err := insertMany(ctx, t.tx, upsertDemoPatronsSQL, 6, readers, rowsPer(per, len(readers)),
			upsertDemoPatronsUpdateSQL); err != nil {
			return fmt.Errorf("patrons: %w", err)
		}
		return nil
	})
}

// The statements of LoadDemoRecords, in one transaction (READ COMMITTED,
// InTx). Plain reads (no locks), their IN lists expanded by sqlx.In:
// demoRecordsByISBNSQL and demoRecordsByMatchKeySQL, the ids of records by
// ISBN-13 and, among records without one, by title key (the oldest when
// several share it). Writes, each locking its rows until commit:
// insertDemoRecordsSQL (the value rows insertMany appends) locks the new
// records; followed by upsertDemoRecordsUpdateSQL, for the records with an
// ISBN, it also locks the existing ones it updates, with an exclusive
// next-key lock on uq_records_isbn where the ISBN exists (a gap lock even
// at READ COMMITTED); updateDemoRecordSQL locks one record by primary key;
// the holdings
// upsert (upsertHoldingsSQL, holdings.go) locks the holding rows by primary
// key. The search index refresh (refreshRecords) then locks the records'
// record_search rows in id order.
const (
	demoRecordsByISBNSQL     = `SELECT id, isbn13 AS k FROM records WHERE isbn13 IN (?)`
	demoRecordsByMatchKeySQL = `SELECT MIN(id) AS id, match_key AS k FROM records
	WHERE isbn13 IS NULL AND match_key IN (?) GROUP BY match_key`
	insertDemoRecordsSQL = `INSERT INTO records (isbn13, title, author, publisher, year, language, material,
	clc, match_key) VALUES `
	upsertDemoRecordsUpdateSQL = ` ON DUPLICATE KEY UPDATE title = VALUES(title), author = VALUES(author),
	publisher = VALUES(publisher), year = VALUES(year), language = VALUES(language),
	material = VALUES(material), clc = VALUES(clc), match_key = VALUES(match_key)`
	updateDemoRecordSQL = `UPDATE records SET language = ?, material = ?, clc = ? WHERE id = ?`
)

// LoadDemoRecords upserts one batch of demo records with their holdings in
// one transaction (retried on deadlock like every InTx), at most per rows
// per statement (per < 1: all in one), brings the search index of the
// batch's records up to date, and returns the number of holdings written.
// at stamps the holdings' updated_at.
//
// It is idempotent: a record with an ISBN-13 is upserted by it (every
// column restored); one without is matched by title key and only its
// language, material and class are restored, or it is created; holdings
// are upserted by library and local id. Running it again adds no rows;
// holdings and records it does not name are left alone.
//
// Only the demo loader calls it. It does not check the records as a
// holdings import does (ill.ValidateHolding) nor report matching
// conflicts: the demo catalogue is generated consistent.
func (s *Store) LoadDemoRecords(ctx context.Context, recs []DemoRecord, at time.Time, per int) (int, error) {
	at = at.UTC()
	var holdings int
	err := s.InTx(ctx, func(t *Tx) (err error) {
		holdings, err = loadDemoRecords(ctx, t.tx, recs, at, per)
		return err
	})
	return holdings, err
}

func loadDemoRecords(ctx context.Context, tx *txConn, recs []DemoRecord, at time.Time, per int) (int, error) {
	ids := make([]int64, len(recs))
	matchKeys := make([]string, len(recs))
	for i, r := range recs {
		matchKeys[i] = ill.TitleKey(r.Title, r.Author, r.Publisher, r.Year)
	}

	// Records with an ISBN: upsert on uq_records_isbn, then read the ids.
	var withISBN [][]any
	var isbns []string
	for i, r := range recs {
		if r.ISBN13 != "" {
			withISBN = append(withISBN, []any{r.ISBN13, r.Title, r.Author, r.Publisher, r.Year, r.Language,
				r.Material, r.CLC, matchKeys[i]})
			isbns = append(isbns, r.ISBN13)
		}
	}
	if len(withISBN) > 0 {
		if err := insertMany(ctx, tx, insertDemoRecordsSQL, 9, withISBN, rowsPer(per, len(withISBN)),
			upsertDemoRecordsUpdateSQL); err != nil {
			return 0, err
		}
		byISBN, err := demoRecordIDs(ctx, tx, demoRecordsByISBNSQL, isbns)
		if err != nil {
			return 0, err
		}
		for i, r := range recs {
			if r.ISBN13 != "" {
				ids[i] = byISBN[r.ISBN13]
			}
		}
	}

	// Records without an ISBN (journals, theses): matched by title key.
	var keys []string
	for i, r := range recs {
		if r.ISBN13 == "" {
			keys = append(keys, matchKeys[i])
		}
	}
	if len(keys) > 0 {
		byKey, err := demoRecordIDs(ctx, tx, demoRecordsByMatchKeySQL, keys)
		if err != nil {
			return 0, err
		}
		var missing [][]any
		for i, r := range recs {
			if r.ISBN13 != "" {
				continue
			}
			if id, ok := byKey[matchKeys[i]]; ok {
				if _, err := tx.ExecContext(ctx, updateDemoRecordSQL, r.Language, r.Material, r.CLC, id); err != nil {
					return 0, err
				}
				continue
			}
			missing = append(missing, []any{nil, r.Title, r.Author, r.Publisher, r.Year, r.Language, r.Material,
				r.CLC, matchKeys[i]})
		}
		if len(missing) > 0 {
			if err := insertMany(ctx, tx, insertDemoRecordsSQL, 9, missing, rowsPer(per, len(missing))); err != nil {
				return 0, err
			}
			if byKey, err = demoRecordIDs(ctx, tx, demoRecordsByMatchKeySQL, keys); err != nil {
				return 0, err
			}
		}
		for i, r := range recs {
			if r.ISBN13 == "" {
				ids[i] = byKey[matchKeys[i]]
			}
		}
	}

	var holdings [][]any
	for i, r := range recs {
		if ids[i] == 0 {
			return 0, fmt.Errorf("record %q (%s) not found after upsert", r.Title, r.ISBN13)
		}
		for _, h := range r.Holdings {
			holdings = append(holdings, []any{h.Library, h.LocalID, ids[i], h.CallNumber, h.Copies, h.Available,
				h.Lendable, at, nil, ""}) // demo holdings are books: no ISSN, no coverage
		}
	}
	if err := insertMany(ctx, tx, upsertHoldingsSQL, 10, holdings, rowsPer(per, len(holdings)),
		upsertHoldingsUpdateSQL); err != nil {
		return 0, err
	}
	return len(holdings), refreshRecords(ctx, tx, ids)
}

// demoRecordIDs runs query, which selects columns id and k with one IN (?)
// list bound to keys, and maps k to id.
func demoRecordIDs(ctx context.Context, tx *txConn, query string, keys []string) (map[string]int64, error) {
	q, args, err := sqlx.In(query, keys)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID int64  `db:"id"`
		K  string `db:"k"`
	}
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	m := make(map[string]int64, len(rows))
	for _, r := range rows {
		m[r.K] = r.ID
	}
	return m, nil
}

// rowsPer is the rows per statement for n rows when per asks for at most
// per (per < 1: all of them in one).
func rowsPer(per, n int) int {
	if per < 1 {
		return max(n, 1)
	}
	return per
}

// WorkPair is a unit of work the load tools drive: a borrowing library and
// a catalogue record it does not hold.
type WorkPair struct {
	Borrower string
	RecordID int64
}

// demoWorkPairsSQL lists the demo dataset's Chinese books with a member
// that holds no copy and needs no deposit, where another member lends an
// available copy (then demoWorkPairsNoISOSQL's condition, optionally, and
// demoWorkPairsOrderSQL). Locks: none (a plain read).
const (
	demoWorkPairsSQL = `SELECT l.code, r.id FROM records r CROSS JOIN libraries l
	WHERE r.material = 'book' AND r.language = 'chi' AND l.deposit_required = 0
	AND NOT EXISTS (SELECT 1 FROM holdings h WHERE h.record_id = r.id AND h.library_code = l.code)
	AND EXISTS (SELECT 1 FROM holdings h JOIN libraries ll ON ll.code = h.library_code
		WHERE h.record_id = r.id AND h.lendable AND h.available > 0 AND ll.lending)`
	demoWorkPairsNoISOSQL = ` AND l.iso_endpoint = '' AND NOT EXISTS (SELECT 1 FROM holdings h
		JOIN libraries li ON li.code = h.library_code WHERE h.record_id = r.id AND li.iso_endpoint <> '')`
	demoWorkPairsOrderSQL = ` ORDER BY r.id, l.code LIMIT 200000`
)

// DemoWorkPairs lists (borrower, record) pairs of the demo dataset for the
// load tools (at most 200,000): the borrower holds no copy and another
// member lends an available one. withoutISO leaves out ISO 18626 members,
// as borrowers and as holders (a drill that runs no member system for
// them). not_found when there are none (the demo dataset not loaded).
func (s *Store) DemoWorkPairs(ctx context.Context, withoutISO bool) ([]WorkPair, error) {
	q := demoWorkPairsSQL
	if withoutISO {
		q += demoWorkPairsNoISOSQL
	}
	var rows []struct {
		Lib string `db:"code"`
		Rec int64  `db:"id"`
	}
	if err := s.DB.SelectContext(ctx, &rows, q+demoWorkPairsOrderSQL); err != nil {
		return nil, classify(err)
	}
	if len(rows) == 0 {
		return nil, ill.Errorf(ill.CodeNotFound, "no work pairs: is the demo dataset loaded (illctl seed demo)?")
	}
	out := make([]WorkPair, len(rows))
	for i, r := range rows {
		out[i] = WorkPair{Borrower: r.Lib, RecordID: r.Rec}
	}
	return out, nil
}
