package mysql

// Courier runs (table courier_runs): one run a day, closed at the
// cut-off with a manifest snapshot; the libraries' courier stops (their
// courier_days and courier_cutoff columns) and the per-route volume.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/jmoiron/sqlx"
)

// courierStopRow is a library's courier columns as courierStopsSQL reads them.
type courierStopRow struct {
	Code   string `db:"code"`
	NameZH string `db:"name_zh"`
	Cutoff string `db:"courier_cutoff"`
	Days   string `db:"courier_days"`
}

// courierStopsSQL reads the courier settings of libraries (an IN list,
// expanded by sqlx.In). Locks: none.
const courierStopsSQL = `SELECT code, name_zh, courier_cutoff, courier_days FROM libraries WHERE code IN (?)`

// CourierStops reads the courier settings of the given libraries (from the
// Directory when attached).
func (t *Tx) CourierStops(ctx context.Context, codes ...string) (map[string]ill.CourierStopRow, error) {
	out := map[string]ill.CourierStopRow{}
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
			out[c] = ill.CourierStopRow{Code: l.Code, NameZH: l.NameZH, Cutoff: l.CourierCutoff, Days: l.CourierDays}
		}
		if cached {
			return out, nil
		}
		clear(out)
	}
	q, args, err := sqlx.In(courierStopsSQL, codes)
	if err != nil {
		return nil, err
	}
	var rows []courierStopRow
	if err := t.tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Code] = ill.CourierStopRow(r)
	}
	return out, nil
}

// setCourierDaysSQL sets a library's courier days and, unless the cut-off
// given is empty, its cut-off. Locks: the library row, for the statement only
// (autocommit).
const setCourierDaysSQL = `UPDATE libraries SET courier_days = ?,
	courier_cutoff = IF(? = '', courier_cutoff, ?) WHERE code = ?`

