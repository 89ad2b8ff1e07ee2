package ill_test

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

// cand is a shorthand for a lendable, open, available candidate with no
// history and no load.
func cand(code string, mods ...func(*ill.Candidate)) ill.Candidate {
	c := ill.Candidate{Library: code, OpenToday: true, Available: 1, Lendable: true, FillRate: -1}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func closed(c *ill.Candidate)      { c.OpenToday = false }
func noneAvail(c *ill.Candidate)   { c.Available = 0 }
func notLendable(c *ill.Candidate) { c.Lendable = false }
func load(lent, borrowed int) func(*ill.Candidate) {
	return func(c *ill.Candidate) { c.Lent, c.Borrowed = lent, borrowed }
}
func fill(r float64) func(*ill.Candidate) { return func(c *ill.Candidate) { c.FillRate = r } }
func resp(h float64) func(*ill.Candidate) {
	return func(c *ill.Candidate) { c.MedianResponseHours = h }
}
func avail(n int) func(*ill.Candidate) { return func(c *ill.Candidate) { c.Available = n } }

func libs(r []ill.RotaEntry) []string {
	out := make([]string, len(r))
	for i, e := range r {
		out[i] = e.Library
	}
	return out
}

func TestBuildRota(t *testing.T) {
	cases := []struct {
		name     string
		cands    []ill.Candidate
		borrower string
		exclude  map[string]bool
		max      int
		want     []string
	}{
		{"open today before closed", []ill.Candidate{cand("AAA", closed), cand("ZZZ")}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"open beats available", []ill.Candidate{cand("AAA", closed, avail(9)), cand("ZZZ", noneAvail)}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"available before none", []ill.Candidate{cand("AAA", noneAvail), cand("ZZZ")}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"available count beyond 1 does not matter", []ill.Candidate{cand("BBB", avail(5)), cand("AAA", avail(1))}, "", nil, 0, []string{"AAA", "BBB"}},
		{"negative available counts as none", []ill.Candidate{cand("AAA", avail(-1)), cand("ZZZ")}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"available beats load", []ill.Candidate{cand("AAA", noneAvail), cand("ZZZ", load(1000, 0))}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"load leveling: heavy lender later", []ill.Candidate{cand("AAA", load(100, 0)), cand("ZZZ", load(10, 10))}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"load leveling: ratio not raw count", []ill.Candidate{cand("AAA", load(50, 99)), cand("ZZZ", load(5, 0))}, "", nil, 0, []string{"AAA", "ZZZ"}},
		{"load beats fill rate", []ill.Candidate{cand("AAA", load(10, 0), fill(1)), cand("ZZZ", load(0, 0), fill(0))}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"fill rate higher first", []ill.Candidate{cand("AAA", fill(0.5)), cand("ZZZ", fill(0.9))}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"no history after any history", []ill.Candidate{cand("AAA", fill(-1)), cand("ZZZ", fill(0))}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"fill rate beats response time", []ill.Candidate{cand("AAA", fill(0.5), resp(1)), cand("ZZZ", fill(0.6), resp(40))}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"faster response first", []ill.Candidate{cand("AAA", fill(0.8), resp(30)), cand("ZZZ", fill(0.8), resp(2))}, "", nil, 0, []string{"ZZZ", "AAA"}},
		{"tie-break by code", []ill.Candidate{cand("PKU"), cand("BIT"), cand("THU"), cand("BNU")}, "", nil, 0, []string{"BIT", "BNU", "PKU", "THU"}},
		{"borrower excluded", []ill.Candidate{cand("THU"), cand("PKU"), cand("RUC")}, "PKU", nil, 0, []string{"RUC", "THU"}},
		{"non-lendable excluded", []ill.Candidate{cand("THU", notLendable), cand("PKU")}, "", nil, 0, []string{"PKU"}},
		{"exclude map", []ill.Candidate{cand("THU"), cand("PKU"), cand("RUC")}, "", map[string]bool{"THU": true, "RUC": false}, 0, []string{"PKU", "RUC"}},
		{"all excluded", []ill.Candidate{cand("THU"), cand("PKU", notLendable)}, "THU", nil, 0, []string{}},
		{"no candidates", nil, "THU", nil, 0, []string{}},
		{"cap at max", []ill.Candidate{cand("E"), cand("D"), cand("C"), cand("B"), cand("A")}, "", nil, 3, []string{"A", "B", "C"}},
		{"max 1", []ill.Candidate{cand("B"), cand("A", closed)}, "", nil, 1, []string{"B"}},
		{"max larger than candidates", []ill.Candidate{cand("B"), cand("A")}, "", nil, 10, []string{"A", "B"}},
		{"default cap 5", []ill.Candidate{cand("G"), cand("F"), cand("E"), cand("D"), cand("C"), cand("B"), cand("A")}, "", nil, 0, []string{"A", "B", "C", "D", "E"}},
		{"negative max means default", []ill.Candidate{cand("G"), cand("F"), cand("E"), cand("D"), cand("C"), cand("B"), cand("A")}, "", nil, -1, []string{"A", "B", "C", "D", "E"}},
		{"cap keeps the best, not the first given", []ill.Candidate{cand("A", closed), cand("B", closed), cand("C")}, "", nil, 1, []string{"C"}},
		{"full ordering", []ill.Candidate{
			cand("CLOSED", closed),
			cand("NONE", noneAvail),
			cand("HEAVY", load(90, 0)),
			cand("SLOW", fill(0.9), resp(48)),
			cand("FAST", fill(0.9), resp(2)),
			cand("GOOD", fill(0.95), resp(72)),
		}, "", nil, 6, []string{"GOOD", "FAST", "SLOW", "HEAVY", "NONE", "CLOSED"}},
	}
	for _, c := range cases {
		got := ill.BuildRota(c.cands, c.borrower, c.exclude, c.max)
		if !slices.Equal(libs(got), c.want) {
			t.Errorf("%s: rota %v, want %v", c.name, libs(got), c.want)
		}
		for i, e := range got {
			if e.Rank != i+1 {
				t.Errorf("%s: %s rank %d, want %d", c.name, e.Library, e.Rank, i+1)
			}
			if e.Outcome != ill.OutcomePending {
				t.Errorf("%s: %s outcome %q, want pending", c.name, e.Library, e.Outcome)
			}
			if len(e.Reasons) == 0 {
				t.Errorf("%s: %s has no reasons", c.name, e.Library)
			}
		}
	}
	if ill.DefaultRotaLength != 5 {
		t.Errorf("DefaultRotaLength = %d, SPEC says 5", ill.DefaultRotaLength)
	}
}

func TestBuildRotaReasons(t *testing.T) {
	r := ill.BuildRota([]ill.Candidate{
		cand("AAA", load(3, 4), fill(0.8)),
		cand("BBB", closed, noneAvail),
		cand("CCC", avail(2), fill(0)),
	}, "", nil, 0)
	want := map[string][]string{
		"AAA": {"open_today", "available:1", "load:lent=3,borrowed=4", "fill_rate:0.80"},
		"BBB": {"closed_today", "none_available", "load:lent=0,borrowed=0", "no_history"},
		"CCC": {"open_today", "available:2", "load:lent=0,borrowed=0", "fill_rate:0.00"},
	}
	if len(r) != 3 {
		t.Fatalf("rota %v", libs(r))
	}
	for _, e := range r {
		if !slices.Equal(e.Reasons, want[e.Library]) {
			t.Errorf("%s reasons %q, want %q", e.Library, e.Reasons, want[e.Library])
		}
		// The reasons are stored in rota.reasons VARCHAR(400) joined.
		if n := len(strings.Join(e.Reasons, ",")); n > 400 {
			t.Errorf("%s reasons too long: %d", e.Library, n)
		}
	}
}

func TestLoadRatio(t *testing.T) {
	for _, c := range []struct {
		lent, borrowed int
		want           float64
	}{{0, 0, 0}, {10, 0, 10}, {10, 9, 1}, {3, 1, 1.5}} {
		if got := (ill.Candidate{Lent: c.lent, Borrowed: c.borrowed}).LoadRatio(); got != c.want {
			t.Errorf("LoadRatio(%d,%d) = %v, want %v", c.lent, c.borrowed, got, c.want)
		}
	}
}

func TestNextPending(t *testing.T) {
	r := []ill.RotaEntry{{Outcome: ill.OutcomeUnfilled}, {Outcome: ill.OutcomeNoResponse}, {Outcome: ill.OutcomePending}, {Outcome: ill.OutcomePending}}
	if got := ill.NextPending(r); got != 2 {
		t.Errorf("NextPending = %d", got)
	}
	if got := ill.NextPending(r[:2]); got != -1 {
		t.Errorf("NextPending(none) = %d", got)
	}
	if got := ill.NextPending(nil); got != -1 {
		t.Errorf("NextPending(nil) = %d", got)
	}
}

// refBefore is an independent statement of SPEC §3's rota order: a strict
// "a goes before b".
func refBefore(a, b ill.Candidate) bool {
	key := func(c ill.Candidate) []float64 {
		open, av := 1.0, 1.0
		if c.OpenToday {
			open = 0
		}
		if c.Available > 0 {
			av = 0
		}
		return []float64{open, av, float64(c.Lent) / float64(c.Borrowed+1), -c.FillRate, c.MedianResponseHours}
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] < kb[i]
		}
	}
	return a.Library < b.Library
}

func TestBuildRotaProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for iter := 0; iter < 800; iter++ {
		n := rng.Intn(14)
		var cs []ill.Candidate
		for i := 0; i < n; i++ {
			c := ill.Candidate{
				Library:   fmt.Sprintf("L%02d", rng.Intn(60)),
				OpenToday: rng.Intn(3) > 0,
				Available: rng.Intn(3) - rng.Intn(2),
				Lendable:  rng.Intn(5) > 0,
				Lent:      rng.Intn(4),
				Borrowed:  rng.Intn(3),
				FillRate:  []float64{-1, 0, 0.5, 0.5, 1}[rng.Intn(5)],
			}
			c.MedianResponseHours = []float64{0, 2, 2, 24}[rng.Intn(4)]
			if slices.ContainsFunc(cs, func(o ill.Candidate) bool { return o.Library == c.Library }) {
				continue // library codes are unique
			}
			cs = append(cs, c)
		}
		borrower := fmt.Sprintf("L%02d", rng.Intn(60))
		exclude := map[string]bool{}
		for i := rng.Intn(3); i > 0; i-- {
			exclude[fmt.Sprintf("L%02d", rng.Intn(60))] = true
		}
		max := rng.Intn(8) - 1
		capN := max
		if capN <= 0 {
			capN = ill.DefaultRotaLength
		}

		orig := slices.Clone(cs)
		got := ill.BuildRota(cs, borrower, exclude, max)

		// Eligible candidates, independently filtered.
		elig := map[string]ill.Candidate{}
		for _, c := range cs {
			if c.Library != borrower && c.Lendable && !exclude[c.Library] {
				elig[c.Library] = c
			}
		}
		if want := min(len(elig), capN); len(got) != want {
			t.Fatalf("iter %d: %d entries, want %d", iter, len(got), want)
		}
		seen := map[string]bool{}
		for i, e := range got {
			c, ok := elig[e.Library]
			if !ok {
				t.Fatalf("iter %d: %s is not an eligible candidate", iter, e.Library)
			}
			if seen[e.Library] {
				t.Fatalf("iter %d: %s twice", iter, e.Library)
			}
			seen[e.Library] = true
			if e.Rank != i+1 || e.Outcome != ill.OutcomePending || len(e.Reasons) == 0 {
				t.Fatalf("iter %d: entry %+v", iter, e)
			}
			if i > 0 && !refBefore(elig[got[i-1].Library], c) {
				t.Fatalf("iter %d: %s before %s violates the order", iter, got[i-1].Library, e.Library)
			}
		}
		// A prefix: no left-out candidate beats the last one taken.
		if len(got) > 0 {
			last := elig[got[len(got)-1].Library]
			for code, c := range elig {
				if !seen[code] && refBefore(c, last) {
					t.Fatalf("iter %d: left out %s which goes before %s", iter, code, last.Library)
				}
			}
		}
		// Independent of input order.
		shuffled := slices.Clone(cs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again := ill.BuildRota(shuffled, borrower, exclude, max)
		if !slices.Equal(libs(got), libs(again)) {
			t.Fatalf("iter %d: order depends on input: %v vs %v", iter, libs(got), libs(again))
		}
		// The input is not modified.
		if !slices.Equal(cs, orig) {
			t.Fatalf("iter %d: BuildRota modified its input", iter)
		}
	}
}

