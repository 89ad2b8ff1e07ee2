package ill_test

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/balis/illhub/ill"
)

func TestParsePages(t *testing.T) {
	cases := []struct {
		in, norm string
		count    int
		bad      bool
	}{
		{in: "12-34", norm: "12-34", count: 23},
		{in: "5", norm: "5", count: 1},
		{in: "1-3,7-9", norm: "1-3,7-9", count: 6},
		{in: " 7-9 , 1-3 ", norm: "1-3,7-9", count: 6},
		{in: "1-3,4", norm: "1-4", count: 4},       // adjacent ranges merge
		{in: "1-10,5-12", norm: "1-12", count: 12}, // overlapping pages count once
		{in: "pp. 100–110", norm: "100-110", count: 11},
		{in: "p.5", norm: "5", count: 1},
		{in: "页12～15，20", norm: "12-15,20", count: 5},
		{in: "3-3", norm: "3", count: 1},
		{in: "", bad: true},
		{in: "0", bad: true},
		{in: "9-3", bad: true},
		{in: "a-b", bad: true},
		{in: "1-", bad: true},
		{in: "-5", bad: true},
		{in: "1,,2", bad: true},
		{in: "100001", bad: true},
		{in: "1-2-3", bad: true},
		{in: "xii-xv", bad: true},
	}
	for _, c := range cases {
		p, err := ill.ParsePages(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParsePages(%q) = %v, want an error", c.in, p)
			}
			continue
		}
		if err != nil || p.String() != c.norm || p.Count() != c.count {
			t.Errorf("ParsePages(%q) = %q (%d pages), %v; want %q (%d)", c.in, p, p.Count(), err, c.norm, c.count)
		}
	}
}

// TestPagesProperty: for any set of ranges, the parsed list counts exactly
// the distinct pages named, and its normal form parses back to itself.
func TestPagesProperty(t *testing.T) {
	f := func(seed int64) bool {
		rnd := rand.New(rand.NewSource(seed))
		n := 1 + rnd.Intn(5)
		pages := map[int]bool{}
		var parts []string
		for i := 0; i < n; i++ {
			from := 1 + rnd.Intn(200)
			to := from + rnd.Intn(30)
			for p := from; p <= to; p++ {
				pages[p] = true
			}
			if from == to && rnd.Intn(2) == 0 {
				parts = append(parts, fmt.Sprint(from))
			} else {
				parts = append(parts, fmt.Sprintf("%d-%d", from, to))
			}
		}
		rnd.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		p, err := ill.ParsePages(strings.Join(parts, ", "))
		if err != nil || p.Count() != len(pages) {
			t.Logf("%v: %v %d pages, want %d", parts, err, p.Count(), len(pages))
			return false
		}
		again, err := ill.ParsePages(p.String())
		if err != nil || !slices.Equal(again, p) {
			return false
		}
		for i := 1; i < len(p); i++ {
			if p[i].From <= p[i-1].To+1 {
				return false // not normal: overlapping or adjacent
			}
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 500}); err != nil {
		t.Error(err)
	}
}

// FuzzPages: the page parser and the copy citation check never panic; a
// page list that parses is in normal form, counts at least one page and
// no more than MaxPage, and parses back to itself.
func FuzzPages(f *testing.F) {
	for _, s := range []string{"12-34", "5", "1-3,7-9", "pp. 1–2", "页12～15，20", "", "0-0", "99999-100000", "1,,2"} {
		f.Add(s, 30)
	}
	f.Fuzz(func(t *testing.T, s string, bookPages int) {
		p, err := ill.ParsePages(s)
		if err == nil {
			if n := p.Count(); n < 1 || n > ill.MaxPage {
				t.Fatalf("%q: %d pages", s, n)
			}
			again, err := ill.ParsePages(p.String())
			if err != nil || !slices.Equal(again, p) {
				t.Fatalf("%q: normal form %q does not parse back (%v)", s, p, err)
			}
		}
		c := ill.Citation{Title: "书", Pages: s, BookPages: bookPages}
		if err := ill.ValidateCopy(&c, false); err == nil && c.Pages != "" {
			if _, err := ill.ParsePages(c.Pages); err != nil {
				t.Fatalf("accepted pages %q do not parse", c.Pages)
			}
		}
	})
}

