package mysql

// Courier storage: runs, shipments on runs, scans, exceptions,
// return checks, violations, the staff review list, courier credentials
// and the courier reports. Tables: schema.sql, columns on
// shipments and libraries: migrations 3 and 4.

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

// CourierStopRow is a library's courier settings.
type CourierStopRow struct {
	Code   string `db:"code"`
	NameZH string `db:"name_zh"`
	Cutoff string `db:"courier_cutoff"`
	Days   string `db:"courier_days"`
}

// CourierStops reads the courier settings of the given libraries (from the
// Directory when attached).
func (t *Tx) CourierStops(ctx context.Context, codes ...string) (map[string]CourierStopRow, error) {
	out := map[string]CourierStopRow{}
	if len(codes) == 0 {
		return out, nil
	}
	if t.dir != nil {
		cached := true
		for _, c := range codes {
			l, ok, err := t.dir.library(ctx, c)
			if err != nil {
				return nil, err
			}
			if !ok {
				cached = false
				break
			}
			out[c] = CourierStopRow{Code: l.Code, NameZH: l.NameZH, Cutoff: l.CourierCutoff, Days: l.CourierDays}
		}
		if cached {
			return out, nil
		}
		clear(out)
	}
	q, args, err := sqlx.In(`SELECT code, name_zh, courier_cutoff, courier_days FROM libraries WHERE code IN (?)`, codes)
	if err != nil {
		return nil, err
	}
	var rows []CourierStopRow
	if err := t.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Code] = r
	}
	return out, nil
}

// SetCourierDays sets a library's courier days and (when not "") cut-off.
func (s *Store) SetCourierDays(ctx context.Context, code string, days ill.CourierDays, cutoff string) error {
	defer s.dir.Forget()
	res, err := s.DB.ExecContext(ctx, `UPDATE libraries SET courier_days = ?,
		courier_cutoff = IF(? = '', courier_cutoff, ?) WHERE code = ?`, days.String(), cutoff, cutoff, code)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Library(ctx, code); err != nil {
			return err
		}
	}
	return nil
}

// AllCutoffs lists the distinct cut-offs of every library.
func (t *Tx) AllCutoffs(ctx context.Context) ([]string, error) {
	var out []string
	err := t.tx.SelectContext(ctx, &out, `SELECT DISTINCT courier_cutoff FROM libraries`)
	return out, err
}

// CourierShipment is a shipment with its courier columns.
type CourierShipment struct {
	ID           int64          `db:"id" json:"shipment_id"`
	RequestID    string         `db:"request_id" json:"request_id"`
	Direction    string         `db:"direction" json:"direction"`
	ItemBarcode  string         `db:"item_barcode" json:"item_barcode"`
	From         string         `db:"from_lib" json:"from"`
	To           string         `db:"to_lib" json:"to"`
	RouteCode    string         `db:"route_code" json:"route_code"`
	Status       string         `db:"status" json:"status"`
	RunID        sql.NullInt64  `db:"run_id" json:"-"`
	RunDate      sql.NullTime   `db:"run_date" json:"-"`
	CallNumber   string         `db:"call_number" json:"call_number"`
	CreatedAt    time.Time      `db:"created_at" json:"-"`
	PickedUpAt   sql.NullTime   `db:"picked_up_at" json:"-"`
	DeliveredAt  sql.NullTime   `db:"delivered_at" json:"-"`
	ExceptionDue sql.NullTime   `db:"exception_due" json:"-"`
	ExceptionAt  sql.NullTime   `db:"exception_at" json:"-"`
	Title        sql.NullString `db:"title" json:"-"`
}

const courierShipmentCols = `s.id, s.request_id, s.direction, s.item_barcode, s.from_lib, s.to_lib, s.route_code, s.status,
	s.run_id, s.run_date, s.call_number, s.created_at, s.picked_up_at, s.delivered_at, s.exception_due, s.exception_at, r.title`

