package ill_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// manifestIDs lists the shipment ids of items, in order.
func manifestIDs(items []ill.ManifestItem) []int64 {
	out := []int64{}
	for _, it := range items {
		out = append(out, it.ShipmentID)
	}
	return out
}

// manifestStops renders a manifest's stops as "LIB pickups/deliveries" lines.
func manifestStops(m ill.Manifest) []string {
	var out []string
	for _, s := range m.Stops {
		out = append(out, fmt.Sprintf("%s %s %v/%v", s.Library, s.Name, manifestIDs(s.Pickups), manifestIDs(s.Deliveries)))
	}
	return out
}

func TestBuildManifest(t *testing.T) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // as a DATE column reads
	item := func(id int64, from, to string) ill.ManifestItem {
		return ill.ManifestItem{ShipmentID: id, From: from, FromName: from + "馆", To: to, ToName: to + "馆",
			RouteCode: from + "-" + to, Direction: ill.DirForward, Status: ill.ShipAwaitingPickup}
	}
	cases := []struct {
		name     string
		run      ill.CourierRun
		items    []ill.ManifestItem
		closedAt string
		stops    []string
	}{
		{name: "open run without shipments", run: ill.CourierRun{ID: 1, RunDate: day, Status: ill.RunOpen}},
		{name: "closed run: closed_at in Asia/Shanghai",
			run:      ill.CourierRun{ID: 2, RunDate: day, Status: ill.RunClosed, ClosedAt: time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC)},
			items:    []ill.ManifestItem{item(7, "THU", "PKU")},
			closedAt: "2026-03-02T14:30:00+08:00",
			stops:    []string{"PKU PKU馆 []/[7]", "THU THU馆 [7]/[]"}},
		{name: "stops by library code, items in the order given",
			run:   ill.CourierRun{ID: 3, RunDate: day, Status: ill.RunOpen},
			items: []ill.ManifestItem{item(4, "THU", "BNU"), item(5, "PKU", "THU"), item(6, "THU", "PKU"), item(9, "BNU", "THU")},
			stops: []string{"BNU BNU馆 [9]/[4]", "PKU PKU馆 [5]/[6]", "THU THU馆 [4 6]/[5 9]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := ill.BuildManifest(c.run, c.items)
			if m.RunID != c.run.ID || m.RunDate != "2026-03-02" || m.Status != c.run.Status || m.Total != len(c.items) || m.ClosedAt != c.closedAt {
				t.Errorf("header %+v", m)
			}
			if got := fmt.Sprint(manifestStops(m)); got != fmt.Sprint(c.stops) {
				t.Errorf("stops %s, want %v", got, c.stops)
			}
			// Empty lists are [] in the stored snapshot, never null.
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			var raw struct {
				Stops []map[string]json.RawMessage `json:"stops"`
			}
			if err := json.Unmarshal(b, &raw); err != nil || raw.Stops == nil {
				t.Fatalf("%s: stops %v (%v)", b, raw.Stops, err)
			}
			for _, s := range raw.Stops {
				if string(s["pickups"]) == "null" || string(s["deliveries"]) == "null" {
					t.Errorf("null list in %s", b)
				}
			}
		})
	}
}

func TestManifestForLibrary(t *testing.T) {
	run := ill.CourierRun{ID: 1, RunDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Status: ill.RunOpen}
	m := ill.BuildManifest(run, []ill.ManifestItem{
		{ShipmentID: 1, From: "THU", To: "PKU"}, {ShipmentID: 2, From: "PKU", To: "THU"}, {ShipmentID: 3, From: "BNU", To: "THU"},
	})
	cases := []struct {
		library string
		stops   []string
		total   int
	}{
		{"THU", []string{"THU  [1]/[2 3]"}, 3},
		{"BNU", []string{"BNU  [3]/[]"}, 1},
		{"RUC", nil, 0}, // not on the run: no stop, nothing to do
	}
	for _, c := range cases {
		got := m.ForLibrary(c.library)
		if fmt.Sprint(manifestStops(got)) != fmt.Sprint(c.stops) || got.Total != c.total || got.Stops == nil || got.RunID != 1 {
			t.Errorf("%s: %v total %d, want %v total %d", c.library, manifestStops(got), got.Total, c.stops, c.total)
		}
	}
	if m.Total != 3 || len(m.Stops) != 3 {
		t.Errorf("ForLibrary changed the manifest: %+v", m)
	}
}

func ExampleBuildManifest() {
	run := ill.CourierRun{ID: 12, RunDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Status: ill.RunOpen}
	m := ill.BuildManifest(run, []ill.ManifestItem{
		{ShipmentID: 1, RequestID: "ILL-1", From: "PKU", To: "THU", Direction: ill.DirForward},
		{ShipmentID: 2, RequestID: "ILL-2", From: "THU", To: "PKU", Direction: ill.DirReturn},
	})
	for _, s := range m.Stops {
		for _, it := range s.Pickups {
			fmt.Println(m.RunDate, s.Library, "pick up", it.RequestID, "for", it.To)
		}
		for _, it := range s.Deliveries {
			fmt.Println(m.RunDate, s.Library, "deliver", it.RequestID, "from", it.From)
		}
	}
	// Output:
	// 2026-03-02 PKU pick up ILL-1 for THU
	// 2026-03-02 PKU deliver ILL-2 from THU
	// 2026-03-02 THU pick up ILL-2 for PKU
	// 2026-03-02 THU deliver ILL-1 from PKU
}

func TestRunDate(t *testing.T) {
	// A DATE column reads as midnight UTC; the run's day is that date,
	// whatever the instant is in Asia/Shanghai.
	for _, at := range []time.Time{
		time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 2, 0, 0, 0, 0, ill.Shanghai),
	} {
		if d := (ill.CourierRun{RunDate: at}).Date(); d != (ill.Date{Year: 2026, Month: 3, Day: 2}) {
			t.Errorf("%v: day %v", at, d)
		}
	}
}
