package mysql

import (
	"time"

	"github.com/balis/illhub/ill"
)

// Manifest is a courier run's manifest: per stop, the items to pick up and
// to deliver. Stops are ordered by library code; items by shipment id.
type Manifest struct {
	RunID    int64          `json:"run_id"`
	RunDate  string         `json:"run_date"`
	Status   string         `json:"status"`
	ClosedAt string         `json:"closed_at,omitempty"`
	Total    int            `json:"total"`
	Stops    []ManifestStop `json:"stops"`
}

// ManifestStop is one library on a run.
type ManifestStop struct {
	Library    string         `json:"library"`
	Name       string         `json:"name"`
	Pickups    []ManifestItem `json:"pickups"`
	Deliveries []ManifestItem `json:"deliveries"`
}

// BuildManifest groups a run's shipments by stop: each shipment is a
// pickup at its sender and a delivery at its receiver.
func BuildManifest(run CourierRun, items []ManifestItem) Manifest {
	m := Manifest{RunID: run.ID, RunDate: run.Date().String(), Status: run.Status, Total: len(items), Stops: []ManifestStop{}}
	if run.ClosedAt.Valid {
		m.ClosedAt = run.ClosedAt.Time.In(ill.Shanghai).Format(time.RFC3339)
	}
	idx := map[string]int{}
	stop := func(code, name string) *ManifestStop {
		i, ok := idx[code]
		if !ok {
			i = len(m.Stops)
			idx[code] = i
			m.Stops = append(m.Stops, ManifestStop{Library: code, Name: name,
				Pickups: []ManifestItem{}, Deliveries: []ManifestItem{}})
		}
		return &m.Stops[i]
	}
	for _, it := range items {
		p := stop(it.From, it.FromName)
		p.Pickups = append(p.Pickups, it)
		d := stop(it.To, it.ToName)
		d.Deliveries = append(d.Deliveries, it)
	}
	sortStops(m.Stops)
	return m
}

func sortStops(s []ManifestStop) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Library < s[j-1].Library; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// ForLibrary keeps only the stop of library (what a member may see).
func (m Manifest) ForLibrary(library string) Manifest {
	out := m
	out.Stops = []ManifestStop{}
	out.Total = 0
	for _, s := range m.Stops {
		if s.Library == library {
			out.Stops = append(out.Stops, s)
			out.Total = len(s.Pickups) + len(s.Deliveries)
		}
	}
	return out
}