// LockCourierShipment reads a shipment with its row lock.
func (t *Tx) LockCourierShipment(ctx context.Context, id int64) (*CourierShipment, error) {
	var s CourierShipment
	err := t.tx.GetContext(ctx, &s, `SELECT `+strings.Replace(courierShipmentCols, "r.title", "NULL AS title", 1)+`
		FROM shipments s WHERE s.id = ? FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("shipment", fmt.Sprint(id))
	}
	return &s, err
}

// ClaimCourierShipment is MarkProcessed followed by LockCourierShipment,
// in one round trip: first is false for a message seen before.
func (t *Tx) ClaimCourierShipment(ctx context.Context, handler, messageID string, at time.Time, id int64) (first bool, s *CourierShipment, err error) {
	var row struct {
		First int64 `db:"first_time"`
		CourierShipment
	}
	err = t.claimRow(ctx, handler, messageID, at, &row, strings.Replace(courierShipmentCols, "r.title", "NULL AS title", 1)+`
		FROM shipments s WHERE s.id = ? FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil, notFound("shipment", fmt.Sprint(id))
	}
	if err != nil {
		return false, nil, err
	}
	return row.First == 1, &row.CourierShipment, nil
}

// ShipmentsForScan lists the shipments a courier's scan of barcode may
// refer to: those not yet delivered, newest first (barcodes are local to
// each library, so several lenders' items may share one). delivered
// reports whether a delivered shipment with that barcode exists.
func (s *Store) ShipmentsForScan(ctx context.Context, barcode string) (open []CourierShipment, delivered bool, err error) {
	var rows []CourierShipment
	if err := s.DB.SelectContext(ctx, &rows, `SELECT `+courierShipmentCols+` FROM shipments s
		LEFT JOIN requests r ON r.id = s.request_id WHERE s.item_barcode = ? ORDER BY s.id DESC LIMIT 50`, barcode); err != nil {
		return nil, false, err
	}
	for _, r := range rows {
		if r.Status != ill.ShipDelivered {
			open = append(open, r)
		} else {
			delivered = true
		}
	}
	return open, delivered, nil
}

// CourierRun is one day's run.
type CourierRun struct {
	ID        int64          `db:"id" json:"run_id"`
	RunDate   time.Time      `db:"run_date" json:"-"`
	Status    string         `db:"status" json:"status"`
	ClosedAt  sql.NullTime   `db:"closed_at" json:"-"`
	Shipments int            `db:"shipments" json:"shipments"`
	Manifest  sql.NullString `db:"manifest" json:"-"`
}

// Date is the run's Asia/Shanghai day.
func (r CourierRun) Date() ill.Date {
	return ill.Date{Year: r.RunDate.Year(), Month: r.RunDate.Month(), Day: r.RunDate.Day()}
}

// RunForDay returns day's run, creating it, with a shared lock: the run
// cannot be closed before this transaction commits (the courier-cutoff job
// takes the exclusive lock), so a shipment assigned to an open run is on
// its manifest.
func (t *Tx) RunForDay(ctx context.Context, day ill.Date, now time.Time) (*CourierRun, error) {
	// Queued: the INSERT travels with the SELECT below (txConn).
	t.tx.later(`INSERT IGNORE INTO courier_runs (run_date, status, created_at) VALUES (?, 'open', ?)`,
		day.String(), now.UTC())
	var r CourierRun
	err := t.tx.GetContext(ctx, &r, `SELECT id, run_date, status, closed_at, shipments, NULL AS manifest
		FROM courier_runs WHERE run_date = ? LOCK IN SHARE MODE`, day.String())
	return &r, err
}

// AssignToRun puts a shipment on a run and copies the lender's call
// number (for the manifest). The caller holds the shipment's row lock
// (ClaimCourierShipment) and has seen it unassigned; the UPDATE is queued
// (it travels with the COMMIT). The call number is read first with a plain
// (non-locking) read, so the request row is not locked here: the requests
// consumer locks request then shipment, never the reverse.
func (t *Tx) AssignToRun(ctx context.Context, shipmentID int64, run *CourierRun) error {
	var call []string
	if err := t.tx.SelectContext(ctx, &call, `SELECT h.call_number FROM shipments s
		JOIN requests r ON r.id = s.request_id
		JOIN holdings h ON h.library_code = r.lender AND h.record_id = r.record_id
		WHERE s.id = ? ORDER BY h.available DESC, h.local_id LIMIT 1`, shipmentID); err != nil {
		return err
	}
	cn := ""
	if len(call) > 0 {
		cn = call[0]
	}
	t.tx.later(`UPDATE shipments SET run_id = ?, run_date = ?, call_number = ?
		WHERE id = ? AND run_id IS NULL`, run.ID, run.Date().String(), cn, shipmentID)
	return nil
}

