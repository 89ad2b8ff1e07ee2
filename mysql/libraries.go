package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// Library is a member library and its policies.
type Library struct {
	Code             string    `db:"code" json:"code"`
	NameZH           string    `db:"name_zh" json:"name_zh"`
	NameEN           string    `db:"name_en" json:"name_en"`
	ISOSymbol        string    `db:"iso_symbol" json:"iso18626_symbol"`
	Lending          bool      `db:"lending" json:"lending"`
	DepositRequired  bool      `db:"deposit_required" json:"deposit_required"`
	LoanMonths       int       `db:"loan_months" json:"loan_months"`
	RecallDays       int       `db:"recall_days" json:"recall_days"`
	FinePerDayFen    int       `db:"fine_per_day_fen" json:"fine_per_day_fen"`
	DamageFeeFen     int       `db:"damage_fee_fen" json:"damage_fee_fen"`
	LossFeeFen       int       `db:"loss_fee_fen" json:"loss_fee_fen"`
	Locale           string    `db:"locale" json:"locale"`
	Email            string    `db:"email" json:"-"`
	WebhookURL       string    `db:"webhook_url" json:"-"`
	WebhookSecret    string    `db:"webhook_secret" json:"-"` // signs webhook notices (docs/notices.md)
	ISOEndpoint      string    `db:"iso_endpoint" json:"-"`
	CourierCutoff    string    `db:"courier_cutoff" json:"courier_cutoff"`
	CourierDays      string    `db:"courier_days" json:"courier_days"` // set with illctl courier days
	ISOSecretHash    string    `db:"iso_secret_hash" json:"-"`
	ISOClosedNetwork bool      `db:"iso_closed_network" json:"-"` // accepted without a secret (migration 17)
	CreatedAt        time.Time `db:"created_at" json:"-"`
}

const libraryColumns = `code, name_zh, name_en, iso_symbol, lending, deposit_required, loan_months, recall_days,
	fine_per_day_fen, damage_fee_fen, loss_fee_fen, locale, email, webhook_url, webhook_secret, iso_endpoint, courier_cutoff, courier_days, iso_secret_hash, iso_closed_network, created_at`

func getLibrary(ctx context.Context, q sqlx.QueryerContext, code string) (*Library, error) {
	var l Library
	err := sqlx.GetContext(ctx, q, &l, `SELECT `+libraryColumns+` FROM libraries WHERE code = ?`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("library", code)
	}
	return &l, err
}

// Library reads one member library (from the Directory when attached).
func (s *Store) Library(ctx context.Context, code string) (*Library, error) {
	if l, ok, err := s.dir.library(ctx, code); ok || err != nil {
		return l, err
	}
	return getLibrary(ctx, s.DB, code)
}

// Library reads one member library inside the transaction (from the
// Directory when attached: reference data, not locked).
func (t *Tx) Library(ctx context.Context, code string) (*Library, error) {
	if l, ok, err := t.dir.library(ctx, code); ok || err != nil {
		return l, err
	}
	return getLibrary(ctx, t.tx, code)
}

// Libraries lists every member.
func (s *Store) Libraries(ctx context.Context) ([]Library, error) {
	var ls []Library
	err := s.DB.SelectContext(ctx, &ls, `SELECT `+libraryColumns+` FROM libraries ORDER BY code`)
	return ls, err
}

