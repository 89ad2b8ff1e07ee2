package mysql

// Delivered copies (docs/delivery.md): the files' records and download
// counts (copy_files), the suppliers' copy prices (copy_prices, history in
// library_policy_history), the centre's subsidy rules (copy_subsidies) and
// the booked copy fees (copy_fees), with the statements the delivery
// subscriber runs in the transaction of a DELIVERED transition.

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/balis/illhub/ill"
)

type copyFileRow struct {
	ID         string       `db:"id"`
	RequestID  string       `db:"request_id"`
	Library    string       `db:"library_code"`
	Key        string       `db:"file_key"`
	Size       int64        `db:"size"`
	Pages      int          `db:"pages"`
	SHA256     string       `db:"sha256"`
	UploadedBy string       `db:"uploaded_by"`
	UploadedAt time.Time    `db:"uploaded_at"`
	ExpiresAt  time.Time    `db:"expires_at"`
	Downloads  int          `db:"downloads"`
	DeletedAt  sql.NullTime `db:"deleted_at"`
}

func (r copyFileRow) domain() ill.CopyFile {
	f := ill.CopyFile{ID: r.ID, RequestID: r.RequestID, Library: r.Library, Key: r.Key, Size: r.Size, Pages: r.Pages,
		SHA256: r.SHA256, UploadedBy: r.UploadedBy, UploadedAt: r.UploadedAt, ExpiresAt: r.ExpiresAt, Downloads: r.Downloads}
	if r.DeletedAt.Valid {
		f.DeletedAt = r.DeletedAt.Time
	}
	return f
}

const copyFileColumns = `f.id, f.request_id, f.library_code, f.file_key, f.size, f.pages, f.sha256, f.uploaded_by,
	f.uploaded_at, f.expires_at, f.downloads, f.deleted_at`