// ClaimRunsToClose locks open runs of day today or earlier (SKIP LOCKED:
// another scheduler instance closing one is left alone).
func (t *Tx) ClaimRunsToClose(ctx context.Context, today ill.Date) ([]CourierRun, error) {
	var rs []CourierRun
	err := t.tx.SelectContext(ctx, &rs, `SELECT id, run_date, status, closed_at, shipments, NULL AS manifest
		FROM courier_runs WHERE status = 'open' AND run_date <= ? ORDER BY run_date LIMIT 50 FOR UPDATE SKIP LOCKED`, today.String())
	return rs, err
}

// CloseRun marks a run closed with its manifest snapshot.
func (t *Tx) CloseRun(ctx context.Context, id int64, at time.Time, shipments int, manifest []byte) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE courier_runs SET status = 'closed', closed_at = ?, shipments = ?, manifest = ?
		WHERE id = ?`, at.UTC(), shipments, string(manifest), id)
	return err
}

// ManifestItem is one shipment as a manifest lists it.
type ManifestItem struct {
	ShipmentID  int64  `db:"id" json:"shipment_id"`
	RequestID   string `db:"request_id" json:"request_id"`
	Direction   string `db:"direction" json:"direction"`
	ItemBarcode string `db:"item_barcode" json:"item_barcode"`
	CallNumber  string `db:"call_number" json:"call_number"`
	Title       string `db:"title" json:"title"`
	From        string `db:"from_lib" json:"from"`
	To          string `db:"to_lib" json:"to"`
	FromName    string `db:"from_name" json:"from_name"`
	ToName      string `db:"to_name" json:"to_name"`
	RouteCode   string `db:"route_code" json:"route_code"`
	Status      string `db:"status" json:"status"`
}

const manifestSQL = `SELECT s.id, s.request_id, s.direction, s.item_barcode, s.call_number, COALESCE(r.title, '') AS title,
	s.from_lib, s.to_lib, COALESCE(lf.name_zh, '') AS from_name, COALESCE(lt.name_zh, '') AS to_name, s.route_code, s.status
	FROM shipments s
	LEFT JOIN requests r ON r.id = s.request_id
	LEFT JOIN libraries lf ON lf.code = s.from_lib
	LEFT JOIN libraries lt ON lt.code = s.to_lib
	WHERE s.run_id = ? ORDER BY s.id`

func manifestItems(ctx context.Context, q sqlx.QueryerContext, runID int64) ([]ManifestItem, error) {
	var items []ManifestItem
	err := sqlx.SelectContext(ctx, q, &items, manifestSQL, runID)
	return items, err
}

// ManifestItems lists the shipments on a run (inside the transaction).
func (t *Tx) ManifestItems(ctx context.Context, runID int64) ([]ManifestItem, error) {
	return manifestItems(ctx, t.tx, runID)
}

// ManifestItems lists the shipments on a run.
func (s *Store) ManifestItems(ctx context.Context, runID int64) ([]ManifestItem, error) {
	return manifestItems(ctx, s.DB, runID)
}

// CourierRunByID reads a run (with its manifest snapshot).
func (s *Store) CourierRunByID(ctx context.Context, id int64) (*CourierRun, error) {
	var r CourierRun
	err := s.DB.GetContext(ctx, &r, `SELECT id, run_date, status, closed_at, shipments, manifest FROM courier_runs WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("courier run", fmt.Sprint(id))
	}
	return &r, err
}

// RunSummary is a run in GET /v1/courier/runs.
type RunSummary struct {
	CourierRun
	Items int `db:"items"`
}

// CourierRuns lists runs between two days (inclusive), newest first, with
// the number of shipments on each (only those touching library, unless
// library is "").
func (s *Store) CourierRuns(ctx context.Context, from, to ill.Date, library string) ([]RunSummary, error) {
	var out []RunSummary
	err := s.DB.SelectContext(ctx, &out, `SELECT c.id, c.run_date, c.status, c.closed_at, c.shipments, NULL AS manifest,
		(SELECT COUNT(*) FROM shipments s WHERE s.run_id = c.id AND (? = '' OR s.from_lib = ? OR s.to_lib = ?)) AS items
		FROM courier_runs c WHERE c.run_date BETWEEN ? AND ? ORDER BY c.run_date DESC LIMIT 400`,
		library, library, library, from.String(), to.String())
	return out, err
}

