package app

import (
	"context"
	"time"

	"github.com/balis/illhub/ill"
)

// The staff console's and the reader portal's reads (package web), each
// scoped like the API's: a member library sees what concerns it, the
// centre every library's.

// Queue lists at most limit requests of work queue q that p works (a
// member: those where it is on q's side; the centre: every library's),
// in q's order, with the total.
func (s *Service) Queue(ctx context.Context, p ill.Principal, q ill.Queue, limit int) ([]*ill.Request, int, error) {
	return s.store.QueueRequests(ctx, q, scope(p), limit)
}

// OpenShipments lists at most limit undelivered shipments leaving from or
// going to p's library (every one for the centre), newest run first.
func (s *Service) OpenShipments(ctx context.Context, p ill.Principal, limit int) ([]ill.ShipmentRow, error) {
	return s.store.OpenShipments(ctx, scope(p), limit)
}

// MissedDeadlines lists at most limit of the most recent response and
// shipping deadlines lenders missed (R9): p's own as a lender, every
// lender's for the centre.
func (s *Service) MissedDeadlines(ctx context.Context, p ill.Principal, limit int) ([]ill.MissedDeadline, error) {
	return s.store.MissedDeadlines(ctx, scope(p), limit)
}

// LibraryNames maps every member code to its Chinese and English names
// (public directory data: the pages' labels).
func (s *Service) LibraryNames(ctx context.Context) (map[string][2]string, error) {
	return s.store.LibraryNames(ctx)
}

// Progress reads where request id stands, if p may see it: its state and
// when it last changed. It is what a page polls after a submit or an
// action, to show the consumers' decision once it is made; cheaper than
// Request (no timeline). not_found until the submit is processed.
func (s *Service) Progress(ctx context.Context, p ill.Principal, id string) (ill.State, time.Time, error) {
	req, err := s.store.RequestForAccess(ctx, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if _, err := visible(p, id, req); err != nil {
		return "", time.Time{}, err
	}
	return req.State, req.UpdatedAt, nil
}

// RunItems lists the shipments on courier run id as they are now (an
// open run's manifest preview; Manifest gives a closed run's manifest as
// sent): those leaving from or going to p's library, every one for the
// centre. A run with no shipments, or no run, lists nothing.
func (s *Service) RunItems(ctx context.Context, p ill.Principal, id int64) ([]ill.ManifestItem, error) {
	items, err := s.store.ManifestItems(ctx, id)
	if err != nil {
		return nil, err
	}
	lib := scope(p)
	if lib == "" {
		return items, nil
	}
	var out []ill.ManifestItem
	for _, it := range items {
		if it.From == lib || it.To == lib {
			out = append(out, it)
		}
	}
	return out, nil
}
