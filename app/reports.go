package app

import (
	"context"
	"errors"
	"strings"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
)

// Reporter builds a staff report (reports.Service).
type Reporter interface {
	// Build runs a report. Errors: not_found for an unknown name or a
	// library that is not a member, bad_request for a bad period.
	Build(ctx context.Context, q reports.Query) (*reports.Report, error)
}

// ReportQuery parses a report's period and library from query values
// (from, to: YYYY-MM-DD Asia/Shanghai, default the current month to date;
// library: a member code; service_type: loan, copy or all, the default,
// for reports.ServiceReports). A member library always gets its own figures
// (another library: forbidden); the centre gets every library's unless it
// names one. Shared by the API and the console.
func ReportQuery(p ill.Principal, name string, get func(string) string, now func() ill.Date) (reports.Query, error) {
	today := now()
	q := reports.Query{Name: name, From: ill.Date{Year: today.Year, Month: today.Month, Day: 1}, To: today}
	for _, d := range []struct {
		key string
		dst *ill.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := get(d.key); v != "" {
			day, err := ill.ParseDate(v)
			if err != nil {
				return q, ill.FieldError(d.key, "%s must be a date YYYY-MM-DD (Asia/Shanghai)", d.key)
			}
			*d.dst = day
		}
	}
	switch v := strings.TrimSpace(get("service_type")); v {
	case "", "all":
	case string(ill.ServiceLoan), string(ill.ServiceCopy):
		q.Service = ill.ServiceType(v)
	default:
		return q, ill.FieldError("service_type", "service_type must be loan, copy or all")
	}
	lib := ""
	if v := get("library"); strings.TrimSpace(v) != "" {
		// Canonical once, here: the code reaches the query, the report and
		// the download's file name; a value that is not a library code is
		// refused, never echoed.
		c, err := ill.CanonicalCode("library", v)
		if err != nil {
			return q, err
		}
		lib = c
	}
	switch {
	case p.Centre:
		q.Library = lib
	case lib != "" && lib != p.Library:
		return q, ill.Errorf(ill.CodeForbidden, "a library sees its own reports only")
	default:
		q.Library = p.Library
	}
	return q, nil
}

// errNoReports is the configuration error of a Service built without
// Config.Reports (answered as an internal error).
var errNoReports = errors.New("app: no Reports configured")

// Report builds report name for p from query values (ReportQuery: the
// period, and the library p may see).
func (s *Service) Report(ctx context.Context, p ill.Principal, name string, get func(string) string) (*reports.Report, error) {
	q, err := ReportQuery(p, name, get, func() ill.Date { return ill.DateOf(s.clock.Now()) })
	if err != nil {
		return nil, err
	}
	if name == MediationReportName { // app/mediation.go
		return s.mediationReport(ctx, q)
	}
	if s.reports == nil {
		return nil, errNoReports
	}
	return s.reports.Build(ctx, q)
}

// ReportSchedule returns the monthly summary's schedule (the centre only:
// forbidden for a member library).
func (s *Service) ReportSchedule(ctx context.Context, p ill.Principal) (ill.ReportSchedule, error) {
	if !p.Centre {
		return ill.ReportSchedule{}, ill.Errorf(ill.CodeForbidden, "only the centre schedules the monthly summary")
	}
	return s.store.ReportSchedule(ctx)
}

// SetReportSchedule stores the monthly summary's schedule (the centre
// only): on or off, the working day of the month it is sent on, and the
// console address its link points to; by names who changed it.
func (s *Service) SetReportSchedule(ctx context.Context, p ill.Principal, r ill.ReportSchedule, by string) (ill.ReportSchedule, error) {
	if !p.Centre {
		return ill.ReportSchedule{}, ill.Errorf(ill.CodeForbidden, "only the centre schedules the monthly summary")
	}
	r.ConsoleURL = strings.TrimRight(strings.TrimSpace(r.ConsoleURL), "/")
	if err := r.Validate(); err != nil {
		return ill.ReportSchedule{}, err
	}
	r.UpdatedBy, r.UpdatedAt = by, s.clock.Now()
	if err := s.store.SetReportSchedule(ctx, r); err != nil {
		return ill.ReportSchedule{}, err
	}
	return r, nil
}