// Scan is an applied courier scan.
type Scan struct {
	ShipmentID int64
	Barcode    string
	Event      string
	Stop       string
	Outcome    string
	MessageID  string
	At         time.Time
}

// RecordScan stores an applied scan.
func (t *Tx) RecordScan(ctx context.Context, sc Scan) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO courier_scans (shipment_id, barcode, event, stop, outcome, message_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, sc.ShipmentID, sc.Barcode, sc.Event, sc.Stop, truncate(sc.Outcome, 200), sc.MessageID, sc.At.UTC())
	return err
}

// SetShipmentPickedUp records a pickup and the exception deadline.
func (t *Tx) SetShipmentPickedUp(ctx context.Context, id int64, at, exceptionDue time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE shipments SET status = 'picked_up', picked_up_at = ?, exception_due = ? WHERE id = ?`,
		at.UTC(), exceptionDue.UTC(), id)
	return err
}

// SetShipmentDelivered records a delivery.
func (t *Tx) SetShipmentDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE shipments SET status = 'delivered', delivered_at = ?,
		picked_up_at = COALESCE(picked_up_at, ?) WHERE id = ?`, at.UTC(), at.UTC(), id)
	return err
}

// ShipmentArrived marks a request's shipment in direction delivered (the
// receiving library has the item), unless the courier already did.
func (t *Tx) ShipmentArrived(ctx context.Context, requestID, direction string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE shipments SET status = 'delivered', delivered_at = ?
		WHERE request_id = ? AND direction = ? AND status <> 'delivered'`, at.UTC(), requestID, direction)
	return err
}

// ClaimLateShipments locks picked-up shipments whose exception deadline
// passed (SKIP LOCKED), with their request's title.
func (t *Tx) ClaimLateShipments(ctx context.Context, now time.Time, limit int) ([]CourierShipment, error) {
	var out []CourierShipment
	// Only shipments rows are locked (no join): the title is read later.
	err := t.tx.SelectContext(ctx, &out, `SELECT `+strings.Replace(courierShipmentCols, "r.title", "NULL AS title", 1)+`
		FROM shipments s WHERE s.status = 'picked_up' AND s.exception_due < ? ORDER BY s.exception_due, s.id LIMIT ?
		FOR UPDATE SKIP LOCKED`,
		now.UTC(), limit)
	return out, err
}

// MarkException moves a shipment to exception.
func (t *Tx) MarkException(ctx context.Context, id int64, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE shipments SET status = 'exception', exception_at = ? WHERE id = ? AND status = 'picked_up'`,
		at.UTC(), id)
	return err
}

// ExceptionRow is an open courier exception.
type ExceptionRow struct {
	ShipmentID   int64        `db:"id"`
	RequestID    string       `db:"request_id"`
	Direction    string       `db:"direction"`
	ItemBarcode  string       `db:"item_barcode"`
	From         string       `db:"from_lib"`
	To           string       `db:"to_lib"`
	RouteCode    string       `db:"route_code"`
	Title        string       `db:"title"`
	PickedUpAt   sql.NullTime `db:"picked_up_at"`
	ExceptionDue sql.NullTime `db:"exception_due"`
	ExceptionAt  sql.NullTime `db:"exception_at"`
}

// OpenExceptions lists shipments in status exception touching library
// (every one when library is "").
func (s *Store) OpenExceptions(ctx context.Context, library string) ([]ExceptionRow, error) {
	var out []ExceptionRow
	err := s.DB.SelectContext(ctx, &out, `SELECT s.id, s.request_id, s.direction, s.item_barcode, s.from_lib, s.to_lib,
		s.route_code, COALESCE(r.title, '') AS title, s.picked_up_at, s.exception_due, s.exception_at
		FROM shipments s LEFT JOIN requests r ON r.id = s.request_id
		WHERE s.status = 'exception' AND (? = '' OR s.from_lib = ? OR s.to_lib = ?) ORDER BY s.exception_at, s.id LIMIT 5000`,
		library, library, library)
	return out, err
}

