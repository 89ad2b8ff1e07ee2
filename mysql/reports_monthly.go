package mysql

// The monthly summary e-mail: the centre's schedule (report_schedule, one
// row) and the mark of each summary created (monthly_summaries, one row
// per library and month), which makes the scheduler's monthly-summary job
// safe to run twice.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balis/illhub/ill"
)

// reportScheduleRow is the row of reportScheduleSQL.
type reportScheduleRow struct {
	Enabled    bool      `db:"enabled"`
	WorkingDay int       `db:"working_day"`
	ConsoleURL string    `db:"console_url"`
	UpdatedBy  string    `db:"updated_by"`
	UpdatedAt  time.Time `db:"updated_at"`
}

// reportScheduleSQL reads the schedule. Locks: none.
const reportScheduleSQL = `SELECT enabled, working_day, console_url, updated_by, updated_at FROM report_schedule WHERE id = 1`

// ReportSchedule returns the stored schedule of the monthly summary, or
// ill.DefaultReportSchedule when the centre never saved one.
func (s *Store) ReportSchedule(ctx context.Context) (ill.ReportSchedule, error) {
	var r reportScheduleRow
	err := s.DB.GetContext(ctx, &r, reportScheduleSQL)
	if errors.Is(err, sql.ErrNoRows) {
		return ill.DefaultReportSchedule, nil
	}
	if err != nil {
		return ill.ReportSchedule{}, classify(err)
	}
	return ill.ReportSchedule{Enabled: r.Enabled, WorkingDay: r.WorkingDay, ConsoleURL: r.ConsoleURL,
		UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt}, nil
}

// setReportScheduleSQL stores the schedule (the one row, id 1). Locks:
// that row, for the statement (autocommit).
const setReportScheduleSQL = `INSERT INTO report_schedule (id, enabled, working_day, console_url, updated_by, updated_at)
	VALUES (1, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE enabled = VALUES(enabled), working_day = VALUES(working_day),
	console_url = VALUES(console_url), updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`

// SetReportSchedule stores the schedule of the monthly summary.
func (s *Store) SetReportSchedule(ctx context.Context, r ill.ReportSchedule) error {
	at := r.UpdatedAt
	if at.IsZero() {
		at = time.Now()
	}
	_, err := s.DB.ExecContext(ctx, setReportScheduleSQL, r.Enabled, r.WorkingDay, r.ConsoleURL, r.UpdatedBy, at.UTC())
	return classify(err)
}

// markMonthlySummarySQL records that library's summary of month is being
// created, unless it was already (primary key). Locks: the new row until
// commit; on a duplicate, a shared lock on the existing row.
const markMonthlySummarySQL = `INSERT IGNORE INTO monthly_summaries (library_code, month, notice_id, created_at) VALUES (?, ?, 0, ?)`

// MarkMonthlySummary marks library's summary of month as created in this
// transaction; false when it was created before (nothing more to do).
func (t *Tx) MarkMonthlySummary(ctx context.Context, library string, month ill.Month, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, markMonthlySummarySQL, library, month.String(), at.UTC())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// setMonthlySummaryNoticeSQL records the notice a summary became. Locks:
// the mark's row, already held (markMonthlySummarySQL).
const setMonthlySummaryNoticeSQL = `UPDATE monthly_summaries SET notice_id = ? WHERE library_code = ? AND month = ?`

// SetMonthlySummaryNotice records the notice id of library's summary of
// month (queued: sent with the transaction's next statement).
func (t *Tx) SetMonthlySummaryNotice(ctx context.Context, library string, month ill.Month, noticeID int64) error {
	t.tx.later(setMonthlySummaryNoticeSQL, noticeID, library, month.String())
	return nil
}

// monthlySummariesSQL counts the summaries created for a month. Locks: none.
const monthlySummariesSQL = `SELECT COUNT(*) FROM monthly_summaries WHERE month = ?`

// MonthlySummaries counts the summaries created for month (console, tests).
func (s *Store) MonthlySummaries(ctx context.Context, month ill.Month) (int, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, monthlySummariesSQL, month.String())
	return n, classify(err)
}
