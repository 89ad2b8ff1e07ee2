package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// DeskReader is one of a library's readers as its staff see them at the
// ILL desk (/console/readers/{card}, the desk's request form).
type DeskReader struct {
	// Reader is the registered reader, without the PIN hash; for a card
	// the library never registered, only Library and ID are set.
	Reader ill.Reader
	// Known: the library registered the reader (a portal registration or
	// an earlier submit).
	Known bool
	// HasPIN: the reader can sign in to the portal.
	HasPIN bool
	// Active counts the reader's requests that count for R3; Limit is
	// R3's limit (ill.MaxActiveRequests).
	Active, Limit int
	// Changes are the latest deposit changes made in the console, newest
	// first.
	Changes []ill.DepositChange
}

// AtLimit reports whether a further request would be refused over_limit
// (R3) if nothing changes before it is checked.
func (d DeskReader) AtLimit() bool { return d.Active >= d.Limit }

// deskCard is the canonical card number a member library's staff typed
// (forbidden for the centre: readers belong to a member library).
func deskCard(p ill.Principal, field, card string) (string, error) {
	if err := ForReaders.Check(p); err != nil {
		return "", err
	}
	return ill.CanonicalCard(field, strings.TrimSpace(card))
}

// DeskReader reads reader card of p's library for its staff: the reader,
// the active requests (R3) and the deposit changes. A card the library
// never registered is no error (Known false): the desk may register it
// with a submit. Errors: forbidden for the centre, bad_request (field
// card) for a card outside the card alphabet.
func (s *Service) DeskReader(ctx context.Context, p ill.Principal, card string) (DeskReader, error) {
	id, err := deskCard(p, "card", card)
	if err != nil {
		return DeskReader{}, err
	}
	d := DeskReader{Reader: ill.Reader{Library: p.Library, ID: id}, Limit: ill.MaxActiveRequests}
	r, err := s.store.Reader(ctx, p.Library, id)
	switch {
	case err == nil:
		d.Known, d.HasPIN = true, r.PINHash != ""
		r.PINHash = ""
		d.Reader = r
	case ill.ErrorCode(err) != ill.CodeNotFound:
		return DeskReader{}, err
	}
	if d.Active, err = s.store.ActiveRequestCount(ctx, p.Library, d.Reader.ID); err != nil {
		return DeskReader{}, err
	}
	if d.Known {
		if d.Changes, err = s.store.DepositChanges(ctx, p.Library, d.Reader.ID, 20); err != nil {
			return DeskReader{}, err
		}
	}
	return d, nil
}

// SetReaderDeposit records, as staff member by of p's library, whether
// reader card has paid the deposit their library may require (R7): the
// status and an audit row (who, when) when it changed. It reports whether
// it changed. The status is what the portal's and the desk's submits
// vouch for; a library system's own API submits still send theirs (SPEC
// 5.1: the patron is updated from each submit). Errors: forbidden for the
// centre, bad_request (card, by), not_found for a reader the library never
// registered.
func (s *Service) SetReaderDeposit(ctx context.Context, p ill.Principal, by, card string, paid bool) (bool, error) {
	id, err := deskCard(p, "card", card)
	if err != nil {
		return false, err
	}
	if err := checkLen("by", by, 64, true); err != nil {
		return false, err
	}
	return s.store.SetDeposit(ctx, p.Library, id, paid, by, s.clock.Now().UTC())
}

// SetReaderCategory sets the category of reader card of p's library (the
// centre's subsidy of the reader's copy fees is by it; it applies to
// copies delivered after the change). Errors: forbidden for the centre,
// bad_request (card, category), not_found for a reader the library never
// registered.
func (s *Service) SetReaderCategory(ctx context.Context, p ill.Principal, card, category string) error {
	id, err := deskCard(p, "card", card)
	if err != nil {
		return err
	}
	c, err := ill.ParseReaderCategory(category)
	if err != nil {
		return err
	}
	return s.store.SetReaderCategory(ctx, p.Library, id, c)
}

// DeskSubmitBody is a request the ILL desk enters for a reader: the
// reader's card (with name, e-mail and deposit for a card the library has
// not registered yet), and a catalogue record or a manual citation.
type DeskSubmitBody struct {
	Card        string
	Name, Email string
	DepositPaid bool
	RecordID    string
	Item        *ill.Citation
	Note        string
	// Token makes the submit idempotent: the form's random token, so a
	// form sent twice is one request.
	Token string
}

