package mysql

// Shipments (tables shipments and courier_scans): one courier movement of
// an item per request and direction, its scans and exceptions. Lock order:
// the requests consumer locks a request, then its shipments; the courier
// consumer locks a shipment and never the request row.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
)

// shipmentRow is the shipments row as scanned, with the request's title
// where a read joins it.
type shipmentRow struct {
	ID           int64              `db:"id"`
	RequestID    string             `db:"request_id"`
	Direction    ill.Direction      `db:"direction"`
	ItemBarcode  string             `db:"item_barcode"`
	From         string             `db:"from_lib"`
	To           string             `db:"to_lib"`
	RouteCode    string             `db:"route_code"`
	Status       ill.ShipmentStatus `db:"status"`
	RunID        sql.NullInt64      `db:"run_id"`
	RunDate      sql.NullTime       `db:"run_date"`
	CallNumber   string             `db:"call_number"`
	CreatedAt    time.Time          `db:"created_at"`
	PickedUpAt   sql.NullTime       `db:"picked_up_at"`
	DeliveredAt  sql.NullTime       `db:"delivered_at"`
	ExceptionDue sql.NullTime       `db:"exception_due"`
	ExceptionAt  sql.NullTime       `db:"exception_at"`
	Title        sql.NullString     `db:"title"`
}

func (r shipmentRow) domain() ill.Shipment {
	return ill.Shipment{ID: r.ID, RequestID: r.RequestID, Direction: r.Direction, ItemBarcode: r.ItemBarcode,
		From: r.From, To: r.To, RouteCode: r.RouteCode, Status: r.Status, RunID: r.RunID.Int64,
		RunDate: r.RunDate.Time, CallNumber: r.CallNumber, CreatedAt: r.CreatedAt, PickedUpAt: r.PickedUpAt.Time,
		DeliveredAt: r.DeliveredAt.Time, ExceptionDue: r.ExceptionDue.Time, ExceptionAt: r.ExceptionAt.Time,
		Title: r.Title.String}
}