// RouteVolume is one route's shipments on a day's run.
type RouteVolume struct {
	RouteCode  string `db:"route_code" json:"route_code"`
	From       string `db:"from_lib" json:"from"`
	To         string `db:"to_lib" json:"to"`
	Forward    int    `db:"forward" json:"forward"`
	Return     int    `db:"returns" json:"return"`
	Total      int    `db:"total" json:"total"`
	Delivered  int    `db:"delivered" json:"delivered"`
	Exceptions int    `db:"exceptions" json:"exceptions"`
}

// CourierVolume is the volume per route of day's run.
func (s *Store) CourierVolume(ctx context.Context, day ill.Date, library string) ([]RouteVolume, error) {
	var out []RouteVolume
	err := s.DB.SelectContext(ctx, &out, `SELECT route_code, from_lib, to_lib,
		SUM(direction = 'forward') AS forward, SUM(direction = 'return') AS returns, COUNT(*) AS total,
		SUM(status = 'delivered') AS delivered, SUM(status = 'exception') AS exceptions
		FROM shipments WHERE run_date = ? AND (? = '' OR from_lib = ? OR to_lib = ?)
		GROUP BY route_code, from_lib, to_lib ORDER BY route_code`, day.String(), library, library, library)
	return out, err
}

// PullSlipItem is one WILL_SUPPLY request on a lender's pull slip.
type PullSlipItem struct {
	RequestID  string       `db:"id" json:"request_id"`
	Borrower   string       `db:"borrower" json:"borrower"`
	Title      string       `db:"title" json:"title"`
	Author     string       `db:"author" json:"author"`
	ISBN       string       `db:"isbn" json:"isbn"`
	CallNumber string       `db:"call_number" json:"call_number"`
	LocalID    string       `db:"local_id" json:"local_id"`
	ShipBy     sql.NullTime `db:"ship_by" json:"-"`
}

// PullSlip lists the lender's WILL_SUPPLY requests with the call number
// of its copy (the first available one). Not sorted: callers sort in shelf
// order (ill.SortShelf).
func (s *Store) PullSlip(ctx context.Context, lender string) ([]PullSlipItem, error) {
	var out []PullSlipItem
	err := s.DB.SelectContext(ctx, &out, `SELECT r.id, r.borrower, r.title, r.author, r.isbn, r.ship_by,
		COALESCE(h.call_number, '') AS call_number, COALESCE(h.local_id, '') AS local_id
		FROM requests r
		LEFT JOIN holdings h ON h.library_code = r.lender AND h.record_id = r.record_id
			AND h.local_id = (SELECT h2.local_id FROM holdings h2 WHERE h2.library_code = r.lender AND h2.record_id = r.record_id
				ORDER BY h2.available DESC, h2.local_id LIMIT 1)
		WHERE r.lender = ? AND r.state = 'WILL_SUPPLY' LIMIT 10000`, lender)
	return out, err
}

// ReviewItem is an entry of the staff review list.
type ReviewItem struct {
	ID           int64        `db:"id"`
	Code         string       `db:"code"`
	Source       string       `db:"source"`
	Barcode      string       `db:"barcode"`
	RequestID    string       `db:"request_id"`
	Library      string       `db:"library_code"`
	OtherLibrary string       `db:"other_library"`
	Detail       string       `db:"detail"`
	CreatedAt    time.Time    `db:"created_at"`
	ResolvedAt   sql.NullTime `db:"resolved_at"`
	ResolvedBy   string       `db:"resolved_by"`
	Resolution   string       `db:"resolution"`
}

