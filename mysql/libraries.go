package mysql

// Member libraries (table libraries: settings, contact points) and their
// closures (table closures). Reads go through the Directory when one is
// attached (directory.go); the writes here make it forget its snapshot.
// The ISO 18626 columns: iso18626.go; the courier columns: courier_runs.go.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// libraryRow is a libraries row as libraryColumns reads it (and as
// addLibrarySQL's named parameters write it).
type libraryRow struct {
	Code             string    `db:"code"`
	NameZH           string    `db:"name_zh"`
	NameEN           string    `db:"name_en"`
	ISOSymbol        string    `db:"iso_symbol"`
	Lending          bool      `db:"lending"`
	DepositRequired  bool      `db:"deposit_required"`
	LoanMonths       int       `db:"loan_months"`
	RecallDays       int       `db:"recall_days"`
	FinePerDayFen    int       `db:"fine_per_day_fen"`
	DamageFeeFen     int       `db:"damage_fee_fen"`
	LossFeeFen       int       `db:"loss_fee_fen"`
	Locale           string    `db:"locale"`
	Email            string    `db:"email"`
	ContactPhone     string    `db:"contact_phone"`
	ContactEmail     string    `db:"contact_email"`
	ContactAddress   string    `db:"contact_address"`
	WebhookURL       string    `db:"webhook_url"`
	WebhookSecret    string    `db:"webhook_secret"`
	ISOEndpoint      string    `db:"iso_endpoint"`
	CourierCutoff    string    `db:"courier_cutoff"`
	CourierDays      string    `db:"courier_days"`
	ISOSecretHash    string    `db:"iso_secret_hash"`
	ISOClosedNetwork bool      `db:"iso_closed_network"`
	CopyRespondDays  int       `db:"copy_respond_days"`
	CopyDeliverDays  int       `db:"copy_deliver_days"`
	CopyLimit        int       `db:"copy_limit"`
	CreatedAt        time.Time `db:"created_at"`
}

// The row and the domain value have the same fields: a plain conversion
// keeps them in step (a field added to one only fails to compile).
func (r libraryRow) domain() ill.Library { return ill.Library(r) }

func fromLibrary(l ill.Library) libraryRow { return libraryRow(l) }

// libraryColumns is the libraries row as libraryRow scans it.
const libraryColumns = `code, name_zh, name_en, iso_symbol, lending, deposit_required, loan_months, recall_days,
	fine_per_day_fen, damage_fee_fen, loss_fee_fen, locale, email, contact_phone, contact_email, contact_address, webhook_url, webhook_secret, iso_endpoint, courier_cutoff, courier_days, iso_secret_hash, iso_closed_network,
	copy_respond_days, copy_deliver_days, copy_limit, created_at`

// librarySQL reads one library. Locks: none.
const librarySQL = `SELECT ` + libraryColumns + ` FROM libraries WHERE code = ?`

func getLibrary(ctx context.Context, q sqlx.QueryerContext, code string) (*ill.Library, error) {
	var r libraryRow
	err := sqlx.GetContext(ctx, q, &r, librarySQL, code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("library", code)
	}
	if err != nil {
		return nil, err
	}
	l := r.domain()
	return &l, nil
}

// Library reads one member library (from the Directory when attached).
func (s *Store) Library(ctx context.Context, code string) (*ill.Library, error) {
	if l, ok, err := s.dir.library(ctx, code); ok || err != nil {
		return l, classify(err)
	}
	l, err := getLibrary(ctx, s.DB, code)
	return l, classify(err)
}

// Library reads one member library inside the transaction (from the
// Directory when attached: reference data, not locked).
func (t *Tx) Library(ctx context.Context, code string) (*ill.Library, error) {
	if l, ok, err := t.dir.library(ctx, code); ok || err != nil {
		return l, err
	}
	return getLibrary(ctx, t.tx, code)
}

// librariesSQL lists every library by code. Locks: none.
const librariesSQL = `SELECT ` + libraryColumns + ` FROM libraries ORDER BY code`