// shipments converts rows (nil stays nil).
func shipments(rows []shipmentRow) []ill.Shipment {
	if rows == nil {
		return nil
	}
	out := make([]ill.Shipment, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out
}

// addShipmentSQL creates a request's shipment in one direction, with the
// call number of the lender's copy of its record (available copies first;
// for the courier's manifest), or returns the existing one's id
// (LAST_INSERT_ID). Locks: the shipment row until commit; on
// uq_shipment's duplicate an exclusive next-key lock (a gap lock even at
// READ COMMITTED). The request row is the caller's already; the holdings
// are read without locks (a consistent read at READ COMMITTED).
const addShipmentSQL = `INSERT INTO shipments (request_id, direction, item_barcode, from_lib, to_lib,
	route_code, status, created_at, call_number)
	SELECT ?, ?, ?, ?, ?, ?, 'awaiting_pickup', ?, COALESCE((SELECT h.call_number FROM requests r
		JOIN holdings h ON h.library_code = r.lender AND h.record_id = r.record_id
		WHERE r.id = ? ORDER BY h.available DESC, h.local_id LIMIT 1), '')
	ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(shipments.id)`

// AddShipment creates the request's shipment in one direction, once
// (awaiting_pickup), from s's request, direction, barcode, libraries,
// route and CreatedAt, with the lender's call number; it returns the
// shipment's id (the existing one's when it was created before). The
// caller holds the request's row lock.
func (t *Tx) AddShipment(ctx context.Context, s ill.Shipment) (int64, error) {
	res, err := t.tx.ExecContext(ctx, addShipmentSQL, s.RequestID, string(s.Direction), s.ItemBarcode, s.From, s.To,
		s.RouteCode, s.CreatedAt.UTC(), s.RequestID)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// assignShipmentRunSQL sets a shipment's run day unless it has one.
// Locks: the shipment row until commit.
const assignShipmentRunSQL = `UPDATE shipments SET run_date = ? WHERE id = ? AND run_date IS NULL`

// AssignShipmentRun puts a shipment on the courier run of day (once).
func (t *Tx) AssignShipmentRun(ctx context.Context, id int64, day ill.Date) (bool, error) {
	res, err := t.tx.ExecContext(ctx, assignShipmentRunSQL, day.String(), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// shipmentRow's columns: courierShipmentCols with the request's title
// (requests r joined), lockedShipmentCols without it (a locking read of
// shipments joins nothing, so that it locks shipments rows only).
const (
	shipmentCols = `s.id, s.request_id, s.direction, s.item_barcode, s.from_lib, s.to_lib, s.route_code, s.status,
	s.run_id, s.run_date, s.call_number, s.created_at, s.picked_up_at, s.delivered_at, s.exception_due, s.exception_at, `
	courierShipmentCols = shipmentCols + `r.title`
	lockedShipmentCols  = shipmentCols + `NULL AS title`
)

// lockCourierShipmentSQL reads a shipment with its courier columns.
// Locks: the shipment row (FOR UPDATE) until commit.
const lockCourierShipmentSQL = `SELECT ` + lockedShipmentCols + ` FROM shipments s WHERE s.id = ? FOR UPDATE`

// LockCourierShipment reads a shipment with its row lock.
func (t *Tx) LockCourierShipment(ctx context.Context, id int64) (*ill.Shipment, error) {
	var r shipmentRow
	err := t.tx.GetContext(ctx, &r, lockCourierShipmentSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("shipment", fmt.Sprint(id))
	}
	if err != nil {
		return nil, err
	}
	s := r.domain()
	return &s, nil
}

// shipmentsForScanSQL lists the newest shipments with an item barcode,
// with their request's title. Locks: none.
const shipmentsForScanSQL = `SELECT ` + courierShipmentCols + ` FROM shipments s
	LEFT JOIN requests r ON r.id = s.request_id WHERE s.item_barcode = ? ORDER BY s.id DESC LIMIT 50`

// ShipmentsForScan lists the shipments a courier's scan of barcode may
// refer to: those not yet delivered, newest first (barcodes are local to
// each library, so several lenders' items may share one). delivered
// reports whether a delivered shipment with that barcode exists.
func (s *Store) ShipmentsForScan(ctx context.Context, barcode string) (open []ill.Shipment, delivered bool, err error) {
	var rows []shipmentRow
	if err := s.DB.SelectContext(ctx, &rows, shipmentsForScanSQL, barcode); err != nil {
		return nil, false, classify(err)
	}
	for _, r := range shipments(rows) {
		if r.Status != ill.ShipDelivered {
			open = append(open, r)
		} else {
			delivered = true
		}
	}
	return open, delivered, nil
}

// recordScanSQL stores an applied scan. Locks: the new row until commit.
const recordScanSQL = `INSERT INTO courier_scans (shipment_id, barcode, event, stop, outcome, message_id, at)
	VALUES (?, ?, ?, ?, ?, ?, ?)`

// RecordScan stores an applied scan.
func (t *Tx) RecordScan(ctx context.Context, sc ill.Scan) error {
	_, err := t.tx.ExecContext(ctx, recordScanSQL, sc.ShipmentID, sc.Barcode, sc.Event, sc.Stop, truncate(sc.Outcome, 200), sc.MessageID, sc.At.UTC())
	return err
}

// shipmentPickedUpSQL records a pickup. Locks: the shipment row, already
// held (lockCourierShipmentSQL).
const shipmentPickedUpSQL = `UPDATE shipments SET status = 'picked_up', picked_up_at = ?, exception_due = ? WHERE id = ?`

// SetShipmentPickedUp records a pickup and the exception deadline.
func (t *Tx) SetShipmentPickedUp(ctx context.Context, id int64, at, exceptionDue time.Time) error {
	_, err := t.tx.ExecContext(ctx, shipmentPickedUpSQL, at.UTC(), exceptionDue.UTC(), id)
	return err
}

// shipmentDeliveredSQL records a delivery (and a pickup never scanned).
// Locks: the shipment row, already held (lockCourierShipmentSQL).
const shipmentDeliveredSQL = `UPDATE shipments SET status = 'delivered', delivered_at = ?,
	picked_up_at = COALESCE(picked_up_at, ?) WHERE id = ?`

// SetShipmentDelivered records a delivery.
func (t *Tx) SetShipmentDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, shipmentDeliveredSQL, at.UTC(), at.UTC(), id)
	return err
}

// shipmentArrivedSQL marks a request's shipment in one direction
// delivered unless it is. Locks: that shipment row (uq_shipment) until
// commit, taken after the request row lock the caller holds.
const shipmentArrivedSQL = `UPDATE shipments SET status = 'delivered', delivered_at = ?
	WHERE request_id = ? AND direction = ? AND status <> 'delivered'`

// ShipmentArrived marks a request's shipment in direction delivered (the
// receiving library has the item), unless the courier already did.
func (t *Tx) ShipmentArrived(ctx context.Context, requestID string, direction ill.Direction, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, shipmentArrivedSQL, at.UTC(), requestID, string(direction))
	return err
}

// claimLateShipmentsSQL claims picked-up shipments whose exception
// deadline passed, oldest first. Locks: the rows returned (FOR UPDATE SKIP
// LOCKED: rows another scheduler instance holds are skipped) until commit;
// shipments only, no join.
const claimLateShipmentsSQL = `SELECT ` + lockedShipmentCols + `
	FROM shipments s WHERE s.status = 'picked_up' AND s.exception_due < ? ORDER BY s.exception_due, s.id LIMIT ?
	FOR UPDATE SKIP LOCKED`

// ClaimLateShipments locks picked-up shipments whose exception deadline
// passed (SKIP LOCKED), oldest deadline first, at most limit. Only
// shipments rows are locked (no join): Title is "", the caller reads the
// request afterwards.
func (t *Tx) ClaimLateShipments(ctx context.Context, now time.Time, limit int) ([]ill.Shipment, error) {
	var rows []shipmentRow
	err := t.tx.SelectContext(ctx, &rows, claimLateShipmentsSQL, now.UTC(), limit)
	return shipments(rows), err
}

// markExceptionSQL moves a picked-up shipment to exception. Locks: the
// shipment row, already held (claimLateShipmentsSQL).
const markExceptionSQL = `UPDATE shipments SET status = 'exception', exception_at = ? WHERE id = ? AND status = 'picked_up'`

// MarkException moves a shipment to exception.
func (t *Tx) MarkException(ctx context.Context, id int64, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, markExceptionSQL, at.UTC(), id)
	return err
}