const insertReviewSQL = `INSERT INTO courier_review (code, source, barcode, request_id, library_code, other_library, detail, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

func reviewArgs(it ReviewItem) []any {
	return []any{it.Code, it.Source, truncate(it.Barcode, 64), it.RequestID, it.Library, it.OtherLibrary, truncate(it.Detail, 400), it.CreatedAt.UTC()}
}

// AddReview puts an entry on the staff review list (API: a refused scan).
func (s *Store) AddReview(ctx context.Context, it ReviewItem) (int64, error) {
	res, err := s.DB.ExecContext(ctx, insertReviewSQL, reviewArgs(it)...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// AddReview puts an entry on the staff review list (consumers).
func (t *Tx) AddReview(ctx context.Context, it ReviewItem) error {
	_, err := t.tx.ExecContext(ctx, insertReviewSQL, reviewArgs(it)...)
	return err
}

// ReviewList lists review entries visible to library ("" = all), open
// ones only unless all is set, oldest first.
func (s *Store) ReviewList(ctx context.Context, library string, all bool) ([]ReviewItem, error) {
	var out []ReviewItem
	err := s.DB.SelectContext(ctx, &out, `SELECT id, code, source, barcode, request_id, library_code, other_library, detail,
		created_at, resolved_at, resolved_by, resolution FROM courier_review
		WHERE (? OR resolved_at IS NULL) AND (? = '' OR library_code = ? OR other_library = ?) ORDER BY id LIMIT 5000`,
		all, library, library, library)
	return out, err
}

// ResolveReview closes a review entry. Only the centre (library "") or a
// library the entry names may resolve it.
func (s *Store) ResolveReview(ctx context.Context, id int64, library, by, note string, at time.Time) error {
	var it ReviewItem
	err := s.DB.GetContext(ctx, &it, `SELECT id, code, source, barcode, request_id, library_code, other_library, detail,
		created_at, resolved_at, resolved_by, resolution FROM courier_review WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("review entry", fmt.Sprint(id))
	}
	if err != nil {
		return err
	}
	if library != "" && it.Library != library && it.OtherLibrary != library {
		return ill.Errorf(ill.CodeForbidden, "review entry %d does not concern %s", id, library)
	}
	if it.ResolvedAt.Valid {
		return ill.Errorf(ill.CodeConflict, "review entry %d was already resolved by %s", id, it.ResolvedBy)
	}
	_, err = s.DB.ExecContext(ctx, `UPDATE courier_review SET resolved_at = ?, resolved_by = ?, resolution = ?
		WHERE id = ? AND resolved_at IS NULL`, at.UTC(), by, truncate(note, 400), id)
	return err
}

// ReturnCheck is a loan's return facts (table return_checks).
type ReturnCheck struct {
	RequestID        string       `db:"request_id"`
	Borrower         string       `db:"borrower"`
	Lender           string       `db:"lender"`
	ItemBarcode      string       `db:"item_barcode"`
	ScannedBarcode   string       `db:"scanned_barcode"`
	DueAt            sql.NullTime `db:"due_at"`
	ReturnedAt       sql.NullTime `db:"returned_at"`
	ReturnCondition  string       `db:"return_condition"`
	CheckinCondition string       `db:"checkin_condition"`
	CheckedInAt      sql.NullTime `db:"checked_in_at"`
	Lost             bool         `db:"lost"`
	Status           string       `db:"status"`
}

// RecordReturn stores the borrowing library's return and inspection.
func (t *Tx) RecordReturn(ctx context.Context, rc ReturnCheck) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO return_checks (request_id, borrower, lender, item_barcode, scanned_barcode,
		due_at, returned_at, return_condition) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE scanned_barcode = VALUES(scanned_barcode), due_at = VALUES(due_at),
		returned_at = VALUES(returned_at), return_condition = VALUES(return_condition)`,
		rc.RequestID, rc.Borrower, rc.Lender, rc.ItemBarcode, rc.ScannedBarcode, rc.DueAt, rc.ReturnedAt, rc.ReturnCondition)
	return err
}

// RecordCheckin stores the lender's check-in condition.
func (t *Tx) RecordCheckin(ctx context.Context, rc ReturnCheck) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO return_checks (request_id, borrower, lender, item_barcode, due_at,
		checkin_condition, checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE checkin_condition = VALUES(checkin_condition), checked_in_at = VALUES(checked_in_at)`,
		rc.RequestID, rc.Borrower, rc.Lender, rc.ItemBarcode, rc.DueAt, rc.CheckinCondition, rc.CheckedInAt)
	return err
}

