package memstore

import (
	"context"

	"github.com/balis/illhub/ill"
)

// ReportSchedule returns the stored schedule of the monthly summary, or
// ill.DefaultReportSchedule.
func (s *Store) ReportSchedule(ctx context.Context) (ill.ReportSchedule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return ill.ReportSchedule{}, s.fail
	}
	if s.reportSchedule == nil {
		return ill.DefaultReportSchedule, nil
	}
	return *s.reportSchedule, nil
}

// SetReportSchedule stores the schedule of the monthly summary.
func (s *Store) SetReportSchedule(ctx context.Context, r ill.ReportSchedule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.reportSchedule = &r
	return nil
}
