package courier

// The courier pool: shipments onto courier runs, courier scans, and return
// checks. Every handler is one transaction with the inbox, so a
// redelivered or duplicated message changes nothing twice.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/balis/illhub/consumers"
	"github.com/balis/illhub/consumers/notices"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// Pool is the courier pool. Its fields are read-only after construction.
type Pool struct {
	Store    *mysql.Store
	Calendar consumers.CalendarSource
}

// Handle is the courier pool's handler: shipment.created, courier.scan and
// return.check.
func (p *Pool) Handle(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := consumers.Decode(d)
	if err != nil {
		return err
	}
	switch m.Type {
	case ill.MsgShipment:
		return p.assign(ctx, m)
	case ill.MsgCourierScan:
		return p.scan(ctx, m)
	case ill.MsgReturnCheck:
		return p.checkReturn(ctx, m)
	}
	return ill.Errorf(ill.CodeBadRequest, "courier queue cannot handle %q", m.Type)
}

// schedule is library's working days: the national calendar and its
// closures.
func schedule(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, library string) (ill.Schedule, error) {
	cl, err := tx.Closures(ctx, library)
	if err != nil {
		return ill.Schedule{}, err
	}
	return cal.ScheduleFor(cl), nil
}

// courierStop builds a library's courier view (schedule, days, cut-off).
func courierStop(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, row ill.CourierStopRow) (ill.CourierStop, error) {
	sched, err := schedule(ctx, tx, cal, row.Code)
	if err != nil {
		return ill.CourierStop{}, err
	}
	days, err := ill.ParseCourierDays(row.Days)
	if err != nil {
		days = ill.DefaultCourierDays
	}
	return ill.CourierStop{Sched: sched, Days: days, Cutoff: row.Cutoff}, nil
}

// assign puts a new shipment on its courier run: the first run after its
// creation that serves both libraries, before the sender's cut-off
// (ill.NextRun). A run already closed (the message was processed late) is
// skipped for the next one. The run is held with a shared lock until
// commit, so the courier-cutoff job cannot close it in between.
//
// The message names the shipment's libraries and creation time, so the
// usual case is one statement (Tx.AssignToOpenRun: that day's run exists
// and is open). Otherwise (the run is not created yet or closed, the
// shipment is assigned already, or a message without those fields) the
// shipment is read under its row lock and the runs are walked.
func (p *Pool) assign(ctx context.Context, m ill.Message) error {
	var ref ill.ShipmentRef
	if err := json.Unmarshal(m.Body, &ref); err != nil || ref.ShipmentID == 0 {
		return ill.Errorf(ill.CodeBadRequest, "shipment message lacks shipment_id")
	}
	cal, err := p.Calendar.Get(ctx)
	if err != nil {
		return err
	}
	// The shipment's own run is the record of its assignment: a
	// redelivered message finds it assigned and changes nothing, so no
	// inbox row is written.
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		if ref.From != "" && ref.To != "" && !ref.CreatedAt.IsZero() {
			from, to, err := stops(ctx, tx, cal, ref.ShipmentID, ref.From, ref.To)
			if err != nil {
				return err
			}
			if day, ok := ill.NextRun(ref.CreatedAt, from, to); ok {
				if done, err := tx.AssignToOpenRun(ctx, ref.ShipmentID, day); err != nil || done {
					return err
				}
			}
		}
		s, err := tx.LockCourierShipment(ctx, ref.ShipmentID)
		if err != nil || s.RunID != 0 {
			return err
		}
		from, to, err := stops(ctx, tx, cal, s.ID, s.From, s.To)
		if err != nil {
			return err
		}
		after := s.CreatedAt
		for i := 0; i < 60; i++ {
			day, ok := ill.NextRun(after, from, to)
			if !ok {
				return ill.Errorf(ill.CodeConflict, "no courier day serves both %s and %s", s.From, s.To)
			}
			run, err := tx.RunForDay(ctx, day, m.At)
			if err != nil {
				return err
			}
			if run.Status == ill.RunOpen {
				return tx.AssignToRun(ctx, s, run)
			}
			after = day.AddDays(1).Start() // closed already: the next day's run
		}
		return ill.Errorf(ill.CodeConflict, "no open courier run found for shipment %d", s.ID)
	})
}