// RecordLost marks the loan lost.
func (t *Tx) RecordLost(ctx context.Context, rc ReturnCheck) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO return_checks (request_id, borrower, lender, item_barcode, due_at, lost)
		VALUES (?, ?, ?, ?, ?, 1) ON DUPLICATE KEY UPDATE lost = 1`,
		rc.RequestID, rc.Borrower, rc.Lender, rc.ItemBarcode, rc.DueAt)
	return err
}

// LockReturnCheck reads a loan's return facts with the row lock.
func (t *Tx) LockReturnCheck(ctx context.Context, requestID string) (*ReturnCheck, error) {
	var rc ReturnCheck
	err := t.tx.GetContext(ctx, &rc, `SELECT request_id, borrower, lender, item_barcode, scanned_barcode, due_at, returned_at,
		return_condition, checkin_condition, checked_in_at, lost, status FROM return_checks WHERE request_id = ? FOR UPDATE`, requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("return check", requestID)
	}
	return &rc, err
}

// LoansByBarcode lists the requests lender shipped with barcode, newest first.
func (t *Tx) LoansByBarcode(ctx context.Context, lender, barcode string) ([]string, error) {
	var ids []string
	err := t.tx.SelectContext(ctx, &ids, `SELECT id FROM requests WHERE lender = ? AND item_barcode = ?
		ORDER BY updated_at DESC LIMIT 10`, lender, barcode)
	return ids, err
}

// SetReturnCheckStatus records the outcome of a return check.
func (t *Tx) SetReturnCheckStatus(ctx context.Context, requestID, status string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE return_checks SET status = ?, checked_at = ? WHERE request_id = ?`, status, at.UTC(), requestID)
	return err
}

// ViolationRow is a recorded violation.
type ViolationRow struct {
	ID        int64     `db:"id"`
	RequestID string    `db:"request_id"`
	Kind      string    `db:"kind"`
	Lender    string    `db:"lender"`
	Borrower  string    `db:"borrower"`
	PatronID  string    `db:"patron_id"`
	Days      int       `db:"days"`
	AmountFen int       `db:"amount_fen"`
	Note      string    `db:"note"`
	CreatedAt time.Time `db:"created_at"`
	Title     string    `db:"title"`
}

// AddViolation records a violation once per (request, kind); it returns
// false when it already existed.
func (t *Tx) AddViolation(ctx context.Context, v ViolationRow) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT IGNORE INTO violations (request_id, kind, lender, borrower, patron_id, days,
		amount_fen, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.RequestID, v.Kind, v.Lender, v.Borrower,
		v.PatronID, v.Days, v.AmountFen, truncate(v.Note, 400), v.CreatedAt.UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ViolationFilter selects violations for the report.
type ViolationFilter struct {
	Library  string // the caller's library: as lender or borrower ("" = all, centre)
	Lender   string // optional
	From, To ill.Date
}

// Violations lists violations created in [From, To] (Asia/Shanghai days).
func (s *Store) Violations(ctx context.Context, f ViolationFilter) ([]ViolationRow, error) {
	var out []ViolationRow
	err := s.DB.SelectContext(ctx, &out, `SELECT v.id, v.request_id, v.kind, v.lender, v.borrower, v.patron_id, v.days,
		v.amount_fen, v.note, v.created_at, COALESCE(r.title, '') AS title
		FROM violations v LEFT JOIN requests r ON r.id = v.request_id
		WHERE v.created_at >= ? AND v.created_at < ? AND (? = '' OR v.lender = ? OR v.borrower = ?) AND (? = '' OR v.lender = ?)
		ORDER BY v.created_at, v.id LIMIT 20000`,
		f.From.Start().UTC(), f.To.AddDays(1).Start().UTC(), f.Library, f.Library, f.Library, f.Lender, f.Lender)
	return out, err
}

// RequestBrief is what courier notices need of a request.
type RequestBrief struct {
	ID       string         `db:"id"`
	Borrower string         `db:"borrower"`
	Lender   sql.NullString `db:"lender"`
	PatronID string         `db:"patron_id"`
	Title    string         `db:"title"`
	DueAt    sql.NullTime   `db:"due_at"`
	State    string         `db:"state"`
}

// RequestBrief reads a request without locking it.
func (t *Tx) RequestBrief(ctx context.Context, id string) (*RequestBrief, error) {
	var r RequestBrief
	err := t.tx.GetContext(ctx, &r, `SELECT id, borrower, lender, patron_id, title, due_at, state FROM requests WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("request", id)
	}
	return &r, err
}
