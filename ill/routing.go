package ill

import (
	"fmt"
	"slices"
	"strings"
)

// Candidate is one member library that holds a copy of the requested record,
// with the facts the rota is ordered by.
type Candidate struct {
	Library   string
	OpenToday bool    // open on the day of routing (calendar and closures)
	Available int     // copies available on the shelf
	Lendable  bool    // at least one copy is lendable for ILL
	Lent      int     // requests filled as lender over the last 90 days
	Borrowed  int     // requests made as borrower over the last 90 days
	FillRate  float64 // share of asked requests it filled, 0..1; -1 when it has no history
	// MedianResponseHours is its median time to answer; 0 when no history.
	MedianResponseHours float64
}

// LoadRatio is lent/(borrowed+1): a library that lends much more than it
// borrows goes later (load leveling).
func (c Candidate) LoadRatio() float64 { return float64(c.Lent) / float64(c.Borrowed+1) }

// RotaEntry is a lender in a request's rota and why it sits where it does.
type RotaEntry struct {
	Library string   `json:"library"`
	Rank    int      `json:"rank"`
	Outcome Outcome  `json:"outcome"`
	Reasons []string `json:"reasons"`
}

// Outcome is a rota entry's status (API values).
type Outcome string

const (
	OutcomePending    Outcome = "pending"
	OutcomeAsked      Outcome = "asked"
	OutcomeWillSupply Outcome = "will_supply"
	OutcomeUnfilled   Outcome = "unfilled"
	OutcomeNoResponse Outcome = "no_response"
	OutcomeNotShipped Outcome = "not_shipped"
	OutcomeSkipped    Outcome = "skipped"
)

// DefaultRotaLength is the default cap on lenders asked for one request.
const DefaultRotaLength = 5

// BuildRota orders candidates into a rota (SPEC §3 routing): libraries open
// today first; then those with available copies; then lighter lending load;
// then better fill rate and faster response; finally library code, so equal
// candidates always come out in the same order. Candidates that are the
// borrower, not lendable, or in exclude are left out. At most max entries
// are returned (DefaultRotaLength when max <= 0).
func BuildRota(cands []Candidate, borrower string, exclude map[string]bool, max int) []RotaEntry {
	if max <= 0 {
		max = DefaultRotaLength
	}
	var cs []Candidate
	for _, c := range cands {
		if c.Library == borrower || !c.Lendable || exclude[c.Library] {
			continue
		}
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, compareCandidates)
	if len(cs) > max {
		cs = cs[:max]
	}
	out := make([]RotaEntry, len(cs))
	for i, c := range cs {
		out[i] = RotaEntry{Library: c.Library, Rank: i + 1, Outcome: OutcomePending, Reasons: reasonsFor(c)}
	}
	return out
}

func compareCandidates(a, b Candidate) int {
	if a.OpenToday != b.OpenToday {
		return boolFirst(a.OpenToday)
	}
	if (a.Available > 0) != (b.Available > 0) {
		return boolFirst(a.Available > 0)
	}
	if la, lb := a.LoadRatio(), b.LoadRatio(); la != lb {
		if la < lb {
			return -1
		}
		return 1
	}
	if a.FillRate != b.FillRate {
		if a.FillRate > b.FillRate {
			return -1
		}
		return 1
	}
	if a.MedianResponseHours != b.MedianResponseHours {
		if a.MedianResponseHours < b.MedianResponseHours {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Library, b.Library)
}

func boolFirst(aTrue bool) int {
	if aTrue {
		return -1
	}
	return 1
}

func reasonsFor(c Candidate) []string {
	var r []string
	if c.OpenToday {
		r = append(r, "open_today")
	} else {
		r = append(r, "closed_today")
	}
	if c.Available > 0 {
		r = append(r, fmt.Sprintf("available:%d", c.Available))
	} else {
		r = append(r, "none_available")
	}
	r = append(r, fmt.Sprintf("load:lent=%d,borrowed=%d", c.Lent, c.Borrowed))
	if c.FillRate >= 0 {
		r = append(r, fmt.Sprintf("fill_rate:%.2f", c.FillRate))
	} else {
		r = append(r, "no_history")
	}
	return r
}

// NextPending returns the index of the first rota entry still pending, or -1.
func NextPending(rota []RotaEntry) int {
	for i, e := range rota {
		if e.Outcome == OutcomePending {
			return i
		}
	}
	return -1
}

// KeepOrder re-ranks rota entries to follow an explicit lender list (a
// mediator's choice overrides the computed order).
func KeepOrder(rota []RotaEntry, order []string) {
	pos := map[string]int{}
	for i, l := range order {
		if _, ok := pos[l]; !ok {
			pos[l] = i
		}
	}
	at := func(l string) int {
		if i, ok := pos[l]; ok {
			return i
		}
		return len(order) // not listed: after the listed ones
	}
	slices.SortStableFunc(rota, func(a, b RotaEntry) int { return at(a.Library) - at(b.Library) })
	for i := range rota {
		rota[i].Rank = i + 1
		rota[i].Reasons = append(rota[i].Reasons, "chosen_by_mediator")
	}
}