// stops reads the courier views of a shipment's two libraries.
func stops(ctx context.Context, tx *mysql.Tx, cal *ill.Calendar, shipment int64, fromLib, toLib string) (from, to ill.CourierStop, err error) {
	rows, err := tx.CourierStops(ctx, fromLib, toLib)
	if err != nil {
		return from, to, err
	}
	for _, l := range []string{fromLib, toLib} {
		if _, ok := rows[l]; !ok {
			return from, to, ill.Errorf(ill.CodeNotFound, "library %s of shipment %d not found", l, shipment)
		}
	}
	if from, err = courierStop(ctx, tx, cal, rows[fromLib]); err != nil {
		return from, to, err
	}
	to, err = courierStop(ctx, tx, cal, rows[toLib])
	return from, to, err
}

// scan applies a courier's scan to the shipment the intake matched:
// picked_up starts the 3-working-day delivery window (of the receiving
// library); delivered notifies the receiving library. A scan that changes
// nothing (repeated, out of order) is recorded with outcome "ignored".
func (p *Pool) scan(ctx context.Context, m ill.Message) error {
	var b ill.CourierScanBody
	if err := json.Unmarshal(m.Body, &b); err != nil || b.ShipmentID == 0 {
		return ill.Errorf(ill.CodeBadRequest, "courier scan lacks shipment_id")
	}
	cal, err := p.Calendar.Get(ctx)
	if err != nil {
		return err
	}
	return consumers.Once(ctx, p.Store, "courier", m, func(tx *mysql.Tx) error {
		s, err := tx.LockCourierShipment(ctx, b.ShipmentID)
		if err != nil {
			return err
		}
		next, ok := ill.ScanResult(string(s.Status), b.Event)
		outcome := string(s.Status) + " → " + next
		if !ok {
			outcome = "ignored: shipment is " + string(s.Status)
		} else {
			switch next {
			case ill.ShipPickedUp:
				to, err := schedule(ctx, tx, cal, s.To)
				if err != nil {
					return err
				}
				if err := tx.SetShipmentPickedUp(ctx, s.ID, m.At, ill.ExceptionDue(m.At, to)); err != nil {
					return err
				}
			case ill.ShipDelivered:
				if err := tx.SetShipmentDelivered(ctx, s.ID, m.At); err != nil {
					return err
				}
				if err := shipmentNotice(ctx, tx, s, ill.NoticeCourierDelivered, s.To, 0, m.At); err != nil {
					return err
				}
			}
		}
		return tx.RecordScan(ctx, ill.Scan{ShipmentID: s.ID, Barcode: b.Barcode, Event: b.Event, Stop: b.Stop,
			Outcome: outcome, MessageID: m.ID, At: m.At})
	})
}

// shipmentNotice stores a courier notice about shipment s for library
// (once per request, kind and step: forward shipments use steps 0/1,
// return shipments 2/3).
func shipmentNotice(ctx context.Context, tx *mysql.Tx, s *ill.Shipment, kind, library string, step int, at time.Time) error {
	if s.Direction == ill.DirReturn {
		step += 2
	}
	rb, err := tx.RequestBrief(ctx, s.RequestID)
	if err != nil {
		return err
	}
	return notices.Add(ctx, tx, shipmentRequest(rb, s), at, ill.NoticeOrder{Kind: kind, Step: step, Library: library, Deadline: at})
}

// shipmentRequest is the request as a courier notice names it: "Lender"
// is the sender and "Borrower" the receiver of this shipment.
func shipmentRequest(rb *ill.RequestBrief, s *ill.Shipment) *ill.Request {
	return &ill.Request{ID: rb.ID, Title: rb.Title, Borrower: s.To, Lender: s.From}
}

