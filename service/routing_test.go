package service_test

// Routing order computed from the facts stored in MariaDB (holdings,
// closures, the last 90 days of rota answers), end to end through the
// consumers: the rota a request gets and each lender's rank reasons.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
)

func TestRoutingOrderFromStoredFacts(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	now := h.Clock.Now() // Monday 2026-03-02 10:00 Asia/Shanghai
	// PKU is closed this week (its own closure); BNU lent 30 books in the last
	// 90 days and borrowed none (overloaded); 30 more answers of BUAA's are
	// older than 90 days and do not count.
	if _, err := h.St.DB.Exec(`INSERT INTO closures (library_code, from_day, to_day, note) VALUES ('PKU', '2026-03-01', '2026-03-06', '寒假')`); err != nil {
		t.Fatal(err)
	}
	history := func(lib string, n int, asked time.Time) {
		for i := 0; i < n; i++ {
			if _, err := h.St.DB.Exec(`INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at, answered_at)
				VALUES (?, 1, ?, 'will_supply', ?, ?)`, fmt.Sprintf("HIST-%s-%d", lib, i), lib, asked.UTC(), asked.Add(2*time.Hour).UTC()); err != nil {
				t.Fatal(err)
			}
		}
	}
	history("BNU", 30, now.AddDate(0, 0, -20))
	history("BUAA", 30, now.AddDate(0, 0, -120))

	open := testenv.Holding{Available: 1, Lendable: true}
	at := func(lib string, hd testenv.Holding) testenv.Holding { hd.Library = lib; return hd }
	cases := []struct {
		name     string
		holdings []testenv.Holding
		want     []string
		reasons  map[string]string // library → a reason its rota entry must carry
	}{
		{"a closed library goes last", []testenv.Holding{at("PKU", open), at("RUC", open)},
			[]string{"RUC", "PKU"}, map[string]string{"PKU": "closed_today", "RUC": "open_today"}},
		{"an overloaded lender after an idle one", []testenv.Holding{at("BNU", open), at("RUC", open)},
			[]string{"RUC", "BNU"}, map[string]string{"BNU": "load:lent=30,borrowed=0", "RUC": "load:lent=0,borrowed=0"}},
		{"history older than 90 days does not count", []testenv.Holding{at("BUAA", open), at("BNU", open)},
			[]string{"BUAA", "BNU"}, map[string]string{"BUAA": "no_history", "BNU": "fill_rate:1.00"}},
		{"no copy on the shelf after the overloaded lender", []testenv.Holding{at("RUC", testenv.Holding{Available: 0, Lendable: true}), at("BNU", open)},
			[]string{"BNU", "RUC"}, map[string]string{"RUC": "none_available", "BNU": "available:1"}},
		{"full order: open, available, load", []testenv.Holding{at("PKU", open), at("RUC", testenv.Holding{Available: 0, Lendable: true}),
			at("BNU", open), at("BUAA", open)},
			[]string{"BUAA", "BNU", "RUC", "PKU"}, nil},
		{"not lendable is left out", []testenv.Holding{at("RUC", testenv.Holding{Available: 1}), at("BUAA", open)},
			[]string{"BUAA"}, nil},
	}
	for i, c := range cases {
		rec := testenv.Record(t, h.St, "", fmt.Sprintf("路由测试图书%d", i), "测试", c.holdings...)
		b := h.WaitState(h.Submit("THU", fmt.Sprintf("route-%d", i), fmt.Sprintf("R%d", i), rec), "THU", ill.Requested)
		var got []string
		reasons := map[string]string{}
		for _, e := range b["rota"].([]any) {
			m := e.(map[string]any)
			got = append(got, m["library"].(string))
			var rs []string
			for _, r := range m["reasons"].([]any) {
				rs = append(rs, r.(string))
			}
			reasons[m["library"].(string)] = strings.Join(rs, " ")
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: rota %v, want %v (reasons %v)", c.name, got, c.want, reasons)
			continue
		}
		if b["lender"] != c.want[0] {
			t.Errorf("%s: asked %v first, want %s", c.name, b["lender"], c.want[0])
		}
		for lib, want := range c.reasons {
			if !slices.Contains(strings.Fields(reasons[lib]), want) {
				t.Errorf("%s: %s reasons %q lack %q", c.name, lib, reasons[lib], want)
			}
		}
	}
}
