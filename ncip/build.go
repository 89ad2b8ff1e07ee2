package ncip

import (
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// Standard values (NCIP 2 implementation profile 1 schemes) the hub sends.
const (
	ActionHoldForPickup = "Hold For Pickup" // AcceptItem's RequestedActionType
	ElementBlockOrTrap  = "Block Or Trap"   // LookupUser's UserElementType
	ElementPrivilege    = "User Privilege"
)

// Party is how the hub addresses one member's ILS: FromAgency is the
// hub's agency id there, ToAgency the ILS's own.
type Party struct{ FromAgency, ToAgency string }

// PartyOf is m's addressing, with the defaults of ill.NCIPMember:
// FromAgency the hub's symbol, ToAgency the member's code.
func PartyOf(m *ill.NCIPMember, hubSymbol string) Party {
	p := Party{FromAgency: m.FromAgency, ToAgency: m.ToAgency}
	if p.FromAgency == "" {
		p.FromAgency = hubSymbol
	}
	if p.FromAgency == "" {
		p.FromAgency = "BALIS"
	}
	if p.ToAgency == "" {
		p.ToAgency = m.Code
	}
	return p
}

// Loan is what the calls say about a request.
type Loan struct {
	RequestID   string
	PatronID    string // the reader's card number at the borrowing library
	Borrower    string // the borrowing library's code: its ILL patron account at the lender
	ItemBarcode string // the lender's barcode, also the temporary item's at the borrower
	Title       string
	Author      string
	DueAt       time.Time // zero until the checkout to the reader
}

// LoanOf is what the calls say about r.
func LoanOf(r *ill.Request) Loan {
	return Loan{RequestID: r.ID, PatronID: r.PatronID, Borrower: r.Borrower, ItemBarcode: r.ItemBarcode,
		Title: r.Title, Author: r.Author, DueAt: r.DueAt}
}

// Build writes the initiation message of service at side's ILS for l (the
// mapping in docs/ncip.md). The lender's CheckOutItem lends the item to
// the borrowing library's ILL patron account, whose user identifier is
// the borrowing library's code.
func Build(service ill.NCIPService, side ill.Role, p Party, l Loan) (*Message, error) {
	h := &InitiationHeader{FromAgencyID: AgencyRef{SV(p.FromAgency)}, ToAgencyID: AgencyRef{SV(p.ToAgency)}}
	hub := SV(p.FromAgency)
	reader := UserID{Value: l.PatronID}
	item := ItemID{Value: l.ItemBarcode}
	req := RequestID{AgencyID: &hub, Value: l.RequestID}
	needItem := func() error {
		if strings.TrimSpace(l.ItemBarcode) == "" {
			return fmt.Errorf("ncip: %s for %s needs the item's barcode", service, l.RequestID)
		}
		return nil
	}
	switch {
	case service == ill.NCIPLookupUser && side == ill.RoleBorrower:
		return &Message{LookupUser: &LookupUser{Header: h, UserID: reader,
			UserElementType:          []SchemeValue{SV(ElementBlockOrTrap), SV(ElementPrivilege)},
			UserFiscalAccountDesired: &Empty{}}}, nil
	case service == ill.NCIPAcceptItem && side == ill.RoleBorrower:
		if err := needItem(); err != nil {
			return nil, err
		}
		a := &AcceptItem{Header: h, RequestID: req, RequestedActionType: SV(ActionHoldForPickup), UserID: &reader,
			ItemID: &item, DateForReturn: Time(l.DueAt)}
		if l.Title != "" || l.Author != "" {
			a.ItemOptional = &ItemOptionalFields{Bib: &BibliographicDescription{Author: l.Author, Title: l.Title}}
		}
		return &Message{AcceptItem: a}, nil
	case service == ill.NCIPCheckOutItem:
		if err := needItem(); err != nil {
			return nil, err
		}
		c := &CheckOutItem{Header: h, UserID: reader, ItemID: item, RequestID: &req, DesiredDateDue: Time(l.DueAt)}
		if side == ill.RoleLender {
			c.UserID, c.DesiredDateDue = UserID{Value: l.Borrower}, ""
		}
		return &Message{CheckOutItem: c}, nil
	case service == ill.NCIPCheckInItem:
		if err := needItem(); err != nil {
			return nil, err
		}
		return &Message{CheckInItem: &CheckInItem{Header: h, ItemID: item}}, nil
	}
	return nil, fmt.Errorf("ncip: the hub does not send %s to the %s", service, side)
}

// Standing is what a LookupUserResponse says about a reader, as the hub
// records it: known, blocks, privileges not active, the account balance.
type Standing struct {
	Known      bool     // the ILS knows the reader
	Blocks     []string // BlockOrTrapType values
	Inactive   []string // privileges whose status is not active ("type: status")
	Balance    int64    // the fiscal account's balance, minor units (negative: the reader owes)
	Currency   string
	HasBalance bool
	Problem    string // the ILS's Problem (e.g. Unknown User) when not known
}

// activeStatuses are privilege statuses that do not stop a reader.
var activeStatuses = map[string]bool{"active": true, "ok": true, "valid": true, "current": true, "": true}

// StandingOf reads a LookupUserResponse.
func StandingOf(r *LookupUserResponse) Standing {
	if r == nil {
		return Standing{}
	}
	if len(r.Problem) > 0 {
		var ps []string
		for _, p := range r.Problem {
			ps = append(ps, p.String())
		}
		return Standing{Problem: strings.Join(ps, "; ")}
	}
	s := Standing{Known: r.UserID != nil}
	if o := r.Optional; o != nil {
		for _, b := range o.BlockOrTrap {
			s.Blocks = append(s.Blocks, strings.TrimSpace(b.Type.Value))
		}
		for _, p := range o.UserPrivilege {
			if p.Status == nil {
				continue
			}
			st := strings.TrimSpace(p.Status.Type.Value)
			if !activeStatuses[strings.ToLower(st)] {
				s.Inactive = append(s.Inactive, strings.TrimSpace(p.Type.Value)+": "+st)
			}
		}
	}
	for _, a := range r.UserFiscalAccount {
		s.Balance += a.Balance.Value
		s.Currency, s.HasBalance = a.Balance.Currency.Value, true
	}
	return s
}

// Stops reports whether the ILS's answer is definitive that the reader
// may not borrow: unknown, blocked or without an active privilege. The
// hub records it for staff; it never changes the request's state.
func (s Standing) Stops() bool { return !s.Known || len(s.Blocks) > 0 || len(s.Inactive) > 0 }

// Owes reports whether the reader's account is in debit.
func (s Standing) Owes() bool { return s.HasBalance && s.Balance < 0 }

// Summary is the standing as one timeline line.
func (s Standing) Summary() string {
	if !s.Known {
		if s.Problem != "" {
			return "reader not known to the ILS: " + s.Problem
		}
		return "reader not known to the ILS"
	}
	var parts []string
	if len(s.Blocks) > 0 {
		parts = append(parts, "BLOCKED ("+strings.Join(s.Blocks, ", ")+")")
	}
	if len(s.Inactive) > 0 {
		parts = append(parts, "NOT ACTIVE ("+strings.Join(s.Inactive, ", ")+")")
	}
	if len(parts) == 0 {
		parts = append(parts, "active, no blocks")
	}
	if s.HasBalance {
		b := fmt.Sprintf("balance %s %d.%02d", s.Currency, s.Balance/100, abs(s.Balance%100))
		if s.Balance < 0 && s.Balance > -100 {
			b = fmt.Sprintf("balance %s -0.%02d", s.Currency, abs(s.Balance%100))
		}
		if s.Owes() {
			b += " (owes)"
		}
		parts = append(parts, b)
	}
	return strings.Join(parts, "; ")
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
