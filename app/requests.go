package app

import (
	"context"
	"encoding/json"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/balis/illhub/ill"
)

// SubmitResult is the outcome of an accepted submit.
type SubmitResult struct {
	RequestID string
	State     ill.State
	// Duplicate: the client_request_id was seen before and processed;
	// nothing was published.
	Duplicate bool
}

// Submit submits b on behalf of member library p (the borrower). It
// validates the body (ValidateSubmit), answers a repeat of a processed
// client_request_id with the existing request, and otherwise publishes
// the submit message, returning after the broker's confirm. A repeat
// before processing publishes the same message id again, which the
// consumers dedupe. Errors: forbidden for a centre key, bad_request,
// unavailable.
func (s *Service) Submit(ctx context.Context, p ill.Principal, b ill.SubmitBody) (SubmitResult, error) {
	if err := ForSubmit.Check(p); err != nil {
		return SubmitResult{}, err
	}
	if err := ValidateSubmit(&b); err != nil {
		return SubmitResult{}, err
	}
	if id, st, err := s.store.RequestIDByClientID(ctx, p.Library, b.ClientRequestID); err != nil {
		return SubmitResult{}, err
	} else if id != "" {
		return SubmitResult{RequestID: id, State: st, Duplicate: true}, nil
	}
	id := ill.RequestID(p.Library, b.ClientRequestID)
	body, _ := json.Marshal(b)
	m := ill.Message{ID: ill.SubmitMessageID(id), Type: ill.MsgSubmit, Actor: p.Library, RequestID: id,
		At: s.clock.Now().UTC(), Body: body}
	if err := s.publish(ctx, m); err != nil {
		return SubmitResult{}, err
	}
	return SubmitResult{RequestID: id, State: ill.Submitted}, nil
}

// checkLen refuses a value longer than max characters, or a blank one when
// required (bad_request naming field).
func checkLen(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return ill.FieldError(field, "%s is required", field)
	}
	if utf8.RuneCountInString(v) > max {
		return ill.FieldError(field, "%s is longer than %d characters", field, max)
	}
	return nil
}