// AddLibrary inserts or updates a member (illctl library add).
func (s *Store) AddLibrary(ctx context.Context, l Library) error {
	if l.LoanMonths == 0 {
		l.LoanMonths = 1
	}
	if l.RecallDays == 0 {
		l.RecallDays = 7
	}
	if l.Locale == "" {
		l.Locale = "zh"
	}
	if l.CourierCutoff == "" {
		l.CourierCutoff = "14:00"
	}
	if l.ISOSymbol == "" {
		l.ISOSymbol = l.Code
	}
	defer s.dir.Forget()
	_, err := s.DB.NamedExecContext(ctx, `INSERT INTO libraries (code, name_zh, name_en, iso_symbol, lending,
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
		iso_endpoint = IF(VALUES(iso_endpoint) = '', iso_endpoint, VALUES(iso_endpoint))`, l)
	return err
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

// Closures returns a library's closures (inside the transaction; from the
// Directory when attached).
func (t *Tx) Closures(ctx context.Context, library string) ([]ill.DateRange, error) {
	if m, ok, err := t.dir.closures(ctx, library); ok || err != nil {
		return m[library], err
	}
	var rows []closureRow
	if err := t.tx.SelectContext(ctx, &rows, `SELECT library_code, from_day, to_day FROM closures
		WHERE library_code = ? ORDER BY from_day`, library); err != nil {
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
	q, args, err := sqlx.In(`SELECT library_code, from_day, to_day FROM closures WHERE library_code IN (?)
		ORDER BY library_code, from_day`, libraries)
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

// AddClosure records a library closure (illctl closures add).
func (s *Store) AddClosure(ctx context.Context, library string, r ill.DateRange, note string) error {
	defer s.dir.Forget()
	_, err := s.DB.ExecContext(ctx, `INSERT INTO closures (library_code, from_day, to_day, note) VALUES (?, ?, ?, ?)`,
		library, r.From.String(), r.To.String(), note)
	return err
}

// Closure is a stored library closure.
type Closure struct {
	ID    int64
	Range ill.DateRange
	Note  string
}

// ClosuresByLibrary returns every library's closures (illctl).
func (s *Store) ClosuresByLibrary(ctx context.Context) (map[string][]Closure, error) {
	var rows []struct {
		ID int64 `db:"id"`
		closureRow
		Note string `db:"note"`
	}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT id, library_code, from_day, to_day, note FROM closures
		ORDER BY library_code, from_day`); err != nil {
		return nil, err
	}
	out := map[string][]Closure{}
	for _, r := range rows {
		out[r.Library] = append(out[r.Library], Closure{ID: r.ID, Range: toRange(r.closureRow), Note: r.Note})
	}
	return out, nil
}

// RemoveClosure deletes a closure by id. Deadlines already computed are
// not moved; new ones use the remaining closures.
func (s *Store) RemoveClosure(ctx context.Context, id int64) error {
	defer s.dir.Forget()
	r, err := s.DB.ExecContext(ctx, `DELETE FROM closures WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return notFound("closure", fmt.Sprint(id))
	}
	return nil
}

// LoadCalendar reads the national calendar from calendar_days/calendar_years.
func (s *Store) LoadCalendar(ctx context.Context) (*ill.Calendar, error) {
	var years []struct {
		Year   int    `db:"year"`
		Source string `db:"source"`
	}
	if err := s.DB.SelectContext(ctx, &years, `SELECT year, source FROM calendar_years`); err != nil {
		return nil, err
	}
	var days []struct {
		Day  time.Time `db:"day"`
		Kind string    `db:"kind"`
		Name string    `db:"name"`
	}
	if err := s.DB.SelectContext(ctx, &days, `SELECT day, kind, name FROM calendar_days`); err != nil {
		return nil, err
	}
	byYear := map[int]*ill.CalendarYear{}
	var cys []ill.CalendarYear
	for _, y := range years {
		byYear[y.Year] = &ill.CalendarYear{Year: y.Year, Source: y.Source}
	}
	for _, d := range days {
		cy, ok := byYear[d.Day.Year()]
		if !ok {
			continue
		}
		cy.Days = append(cy.Days, ill.CalendarDay{
			Date: ill.Date{Year: d.Day.Year(), Month: d.Day.Month(), Day: d.Day.Day()},
			Kind: ill.DayKind(d.Kind), Name: d.Name})
	}
	for _, cy := range byYear {
		cys = append(cys, *cy)
	}
	return ill.NewCalendar(cys...), nil
}

// ImportCalendar validates and replaces one year of the national calendar
// (illctl calendar import, the demo loader).
func (s *Store) ImportCalendar(ctx context.Context, cy ill.CalendarYear, at time.Time) error {
	if err := cy.Validate(); err != nil {
		return err
	}
	return s.InTx(ctx, func(t *Tx) error {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE day BETWEEN ? AND ?`,
			ill.Date{Year: cy.Year, Month: 1, Day: 1}.String(), ill.Date{Year: cy.Year, Month: 12, Day: 31}.String()); err != nil {
			return err
		}
		for _, d := range cy.Days {
			if _, err := t.tx.ExecContext(ctx, `INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)`,
				d.Date.String(), string(d.Kind), d.Name); err != nil {
				return err
			}
		}
		_, err := t.tx.ExecContext(ctx, `INSERT INTO calendar_years (year, source, loaded_at) VALUES (?, ?, ?)
			ON DUPLICATE KEY UPDATE source = VALUES(source), loaded_at = VALUES(loaded_at)`, cy.Year, cy.Source, at.UTC())
		return err
	})
}

// CalendarCache serves the national calendar, reloading it from the
// database at most once per TTL (default 1 minute). Safe for concurrent
// use.
type CalendarCache struct {
	Store *Store
	TTL   time.Duration

	cached reloading[*ill.Calendar]
}

// Get returns the cached calendar, reloading when stale. When the reload
// fails and a calendar was loaded before, the old one is served.
func (c *CalendarCache) Get(ctx context.Context) (*ill.Calendar, error) {
	ttl := c.TTL
	if ttl == 0 {
		ttl = time.Minute
	}
	return c.cached.get(ttl, func() (*ill.Calendar, error) { return c.Store.LoadCalendar(ctx) })
}

// reloading holds a value read from the database and reloads it when it is
// older than the caller's TTL; when a reload fails the previous value is
// served (a brief database outage does not take reference data away).
// Safe for concurrent use; loads are serialised.
type reloading[T any] struct {
	mu     sync.Mutex
	v      T
	ok     bool
	loaded time.Time
}

func (r *reloading[T]) get(ttl time.Duration, load func() (T, error)) (T, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ok && time.Since(r.loaded) < ttl {
		return r.v, nil
	}
	v, err := load()
	if err != nil {
		if r.ok {
			return r.v, nil
		}
		return v, err
	}
	r.v, r.ok, r.loaded = v, true, time.Now()
	return v, nil
}

// forget makes the next get load.
func (r *reloading[T]) forget() {
	r.mu.Lock()
	r.ok = false
	r.mu.Unlock()
}