// openExceptionsSQL lists shipments in exception touching a library ("":
// all), with their request's title. Locks: none.
const openExceptionsSQL = `SELECT s.id, s.request_id, s.direction, s.item_barcode, s.from_lib, s.to_lib,
	s.route_code, COALESCE(r.title, '') AS title, s.picked_up_at, s.exception_due, s.exception_at
	FROM shipments s LEFT JOIN requests r ON r.id = s.request_id
	WHERE s.status = 'exception' AND (? = '' OR s.from_lib = ? OR s.to_lib = ?) ORDER BY s.exception_at, s.id LIMIT 5000`

// OpenExceptions lists shipments in status exception touching library
// (every one when library is "").
func (s *Store) OpenExceptions(ctx context.Context, library string) ([]ill.ExceptionRow, error) {
	var rows []shipmentRow
	if err := s.DB.SelectContext(ctx, &rows, openExceptionsSQL, library, library, library); err != nil {
		return nil, classify(err)
	}
	var out []ill.ExceptionRow
	for _, r := range shipments(rows) {
		out = append(out, ill.ExceptionRow{ShipmentID: r.ID, RequestID: r.RequestID, Direction: r.Direction,
			ItemBarcode: r.ItemBarcode, From: r.From, To: r.To, RouteCode: r.RouteCode, Title: r.Title,
			PickedUpAt: r.PickedUpAt, ExceptionDue: r.ExceptionDue, ExceptionAt: r.ExceptionAt})
	}
	return out, nil
}

// openShipmentsSQL lists undelivered shipments, newest run first; %s is
// OpenShipments' library condition ("1=1" or one with ? arguments).
// Locks: none.
const openShipmentsSQL = `SELECT s.id, s.request_id, s.direction, s.item_barcode, s.from_lib, s.to_lib,
	s.route_code, s.status, s.run_date, q.title FROM shipments s LEFT JOIN requests q ON q.id = s.request_id
	WHERE %s AND s.status NOT IN ('delivered','cancelled') ORDER BY s.run_date IS NULL, s.run_date DESC, s.id DESC LIMIT ?`

// OpenShipments lists shipments not yet delivered that leave from or go to
// library ("" for all), newest run first.
func (s *Store) OpenShipments(ctx context.Context, library string, limit int) ([]ill.ShipmentRow, error) {
	cond, args := "1=1", []any{}
	if library != "" {
		cond, args = "(s.from_lib = ? OR s.to_lib = ?)", []any{library, library}
	}
	var rows []shipmentRow
	if err := s.DB.SelectContext(ctx, &rows, fmt.Sprintf(openShipmentsSQL, cond), append(args, limit)...); err != nil {
		return nil, classify(err)
	}
	var out []ill.ShipmentRow
	for _, r := range shipments(rows) {
		out = append(out, ill.ShipmentRow{ID: r.ID, RequestID: r.RequestID, Direction: r.Direction,
			ItemBarcode: r.ItemBarcode, From: r.From, To: r.To, Route: r.RouteCode, Status: r.Status,
			RunDate: r.RunDate, Title: r.Title})
	}
	return out, nil
}