// addCopyFileSQL records an uploaded file. Locks: the new row, for the
// statement.
const addCopyFileSQL = `INSERT INTO copy_files (id, request_id, library_code, file_key, size, pages, sha256,
	uploaded_by, uploaded_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AddCopyFile implements ill.CopyFiles.
func (s *Store) AddCopyFile(ctx context.Context, f ill.CopyFile) error {
	_, err := s.DB.ExecContext(ctx, addCopyFileSQL, f.ID, f.RequestID, f.Library, f.Key, f.Size, f.Pages, f.SHA256,
		truncate(f.UploadedBy, 100), f.UploadedAt.UTC(), f.ExpiresAt.UTC())
	return classify(err)
}

// copyFileSQL reads one file. Locks: none.
const copyFileSQL = `SELECT ` + copyFileColumns + ` FROM copy_files f WHERE f.id = ?`

// CopyFile implements ill.CopyFiles.
func (s *Store) CopyFile(ctx context.Context, id string) (ill.CopyFile, error) {
	var r copyFileRow
	err := s.DB.GetContext(ctx, &r, copyFileSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.CopyFile{}, notFound("file", id)
	}
	if err != nil {
		return ill.CopyFile{}, classify(err)
	}
	return r.domain(), nil
}

// copyFilesOfSQL lists a request's files. Locks: none.
const copyFilesOfSQL = `SELECT ` + copyFileColumns + ` FROM copy_files f WHERE f.request_id = ?
	ORDER BY f.uploaded_at, f.id`

// CopyFilesOf implements ill.CopyFiles.
func (s *Store) CopyFilesOf(ctx context.Context, requestID string) ([]ill.CopyFile, error) {
	var rows []copyFileRow
	if err := s.DB.SelectContext(ctx, &rows, copyFilesOfSQL, requestID); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.CopyFile, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// countDownloadSQL counts one download if the file is still stored, not
// expired and under the limit. Locks: the file row (primary key), for the
// statement: concurrent downloads queue and each sees the others' counts.
const countDownloadSQL = `UPDATE copy_files SET downloads = downloads + 1
	WHERE id = ? AND deleted_at IS NULL AND expires_at > ? AND downloads < ?`

// CountDownload implements ill.CopyFiles.
func (s *Store) CountDownload(ctx context.Context, id string, limit int, now time.Time) (ill.CopyFile, error) {
	res, err := s.DB.ExecContext(ctx, countDownloadSQL, id, now.UTC(), limit)
	if err != nil {
		return ill.CopyFile{}, classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return ill.CopyFile{}, classify(err)
	}
	f, err := s.CopyFile(ctx, id)
	if err != nil || n == 1 {
		return f, err
	}
	if err := f.CheckDownload(now, limit); err != nil {
		return f, err
	}
	// Counted by none yet refused: a concurrent download took the last
	// one between the statements.
	return f, ill.Errorf(ill.CodeLinkExpired, "the file was downloaded %d times, the limit", limit)
}

// expiredCopyFilesSQL lists stored files past their expiry. Locks: none
// (MarkCopyFileDeleted decides which sweep wins).
const expiredCopyFilesSQL = `SELECT ` + copyFileColumns + ` FROM copy_files f
	WHERE f.deleted_at IS NULL AND f.expires_at <= ? ORDER BY f.expires_at, f.id LIMIT ?`

// ExpiredCopyFiles implements ill.CopyFiles.
func (s *Store) ExpiredCopyFiles(ctx context.Context, now time.Time, limit int) ([]ill.CopyFile, error) {
	var rows []copyFileRow
	if err := s.DB.SelectContext(ctx, &rows, expiredCopyFilesSQL, now.UTC(), limit); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.CopyFile, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// markCopyFileDeletedSQL marks a file deleted once. Locks: the file row,
// until commit.
const markCopyFileDeletedSQL = `UPDATE copy_files SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`

// MarkCopyFileDeleted implements ill.CopyFiles.
func (s *Store) MarkCopyFileDeleted(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, markCopyFileDeletedSQL, at.UTC(), id)
	if err != nil {
		return false, classify(err)
	}
	n, err := res.RowsAffected()
	return n == 1, classify(err)
}

// MarkCopyFileDeleted marks file id deleted in the transaction (false when
// another sweep did); the expiry job adds the timeline line and the
// close_delivery message in the same transaction.
func (t *Tx) MarkCopyFileDeleted(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, markCopyFileDeletedSQL, at.UTC(), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

type readerDownloadRow struct {
	copyFileRow
	Title string `db:"title"`
	State string `db:"state"`
}

// readerDownloadsSQL lists the files delivered for one reader's requests.
// Locks: none.
const readerDownloadsSQL = `SELECT ` + copyFileColumns + `, r.title, r.state
	FROM requests r JOIN copy_files f ON f.request_id = r.id
	WHERE r.borrower = ? AND r.patron_id = ? ORDER BY f.uploaded_at DESC, f.id DESC LIMIT 200`

// ReaderDownloads implements ill.CopyFiles.
func (s *Store) ReaderDownloads(ctx context.Context, library, patronID string) ([]ill.ReaderDownload, error) {
	var rows []readerDownloadRow
	if err := s.DB.SelectContext(ctx, &rows, readerDownloadsSQL, library, patronID); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.ReaderDownload, len(rows))
	for i, r := range rows {
		out[i] = ill.ReaderDownload{File: r.domain(), Title: r.Title, State: ill.State(r.State)}
	}
	return out, nil
}

// Copy prices and subsidies.

// copyPriceSQL reads a supplier's copy price. Locks: none.
const copyPriceSQL = `SELECT unit, price_fen FROM copy_prices WHERE library_code = ?`

// lockCopyPriceSQL reads it for an edit. Locks: the library row of
// libraries (primary key), until commit, so that concurrent edits of one
// library's prices queue (and not_found tells a non-member).
const lockCopyPriceSQL = `SELECT COALESCE(p.unit, 'page') AS unit, COALESCE(p.price_fen, 0) AS price_fen
	FROM libraries l LEFT JOIN copy_prices p ON p.library_code = l.code WHERE l.code = ? FOR UPDATE`

// setCopyPriceSQL writes a supplier's copy price. Locks: the copy_prices
// row, until commit.
const setCopyPriceSQL = `INSERT INTO copy_prices (library_code, unit, price_fen) VALUES (?, ?, ?)
	ON DUPLICATE KEY UPDATE unit = VALUES(unit), price_fen = VALUES(price_fen)`

type copyPriceRow struct {
	Unit     string `db:"unit"`
	PriceFen int    `db:"price_fen"`
}

// CopyPrice implements ill.CopyFees.
func (s *Store) CopyPrice(ctx context.Context, library string) (ill.CopyPrice, error) {
	var r copyPriceRow
	err := s.DB.GetContext(ctx, &r, copyPriceSQL, library)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.CopyPrice{Unit: ill.PerPage}, nil
	}
	if err != nil {
		return ill.CopyPrice{}, classify(err)
	}
	return ill.CopyPrice{Unit: ill.CopyPriceUnit(r.Unit), PriceFen: r.PriceFen}, nil
}

// SetCopyPrice implements ill.CopyFees.
func (s *Store) SetCopyPrice(ctx context.Context, library string, p ill.CopyPrice, by string, at time.Time) ([]ill.PolicyChange, error) {
	var changes []ill.PolicyChange
	err := s.InTx(ctx, func(tx *Tx) error {
		changes = nil
		var cur copyPriceRow
		err := tx.tx.GetContext(ctx, &cur, lockCopyPriceSQL, library)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("library", library)
		}
		if err != nil {
			return err
		}
		changes = ill.CopyPrice{Unit: ill.CopyPriceUnit(cur.Unit), PriceFen: cur.PriceFen}.Changes(p)
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.tx.ExecContext(ctx, setCopyPriceSQL, library, string(p.Unit), p.PriceFen); err != nil {
			return err
		}
		return tx.recordPolicyChanges(ctx, changes, library, by, at)
	})
	if err != nil {
		return nil, classify(err)
	}
	return changes, nil
}

// subsidyRulesSQL lists the centre's subsidy rules. Locks: none.
const subsidyRulesSQL = `SELECT category, kind, value FROM copy_subsidies ORDER BY category`

type subsidyRow struct {
	Category string `db:"category"`
	Kind     string `db:"kind"`
	Value    int    `db:"value"`
}

func subsidyRules(rows []subsidyRow) []ill.SubsidyRule {
	out := make([]ill.SubsidyRule, len(rows))
	for i, r := range rows {
		out[i] = ill.SubsidyRule{Category: ill.ReaderCategory(r.Category), Kind: ill.SubsidyKind(r.Kind), Value: r.Value}
	}
	return out
}

// SubsidyRules implements ill.CopyFees.
func (s *Store) SubsidyRules(ctx context.Context) ([]ill.SubsidyRule, error) {
	var rows []subsidyRow
	if err := s.DB.SelectContext(ctx, &rows, subsidyRulesSQL); err != nil {
		return nil, classify(err)
	}
	return subsidyRules(rows), nil
}

// lockSubsidySQL reads one category's rule for an edit. Locks: the row
// (or the gap where it would be), until commit.
const lockSubsidySQL = `SELECT category, kind, value FROM copy_subsidies WHERE category = ? FOR UPDATE`

// setSubsidySQL writes one category's rule. Locks: the row, until commit.
const setSubsidySQL = `INSERT INTO copy_subsidies (category, kind, value) VALUES (?, ?, ?)
	ON DUPLICATE KEY UPDATE kind = VALUES(kind), value = VALUES(value)`

// SubsidyField is how the policy history names the subsidy rule of a
// category (library CENTRE): "copy_subsidy_<category>", values
// "<kind>:<value>".
func SubsidyField(c ill.ReaderCategory) string { return "copy_subsidy_" + string(c) }

// SetSubsidyRule implements ill.CopyFees.
func (s *Store) SetSubsidyRule(ctx context.Context, r ill.SubsidyRule, by string, at time.Time) error {
	return classify(s.InTx(ctx, func(tx *Tx) error {
		var cur subsidyRow
		old := ""
		err := tx.tx.GetContext(ctx, &cur, lockSubsidySQL, string(r.Category))
		switch {
		case err == nil:
			old = cur.Kind + ":" + strconv.Itoa(cur.Value)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		next := string(r.Kind) + ":" + strconv.Itoa(r.Value)
		if old == next {
			return nil
		}
		if _, err := tx.tx.ExecContext(ctx, setSubsidySQL, string(r.Category), string(r.Kind), r.Value); err != nil {
			return err
		}
		_, err = tx.tx.ExecContext(ctx, addPolicyChangeSQL, ill.CentreCode, SubsidyField(r.Category), old, next,
			truncate(by, 100), at.UTC())
		return err
	}))
}

// Copy fees.

type copyFeeRow struct {
	RequestID   string    `db:"request_id"`
	Supplier    string    `db:"supplier"`
	Borrower    string    `db:"borrower"`
	PatronID    string    `db:"patron_id"`
	Category    string    `db:"category"`
	Pages       int       `db:"pages"`
	Unit        string    `db:"unit"`
	PriceFen    int       `db:"price_fen"`
	ChargeFen   int       `db:"charge_fen"`
	SubsidyKind string    `db:"subsidy_kind"`
	SubsidyFen  int       `db:"subsidy_fen"`
	ReaderFen   int       `db:"reader_fen"`
	CreatedAt   time.Time `db:"created_at"`
	Title       string    `db:"title"`
}

func (r copyFeeRow) domain() ill.CopyFee {
	return ill.CopyFee{RequestID: r.RequestID, Supplier: r.Supplier, Borrower: r.Borrower, PatronID: r.PatronID,
		Category: ill.ReaderCategory(r.Category), Pages: r.Pages, Unit: ill.CopyPriceUnit(r.Unit), PriceFen: r.PriceFen,
		ChargeFen: r.ChargeFen, SubsidyKind: ill.SubsidyKind(r.SubsidyKind), SubsidyFen: r.SubsidyFen,
		ReaderFen: r.ReaderFen, CreatedAt: r.CreatedAt, Title: r.Title}
}

// copyFeeListSQL lists booked fees by library (as supplier or borrower,
// ” every library), request (” any) and time range. Locks: none.
const copyFeeListSQL = `SELECT c.request_id, c.supplier, c.borrower, c.patron_id, c.category, c.pages, c.unit,
	c.price_fen, c.charge_fen, c.subsidy_kind, c.subsidy_fen, c.reader_fen, c.created_at, COALESCE(r.title, '') AS title
	FROM copy_fees c LEFT JOIN requests r ON r.id = c.request_id
	WHERE (? = '' OR c.supplier = ? OR c.borrower = ?) AND (? = '' OR c.request_id = ?)
	AND c.created_at >= ? AND c.created_at < ?
	ORDER BY c.created_at, c.request_id LIMIT ?`

// CopyFeeList implements ill.CopyFees.
func (s *Store) CopyFeeList(ctx context.Context, q ill.CopyFeeQuery) ([]ill.CopyFee, error) {
	from, to := time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if q.From != (ill.Date{}) {
		from = q.From.Start().UTC()
	}
	if q.To != (ill.Date{}) {
		to = q.To.AddDays(1).Start().UTC()
	}
	var rows []copyFeeRow
	if err := s.DB.SelectContext(ctx, &rows, copyFeeListSQL, q.Library, q.Library, q.Library, q.RequestID, q.RequestID,
		from, to, ill.MaxViolationRows); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.CopyFee, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// copyFeeFactsSQL reads, for booking a copy fee, the supplier's price, the
// reader's category and every subsidy rule, in one statement (one row per
// rule; one row with NULL rule columns when there is none). Locks: none
// (plain reads in the transaction: a price changed concurrently applies to
// the copies delivered after it).
const copyFeeFactsSQL = `SELECT COALESCE(p.unit, 'page') AS unit, COALESCE(p.price_fen, 0) AS price_fen,
	COALESCE((SELECT pa.category FROM patrons pa WHERE pa.library_code = ? AND pa.patron_id = ?), '') AS reader_category,
	s.category, s.kind, s.value
	FROM (SELECT 1 AS one) x
	LEFT JOIN copy_prices p ON p.library_code = ?
	LEFT JOIN copy_subsidies s ON 1 = 1`

type copyFeeFactsRow struct {
	Unit           string         `db:"unit"`
	PriceFen       int            `db:"price_fen"`
	ReaderCategory string         `db:"reader_category"`
	Category       sql.NullString `db:"category"`
	Kind           sql.NullString `db:"kind"`
	Value          sql.NullInt64  `db:"value"`
}

// CopyFeeFacts reads what pricing a copy delivered by supplier to reader
// patronID of borrower needs: the supplier's price, the reader's category
// (CategoryOther when unknown) and the centre's subsidy rules.
func (t *Tx) CopyFeeFacts(ctx context.Context, supplier, borrower, patronID string) (ill.CopyPrice, ill.ReaderCategory, []ill.SubsidyRule, error) {
	var rows []copyFeeFactsRow
	if err := t.tx.SelectContext(ctx, &rows, copyFeeFactsSQL, borrower, patronID, supplier); err != nil {
		return ill.CopyPrice{}, "", nil, err
	}
	var p ill.CopyPrice
	cat := ill.CategoryOther
	var rules []ill.SubsidyRule
	for i, r := range rows {
		if i == 0 {
			p = ill.CopyPrice{Unit: ill.CopyPriceUnit(r.Unit), PriceFen: r.PriceFen}
			if c, err := ill.ParseReaderCategory(r.ReaderCategory); err == nil {
				cat = c
			}
		}
		if r.Category.Valid {
			rules = append(rules, ill.SubsidyRule{Category: ill.ReaderCategory(r.Category.String),
				Kind: ill.SubsidyKind(r.Kind.String), Value: int(r.Value.Int64)})
		}
	}
	return p, cat, rules, nil
}

// addCopyFeeSQL books a copy fee once per request. Locks: the new row (or,
// on a duplicate, a shared lock on the existing one), until commit.
const addCopyFeeSQL = `INSERT IGNORE INTO copy_fees (request_id, supplier, borrower, patron_id, category, pages, unit,
	price_fen, charge_fen, subsidy_kind, subsidy_fen, reader_fen, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AddCopyFee books f unless its request has a fee already (false then).
func (t *Tx) AddCopyFee(ctx context.Context, f ill.CopyFee) (bool, error) {
	res, err := t.tx.ExecContext(ctx, addCopyFeeSQL, f.RequestID, f.Supplier, f.Borrower, f.PatronID, string(f.Category),
		f.Pages, string(f.Unit), f.PriceFen, f.ChargeFen, string(f.SubsidyKind), f.SubsidyFen, f.ReaderFen, f.CreatedAt.UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// copyFileInTxSQL reads a file in a transaction. Locks: none.
const copyFileInTxSQL = copyFileSQL

// CopyFile reads file id in the transaction; not_found when there is none.
func (t *Tx) CopyFile(ctx context.Context, id string) (ill.CopyFile, error) {
	var r copyFileRow
	err := t.tx.GetContext(ctx, &r, copyFileInTxSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.CopyFile{}, notFound("file", id)
	}
	if err != nil {
		return ill.CopyFile{}, err
	}
	return r.domain(), nil
}

// appendNoticeBodySQL adds text to the body of a request's notice of one
// kind (every step) still waiting to be delivered. Locks: those notice
// rows, until commit.
const appendNoticeBodySQL = `UPDATE notices SET body = CONCAT(body, ?) WHERE request_id = ? AND kind = ? AND status = 'pending'`

// AppendNoticeBody adds text to the pending notices of kind of request id,
// written earlier in this transaction by the notices subscriber (the copy's
// download link, which only the delivery subscriber can sign).
func (t *Tx) AppendNoticeBody(ctx context.Context, requestID, kind, text string) error {
	_, err := t.tx.ExecContext(ctx, appendNoticeBodySQL, text, requestID, kind)
	return err
}