// RaiseException marks a late shipment as an exception and notifies both
// libraries, in tx: the courier-exceptions job (package sched) calls it
// for each shipment it claimed there. Notices are stored once per
// shipment and library, so a rerun adds none.
func RaiseException(ctx context.Context, tx *mysql.Tx, s *ill.Shipment, now time.Time) error {
	if err := tx.MarkException(ctx, s.ID, now); err != nil {
		return err
	}
	due := s.ExceptionDue
	for i, lib := range []string{s.From, s.To} {
		rb, err := tx.RequestBrief(ctx, s.RequestID)
		if err != nil {
			return err
		}
		step := i
		if s.Direction == ill.DirReturn {
			step += 2
		}
		o := ill.NoticeOrder{Kind: ill.NoticeCourierException, Step: step, Library: lib, Deadline: due}
		if err := notices.Add(ctx, tx, shipmentRequest(rb, s), now, o); err != nil {
			return err
		}
	}
	return nil
}

// checkReturn settles a returned (checked-in) or lost loan: the barcode
// the borrowing library scanned (or, without one, the barcode shipped) is
// matched to the lender's loan; an unknown or mismatched barcode goes to
// the staff review list and no violation is computed; otherwise the
// violations of ill.ComputeViolations are recorded at the lender's prices.
// Idempotent twice over: the check's own status, read under its row lock
// (pending until a check settles it, so no inbox row is needed), and one
// violation per (request, kind).
func (p *Pool) checkReturn(ctx context.Context, m ill.Message) error {
	if m.RequestID == "" {
		return ill.Errorf(ill.CodeBadRequest, "return check lacks request_id")
	}
	return p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		rc, err := tx.LockReturnCheck(ctx, m.RequestID)
		if err != nil {
			return err
		}
		if rc.Status != ill.ReturnPending {
			return nil
		}
		review := func(code ill.Code, barcode, detail string) error {
			if err := tx.AddReview(ctx, ill.ReviewItem{Code: code, Source: "return_check", Barcode: barcode,
				RequestID: rc.RequestID, Library: rc.Borrower, OtherLibrary: rc.Lender, Detail: detail, CreatedAt: m.At}); err != nil {
				return err
			}
			return tx.SetReturnCheckStatus(ctx, rc.RequestID, ill.ReturnReview, m.At)
		}
		if !rc.Lost {
			barcode := rc.ScannedBarcode
			if barcode == "" {
				barcode = rc.ItemBarcode
			}
			if barcode == "" {
				return review(ill.CodeUnknownBarcode, "", "no item barcode was recorded for this loan")
			}
			switch loan := rc.BarcodeLoan; {
			case loan == "":
				return review(ill.CodeUnknownBarcode, barcode, fmt.Sprintf("barcode %s matches no loan of %s", barcode, rc.Lender))
			case loan != rc.RequestID:
				return review(ill.CodeBarcodeMismatch, barcode, fmt.Sprintf("barcode %s belongs to request %s, not %s", barcode, loan, rc.RequestID))
			}
		}
		lender, err := tx.Library(ctx, rc.Lender)
		if err != nil {
			return err
		}
		pol := ill.LenderPolicy{FinePerDayFen: lender.FinePerDayFen, DamageFeeFen: lender.DamageFeeFen, LossFeeFen: lender.LossFeeFen}
		for _, v := range ill.ComputeViolations(rc.Facts(), pol) {
			if _, err := tx.AddViolation(ctx, ill.ViolationRow{RequestID: rc.RequestID, Kind: v.Kind, Lender: rc.Lender,
				Borrower: rc.Borrower, PatronID: rc.PatronID, Days: v.Days, AmountFen: v.AmountFen, Note: v.Note,
				CreatedAt: m.At}); err != nil {
				return err
			}
		}
		return tx.SetReturnCheckStatus(ctx, rc.RequestID, ill.ReturnChecked, m.At)
	})
}
