package mysql

// The national calendar (tables calendar_years and calendar_days):
// holidays and make-up working days per year, loaded with illctl calendar
// import and served from memory by CalendarCache.

import (
	"context"
	"time"

	"github.com/balis/illhub/ill"
)

// calendarYearsSQL and calendarDaysSQL read the whole calendar. Locks:
// none.
const (
	calendarYearsSQL = `SELECT year, source FROM calendar_years`
	calendarDaysSQL  = `SELECT day, kind, name FROM calendar_days`
)

// LoadCalendar reads the national calendar from calendar_days/calendar_years.
func (s *Store) LoadCalendar(ctx context.Context) (*ill.Calendar, error) {
	var years []struct {
		Year   int    `db:"year"`
		Source string `db:"source"`
	}
	if err := s.DB.SelectContext(ctx, &years, calendarYearsSQL); err != nil {
		return nil, classify(err)
	}
	var days []struct {
		Day  time.Time `db:"day"`
		Kind string    `db:"kind"`
		Name string    `db:"name"`
	}
	if err := s.DB.SelectContext(ctx, &days, calendarDaysSQL); err != nil {
		return nil, classify(err)
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

// The statements that replace one year of the calendar, in one
// transaction: delete its days, insert them again, upsert the year.
// Locks: the deleted and inserted day rows and the year's row (by primary
// key) until commit.
const (
	deleteCalendarDaysSQL = `DELETE FROM calendar_days WHERE day BETWEEN ? AND ?`
	insertCalendarDaySQL  = `INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)`
	upsertCalendarYearSQL = `INSERT INTO calendar_years (year, source, loaded_at) VALUES (?, ?, ?)
	ON DUPLICATE KEY UPDATE source = VALUES(source), loaded_at = VALUES(loaded_at)`
)

// ImportCalendar validates and replaces one year of the national calendar
// (illctl calendar import, the demo loader).
func (s *Store) ImportCalendar(ctx context.Context, cy ill.CalendarYear, at time.Time) error {
	if err := cy.Validate(); err != nil {
		return err
	}
	return s.InTx(ctx, func(t *Tx) error {
		if _, err := t.tx.ExecContext(ctx, deleteCalendarDaysSQL,
			ill.Date{Year: cy.Year, Month: 1, Day: 1}.String(), ill.Date{Year: cy.Year, Month: 12, Day: 31}.String()); err != nil {
			return err
		}
		for _, d := range cy.Days {
			if _, err := t.tx.ExecContext(ctx, insertCalendarDaySQL,
				d.Date.String(), string(d.Kind), d.Name); err != nil {
				return err
			}
		}
		_, err := t.tx.ExecContext(ctx, upsertCalendarYearSQL, cy.Year, cy.Source, at.UTC())
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
