package app

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// ScanResult is the outcome of an accepted courier scan.
type ScanResult struct {
	Shipment  ill.Shipment // the shipment the barcode was matched to, as it was before the scan
	Event     string
	MessageID string
}

// Scan takes a courier's scan of a barcode (Courier's use case; the
// adapter authenticates the courier credential). The barcode is matched
// here, at once, to the shipment it moves: an unknown barcode is refused
// unknown_barcode and a barcode scanned at a stop where its item neither
// leaves nor arrives barcode_mismatch, both put on the staff review list;
// a barcode on several shipments in transit needs the stop (conflict). A
// matched scan is published to the courier pool, returning after the
// broker's confirm; a non-empty idempotencyKey makes retries publish the
// same message id.
func (s *Service) Scan(ctx context.Context, b ill.CourierScanBody, idempotencyKey string) (ScanResult, error) {
	b.Barcode, b.Stop = strings.TrimSpace(b.Barcode), strings.ToUpper(strings.TrimSpace(b.Stop))
	if err := b.Validate(); err != nil {
		return ScanResult{}, err
	}
	now := s.clock.Now().UTC()
	at, err := b.ScanTime(now)
	if err != nil {
		return ScanResult{}, err
	}
	open, delivered, err := s.store.ShipmentsForScan(ctx, b.Barcode)
	if err != nil {
		return ScanResult{}, err
	}
	if len(open) == 0 {
		if delivered {
			return ScanResult{}, ill.Errorf(ill.CodeConflict, "item %s was already delivered; nothing is on its way with this barcode", b.Barcode)
		}
		id, err := s.store.AddReview(ctx, ill.ReviewItem{Code: ill.CodeUnknownBarcode, Source: "scan",
			Barcode: b.Barcode, Library: b.Stop, Detail: "courier scan " + b.Event + ": no shipment carries this barcode",
			CreatedAt: now})
		if err != nil {
			return ScanResult{}, err
		}
		return ScanResult{}, ill.Errorf(ill.CodeUnknownBarcode, "barcode %s matches no shipment; listed for staff review (entry %d)", b.Barcode, id)
	}
	sh, err := s.matchStop(ctx, b, open, now)
	if err != nil {
		return ScanResult{}, err
	}
	b.ShipmentID = sh.ID
	msgID := ill.NewMessageID()
	if idempotencyKey != "" {
		msgID = ill.DerivedMessageID(ill.CourierOwner+"/scan", idempotencyKey)
	}
	body, _ := json.Marshal(b)
	if err := s.publish(ctx, ill.Message{ID: msgID, Type: ill.MsgCourierScan, Actor: ill.CourierOwner,
		RequestID: sh.RequestID, At: at, Body: body}); err != nil {
		return ScanResult{}, err
	}
	return ScanResult{Shipment: sh, Event: b.Event, MessageID: msgID}, nil
}

// matchStop picks the shipment of open (newest first) that scan b is
// about: the one whose side of the event (its lender for a pickup, its
// destination for a delivery) is b's stop, or without a stop the only one.
// A stop matching none is a mismatch put on the review list.
func (s *Service) matchStop(ctx context.Context, b ill.CourierScanBody, open []ill.Shipment, now time.Time) (ill.Shipment, error) {
	side := func(c ill.Shipment) string { // where this event happens for c
		if b.Event == ill.ScanDelivered {
			return c.To
		}
		return c.From
	}
	if b.Stop == "" {
		if len(open) > 1 {
			routes := make([]string, len(open))
			for i, c := range open {
				routes[i] = c.RouteCode
			}
			return ill.Shipment{}, ill.Errorf(ill.CodeConflict, "barcode %s is on %d shipments in transit (%s): scan again with stop",
				b.Barcode, len(open), strings.Join(routes, ", "))
		}
		return open[0], nil
	}
	for _, c := range open {
		if side(c) == b.Stop {
			return c, nil
		}
	}
	sh := open[0]
	id, err := s.store.AddReview(ctx, ill.ReviewItem{Code: ill.CodeBarcodeMismatch, Source: "scan",
		Barcode: b.Barcode, RequestID: sh.RequestID, Library: sh.From, OtherLibrary: sh.To,
		Detail: "courier scan " + b.Event + " at " + b.Stop + ", but the item travels " + sh.RouteCode, CreatedAt: now})
	if err != nil {
		return ill.Shipment{}, err
	}
	return ill.Shipment{}, ill.Errorf(ill.CodeBarcodeMismatch, "item %s travels %s: it cannot be %s at %s; listed for staff review (entry %d)",
		b.Barcode, sh.RouteCode, b.Event, b.Stop, id)
}