// Configurable weights for the soft criteria; the hard tiers
// (closed library last, no copy on the shelf after) hold whatever the weights.
func TestBuildRotaWeighted(t *testing.T) {
	cases := []struct {
		name  string
		w     string
		cands []ill.Candidate
		want  []string
	}{
		{"closed library last even with the best score", "load=1,fill_rate=1,response=1",
			[]ill.Candidate{cand("AAA", closed, fill(1), resp(1)), cand("ZZZ", fill(0), load(50, 0))}, []string{"ZZZ", "AAA"}},
		{"no copy after available", "fill_rate=1",
			[]ill.Candidate{cand("AAA", noneAvail, fill(1)), cand("ZZZ", fill(0))}, []string{"ZZZ", "AAA"}},
		{"overloaded lender later (load only)", "load=1",
			[]ill.Candidate{cand("AAA", load(200, 1), fill(1)), cand("ZZZ", load(2, 2), fill(0.1))}, []string{"ZZZ", "AAA"}},
		{"fill rate outweighs load", "load=0.1,fill_rate=5",
			[]ill.Candidate{cand("AAA", load(200, 1), fill(1)), cand("ZZZ", load(2, 2), fill(0.1))}, []string{"AAA", "ZZZ"}},
		{"response time only", "response=1",
			[]ill.Candidate{cand("AAA", resp(30)), cand("BBB", resp(2)), cand("CCC")}, []string{"BBB", "CCC", "AAA"}}, // no history counts as 24 h,
		{"equal scores: by code", "load=1", []ill.Candidate{cand("BBB"), cand("AAA")}, []string{"AAA", "BBB"}},
	}
	for _, c := range cases {
		w, err := ill.ParseRotaWeights(c.w)
		if err != nil {
			t.Fatal(err)
		}
		got := ill.BuildRotaWeighted(c.cands, "", nil, 0, w)
		if !slices.Equal(libs(got), c.want) {
			t.Errorf("%s: %v, want %v", c.name, libs(got), c.want)
		}
		for _, e := range got {
			if !strings.HasPrefix(e.Reasons[len(e.Reasons)-1], "score:") {
				t.Errorf("%s: %s reasons %v lack the score", c.name, e.Library, e.Reasons)
			}
		}
	}
	for _, bad := range []string{"load", "load=x", "speed=1", "load=-1"} {
		if _, err := ill.ParseRotaWeights(bad); err == nil {
			t.Errorf("ParseRotaWeights(%q) accepted", bad)
		}
	}
	if w, err := ill.ParseRotaWeights(""); err != nil || !w.IsZero() {
		t.Errorf("empty weights: %+v %v", w, err)
	}
}

func TestReasonLabels(t *testing.T) {
	r := ill.BuildRota([]ill.Candidate{cand("AAA", load(3, 4), fill(0.8), resp(5))}, "", nil, 0)
	zh, en := ill.ReasonLabels(r[0].Reasons)
	wantZH := []string{"今日开馆", "可借复本 1", "近90天借出 3 / 借入 4", "满足率 80%", "响应时间中位数 5.0 小时"}
	wantEN := []string{"open today", "1 copies on the shelf", "last 90 days: lent 3, borrowed 4", "fill rate 80%", "median response 5.0 h"}
	if !slices.Equal(zh, wantZH) || !slices.Equal(en, wantEN) {
		t.Errorf("labels\n zh %q\n en %q", zh, en)
	}
}
