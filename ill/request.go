package ill

import "time"

// Request is one book for one reader, across every lender tried.
// Zero times mean "not set".
type Request struct {
	ID              string
	Borrower        string
	ClientRequestID string
	PatronID        string
	RecordID        int64
	Title           string
	Author          string
	ISBN            string
	Publisher       string
	Year            int
	Note            string
	State           State
	Reason          Reason
	Lender          string
	ItemBarcode     string
	SubmittedAt     time.Time
	RespondBy       time.Time
	ShipBy          time.Time
	DueAt           time.Time
	Provisional     bool
	UpdatedAt       time.Time
	// Source is where the request came from (SubmitBody.Source), "" when
	// it was not given.
	Source string

	// ServiceType is loan or copy ("" read as loan: ServiceType.OrLoan).
	ServiceType ServiceType
	// Citation is a copy request's own fields (Citation.CopyFields:
	// journal, ISSN, volume, issue, pages, article title, authors, DOI,
	// chapter, book pages); the item's title, author, ISBN, publisher and
	// year are the fields above. Zero for loans.
	Citation Citation
	// Rush: a copy to deliver the same working day it reaches a lender.
	Rush bool
	// DeliverBy is a copy's deliver deadline at the current lender;
	// zero when none runs.
	DeliverBy time.Time
	// DeliveryFileID is the delivered copy's file (the deliver action's
	// file_id); "" before delivery.
	DeliveryFileID string

	Rota   []RotaEntry
	Events []Event
}

// Event is one immutable line of a request's timeline.
type Event struct {
	At     time.Time
	Actor  string
	Action Action
	From   State
	To     State
	Note   string
}

// RolesOf returns the capacities in which library code (with or without a
// centre key) acts on r. A library that was asked before but is no longer
// the current lender may read the request but holds no role.
func (r *Request) RolesOf(code string, centre bool) []Role {
	var roles []Role
	if code == r.Borrower {
		roles = append(roles, RoleBorrower)
	}
	if r.Lender != "" && code == r.Lender {
		roles = append(roles, RoleLender)
	}
	if centre {
		roles = append(roles, RoleCentre)
	}
	return roles
}

// VisibleTo reports whether library code may read r: the borrower, any
// lender the request has been sent to, or the centre.
func (r *Request) VisibleTo(code string, centre bool) bool {
	if centre || code == r.Borrower || code == r.Lender {
		return true
	}
	for _, e := range r.Rota {
		if e.Library == code && e.Outcome != OutcomePending && e.Outcome != OutcomeSkipped {
			return true
		}
	}
	return false
}