// ReviewList lists the staff review entries p may see (those naming its
// library; every one for the centre, including the courier's scans of
// unknown barcodes, which name no library), oldest first, open ones only
// unless all.
func (s *Service) ReviewList(ctx context.Context, p ill.Principal, all bool) ([]ill.ReviewItem, error) {
	return s.store.ReviewList(ctx, scope(p), all)
}

// ResolveReview closes review entry id with a note (1–400 characters):
// the centre may close any, a library those naming it (forbidden
// otherwise; conflict when closed already). It is a staff annotation,
// written directly: no request changes state.
func (s *Service) ResolveReview(ctx context.Context, p ill.Principal, id int64, note string) error {
	if err := checkLen("note", note, 400, true); err != nil {
		return err
	}
	by := p.Library
	if p.Centre {
		by = ill.CentreCode
	}
	return s.store.ResolveReview(ctx, id, scope(p), by, note, s.clock.Now())
}

// CourierRuns lists the runs between two days (inclusive), newest first,
// each with the number of its shipments p may see (a member: its own).
func (s *Service) CourierRuns(ctx context.Context, p ill.Principal, from, to ill.Date) ([]ill.RunSummary, error) {
	return s.store.CourierRuns(ctx, from, to, scope(p))
}

// Manifest is run id's manifest: the snapshot stored when the run closed,
// or for an open run a live preview. A member sees only its own stop.
func (s *Service) Manifest(ctx context.Context, p ill.Principal, id int64) (ill.Manifest, error) {
	run, err := s.store.CourierRunByID(ctx, id)
	if err != nil {
		return ill.Manifest{}, err
	}
	var m ill.Manifest
	if run.Status == ill.RunClosed && run.Manifest != "" {
		if err := json.Unmarshal([]byte(run.Manifest), &m); err != nil {
			return m, err
		}
	} else {
		items, err := s.store.ManifestItems(ctx, id)
		if err != nil {
			return m, err
		}
		m = ill.BuildManifest(*run, items)
	}
	if lib := scope(p); lib != "" {
		m = m.ForLibrary(lib)
	}
	return m, nil
}

// Exceptions lists the open courier exceptions of p's shipments (every
// one for the centre and the courier).
func (s *Service) Exceptions(ctx context.Context, p ill.Principal) ([]ill.ExceptionRow, error) {
	return s.store.OpenExceptions(ctx, scope(p))
}

// CourierVolume is the volume per route of day's run, counting the
// shipments p may see.
func (s *Service) CourierVolume(ctx context.Context, p ill.Principal, day ill.Date) ([]ill.RouteVolume, error) {
	return s.store.CourierVolume(ctx, day, scope(p))
}

// Violations lists the violations (R11) f selects that p may see (a
// member: those where it is lender or borrower); f's own Library is
// replaced.
func (s *Service) Violations(ctx context.Context, p ill.Principal, f ill.ViolationFilter) ([]ill.ViolationRow, error) {
	f.Library = scope(p)
	return s.store.Violations(ctx, f)
}

// PullSlip is a lender's daily pick list.
type PullSlip struct {
	Library string // the lender's code as stored
	Name    string // its Chinese name
	Date    ill.Date
	Items   []ill.PullSlipItem // in shelf order of call number (ill.ShelfLess)
}

// PullSlipLibrary is the library whose pull slip p gets when asking for
// library (a code, or "" for its own): a member gets its own (another
// library's: forbidden); the centre must name one (bad_request).
func PullSlipLibrary(p ill.Principal, library string) (string, error) {
	lib := p.Library
	if library != "" {
		q, err := ill.CanonicalCode("library", library)
		if err != nil {
			return "", err
		}
		if q != lib {
			if !p.Centre {
				return "", ill.Errorf(ill.CodeForbidden, "a library sees only its own pull slip")
			}
			lib = q
		}
	}
	if p.Centre && lib == ill.CentreCode {
		return "", ill.FieldError("library", "library is required with a centre key")
	}
	return lib, nil
}

// PullSlip is the pull slip of the library PullSlipLibrary gives for p and
// library: its WILL_SUPPLY requests in shelf order, dated today.
// not_found when that library is not a member.
func (s *Service) PullSlip(ctx context.Context, p ill.Principal, library string) (PullSlip, error) {
	lib, err := PullSlipLibrary(p, library)
	if err != nil {
		return PullSlip{}, err
	}
	l, err := s.store.Library(ctx, lib)
	if err != nil {
		return PullSlip{}, err
	}
	items, err := s.store.PullSlip(ctx, l.Code)
	if err != nil {
		return PullSlip{}, err
	}
	ill.SortShelf(items, func(it ill.PullSlipItem) string { return it.CallNumber })
	return PullSlip{Library: l.Code, Name: l.NameZH, Date: ill.DateOf(s.clock.Now()), Items: items}, nil
}