// ValidateSubmit checks a submit body field by field (bad_request naming
// the first bad field). The patron's card number is replaced by its
// canonical form (ill.CanonicalCard): it keeps the case sent, loses
// invisible characters and compatibility forms, and is refused (field
// patron.id) when it still falls outside the card alphabet, so a reader's
// requests are counted (the per-reader limit) and listed under one
// identity whatever spelling the borrower's system sends.
func ValidateSubmit(b *ill.SubmitBody) error {
	if err := checkLen("client_request_id", b.ClientRequestID, 100, true); err != nil {
		return err
	}
	id, err := ill.CanonicalCard("patron.id", b.Patron.ID)
	if err != nil {
		return err
	}
	b.Patron.ID = id
	b.Source = ill.NormalizeSource(b.Source) // a label for reports: cleaned, never refused
	checks := []error{
		checkLen("patron.name", b.Patron.Name, 128, false),
		checkLen("patron.email", b.Patron.Email, 160, false),
		checkLen("note", b.Note, 2000, false),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if b.Patron.Email != "" {
		if _, err := mail.ParseAddress(b.Patron.Email); err != nil {
			return ill.FieldError("patron.email", "not a valid e-mail address")
		}
	}
	st, err := ill.ParseServiceType(string(b.ServiceType))
	if err != nil {
		return err
	}
	b.ServiceType = st
	if st.IsCopy() {
		return validateCopySubmit(b)
	}
	switch {
	case b.Rush:
		return ill.FieldError("rush", "rush is for copy requests (service_type copy)")
	case b.Item != nil && b.Item.HasCopyFields():
		return ill.FieldError("service_type", "the item has a copy request's fields: send service_type copy")
	}
	switch {
	case b.RecordID != "" && b.Item != nil:
		return ill.FieldError("record_id", "give either record_id or item, not both")
	case b.RecordID == "" && b.Item == nil:
		return ill.FieldError("record_id", "record_id or item (a manual citation) is required")
	case b.RecordID != "":
		if !recordID(b.RecordID) {
			return ill.FieldError("record_id", "record_id must be a catalogue record id (digits)")
		}
	default:
		if err := checkItem(b.Item, true); err != nil {
			return err
		}
	}
	return nil
}

// checkItem checks the lengths of an item's catalogue fields and its year;
// titleRequired for a loan's manual citation.
func checkItem(it *ill.Citation, titleRequired bool) error {
	if err := checkLen("item.title", it.Title, 400, titleRequired); err != nil {
		return err
	}
	for _, c := range []struct {
		f, v string
		n    int
	}{{"item.author", it.Author, 200}, {"item.isbn", it.ISBN, 20}, {"item.publisher", it.Publisher, 200}} {
		if err := checkLen(c.f, c.v, c.n, false); err != nil {
			return err
		}
	}
	if it.Year < 0 || it.Year > 2100 {
		return ill.FieldError("item.year", "year out of range")
	}
	return nil
}

// validateCopySubmit checks a copy request's item (SPEC 5.4): always
// given, naming the article or the part of a book (with record_id, the
// part of that catalogue record), as ill.ValidateCopy says; it is
// normalised in place (ISSN, DOI, pages).
func validateCopySubmit(b *ill.SubmitBody) error {
	if b.RecordID != "" && !recordID(b.RecordID) {
		return ill.FieldError("record_id", "record_id must be a catalogue record id (digits)")
	}
	if b.Item == nil {
		return ill.FieldError("item", "a copy request names the article, or the part of the book, in item")
	}
	if err := checkItem(b.Item, false); err != nil {
		return err
	}
	return ill.ValidateCopy(b.Item, b.RecordID != "")
}

// recordID reports whether v is a catalogue record id (a positive number).
func recordID(v string) bool {
	n, err := strconv.ParseInt(v, 10, 64)
	return err == nil && n > 0
}

// Request reads request id with its rota and timeline if p may see it
// (ill.Request.VisibleTo: its borrower, the lenders it was sent to, the
// centre); forbidden otherwise, not_found when there is none.
func (s *Service) Request(ctx context.Context, p ill.Principal, id string) (*ill.Request, error) {
	req, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return visible(p, id, req)
}

// visible returns req, read as id, if p may see it; forbidden otherwise.
func visible(p ill.Principal, id string, req *ill.Request) (*ill.Request, error) {
	if !req.VisibleTo(p.Library, p.Centre) {
		return nil, ill.Errorf(ill.CodeForbidden, "request %s is not yours: only its borrower, the lenders it was sent to and the centre may see it", id)
	}
	return req, nil
}

// List lists the requests p is a party to (the borrower, or a lender the
// rota asked; every request for the centre), newest first, with the
// total: f's own Caller and Centre are replaced by p's.
func (s *Service) List(ctx context.Context, p ill.Principal, f ill.ListFilter) ([]*ill.Request, int, error) {
	f.Caller, f.Centre = p.Library, p.Centre
	return s.store.ListRequests(ctx, f)
}

// ActResult is the outcome of an accepted action.
type ActResult struct {
	RequestID    string
	Action       ill.Action
	CurrentState ill.State // the state the action was accepted in
	MessageID    string
}

// Act takes action on request id as principal p and publishes it. The
// state table is consulted here (forbidden / invalid_transition /
// renewal_not_allowed / cancel_window_passed at once) and again,
// authoritatively, by the consumer under the request's row lock. A
// return or checkin naming a barcode other than the one shipped is
// refused barcode_mismatch and put on the staff review list. A non-empty
// idempotencyKey makes retries of the same action publish the same
// message id. check, when not nil, runs on the loaded request before the
// state table (the portal lets a reader act on their own requests only).
func (s *Service) Act(ctx context.Context, p ill.Principal, id string, action ill.Action, b ill.ActionBody,
	idempotencyKey string, check func(*ill.Request) error) (ActResult, error) {
	if !ill.IsAPIAction(action) {
		return ActResult{}, ill.Errorf(ill.CodeNotFound, "no such action %q; actions are %v", action, ill.APIActions)
	}
	req, err := s.store.RequestForAction(ctx, id, p.Library, p.Centre)
	if err != nil {
		return ActResult{}, err
	}
	if req, err = visible(p, id, req); err != nil {
		return ActResult{}, err
	}
	if check != nil {
		if err := check(req); err != nil {
			return ActResult{}, err
		}
	}
	variant, err := b.Variant(action)
	if err != nil {
		return ActResult{}, err
	}
	now := s.clock.Now().UTC()
	if _, err := ill.Allow(ill.Attempt{Action: action, Variant: variant, From: req.State,
		Roles: req.RolesOf(p.Library, p.Centre), At: now, SubmittedAt: req.SubmittedAt, Service: req.ServiceType}); err != nil {
		return ActResult{}, err
	}
	if err := s.checkReturnBarcode(ctx, p, req, action, b); err != nil {
		return ActResult{}, err
	}
	if action == ill.ActMediate && b.RecordID != "" && !recordID(b.RecordID) {
		return ActResult{}, ill.FieldError("record_id", "record_id must be a catalogue record id (digits)")
	}
	msgID := ill.NewMessageID()
	if idempotencyKey != "" {
		msgID = ill.DerivedMessageID(p.Library+"/"+id+"/"+string(action), idempotencyKey)
	}
	body, _ := json.Marshal(b)
	m := ill.Message{ID: msgID, Type: ill.MsgAction, Actor: p.Library, IsCentre: p.Centre, RequestID: id,
		Action: action, At: now, Body: body}
	if err := s.publish(ctx, m); err != nil {
		return ActResult{}, err
	}
	return ActResult{RequestID: id, Action: action, CurrentState: req.State, MessageID: msgID}, nil
}

// checkReturnBarcode checks a barcode given with return or checkin: one
// that is not the barcode this request shipped is refused
// barcode_mismatch and listed for staff review (never silently accepted).
func (s *Service) checkReturnBarcode(ctx context.Context, p ill.Principal, req *ill.Request, action ill.Action, b ill.ActionBody) error {
	if (action != ill.ActReturn && action != ill.ActCheckin) || b.ItemBarcode == "" {
		return nil
	}
	if len(b.ItemBarcode) > 64 {
		return ill.FieldError("item_barcode", "item_barcode is longer than 64 characters")
	}
	if req.ItemBarcode == "" || b.ItemBarcode == req.ItemBarcode {
		return nil
	}
	other := req.Lender
	if p.Library == req.Lender {
		other = req.Borrower
	}
	id, err := s.store.AddReview(ctx, ill.ReviewItem{Code: ill.CodeBarcodeMismatch, Source: string(action),
		Barcode: b.ItemBarcode, RequestID: req.ID, Library: p.Library, OtherLibrary: other,
		Detail: "scanned " + b.ItemBarcode + " but request " + req.ID + " shipped " + req.ItemBarcode, CreatedAt: s.clock.Now()})
	if err != nil {
		return err
	}
	return ill.Errorf(ill.CodeBarcodeMismatch, "item %s is not the item of request %s (shipped as %s); listed for staff review (entry %d)",
		b.ItemBarcode, req.ID, req.ItemBarcode, id)
}