// SetCourierDays sets a library's courier days and (when not "") cut-off.
func (s *Store) SetCourierDays(ctx context.Context, code string, days ill.CourierDays, cutoff string) error {
	defer s.dir.Forget()
	res, err := s.DB.ExecContext(ctx, setCourierDaysSQL, days.String(), cutoff, cutoff, code)
	if err != nil {
		return classify(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Library(ctx, code); err != nil {
			return classify(err) // not_found for an unknown library
		}
	}
	return nil
}

// allCutoffsSQL lists the distinct cut-offs. Locks: none.
const allCutoffsSQL = `SELECT DISTINCT courier_cutoff FROM libraries`

// AllCutoffs lists the distinct cut-offs of every library.
func (t *Tx) AllCutoffs(ctx context.Context) ([]string, error) {
	var out []string
	err := t.tx.SelectContext(ctx, &out, allCutoffsSQL)
	return out, err
}

// runRow is a courier_runs row as scanned (manifest NULL where a read
// leaves the snapshot out), with the number of shipments a listing counts.
type runRow struct {
	ID        int64          `db:"id"`
	RunDate   time.Time      `db:"run_date"`
	Status    ill.RunStatus  `db:"status"`
	ClosedAt  sql.NullTime   `db:"closed_at"`
	Shipments int            `db:"shipments"`
	Manifest  sql.NullString `db:"manifest"`
	Items     int            `db:"items"`
}

func (r runRow) domain() ill.CourierRun {
	return ill.CourierRun{ID: r.ID, RunDate: r.RunDate, Status: r.Status, ClosedAt: r.ClosedAt.Time,
		Shipments: r.Shipments, Manifest: r.Manifest.String}
}

// runForDaySQL reads a day's run; when there is none yet, createRunSQL
// creates it (uq_courier_runs_date: a concurrent creator's row wins) and
// runForDaySQL reads it again. Locks: runForDaySQL a shared lock on the
// run row (LOCK IN SHARE MODE) until commit, which keeps the cut-off job
// (claimRunsToCloseSQL) from closing it meanwhile; createRunSQL the new
// row (or a shared lock on the existing one).
const (
	createRunSQL = `INSERT IGNORE INTO courier_runs (run_date, status, created_at) VALUES (?, 'open', ?)`
	runForDaySQL = `SELECT id, run_date, status, closed_at, shipments, NULL AS manifest
	FROM courier_runs WHERE run_date = ? LOCK IN SHARE MODE`
)

// RunForDay returns day's run, creating it, with a shared lock: the run
// cannot be closed before this transaction commits (the courier-cutoff job
// takes the exclusive lock), so a shipment assigned to an open run is on
// its manifest.
//
// The run usually exists (the first shipment of the day created it): one
// statement. Otherwise the INSERT is queued and travels with the second
// read (txConn).
func (t *Tx) RunForDay(ctx context.Context, day ill.Date, now time.Time) (*ill.CourierRun, error) {
	var r runRow
	err := t.tx.GetContext(ctx, &r, runForDaySQL, day.String())
	if errors.Is(err, sql.ErrNoRows) {
		t.tx.later(createRunSQL, day.String(), now.UTC())
		err = t.tx.GetContext(ctx, &r, runForDaySQL, day.String())
	}
	if err != nil {
		return nil, err
	}
	run := r.domain()
	return &run, nil
}

// lenderCallNumberSQL reads the call number of the lender's copy of a
// shipment's record (available copies first). Locks: none (plain read:
// the request row is not locked, see AssignToRun).
const lenderCallNumberSQL = `SELECT h.call_number FROM shipments s
	JOIN requests r ON r.id = s.request_id
	JOIN holdings h ON h.library_code = r.lender AND h.record_id = r.record_id
	WHERE s.id = ? ORDER BY h.available DESC, h.local_id LIMIT 1`

// assignToRunSQL puts an unassigned shipment on a run. Locks: the
// shipment row, already held (lockCourierShipmentSQL).
const assignToRunSQL = `UPDATE shipments SET run_id = ?, run_date = ?, call_number = ?
	WHERE id = ? AND run_id IS NULL`

// AssignToRun puts shipment s on a run. The caller holds the shipment's
// row lock (LockCourierShipment) and has seen it unassigned; the UPDATE
// is queued (it travels with the COMMIT). A shipment carries its call
// number from its creation (AddShipment); one created without (before
// shipments were) gets it here, with a plain (non-locking) read, so the
// request row is not locked: the requests consumer locks request then
// shipment, never the reverse.
func (t *Tx) AssignToRun(ctx context.Context, s *ill.Shipment, run *ill.CourierRun) error {
	cn := s.CallNumber
	if cn == "" {
		var call []string
		if err := t.tx.SelectContext(ctx, &call, lenderCallNumberSQL, s.ID); err != nil {
			return err
		}
		if len(call) > 0 {
			cn = call[0]
		}
	}
	t.tx.later(assignToRunSQL, run.ID, run.Date().String(), cn, s.ID)
	return nil
}

// assignOpenRunSQL puts an unassigned shipment on a day's run when that run
// exists and is open, in one statement. Locks: the shipment row, and the
// run row in shared mode (the join reads it with a lock, waiting for a
// courier-cutoff job that is closing it and then seeing it closed), both
// until commit, as LockCourierShipment and runForDaySQL would.
const assignOpenRunSQL = `UPDATE shipments s JOIN courier_runs r ON r.run_date = ? AND r.status = 'open'
	SET s.run_id = r.id, s.run_date = r.run_date WHERE s.id = ? AND s.run_id IS NULL`

// AssignToOpenRun puts shipment id on day's run if that run is open and the
// shipment unassigned (true), else changes nothing (false: the run does
// not exist yet or is closed, or the shipment has its run already). The
// shipment keeps the call number it was created with (AddShipment).
func (t *Tx) AssignToOpenRun(ctx context.Context, id int64, day ill.Date) (bool, error) {
	res, err := t.tx.ExecContext(ctx, assignOpenRunSQL, day.String(), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// claimRunsToCloseSQL claims open runs of a day or earlier. Locks: the
// runs returned, exclusively, until commit; SKIP LOCKED leaves out runs
// another transaction holds (another scheduler instance closing them, or
// a consumer assigning a shipment with runForDaySQL's shared lock), to be
// closed on a later pass.
const claimRunsToCloseSQL = `SELECT id, run_date, status, closed_at, shipments, NULL AS manifest
	FROM courier_runs WHERE status = 'open' AND run_date <= ? ORDER BY run_date LIMIT 50 FOR UPDATE SKIP LOCKED`

// ClaimRunsToClose locks open runs of day today or earlier (SKIP LOCKED:
// another scheduler instance closing one is left alone).
func (t *Tx) ClaimRunsToClose(ctx context.Context, today ill.Date) ([]ill.CourierRun, error) {
	var rows []runRow
	if err := t.tx.SelectContext(ctx, &rows, claimRunsToCloseSQL, today.String()); err != nil {
		return nil, err
	}
	var out []ill.CourierRun
	for _, r := range rows {
		out = append(out, r.domain())
	}
	return out, nil
}

// closeRunSQL closes a run with its manifest. Locks: the run row, already
// held (claimRunsToCloseSQL).
const closeRunSQL = `UPDATE courier_runs SET status = 'closed', closed_at = ?, shipments = ?, manifest = ?
	WHERE id = ?`

// CloseRun marks a run closed with its manifest snapshot.
func (t *Tx) CloseRun(ctx context.Context, id int64, at time.Time, shipments int, manifest []byte) error {
	_, err := t.tx.ExecContext(ctx, closeRunSQL, at.UTC(), shipments, string(manifest), id)
	return err
}

// manifestItemRow is a shipment as manifestSQL reads it.
type manifestItemRow struct {
	ShipmentID  int64              `db:"id"`
	RequestID   string             `db:"request_id"`
	Direction   ill.Direction      `db:"direction"`
	ItemBarcode string             `db:"item_barcode"`
	CallNumber  string             `db:"call_number"`
	Title       string             `db:"title"`
	From        string             `db:"from_lib"`
	To          string             `db:"to_lib"`
	FromName    string             `db:"from_name"`
	ToName      string             `db:"to_name"`
	RouteCode   string             `db:"route_code"`
	Status      ill.ShipmentStatus `db:"status"`
}

// manifestSQL lists the shipments on a run with titles and library names.
// Locks: none.
const manifestSQL = `SELECT s.id, s.request_id, s.direction, s.item_barcode, s.call_number, COALESCE(r.title, '') AS title,
	s.from_lib, s.to_lib, COALESCE(lf.name_zh, '') AS from_name, COALESCE(lt.name_zh, '') AS to_name, s.route_code, s.status
	FROM shipments s
	LEFT JOIN requests r ON r.id = s.request_id
	LEFT JOIN libraries lf ON lf.code = s.from_lib
	LEFT JOIN libraries lt ON lt.code = s.to_lib
	WHERE s.run_id = ? ORDER BY s.id`

// manifestItems lists the shipments on a run, by shipment id (nil when
// none).
func manifestItems(ctx context.Context, q sqlx.QueryerContext, runID int64) ([]ill.ManifestItem, error) {
	var rows []manifestItemRow
	if err := sqlx.SelectContext(ctx, q, &rows, manifestSQL, runID); err != nil {
		return nil, err
	}
	var items []ill.ManifestItem
	for _, r := range rows {
		items = append(items, ill.ManifestItem(r))
	}
	return items, nil
}

// ManifestItems lists the shipments on a run (inside the transaction).
func (t *Tx) ManifestItems(ctx context.Context, runID int64) ([]ill.ManifestItem, error) {
	return manifestItems(ctx, t.tx, runID)
}

// ManifestItems lists the shipments on a run.
func (s *Store) ManifestItems(ctx context.Context, runID int64) ([]ill.ManifestItem, error) {
	items, err := manifestItems(ctx, s.DB, runID)
	return items, classify(err)
}

// courierRunSQL reads a run with its manifest snapshot. Locks: none.
const courierRunSQL = `SELECT id, run_date, status, closed_at, shipments, manifest FROM courier_runs WHERE id = ?`

// CourierRunByID reads a run (with its manifest snapshot).
func (s *Store) CourierRunByID(ctx context.Context, id int64) (*ill.CourierRun, error) {
	var r runRow
	err := s.DB.GetContext(ctx, &r, courierRunSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("courier run", fmt.Sprint(id))
	}
	if err != nil {
		return nil, classify(err)
	}
	run := r.domain()
	return &run, nil
}

// courierRunsSQL lists the runs between two days with their number of
// shipments touching a library ("": all). Locks: none.
const courierRunsSQL = `SELECT c.id, c.run_date, c.status, c.closed_at, c.shipments, NULL AS manifest,
	(SELECT COUNT(*) FROM shipments s WHERE s.run_id = c.id AND (? = '' OR s.from_lib = ? OR s.to_lib = ?)) AS items
	FROM courier_runs c WHERE c.run_date BETWEEN ? AND ? ORDER BY c.run_date DESC LIMIT 400`

// CourierRuns lists runs between two days (inclusive), newest first, with
// the number of shipments on each (only those touching library, unless
// library is "").
func (s *Store) CourierRuns(ctx context.Context, from, to ill.Date, library string) ([]ill.RunSummary, error) {
	var rows []runRow
	if err := s.DB.SelectContext(ctx, &rows, courierRunsSQL, library, library, library, from.String(), to.String()); err != nil {
		return nil, classify(err)
	}
	var out []ill.RunSummary
	for _, r := range rows {
		out = append(out, ill.RunSummary{CourierRun: r.domain(), Items: r.Items})
	}
	return out, nil
}

// routeVolumeRow is a route's counts as courierVolumeSQL reads them.
type routeVolumeRow struct {
	RouteCode  string `db:"route_code"`
	From       string `db:"from_lib"`
	To         string `db:"to_lib"`
	Forward    int    `db:"forward"`
	Return     int    `db:"returns"`
	Total      int    `db:"total"`
	Delivered  int    `db:"delivered"`
	Exceptions int    `db:"exceptions"`
}

// courierVolumeSQL counts a day's shipments per route, touching a library
// ("": all). Locks: none.
const courierVolumeSQL = `SELECT route_code, from_lib, to_lib,
	SUM(direction = 'forward') AS forward, SUM(direction = 'return') AS returns, COUNT(*) AS total,
	SUM(status = 'delivered') AS delivered, SUM(status = 'exception') AS exceptions
	FROM shipments WHERE run_date = ? AND (? = '' OR from_lib = ? OR to_lib = ?)
	GROUP BY route_code, from_lib, to_lib ORDER BY route_code`

// CourierVolume is the volume per route of day's run.
func (s *Store) CourierVolume(ctx context.Context, day ill.Date, library string) ([]ill.RouteVolume, error) {
	var rows []routeVolumeRow
	if err := s.DB.SelectContext(ctx, &rows, courierVolumeSQL, day.String(), library, library, library); err != nil {
		return nil, classify(err)
	}
	var out []ill.RouteVolume
	for _, r := range rows {
		out = append(out, ill.RouteVolume(r))
	}
	return out, nil
}