// Libraries lists every member.
func (s *Store) Libraries(ctx context.Context) ([]ill.Library, error) {
	var rows []libraryRow
	if err := s.DB.SelectContext(ctx, &rows, librariesSQL); err != nil {
		return nil, classify(err)
	}
	return libraries(rows), nil
}

func libraries(rows []libraryRow) []ill.Library {
	if rows == nil {
		return nil
	}
	out := make([]ill.Library, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out
}

// addLibrarySQL inserts or updates a member from libraryRow's fields (named
// parameters); contact points given empty keep the stored ones. Locks: the
// library row (by primary key), for the statement only (autocommit).
const addLibrarySQL = `INSERT INTO libraries (code, name_zh, name_en, iso_symbol, lending,
	deposit_required, loan_months, recall_days, fine_per_day_fen, damage_fee_fen, loss_fee_fen, locale, email,
	webhook_url, webhook_secret, iso_endpoint, courier_cutoff)
	VALUES (:code, :name_zh, :name_en, :iso_symbol, :lending, :deposit_required, :loan_months, :recall_days,
	:fine_per_day_fen, :damage_fee_fen, :loss_fee_fen, :locale, :email, :webhook_url, :webhook_secret, :iso_endpoint, :courier_cutoff)
	ON DUPLICATE KEY UPDATE name_zh = VALUES(name_zh), name_en = VALUES(name_en), iso_symbol = VALUES(iso_symbol),
	lending = VALUES(lending), deposit_required = VALUES(deposit_required), loan_months = VALUES(loan_months),
	recall_days = VALUES(recall_days), fine_per_day_fen = VALUES(fine_per_day_fen),
	damage_fee_fen = VALUES(damage_fee_fen), loss_fee_fen = VALUES(loss_fee_fen), locale = VALUES(locale),
	courier_cutoff = VALUES(courier_cutoff),
	-- contact points are kept unless a new value is given
	email = IF(VALUES(email) = '', email, VALUES(email)),
	webhook_url = IF(VALUES(webhook_url) = '', webhook_url, VALUES(webhook_url)),
	webhook_secret = IF(VALUES(webhook_secret) = '', webhook_secret, VALUES(webhook_secret)),
	iso_endpoint = IF(VALUES(iso_endpoint) = '', iso_endpoint, VALUES(iso_endpoint))`

// setCopyTermsSQL sets a library's copy settings. Locks: the library row
// (by primary key), for the statement only (autocommit).
const setCopyTermsSQL = `UPDATE libraries SET copy_respond_days = ?, copy_deliver_days = ?, copy_limit = ? WHERE code = ?`

// SetCopyTerms sets library's copy settings (illctl library copy-terms);
// not_found when it is not a member.
func (s *Store) SetCopyTerms(ctx context.Context, library string, ct ill.CopyTerms) error {
	defer s.dir.Forget()
	if _, err := s.Library(ctx, library); err != nil {
		return err
	}
	_, err := s.DB.ExecContext(ctx, setCopyTermsSQL, ct.RespondDays, ct.DeliverDays, ct.Limit, library)
	return classify(err)
}

// AddLibrary inserts or updates a member (illctl library add), with
// ill.Library.WithDefaults for what l leaves unset.
func (s *Store) AddLibrary(ctx context.Context, l ill.Library) error {
	defer s.dir.Forget()
	_, err := s.DB.NamedExecContext(ctx, addLibrarySQL, fromLibrary(l.WithDefaults()))
	return classify(err)
}

// libraryNamesSQL lists every library's names. Locks: none.
const libraryNamesSQL = `SELECT code, name_zh, name_en FROM libraries ORDER BY code`

// LibraryNames maps every library code to its Chinese and English names.
func (s *Store) LibraryNames(ctx context.Context) (map[string][2]string, error) {
	var rows []struct {
		Code string `db:"code"`
		ZH   string `db:"name_zh"`
		EN   string `db:"name_en"`
	}
	if err := s.DB.SelectContext(ctx, &rows, libraryNamesSQL); err != nil {
		return nil, classify(err)
	}
	out := make(map[string][2]string, len(rows))
	for _, r := range rows {
		out[r.Code] = [2]string{r.ZH, strings.TrimSpace(r.EN)}
	}
	return out, nil
}

type closureRow struct {
	Library string    `db:"library_code"`
	From    time.Time `db:"from_day"`
	To      time.Time `db:"to_day"`
}

func toRange(c closureRow) ill.DateRange {
	f, t := c.From, c.To
	return ill.DateRange{From: ill.Date{Year: f.Year(), Month: f.Month(), Day: f.Day()},
		To: ill.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}}
}

