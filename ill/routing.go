package ill

import (
	"fmt"
	"slices"
	"strconv"
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
	// OutcomeUnreachable: the hub gave up delivering the request to the
	// lender's ISO 18626 system (unreachable, or it refused the request
	// with an ERROR confirmation); the next lender was asked at once.
	OutcomeUnreachable Outcome = "unreachable"
	// OutcomeNotDelivered: a copy request's deliver_by passed at the
	// lender; the next lender was asked.
	OutcomeNotDelivered Outcome = "not_delivered"
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
	return BuildRotaWeighted(cands, borrower, exclude, max, RotaWeights{})
}

// BuildRotaWeighted is BuildRota with configurable weights (ILL_ROTA_WEIGHTS)
// for the criteria after the two hard tiers (open today, available copies).
// Zero weights keep BuildRota's strict order (load, then fill rate, then
// response time); otherwise candidates in the same tier are ordered by the
// weighted score (lower first) documented at RotaWeights.Score, then by code.
func BuildRotaWeighted(cands []Candidate, borrower string, exclude map[string]bool, max int, w RotaWeights) []RotaEntry {
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
	cmp := compareCandidates
	if !w.IsZero() {
		cmp = func(a, b Candidate) int {
			if a.OpenToday != b.OpenToday {
				return boolFirst(a.OpenToday)
			}
			if (a.Available > 0) != (b.Available > 0) {
				return boolFirst(a.Available > 0)
			}
			if sa, sb := w.Score(a), w.Score(b); sa != sb {
				if sa < sb {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Library, b.Library)
		}
	}
	slices.SortStableFunc(cs, cmp)
	if len(cs) > max {
		cs = cs[:max]
	}
	out := make([]RotaEntry, len(cs))
	for i, c := range cs {
		out[i] = RotaEntry{Library: c.Library, Rank: i + 1, Outcome: OutcomePending, Reasons: reasonsFor(c)}
		if !w.IsZero() {
			out[i].Reasons = append(out[i].Reasons, fmt.Sprintf("score:%.3f", w.Score(c)))
		}
	}
	return out
}

// RotaWeights weigh the soft routing criteria (ILL_ROTA_WEIGHTS, e.g.
// "load=1,fill_rate=2,response=0.5"). The zero value means strict order.
type RotaWeights struct {
	Load     float64 // weight of lending load (lent/(borrowed+1))
	FillRate float64 // weight of unfilled share (1 - fill rate)
	Response float64 // weight of median response time
}

// IsZero reports whether no weight is set.
func (w RotaWeights) IsZero() bool { return w.Load == 0 && w.FillRate == 0 && w.Response == 0 }

// Score is the weighted sum of three terms in [0, 1), lower is better:
// load r/(1+r) with r = LoadRatio; 1 - FillRate (0.5 without history);
// median response hours h/(h+24) (0.5 without history).
func (w RotaWeights) Score(c Candidate) float64 {
	r := c.LoadRatio()
	fill := 0.5
	if c.FillRate >= 0 {
		fill = 1 - c.FillRate
	}
	resp := 0.5
	if c.MedianResponseHours > 0 {
		resp = c.MedianResponseHours / (c.MedianResponseHours + 24)
	}
	return w.Load*r/(1+r) + w.FillRate*fill + w.Response*resp
}

// ParseRotaWeights reads "load=1,fill_rate=2,response=0.5" (any subset;
// "" gives the zero value).
func ParseRotaWeights(s string) (RotaWeights, error) {
	var w RotaWeights
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || f < 0 {
			return w, fmt.Errorf("rota weights: %q is not name=non-negative number", part)
		}
		switch strings.TrimSpace(k) {
		case "load":
			w.Load = f
		case "fill_rate", "fill":
			w.FillRate = f
		case "response", "response_time":
			w.Response = f
		default:
			return w, fmt.Errorf("rota weights: unknown criterion %q (load, fill_rate, response)", k)
		}
	}
	return w, nil
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
	if c.MedianResponseHours > 0 {
		r = append(r, fmt.Sprintf("median_response_h:%.1f", c.MedianResponseHours))
	}
	return r
}

// ReasonLabels renders rank reason codes for staff in Chinese and English
// (the rota's reason_labels).
func ReasonLabels(reasons []string) (zh, en []string) {
	for _, r := range reasons {
		code, val, _ := strings.Cut(r, ":")
		var z, e string
		switch code {
		case "open_today":
			z, e = "今日开馆", "open today"
		case "closed_today":
			z, e = "今日闭馆", "closed today"
		case "available":
			z, e = "可借复本 "+val, val+" copies on the shelf"
		case "none_available":
			z, e = "无在架复本", "no copy on the shelf"
		case "load":
			lent, borrowed := "", ""
			for _, kv := range strings.Split(val, ",") {
				k, v, _ := strings.Cut(kv, "=")
				if k == "lent" {
					lent = v
				} else if k == "borrowed" {
					borrowed = v
				}
			}
			z, e = "近90天借出 "+lent+" / 借入 "+borrowed, "last 90 days: lent "+lent+", borrowed "+borrowed
		case "fill_rate":
			pct := val
			if f, err := strconv.ParseFloat(val, 64); err == nil {
				pct = strconv.Itoa(int(f*100+0.5)) + "%"
			}
			z, e = "满足率 "+pct, "fill rate "+pct
		case "no_history":
			z, e = "无历史记录", "no lending history"
		case "median_response_h":
			z, e = "响应时间中位数 "+val+" 小时", "median response "+val+" h"
		case "score":
			z, e = "综合得分 "+val+"（越低越优先）", "weighted score "+val+" (lower first)"
		case "chosen_by_mediator":
			z, e = "人工指定", "chosen by mediator"
		default:
			z, e = r, r
		}
		zh, en = append(zh, z), append(en, e)
	}
	return zh, en
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
