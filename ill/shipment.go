package ill

import "time"

// Shipments (SPEC R10): a request's item travels with the consortium's
// courier once forward (lender → borrower) and once back; each movement is
// a Shipment, created by the transition that ships the item (ActShip,
// ActShipReturn) and advanced by the courier's scans.

// ShipmentStatus is where a shipment is: ShipAwaitingPickup, ShipPickedUp,
// ShipDelivered or ShipException. The values are part of the API.
type ShipmentStatus string

// Shipment is a courier movement of one item: a request's shipment in one
// direction (at most one per request and direction), with the courier's
// columns (its run, the call number for the manifest, the scan times).
type Shipment struct {
	ID          int64          `json:"shipment_id"`
	RequestID   string         `json:"request_id"`
	Direction   Direction      `json:"direction"`
	ItemBarcode string         `json:"item_barcode"`
	From        string         `json:"from"`
	To          string         `json:"to"`
	RouteCode   string         `json:"route_code"` // "FROM-TO"
	Status      ShipmentStatus `json:"status"`
	RunID       int64          `json:"-"` // 0: not on a courier run yet
	RunDate     time.Time      `json:"-"` // the run's day (midnight); zero: not on a run yet
	// CallNumber is the lender's call number of the item, copied when the
	// shipment is created (for the manifest).
	CallNumber   string    `json:"call_number"`
	CreatedAt    time.Time `json:"-"`
	PickedUpAt   time.Time `json:"-"` // zero: not picked up
	DeliveredAt  time.Time `json:"-"` // zero: not delivered
	ExceptionDue time.Time `json:"-"` // set at pickup: when it becomes an exception (ExceptionDue)
	ExceptionAt  time.Time `json:"-"` // zero: not an exception
	// Title is the request's title where a read joins it ("" otherwise,
	// and in the locking reads, which lock shipments rows only).
	Title string `json:"-"`
}

// Scan is a courier's scan as applied to a shipment: Outcome says what it
// changed ("awaiting_pickup → picked_up", or why it was ignored).
type Scan struct {
	ShipmentID int64
	Barcode    string
	Event      string // ScanPickedUp, ScanDelivered
	Stop       string
	Outcome    string
	MessageID  string
	At         time.Time
}

// ExceptionRow is an open courier exception as the exceptions list shows
// it: a shipment in ShipException with its request's title.
type ExceptionRow struct {
	ShipmentID   int64
	RequestID    string
	Direction    Direction
	ItemBarcode  string
	From         string
	To           string
	RouteCode    string
	Title        string
	PickedUpAt   time.Time
	ExceptionDue time.Time
	ExceptionAt  time.Time
}

// ShipmentRow is one undelivered shipment as the console lists it.
type ShipmentRow struct {
	ID          int64
	RequestID   string
	Direction   Direction
	ItemBarcode string
	From        string
	To          string
	Route       string
	Status      ShipmentStatus
	RunDate     time.Time // zero: not on a run yet
	Title       string    // "" when the request is gone
}