// closuresSQL reads one library's closures; closuresOfSQL those of
// several (an IN list, expanded by sqlx.In). Locks: none.
const (
	closuresSQL = `SELECT library_code, from_day, to_day FROM closures
	WHERE library_code = ? ORDER BY from_day`
	closuresOfSQL = `SELECT library_code, from_day, to_day FROM closures WHERE library_code IN (?)
	ORDER BY library_code, from_day`
)

// Closures returns a library's closures (inside the transaction; from the
// Directory when attached).
func (t *Tx) Closures(ctx context.Context, library string) ([]ill.DateRange, error) {
	if m, ok, err := t.dir.closures(ctx, library); ok || err != nil {
		return m[library], err
	}
	var rows []closureRow
	if err := t.tx.SelectContext(ctx, &rows, closuresSQL, library); err != nil {
		return nil, err
	}
	out := make([]ill.DateRange, len(rows))
	for i, r := range rows {
		out[i] = toRange(r)
	}
	return out, nil
}

// ClosuresOf returns the closures of several libraries in one query (none
// with the Directory attached).
func (t *Tx) ClosuresOf(ctx context.Context, libraries []string) (map[string][]ill.DateRange, error) {
	out := map[string][]ill.DateRange{}
	if len(libraries) == 0 {
		return out, nil
	}
	if m, ok, err := t.dir.closures(ctx, libraries...); ok || err != nil {
		return m, err
	}
	q, args, err := sqlx.In(closuresOfSQL, libraries)
	if err != nil {
		return nil, err
	}
	var rows []closureRow
	if err := t.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Library] = append(out[r.Library], toRange(r))
	}
	return out, nil
}

// addClosureSQL records a closure. Locks: the new row, for the statement
// only (autocommit).
const addClosureSQL = `INSERT INTO closures (library_code, from_day, to_day, note) VALUES (?, ?, ?, ?)`

// AddClosure records a library closure (illctl closures add).
func (s *Store) AddClosure(ctx context.Context, library string, r ill.DateRange, note string) error {
	defer s.dir.Forget()
	_, err := s.DB.ExecContext(ctx, addClosureSQL, library, r.From.String(), r.To.String(), note)
	return classify(err)
}

// allClosuresSQL lists every closure with its id and note. Locks: none.
const allClosuresSQL = `SELECT id, library_code, from_day, to_day, note FROM closures
	ORDER BY library_code, from_day`

// ClosuresByLibrary returns every library's closures (illctl).
func (s *Store) ClosuresByLibrary(ctx context.Context) (map[string][]ill.Closure, error) {
	var rows []struct {
		ID int64 `db:"id"`
		closureRow
		Note string `db:"note"`
	}
	if err := s.DB.SelectContext(ctx, &rows, allClosuresSQL); err != nil {
		return nil, classify(err)
	}
	out := map[string][]ill.Closure{}
	for _, r := range rows {
		out[r.Library] = append(out[r.Library], ill.Closure{ID: r.ID, Range: toRange(r.closureRow), Note: r.Note})
	}
	return out, nil
}

// removeClosureSQL deletes a closure by id. Locks: its row, for the
// statement only (autocommit).
const removeClosureSQL = `DELETE FROM closures WHERE id = ?`

// RemoveClosure deletes a closure by id. Deadlines already computed are
// not moved; new ones use the remaining closures.
func (s *Store) RemoveClosure(ctx context.Context, id int64) error {
	defer s.dir.Forget()
	r, err := s.DB.ExecContext(ctx, removeClosureSQL, id)
	if err != nil {
		return classify(err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return notFound("closure", fmt.Sprint(id))
	}
	return nil
}