func TestCoverage(t *testing.T) {
	cases := []struct {
		in   string
		norm string
		in1  []int
		out  []int
		bad  bool
	}{
		{in: "1998-2010,2015-", norm: "1998-2010,2015-", in1: []int{1998, 2005, 2010, 2015, 2030, 0}, out: []int{1997, 2011, 2014}},
		{in: "2001", norm: "2001", in1: []int{2001}, out: []int{2000, 2002}},
		{in: "", norm: "", in1: []int{1900, 2026}},
		{in: "1990 – 1995；2000", norm: "1990-1995,2000", in1: []int{1993, 2000}, out: []int{1999}},
		{in: "2010-1998", bad: true},
		{in: "abc", bad: true},
		{in: "99-", bad: true},
	}
	for _, c := range cases {
		cov, err := ill.ParseCoverage(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseCoverage(%q) = %v, want an error", c.in, cov)
			}
			continue
		}
		if err != nil || cov.String() != c.norm {
			t.Errorf("ParseCoverage(%q) = %q, %v; want %q", c.in, cov, err, c.norm)
		}
		for _, y := range c.in1 {
			if !cov.Contains(y) {
				t.Errorf("%q should hold %d", c.in, y)
			}
		}
		for _, y := range c.out {
			if cov.Contains(y) {
				t.Errorf("%q should not hold %d", c.in, y)
			}
		}
	}
}