// DeskSubmit submits a request for reader b.Card of p's library, entered
// by its staff, exactly as the library's system would (Submit): the
// consumers decide R2, R3, R7, duplicates and local holdings the same way.
// A registered reader is vouched for as registered (its deposit status is
// the one staff set on the reader page, with its audit trail; a name or
// e-mail typed at the desk updates the registration, like an API submit);
// a new card is registered with the name, e-mail and deposit given.
// Errors: as Submit, and bad_request (field card) for a bad card.
func (s *Service) DeskSubmit(ctx context.Context, p ill.Principal, b DeskSubmitBody) (SubmitResult, error) {
	if err := ForSubmit.Check(p); err != nil {
		return SubmitResult{}, err
	}
	id, err := deskCard(p, "card", b.Card)
	if err != nil {
		return SubmitResult{}, err
	}
	patron := ill.Patron{ID: id, Name: strings.TrimSpace(b.Name), Email: strings.TrimSpace(b.Email), DepositPaid: b.DepositPaid}
	r, err := s.store.Reader(ctx, p.Library, id)
	switch {
	case err == nil:
		patron.ID, patron.DepositPaid = r.ID, r.DepositPaid
		if patron.Name == "" {
			patron.Name = r.Name
		}
		if patron.Email == "" {
			patron.Email = r.Email
		}
	case ill.ErrorCode(err) != ill.CodeNotFound:
		return SubmitResult{}, err
	}
	token := strings.TrimSpace(b.Token)
	if token == "" || len(token) > 40 {
		return SubmitResult{}, ill.FieldError("token", "token (1 to 40 characters) is required")
	}
	client := "desk-" + patron.ID + "-" + token
	if len(client) > 100 {
		client = "desk-" + token
	}
	return s.Submit(ctx, p, ill.SubmitBody{ClientRequestID: client, Patron: patron, RecordID: strings.TrimSpace(b.RecordID),
		Item: b.Item, Note: strings.TrimSpace(b.Note)})
}

// DeskHit is a request a scanned barcode belongs to, with the one action
// the scanning library may take next at the desk ("" none).
type DeskHit struct {
	Req  *ill.Request
	Next ill.Action
}

// DeskScan is what a barcode scanned at the desk finds.
type DeskScan struct {
	Barcode string // as scanned, without the scanner's spaces and CR/LF
	// Live are the requests still running that carry the barcode and
	// concern the library (the borrower or the current lender), with
	// their next desk action.
	Live []DeskHit
	// Done are the finished requests that carried it (shown only when no
	// live one does).
	Done []*ill.Request
}

// maxDeskHits bounds the requests one barcode lists (an item lent many
// times over the years).
const maxDeskHits = 20

// ScanAtDesk finds the requests carrying barcode (ill.CleanBarcode) that
// p borrows or currently lends (the centre: every library's) and, for each
// live one, the next action p may take from ill.DeskActions by the state
// table (ill.Allow): receive and checkout at the borrower, return and
// ship_return when the reader brings it back, checkin at the lender.
// Finished requests are listed only when no live one carries the barcode.
// Errors: bad_request (field item_barcode) for an empty or overlong
// barcode.
func (s *Service) ScanAtDesk(ctx context.Context, p ill.Principal, barcode string) (DeskScan, error) {
	bc := ill.CleanBarcode(barcode)
	if bc == "" {
		return DeskScan{}, ill.FieldError("item_barcode", "item_barcode is required")
	}
	if len(bc) > 64 {
		return DeskScan{}, ill.FieldError("item_barcode", "item_barcode is longer than 64 characters")
	}
	reqs, err := s.store.RequestsByBarcode(ctx, bc, scope(p), maxDeskHits)
	if err != nil {
		return DeskScan{}, err
	}
	out := DeskScan{Barcode: bc}
	now := s.clock.Now().UTC()
	var done []*ill.Request
	for _, r := range reqs {
		if r.State.Terminal() {
			done = append(done, r)
			continue
		}
		out.Live = append(out.Live, DeskHit{Req: r, Next: nextDeskAction(r, p, now)})
	}
	if len(out.Live) == 0 {
		out.Done = done
	}
	return out, nil
}

// nextDeskAction is the first of ill.DeskActions the state table allows p
// on r now ("" none).
func nextDeskAction(r *ill.Request, p ill.Principal, now time.Time) ill.Action {
	for _, a := range ill.DeskActions {
		if _, err := ill.Allow(ill.Attempt{Action: a, From: r.State, Roles: r.RolesOf(p.Library, p.Centre),
			At: now, SubmittedAt: r.SubmittedAt, Service: r.ServiceType}); err == nil {
			return a
		}
	}
	return ""
}

// ActAtDesk takes desk action a (one of ill.DeskActions) on request id
// for the item scanned as barcode, through Act: a return or check-in
// names the scanned barcode (a different item is refused
// barcode_mismatch and listed for review) and the item's condition
// (good unless damaged). Errors: as Act; bad_request for an action that
// is not a desk action.
func (s *Service) ActAtDesk(ctx context.Context, p ill.Principal, id string, a ill.Action, barcode string,
	damaged bool, idempotencyKey string) (ActResult, error) {
	if !slices.Contains(ill.DeskActions, a) {
		return ActResult{}, ill.FieldError("action", "%s is not a desk action", a)
	}
	var b ill.ActionBody
	if a == ill.ActReturn || a == ill.ActCheckin {
		b.ItemBarcode, b.Condition = ill.CleanBarcode(barcode), "good"
		if damaged {
			b.Condition = "damaged"
		}
	}
	return s.Act(ctx, p, id, a, b, idempotencyKey, nil)
}
