package memstore

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/balis/illhub/ill"
)

// PutShipment adds or replaces shipment sh (by ID).
func (s *Store) PutShipment(sh ill.Shipment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shipments = slices.DeleteFunc(s.shipments, func(o ill.Shipment) bool { return o.ID == sh.ID })
	s.shipments = append(s.shipments, sh)
}

// PutRun adds or replaces courier run run with the shipments on it.
func (s *Store) PutRun(run ill.CourierRun, items ...ill.ManifestItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs == nil {
		s.runs, s.manifests = map[int64]ill.CourierRun{}, map[int64][]ill.ManifestItem{}
	}
	s.runs[run.ID] = run
	s.manifests[run.ID] = slices.Clone(items)
}

// PutViolation records violation v.
func (s *Store) PutViolation(v ill.ViolationRow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, v)
}

// Reviews returns the staff review list, open and resolved, in order.
func (s *Store) Reviews() []ill.ReviewItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reviews)
}

// touches reports whether a movement between from and to concerns
// library ("": every one does).
func touches(library, from, to string) bool { return library == "" || from == library || to == library }

// ShipmentsForScan implements ill.Courier.
func (s *Store) ShipmentsForScan(_ context.Context, barcode string) ([]ill.Shipment, bool, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, false, err
	}
	var open []ill.Shipment
	delivered := false
	for _, sh := range slices.Backward(s.shipments) {
		switch {
		case sh.ItemBarcode != barcode:
		case sh.Status == ill.ShipDelivered:
			delivered = true
		default:
			open = append(open, sh)
		}
	}
	slices.SortStableFunc(open, func(a, b ill.Shipment) int { return int(b.ID - a.ID) })
	return open, delivered, nil
}

// AddReview implements ill.Courier.
func (s *Store) AddReview(_ context.Context, it ill.ReviewItem) (int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	it.ID, it.ResolvedAt, it.ResolvedBy, it.Resolution = int64(len(s.reviews)+1), time.Time{}, "", ""
	s.reviews = append(s.reviews, it)
	return it.ID, nil
}

// ReviewList implements ill.Courier.
func (s *Store) ReviewList(_ context.Context, library string, all bool) ([]ill.ReviewItem, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.ReviewItem
	for _, it := range s.reviews {
		if (all || it.ResolvedAt.IsZero()) && (library == "" || it.Library == library || it.OtherLibrary == library) {
			out = append(out, it)
		}
	}
	return out, nil
}

// ResolveReview implements ill.Courier.
func (s *Store) ResolveReview(_ context.Context, id int64, library, by, note string, at time.Time) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if id < 1 || id > int64(len(s.reviews)) {
		return notFound("review entry", strconv.FormatInt(id, 10))
	}
	it := &s.reviews[id-1]
	if library != "" && it.Library != library && it.OtherLibrary != library {
		return ill.Errorf(ill.CodeForbidden, "review entry %d does not concern %s", id, library)
	}
	if !it.ResolvedAt.IsZero() {
		return ill.Errorf(ill.CodeConflict, "review entry %d was already resolved by %s", id, it.ResolvedBy)
	}
	it.ResolvedAt, it.ResolvedBy, it.Resolution = at.UTC(), by, note
	return nil
}

// CourierRuns implements ill.Courier.
func (s *Store) CourierRuns(_ context.Context, from, to ill.Date, library string) ([]ill.RunSummary, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.RunSummary
	for id, run := range s.runs {
		if d := run.Date(); d.Before(from) || to.Before(d) {
			continue
		}
		sum := ill.RunSummary{CourierRun: run}
		sum.Manifest = ""
		for _, it := range s.manifests[id] {
			if touches(library, it.From, it.To) {
				sum.Items++
			}
		}
		out = append(out, sum)
	}
	slices.SortFunc(out, func(a, b ill.RunSummary) int {
		if c := b.RunDate.Compare(a.RunDate); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	return out, nil
}

// CourierRunByID implements ill.Courier.
func (s *Store) CourierRunByID(_ context.Context, id int64) (*ill.CourierRun, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	run, ok := s.runs[id]
	if !ok {
		return nil, notFound("courier run", strconv.FormatInt(id, 10))
	}
	return &run, nil
}

// ManifestItems implements ill.Courier.
func (s *Store) ManifestItems(_ context.Context, runID int64) ([]ill.ManifestItem, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return slices.Clone(s.manifests[runID]), nil
}

// OpenExceptions implements ill.Courier.
func (s *Store) OpenExceptions(_ context.Context, library string) ([]ill.ExceptionRow, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.ExceptionRow
	for _, sh := range s.shipments {
		if sh.Status != ill.ShipException || !touches(library, sh.From, sh.To) {
			continue
		}
		row := ill.ExceptionRow{ShipmentID: sh.ID, RequestID: sh.RequestID, Direction: sh.Direction,
			ItemBarcode: sh.ItemBarcode, From: sh.From, To: sh.To, RouteCode: sh.RouteCode,
			PickedUpAt: sh.PickedUpAt, ExceptionDue: sh.ExceptionDue, ExceptionAt: sh.ExceptionAt}
		if r, ok := s.requests[sh.RequestID]; ok {
			row.Title = r.Title
		}
		out = append(out, row)
	}
	return out, nil
}

// CourierVolume implements ill.Courier: the shipments whose run is day's,
// by route in order of first appearance.
func (s *Store) CourierVolume(_ context.Context, day ill.Date, library string) ([]ill.RouteVolume, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.RouteVolume
	for _, sh := range s.shipments {
		if sh.RunDate.IsZero() || ill.DateOf(sh.RunDate) != day || !touches(library, sh.From, sh.To) {
			continue
		}
		i := slices.IndexFunc(out, func(v ill.RouteVolume) bool { return v.RouteCode == sh.RouteCode })
		if i < 0 {
			i = len(out)
			out = append(out, ill.RouteVolume{RouteCode: sh.RouteCode, From: sh.From, To: sh.To})
		}
		v := &out[i]
		v.Total++
		if sh.Direction == ill.DirReturn {
			v.Return++
		} else {
			v.Forward++
		}
		switch sh.Status {
		case ill.ShipDelivered:
			v.Delivered++
		case ill.ShipException:
			v.Exceptions++
		}
	}
	return out, nil
}

// Violations implements ill.Courier.
func (s *Store) Violations(_ context.Context, f ill.ViolationFilter) ([]ill.ViolationRow, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.ViolationRow
	for _, v := range s.violations {
		d := ill.DateOf(v.CreatedAt)
		if d.Before(f.From) || f.To.Before(d) || !touches(f.Library, v.Lender, v.Borrower) || (f.Lender != "" && v.Lender != f.Lender) {
			continue
		}
		if r, ok := s.requests[v.RequestID]; ok {
			v.Title = r.Title
		}
		out = append(out, v)
	}
	return out, nil
}

// PullSlip implements ill.Courier: lender's WILL_SUPPLY requests, each
// with lender's first holding of the request's record.
func (s *Store) PullSlip(_ context.Context, lender string) ([]ill.PullSlipItem, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.PullSlipItem
	for _, r := range s.requests {
		if r.Lender != lender || r.State != ill.WillSupply {
			continue
		}
		it := ill.PullSlipItem{RequestID: r.ID, Borrower: r.Borrower, Title: r.Title, Author: r.Author, ISBN: r.ISBN, ShipBy: r.ShipBy}
		for _, h := range s.holdings[r.RecordID] {
			if h.Library == lender {
				it.CallNumber, it.LocalID = h.CallNumber, h.LocalID
				break
			}
		}
		out = append(out, it)
	}
	return out, nil
}
