package app

import (
	"context"
	"net/url"
	"strings"

	"github.com/balis/illhub/ill"
)

// ListFilterFrom reads the history query's parameters (GET /v1/requests
// and the console's /console/search take the same ones, so that both
// answer the same): patron_id, state, from, to, q (title words), ids,
// barcode, isbn, library (a party: the borrower or the current lender)
// and text (one value: id, card, barcode, ISBN, reader's name or title
// words, ill.ListFilter.Text). page and per_page are the caller's.
// Errors: bad_request naming the parameter.
func ListFilterFrom(q url.Values) (ill.ListFilter, error) {
	f := ill.ListFilter{State: ill.State(strings.ToUpper(strings.TrimSpace(q.Get("state")))), Q: q.Get("q")}
	if v := strings.TrimSpace(q.Get("patron_id")); v != "" {
		// the same canonical card number the submit stored
		var err error
		if f.PatronID, err = ill.CanonicalCard("patron_id", v); err != nil {
			return f, err
		}
	}
	if f.State != "" && !f.State.Valid() {
		return f, ill.FieldError("state", "unknown state %q", q.Get("state"))
	}
	if v := q.Get("ids"); v != "" {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id == "" || len(id) > 64 {
				return f, ill.FieldError("ids", "ids is a comma-separated list of request ids")
			}
			f.IDs = append(f.IDs, id)
		}
		if len(f.IDs) > ill.MaxListIDs {
			return f, ill.FieldError("ids", "at most %d ids per call", ill.MaxListIDs)
		}
	}
	for _, d := range []struct {
		name string
		dst  **ill.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := strings.TrimSpace(q.Get(d.name)); v != "" {
			day, err := ill.ParseDate(v)
			if err != nil {
				return f, ill.FieldError(d.name, "%s must be a date YYYY-MM-DD (Asia/Shanghai)", d.name)
			}
			*d.dst = &day
		}
	}
	switch v := strings.TrimSpace(q.Get("service_type")); v {
	case "", "all":
	case string(ill.ServiceLoan), string(ill.ServiceCopy):
		f.Service = ill.ServiceType(v)
	default:
		return f, ill.FieldError("service_type", "service_type must be loan, copy or all")
	}
	f.Barcode = strings.TrimSpace(q.Get("barcode"))
	f.ISBN = strings.TrimSpace(q.Get("isbn"))
	f.Library = strings.ToUpper(strings.TrimSpace(q.Get("library")))
	f.Text = strings.TrimSpace(q.Get("text"))
	for _, c := range []struct {
		name, v string
		max     int
	}{{"q", f.Q, 400}, {"barcode", f.Barcode, 64}, {"isbn", f.ISBN, 20}, {"library", f.Library, 16}, {"text", f.Text, 200}} {
		if err := checkLen(c.name, c.v, c.max, false); err != nil {
			return f, err
		}
	}
	return f, nil
}

// FindResult is what the console's search found.
type FindResult struct {
	Requests []*ill.Request
	Total    int
	// Direct is the one request f.Text named by its full request id, the
	// borrower's client request id or the item barcode ("" otherwise):
	// the console goes straight to it.
	Direct string
}

// Find is the console's search over the requests p may see: List with
// f, and the request f.Text names exactly, if that is the only one.
func (s *Service) Find(ctx context.Context, p ill.Principal, f ill.ListFilter) (FindResult, error) {
	reqs, total, err := s.List(ctx, p, f)
	if err != nil {
		return FindResult{}, err
	}
	res := FindResult{Requests: reqs, Total: total}
	if t := f.Text; t != "" && total == 1 && len(reqs) == 1 {
		r := reqs[0]
		if strings.EqualFold(r.ID, t) || r.ClientRequestID == t || (r.ItemBarcode != "" && strings.EqualFold(r.ItemBarcode, t)) {
			res.Direct = r.ID
		}
	}
	return res, nil
}

// BatchItem is one request of a batch action with its own body (a ship's
// barcode).
type BatchItem struct {
	RequestID string
	Body      ill.ActionBody
}

// BatchResult is what happened to one request of a batch: queued (Err
// nil, Result the accepted action) or refused (Err, with its code).
type BatchResult struct {
	RequestID string
	Result    ActResult
	Err       error
}

// MaxBatch bounds the requests of one batch action.
const MaxBatch = 100

// ActBatch takes action on each item's request as p, one Act each (the
// same checks, one message per request), and reports per request whether
// it was queued or refused. Each request's message id derives from token
// and the request id, so a repeated batch (a reloaded form) is applied
// once. The batch itself fails only when it is empty or too big
// (bad_request); a broker that cannot be reached refuses the remaining
// requests one by one (unavailable).
func (s *Service) ActBatch(ctx context.Context, p ill.Principal, action ill.Action, items []BatchItem, token string) ([]BatchResult, error) {
	if len(items) == 0 {
		return nil, ill.FieldError("id", "choose at least one request")
	}
	if len(items) > MaxBatch {
		return nil, ill.FieldError("id", "at most %d requests at once", MaxBatch)
	}
	if token == "" {
		token = ill.NewMessageID()
	}
	out := make([]BatchResult, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.RequestID] {
			continue
		}
		seen[it.RequestID] = true
		res, err := s.Act(ctx, p, it.RequestID, action, it.Body, "batch/"+token, nil)
		out = append(out, BatchResult{RequestID: it.RequestID, Result: res, Err: err})
	}
	return out, nil
}
