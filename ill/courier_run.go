package ill

import (
	"sort"
	"time"
)

// Courier runs (SPEC R10): one run a day; shipments go on the run NextRun
// picks, and the run closes at its cut-off (RunCloseTime) with a snapshot
// of its manifest, which the courier follows stop by stop.

// RunStatus is a courier run's status: RunOpen until its cut-off, then
// RunClosed (part of the API).
type RunStatus string

// Courier run statuses.
const (
	RunOpen   RunStatus = "open"   // shipments may still be assigned
	RunClosed RunStatus = "closed" // the manifest snapshot is final
)

// CourierStopRow is a library's courier settings as stored: its Chinese
// name, daily cut-off ("HH:MM", see ParseCutoff) and courier days (see
// ParseCourierDays).
type CourierStopRow struct {
	Code   string
	NameZH string
	Cutoff string
	Days   string
}

// CourierRun is one day's run.
type CourierRun struct {
	ID        int64     `json:"run_id"`
	RunDate   time.Time `json:"-"` // the run's day at midnight (see Date)
	Status    RunStatus `json:"status"`
	ClosedAt  time.Time `json:"-"` // zero while open
	Shipments int       `json:"shipments"`
	// Manifest is the JSON snapshot stored at close ("" while open and in
	// listings, which do not read it).
	Manifest string `json:"-"`
}

// Date is the run's Asia/Shanghai day.
func (r CourierRun) Date() Date {
	return Date{Year: r.RunDate.Year(), Month: r.RunDate.Month(), Day: r.RunDate.Day()}
}

// RunSummary is a run as the runs list shows it: Items is the number of
// its shipments the viewer may see.
type RunSummary struct {
	CourierRun
	Items int
}

// RouteVolume is one route's shipments on a day's run.
type RouteVolume struct {
	RouteCode  string `json:"route_code"`
	From       string `json:"from"`
	To         string `json:"to"`
	Forward    int    `json:"forward"`
	Return     int    `json:"return"`
	Total      int    `json:"total"`
	Delivered  int    `json:"delivered"`
	Exceptions int    `json:"exceptions"`
}

// ManifestItem is one shipment as a manifest lists it.
type ManifestItem struct {
	ShipmentID  int64          `json:"shipment_id"`
	RequestID   string         `json:"request_id"`
	Direction   Direction      `json:"direction"`
	ItemBarcode string         `json:"item_barcode"`
	CallNumber  string         `json:"call_number"`
	Title       string         `json:"title"`
	From        string         `json:"from"`
	To          string         `json:"to"`
	FromName    string         `json:"from_name"`
	ToName      string         `json:"to_name"`
	RouteCode   string         `json:"route_code"`
	Status      ShipmentStatus `json:"status"`
}

// Manifest is a courier run's manifest: per stop, the items to pick up and
// to deliver. Stops are ordered by library code; items keep the order
// given (the store lists them by shipment id). A closed run's manifest is
// stored as this JSON and served as stored.
type Manifest struct {
	RunID    int64          `json:"run_id"`
	RunDate  string         `json:"run_date"`
	Status   RunStatus      `json:"status"`
	ClosedAt string         `json:"closed_at,omitempty"` // RFC 3339, Asia/Shanghai
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
// pickup at its sender and a delivery at its receiver. Lists are never
// nil, so that the JSON shows [] for a stop with nothing to do.
func BuildManifest(run CourierRun, items []ManifestItem) Manifest {
	m := Manifest{RunID: run.ID, RunDate: run.Date().String(), Status: run.Status, Total: len(items), Stops: []ManifestStop{}}
	if !run.ClosedAt.IsZero() {
		m.ClosedAt = run.ClosedAt.In(Shanghai).Format(time.RFC3339)
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
	sort.SliceStable(m.Stops, func(i, j int) bool { return m.Stops[i].Library < m.Stops[j].Library })
	return m
}

// ForLibrary keeps only the stop of library (what a member may see), with
// Total its number of pickups and deliveries.
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
