package ill_test

import (
	"testing"

	"github.com/balis/illhub/ill"
)

func TestScope(t *testing.T) {
	lends := func(code string) bool { return code != "NOLEND" }
	rec := func(lang, material string) ill.Record {
		return ill.Record{ID: 1, Title: "书", Language: lang, Material: material}
	}
	hold := func(lib string, avail int, lendable bool) ill.HoldingView {
		return ill.HoldingView{Library: lib, Copies: 1, Available: avail, Lendable: lendable}
	}
	for _, c := range []struct {
		name   string
		rec    ill.Record
		hs     []ill.HoldingView
		reason ill.Reason
		cause  ill.ScopeCause
		value  string
	}{
		{"chinese book lent by another member", rec("chi", "book"), []ill.HoldingView{hold("PKU", 1, true)}, "", "", ""},
		{"lendable copy on loan still counts", rec("chi", "book"), []ill.HoldingView{hold("PKU", 0, true)}, "", "", ""},
		{"english book", rec("eng", "book"), []ill.HoldingView{hold("PKU", 1, true)}, ill.ReasonNotEligible, ill.ScopeLanguage, "eng"},
		{"language case-insensitive", rec("CHI", "Book"), []ill.HoldingView{hold("PKU", 1, true)}, "", "", ""},
		{"journal", rec("chi", "journal"), []ill.HoldingView{hold("PKU", 1, true)}, ill.ReasonNotEligible, ill.ScopeMaterial, "journal"},
		{"language before material", rec("jpn", "thesis"), nil, ill.ReasonNotEligible, ill.ScopeLanguage, "jpn"},
		{"unknown language and material pass", rec("", ""), []ill.HoldingView{hold("PKU", 1, true)}, "", "", ""},
		{"held locally", rec("chi", "book"), []ill.HoldingView{hold("THU", 1, false), hold("PKU", 1, true)}, ill.ReasonHeldLocally, ill.ScopeHeldLocally, ""},
		{"own copy on loan is not held locally", rec("chi", "book"), []ill.HoldingView{hold("THU", 0, true), hold("PKU", 1, true)}, "", "", ""},
		{"only the borrower holds it", rec("chi", "book"), []ill.HoldingView{hold("THU", 0, true)}, ill.ReasonNotHeld, ill.ScopeNoLender, ""},
		{"no holdings", rec("chi", "book"), nil, ill.ReasonNotHeld, ill.ScopeNoLender, ""},
		{"not lendable copies only", rec("chi", "book"), []ill.HoldingView{hold("PKU", 1, false), hold("RUC", 2, false)}, ill.ReasonNotHeld, ill.ScopeNoLender, ""},
		{"holder that does not lend", rec("chi", "book"), []ill.HoldingView{hold("NOLEND", 1, true)}, ill.ReasonNotHeld, ill.ScopeNoLender, ""},
		{"one lendable copy among several", rec("chi", "book"), []ill.HoldingView{hold("PKU", 1, false), hold("PKU", 0, true)}, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ill.DefaultEligibility.Scope(ill.HoldingScope(c.rec, c.hs, "THU", lends))
			if got.Reason != c.reason || got.Cause != c.cause || got.Value != c.value {
				t.Fatalf("Scope = %+v, want %s/%s/%s", got, c.reason, c.cause, c.value)
			}
			if got.Refused() != (c.reason != "") || (got.Refused() && got.Note() == "") {
				t.Fatalf("Refused/Note inconsistent: %+v %q", got, got.Note())
			}
		})
	}
}

// A manual citation not matched to the catalogue: only eligibility is
// judged (the held/no-lender checks need a record).
func TestScopeCitation(t *testing.T) {
	e := ill.DefaultEligibility
	if got := e.Scope(ill.ScopeFacts{Language: "chi"}); got.Refused() {
		t.Fatalf("unmatched Chinese citation refused: %+v", got)
	}
	if got := e.Scope(ill.ScopeFacts{Language: "rus"}); got.Reason != ill.ReasonNotEligible {
		t.Fatalf("Russian citation: %+v", got)
	}
	// The policy is data: a consortium lending English books too.
	wide := ill.Eligibility{Languages: []string{"chi", "eng"}, Materials: []string{"book"}}
	if got := wide.Scope(ill.ScopeFacts{Language: "eng", HoldingsKnown: true, Lenders: 1}); got.Refused() {
		t.Fatalf("English under a wider policy: %+v", got)
	}
}

// Scope agrees with Eligible on every language/material pair: the mark's
// eligibility and the old check cannot drift apart.
func TestScopeAgreesWithEligible(t *testing.T) {
	vals := []string{"", "chi", "eng", "CHI", "book", "journal", "thesis"}
	for _, l := range vals {
		for _, m := range vals {
			s := ill.DefaultEligibility.Scope(ill.ScopeFacts{Language: l, Material: m, HoldingsKnown: true, Lenders: 1})
			if s.Refused() == ill.DefaultEligibility.Eligible(l, m) {
				t.Errorf("lang %q material %q: Scope %+v, Eligible %v", l, m, s, ill.DefaultEligibility.Eligible(l, m))
			}
		}
	}
}

func TestLenderCountMatchesRota(t *testing.T) {
	cands := []ill.Candidate{{Library: "THU", Lendable: true, Available: 1}, {Library: "PKU", Lendable: true},
		{Library: "RUC", Lendable: false, Available: 3}, {Library: "BNU", Lendable: true, Available: 2}}
	if n, rota := ill.LenderCount(cands, "THU"), ill.BuildRota(cands, "THU", nil, 99); n != len(rota) || n != 2 {
		t.Fatalf("LenderCount %d, rota %d entries (want 2)", n, len(rota))
	}
}