func TestNormalizeISSNAndDOI(t *testing.T) {
	for in, want := range map[string]string{
		"0254-4164": "0254-4164", "02544164": "0254-4164", "ISSN 0378-5955": "0378-5955", "2434-561x": "2434-561X",
		"0254-4165": "", "1234": "", "X254-4164": "", "0254-416": "", "0254-4164-1": "",
	} {
		got, ok := ill.NormalizeISSN(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeISSN(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{
		"10.1000/182": "10.1000/182", "doi:10.1016/j.cell.2020.01.001": "10.1016/j.cell.2020.01.001",
		"https://doi.org/10.3969/j.issn.0254-4164.2020.01.001": "10.3969/j.issn.0254-4164.2020.01.001",
		"11.1000/182": "", "10./x": "", "10.1000": "", "10.1000/": "", "10.1000/a b": "",
	} {
		got, ok := ill.NormalizeDOI(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeDOI(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestValidateCopy(t *testing.T) {
	cases := []struct {
		name      string
		c         ill.Citation
		hasRecord bool
		code      ill.Code
		field     string
		check     func(ill.Citation) bool
	}{
		{name: "article by ISSN, normalised", c: ill.Citation{ISSN: "02544164", ArticleTitle: "深度学习", Pages: "1 - 12", Year: 2020},
			check: func(c ill.Citation) bool {
				return c.ISSN == "0254-4164" && c.Pages == "1-12" && c.CopyKind() == ill.CopyArticle
			}},
		{name: "article by DOI only", c: ill.Citation{DOI: "doi:10.1000/182"},
			check: func(c ill.Citation) bool { return c.DOI == "10.1000/182" }},
		{name: "article without a journal", c: ill.Citation{ArticleTitle: "孤文"}, code: ill.CodeBadRequest, field: "item.journal_title"},
		{name: "bad ISSN", c: ill.Citation{ISSN: "0254-4165"}, code: ill.CodeBadRequest, field: "item.issn"},
		{name: "bad DOI", c: ill.Citation{JournalTitle: "J", DOI: "x"}, code: ill.CodeBadRequest, field: "item.doi"},
		{name: "bad pages", c: ill.Citation{JournalTitle: "J", Pages: "9-3"}, code: ill.CodeBadRequest, field: "item.pages"},
		{name: "book part by chapter", c: ill.Citation{Title: "电路", Chapter: "第3章"},
			check: func(c ill.Citation) bool { return c.CopyKind() == ill.CopyBookPart }},
		{name: "book part of a record", c: ill.Citation{Pages: "1-20"}, hasRecord: true},
		{name: "book part without a book", c: ill.Citation{Pages: "1-20"}, code: ill.CodeBadRequest, field: "item.title"},
		{name: "the whole book is not a part", c: ill.Citation{Title: "电路"}, code: ill.CodeBadRequest, field: "item.pages"},
		{name: "a third of the book", c: ill.Citation{Title: "电路", Pages: "1-100", BookPages: 300}},
		{name: "over a third", c: ill.Citation{Title: "电路", Pages: "1-100,201", BookPages: 300}, code: ill.CodeCopyTooLarge, field: "item.pages"},
		{name: "page count unknown: not bounded", c: ill.Citation{Title: "电路", Pages: "1-290"}},
		{name: "too long", c: ill.Citation{JournalTitle: strings.Repeat("刊", 401)}, code: ill.CodeBadRequest, field: "item.journal_title"},
	}
	for _, c := range cases {
		cit := c.c
		err := ill.ValidateCopy(&cit, c.hasRecord)
		if c.code == "" {
			if err != nil || (c.check != nil && !c.check(cit)) {
				t.Errorf("%s: %v, %+v", c.name, err, cit)
			}
			continue
		}
		var e *ill.Error
		if !asErr(err, &e) || e.Code != c.code || e.Field != c.field {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.code, c.field)
		}
	}
	if ill.CodeCopyTooLarge.HTTPStatus() != 422 || ill.DispositionFor(&ill.Error{Code: ill.CodeCopyTooLarge}) != ill.DeadLetter {
		t.Error("copy_too_large: 422 and dead-letter")
	}
}

func asErr(err error, e **ill.Error) bool {
	if x, ok := err.(*ill.Error); ok {
		*e = x
		return true
	}
	return false
}

func TestParseServiceType(t *testing.T) {
	for in, want := range map[string]ill.ServiceType{"": ill.ServiceLoan, "loan": ill.ServiceLoan, "copy": ill.ServiceCopy} {
		if got, err := ill.ParseServiceType(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := ill.ParseServiceType("scan"); ill.ErrorCode(err) != ill.CodeBadRequest {
		t.Errorf("scan: %v", err)
	}
}

// copyAllowed is the copy requests' life cycle (SPEC 5.4) written out by
// hand: the API actions a copy request takes from each state, by the
// role that may take them. Every other cell of a permitted role is
// invalid_transition: a copy is never shipped, received, checked out,
// recalled, returned or reported lost, and is not renewed.
var copyAllowed = map[string]ill.State{
	"NEEDS_MEDIATION mediate/":           ill.Requested,
	"REQUESTED respond/will_supply":      ill.WillSupply,
	"REQUESTED respond/unfilled":         ill.Requested,
	"WILL_SUPPLY respond/unfilled":       ill.Requested,
	"REQUESTED deliver/":                 ill.Delivered,
	"WILL_SUPPLY deliver/":               ill.Delivered,
	"SUBMITTED cancel/reader":            ill.Cancelled,
	"SUBMITTED cancel/staff":             ill.Cancelled,
	"NEEDS_MEDIATION cancel/reader":      ill.Cancelled,
	"NEEDS_MEDIATION cancel/staff":       ill.Cancelled,
	"REQUESTED cancel/reader":            ill.Cancelled,
	"REQUESTED cancel/staff":             ill.Cancelled,
	"WILL_SUPPLY cancel/reader":          ill.CancelPending,
	"WILL_SUPPLY cancel/staff":           ill.CancelPending,
	"CANCEL_PENDING cancel_response/yes": ill.Cancelled,
	"CANCEL_PENDING cancel_response/no":  ill.WillSupply,
}

func TestCopyMatrix(t *testing.T) {
	sub := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	seen := 0
	for _, s := range ill.States {
		for _, col := range specColumns {
			key := fmt.Sprintf("%s %s/%s", s, col.action, col.variant)
			tr, err := ill.Decide(ill.Attempt{Action: col.action, Variant: col.variant, From: s, Roles: col.by[:1],
				At: sub.Add(10 * time.Minute), SubmittedAt: sub, Service: ill.ServiceCopy})
			want, ok := copyAllowed[key]
			if !ok {
				if ill.ErrorCode(err) != ill.CodeInvalidTransition {
					t.Errorf("%s: %v (→ %s), want invalid_transition", key, err, tr.To)
				}
				continue
			}
			seen++
			if err != nil || tr.To != want {
				t.Errorf("%s: %v → %s, want → %s", key, err, tr.To, want)
			}
		}
	}
	if seen != len(copyAllowed) {
		t.Errorf("%d allowed cells checked, %d written", seen, len(copyAllowed))
	}
	// The system's: close_delivery only from DELIVERED, only for copies.
	for _, v := range []ill.Variant{ill.CloseDownloaded, ill.CloseExpired} {
		at := ill.Attempt{Action: ill.ActCloseDelivery, Variant: v, From: ill.Delivered, Roles: sys, Service: ill.ServiceCopy}
		if tr, err := ill.Decide(at); err != nil || tr.To != ill.Completed {
			t.Errorf("close_delivery/%s: %v %s", v, err, tr.To)
		}
		at.Service = ill.ServiceLoan
		if _, err := ill.Decide(at); ill.ErrorCode(err) != ill.CodeInvalidTransition {
			t.Errorf("close_delivery of a loan: %v", err)
		}
		at.Service, at.Roles = ill.ServiceCopy, lenderRole
		if _, err := ill.Decide(at); ill.ErrorCode(err) != ill.CodeForbidden {
			t.Errorf("close_delivery by a lender: %v", err)
		}
	}
	// A loan is never delivered, whoever tries.
	if _, err := ill.Decide(ill.Attempt{Action: ill.ActDeliver, From: ill.WillSupply, Roles: lenderRole}); ill.ErrorCode(err) != ill.CodeInvalidTransition {
		t.Errorf("deliver a loan: %v", err)
	}
}

func TestCopyActionBodies(t *testing.T) {
	for _, c := range []struct {
		a     ill.Action
		b     ill.ActionBody
		v     ill.Variant
		field string
	}{
		{ill.ActDeliver, ill.ActionBody{FileID: "F1"}, "", ""},
		{ill.ActDeliver, ill.ActionBody{}, "", "file_id"},
		{ill.ActDeliver, ill.ActionBody{FileID: "  "}, "", "file_id"},
		{ill.ActDeliver, ill.ActionBody{FileID: strings.Repeat("x", ill.MaxFileIDLength+1)}, "", "file_id"},
		{ill.ActCloseDelivery, ill.ActionBody{Reason: "downloaded"}, ill.CloseDownloaded, ""},
		{ill.ActCloseDelivery, ill.ActionBody{Reason: "expired"}, ill.CloseExpired, ""},
		{ill.ActCloseDelivery, ill.ActionBody{}, "", "reason"},
		{ill.ActCloseDelivery, ill.ActionBody{Reason: "read"}, "", "reason"},
	} {
		v, err := c.b.Variant(c.a)
		var e *ill.Error
		switch {
		case c.field == "" && (err != nil || v != c.v):
			t.Errorf("%s %+v: %q %v, want %q", c.a, c.b, v, err, c.v)
		case c.field != "" && (!asErr(err, &e) || e.Field != c.field):
			t.Errorf("%s %+v: %v, want bad_request on %s", c.a, c.b, err, c.field)
		}
	}
}

// TestExpireDeliver: the deliver deadline moves a copy on once passed;
// before, or on a request without one (a loan), it does nothing.
func TestExpireDeliver(t *testing.T) {
	deliverBy := time.Date(2026, 3, 5, 23, 59, 59, 0, ill.Shanghai)
	for _, c := range []struct {
		name  string
		now   time.Time
		from  ill.State
		copy  bool
		moves bool
	}{
		{"before the deadline", deliverBy.Add(-time.Minute), ill.WillSupply, true, false},
		{"passed, accepted", deliverBy.Add(time.Minute), ill.WillSupply, true, true},
		{"passed, not even answered", deliverBy.Add(time.Minute), ill.Requested, true, true},
		{"delivered meanwhile", deliverBy.Add(time.Minute), ill.Delivered, true, false},
		{"a loan has no deliver deadline", deliverBy.Add(time.Minute), ill.WillSupply, false, false},
	} {
		r := fxRequest(c.from)
		if c.copy {
			asCopy(r)
			r.DeliverBy = deliverBy
		}
		tr := ill.Expire(ill.TimerDeliver, r, c.now, fxFacts(t))
		if tr.Moves() != c.moves {
			t.Errorf("%s: moves %v, want %v (%+v)", c.name, tr.Moves(), c.moves, render(tr))
		}
		if c.moves && (tr.Rule.Action != ill.ActDeliverTimeout || tr.Rota.Outcome != ill.OutcomeNotDelivered) {
			t.Errorf("%s: %+v", c.name, render(tr))
		}
	}
	if got := ill.TimerDeliver.States(); !slices.Equal(got, []ill.State{ill.Requested, ill.WillSupply}) {
		t.Errorf("TimerDeliver.States() = %v", got)
	}
	if ill.TimerDeliver.Deadline() != ill.DeadlineDeliver {
		t.Error("TimerDeliver enforces deliver_by")
	}
}

func TestCopyOpenStatesAndTerms(t *testing.T) {
	for _, s := range ill.CopyOpenStates() {
		if s.Terminal() {
			t.Errorf("%s is terminal", s)
		}
	}
	if ill.Delivered.Active() || !slices.Contains(ill.CopyOpenStates(), ill.Delivered) {
		t.Error("DELIVERED: not for R3, counts for the copy limit")
	}
	if ill.Delivered.Label("zh") != "已发送电子文献" || ill.Delivered.Label("en") != "Delivered electronically" {
		t.Error("DELIVERED labels")
	}
	if got := (ill.Library{}).CopyTerms(); got != ill.DefaultCopyTerms || got != (ill.CopyTerms{RespondDays: 1, DeliverDays: 3, Limit: 10}) {
		t.Errorf("default copy terms %+v", got)
	}
	if got := (ill.Library{CopyDeliverDays: 5, CopyLimit: 2}).CopyTerms(); got != (ill.CopyTerms{RespondDays: 1, DeliverDays: 5, Limit: 2}) {
		t.Errorf("copy terms %+v", got)
	}
}
