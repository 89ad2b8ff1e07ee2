package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	illhub "github.com/balis/illhub"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
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
// is_centre = 1) and the demo courier key CourierKey, Patrons,
// Catalogue(opts.Books) with its holdings, and every national calendar
// embedded in configs/calendar (see Calendars).
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
// the extra records. The members, keys and readers are written in one
// transaction (st.LoadDemoMembers), the catalogue in transactions of
// opts.BatchSize records (st.LoadDemoRecords) with multi-row INSERTs; on
// error, the batches already committed stay (run Load again). A
// transaction that deadlocks with holdings updates being processed is
// retried as st.InTx retries.
func Load(ctx context.Context, st *mysql.Store, opts Options) (Summary, error) {
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
	if err := st.LoadDemoMembers(ctx, members(libs, Patrons()), now, opts.BatchSize); err != nil {
		return sum, fmt.Errorf("demo: %w", err)
	}
	sum.Libraries, sum.APIKeys, sum.Patrons = len(libs), len(libs)+1, len(libs)*PatronsPerLibrary

	cys, err := Calendars()
	if err != nil {
		return sum, err
	}
	for _, cy := range cys {
		if err := LoadCalendar(ctx, st, cy); err != nil {
			return sum, err
		}
		sum.CalendarYears++
		sum.CalendarDays += len(cy.Days)
	}

	books := Catalogue(opts.Books)
	for lo := 0; lo < len(books); lo += opts.BatchSize {
		batch := books[lo:min(lo+opts.BatchSize, len(books))]
		holdings, err := st.LoadDemoRecords(ctx, records(batch), now, opts.BatchSize)
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

// members is the demo's members, their keys (one per library, the centre
// key, the courier key) and their readers as the store writes them.
func members(libs []Library, ps []Patron) mysql.DemoMembers {
	m := mysql.DemoMembers{Libraries: make([]ill.Library, len(libs)), Readers: make([]ill.Reader, len(ps))}
	for i, l := range libs {
		m.Libraries[i] = ill.Library{Code: l.Code, NameZH: l.NameZH, NameEN: l.NameEN, ISOSymbol: l.ISOSymbol(),
			Lending: l.Lending, DepositRequired: l.DepositRequired, LoanMonths: l.LoanMonths, RecallDays: l.RecallDays,
			FinePerDayFen: l.FinePerDayFen, DamageFeeFen: l.DamageFeeFen, LossFeeFen: l.LossFeeFen, Locale: "zh",
			Email: l.Email(), CourierCutoff: l.CourierCutoff}
		m.Keys = append(m.Keys, ill.KeyGrant{Owner: l.Code, Key: ill.DemoKey(l.Code), Label: "demo key"})
	}
	m.Keys = append(m.Keys,
		ill.KeyGrant{Owner: ill.CentreCode, Key: ill.DemoKey(ill.CentreCode), Label: "demo centre key"},
		ill.KeyGrant{Owner: ill.CourierOwner, Key: CourierKey, Label: "demo courier key"})
	for i, p := range ps {
		m.Readers[i] = ill.Reader{Library: p.Library, ID: p.ID, Name: p.Name, Email: p.Email, DepositPaid: p.DepositPaid}
	}
	return m
}

// records is a batch of the catalogue as the store writes it.
func records(books []Book) []mysql.DemoRecord {
	out := make([]mysql.DemoRecord, len(books))
	for i, b := range books {
		hs := make([]mysql.DemoHolding, len(b.Holdings))
		for j, h := range b.Holdings {
			hs[j] = mysql.DemoHolding{Library: h.Library, LocalID: h.LocalID, CallNumber: h.CallNumber,
				Copies: h.Copies, Available: h.Available, Lendable: h.Lendable}
		}
		out[i] = mysql.DemoRecord{Record: ill.Record{ISBN13: b.ISBN13, Title: b.Title, Author: b.Author,
			Publisher: b.Publisher, Year: b.Year, Language: b.Language, Material: b.Material, CLC: b.CLC}, Holdings: hs}
	}
	return out
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
func LoadCalendar(ctx context.Context, st *mysql.Store, cy ill.CalendarYear) error {
	if err := st.ImportCalendar(ctx, cy, time.Now()); err != nil {
		return fmt.Errorf("demo: calendar %d: %w", cy.Year, err)
	}
	return nil
}
