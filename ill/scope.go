package ill

// Scope: whether a request for a record would be refused by policy, and
// why, known before the reader asks (seed §四.1: 各成员馆收藏的中文普通图书).
//
// The portal marks a record with the verdict and the submit refuses with
// the same one: the requests consumer judges a submit (and a mediation to
// a record) through Eligibility.Scope too, so a mark and a refusal cannot
// disagree. The checks run in the submit's order: R2 eligibility
// (language, then material), the borrower's own available copy, and a
// lendable copy at another member (without one the submit ends UNFILLED
// with not_held).

// ScopeCause says which check refused, for the explanation shown.
type ScopeCause string

const (
	// ScopeLanguage: the record's language is not one the policy lends
	// (Value: the MARC code, e.g. "eng").
	ScopeLanguage ScopeCause = "language"
	// ScopeMaterial: the material is not one the policy lends (Value:
	// e.g. "journal").
	ScopeMaterial ScopeCause = "material"
	// ScopeHeldLocally: the borrower has an available copy of its own.
	ScopeHeldLocally ScopeCause = "held_locally"
	// ScopeNoLender: no other member that lends holds a lendable copy.
	ScopeNoLender ScopeCause = "no_lender"
)

// ScopeFacts are what the scope of a request is judged on.
type ScopeFacts struct {
	Language, Material string // the record's (or the citation's); "" is given the benefit of the doubt
	// HoldingsKnown: the record is known and the two facts below are
	// filled; false for a manual citation not matched to the catalogue,
	// of which only eligibility can be judged.
	HoldingsKnown bool
	// HeldLocally: the borrower itself has an available copy (a request
	// with an explicit lender list is never refused for this: the caller
	// leaves it false).
	HeldLocally bool
	// Lenders is how many other members would be asked: those that lend,
	// hold a lendable copy and are not the borrower (LenderCount).
	Lenders int
}

// ScopeCheck is the verdict: zero when a request would go ahead, else the
// reason code the submit refuses with, the cause and the offending value.
type ScopeCheck struct {
	Reason Reason     `json:"reason,omitempty"`
	Cause  ScopeCause `json:"cause,omitempty"`
	Value  string     `json:"value,omitempty"`
}

// Refused reports whether the request would be refused.
func (c ScopeCheck) Refused() bool { return c.Reason != "" }

// Note is the refusal's text for the timeline (English, like the other
// lines the hub writes).
func (c ScopeCheck) Note() string {
	switch c.Cause {
	case ScopeLanguage:
		return "language " + c.Value + " is not lendable under the BALIS policy (Chinese general books only)"
	case ScopeMaterial:
		return "material " + c.Value + " is not lendable under the BALIS policy (Chinese general books only)"
	case ScopeHeldLocally:
		return "the borrowing library has an available copy on its own shelves"
	case ScopeNoLender:
		return "no other member library holds a lendable copy"
	}
	return ""
}

// Scope judges f in the submit's order (see above).
func (e Eligibility) Scope(f ScopeFacts) ScopeCheck {
	switch {
	case f.Language != "" && !containsFold(e.Languages, f.Language):
		return ScopeCheck{Reason: ReasonNotEligible, Cause: ScopeLanguage, Value: f.Language}
	case f.Material != "" && !containsFold(e.Materials, f.Material):
		return ScopeCheck{Reason: ReasonNotEligible, Cause: ScopeMaterial, Value: f.Material}
	case !f.HoldingsKnown:
		return ScopeCheck{}
	case f.HeldLocally:
		return ScopeCheck{Reason: ReasonHeldLocally, Cause: ScopeHeldLocally}
	case f.Lenders == 0:
		return ScopeCheck{Reason: ReasonNotHeld, Cause: ScopeNoLender}
	}
	return ScopeCheck{}
}

// LenderCount is how many of cands routing would ask for borrower: the
// same filter as BuildRota (not the borrower, a lendable copy).
// Candidates are members that lend (libraries.lending) holding the record.
func LenderCount(cands []Candidate, borrower string) int {
	n := 0
	for _, c := range cands {
		if c.Library != borrower && c.Lendable {
			n++
		}
	}
	return n
}

// CandidatesOf turns a record's holdings into routing candidates as the
// store's routing read does: one per library that lends (lends(code)),
// its available copies summed, lendable when any copy is.
func CandidatesOf(hs []HoldingView, lends func(code string) bool) []Candidate {
	idx := map[string]int{}
	var out []Candidate
	for _, h := range hs {
		if !lends(h.Library) {
			continue
		}
		i, ok := idx[h.Library]
		if !ok {
			i = len(out)
			idx[h.Library] = i
			out = append(out, Candidate{Library: h.Library})
		}
		out[i].Available += h.Available
		out[i].Lendable = out[i].Lendable || h.Lendable
	}
	return out
}

// HoldingScope is the facts of record rec for borrower from its holdings
// (hs, every member's) and which libraries lend.
func HoldingScope(rec Record, hs []HoldingView, borrower string, lends func(code string) bool) ScopeFacts {
	f := ScopeFacts{Language: rec.Language, Material: rec.Material, HoldingsKnown: true}
	for _, h := range hs {
		if h.Library == borrower && h.Available > 0 {
			f.HeldLocally = true
		}
	}
	f.Lenders = LenderCount(CandidatesOf(hs, lends), borrower)
	return f
}
