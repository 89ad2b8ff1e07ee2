package ill

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Courier (SPEC R10, R11): the consortium's free courier runs once
// a day on each library's courier days; a shipment goes on the first run
// after its creation that both ends are served on, before the sender's
// daily cut-off. No fee is ever computed for transport (R10): the only
// amounts in this file are the lender's fines and fees for late, damaged
// and lost items.

// Shipment statuses (part of the API).
const (
	ShipAwaitingPickup = "awaiting_pickup"
	ShipPickedUp       = "picked_up"
	ShipDelivered      = "delivered"
	ShipException      = "exception"
)

// Scan events a courier may post (POST /v1/courier/scans).
const (
	ScanPickedUp  = "picked_up"
	ScanDelivered = "delivered"
)

// Message types of the courier pool (routing keys).
const (
	MsgCourierScan = "courier.scan" // producer → courier pool: a courier's scan
	MsgReturnCheck = "return.check" // outbox → courier pool: settle a returned or lost loan (R11)
)

// Notice kinds raised by the courier pool and the courier-exceptions job.
const (
	NoticeCourierDelivered = "courier_delivered" // to the receiving library: the courier delivered an item
	NoticeCourierException = "courier_exception" // to both libraries: not delivered within 3 working days of pickup
)

// ExceptionWorkingDays is how long a picked-up shipment may travel before
// it becomes an exception.
const ExceptionWorkingDays = 3

// CourierDays is the set of weekdays a library's courier stop is served.
type CourierDays uint8

// DefaultCourierDays is Monday–Friday (the demo data's setting).
const DefaultCourierDays CourierDays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseCourierDays reads "mon,tue,wed" (case-insensitive, English three-letter
// names, any order). An empty string is the default Monday–Friday.
func ParseCourierDays(s string) (CourierDays, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultCourierDays, nil
	}
	var d CourierDays
	for _, part := range strings.Split(s, ",") {
		p := strings.ToLower(strings.TrimSpace(part))
		found := false
		for i, n := range dayNames {
			if p == n {
				d |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("courier days: %q is not a day (use mon,tue,wed,thu,fri,sat,sun)", part)
		}
	}
	return d, nil
}

// Has reports whether the stop is served on weekday wd.
func (d CourierDays) Has(wd time.Weekday) bool { return d&(1<<wd) != 0 }

// String is the canonical "mon,tue,..." form (Monday first).
func (d CourierDays) String() string {
	var out []string
	for i := 1; i <= 7; i++ {
		if d.Has(time.Weekday(i % 7)) {
			out = append(out, dayNames[i%7])
		}
	}
	return strings.Join(out, ",")
}

// ParseCutoff reads "HH:MM" and returns minutes after midnight.
func ParseCutoff(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("cut-off %q: want HH:MM (Asia/Shanghai)", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// CourierStop is one library as the courier sees it: its working days,
// the weekdays its stop is served and its daily cut-off ("HH:MM").
type CourierStop struct {
	Sched  Schedule
	Days   CourierDays
	Cutoff string
}

// Serves reports whether the courier calls at the stop on d: a working day
// of the library that is also one of its courier days. An adjusted working
// day (调休) on a weekend counts when that weekday is a courier day.
func (s CourierStop) Serves(d Date) bool {
	days := s.Days
	if days == 0 {
		days = DefaultCourierDays
	}
	if !s.Sched.Open(d) {
		return false
	}
	if days.Has(d.Weekday()) {
		return true
	}
	// 调休: a Saturday/Sunday made a working day is worked like a weekday
	// by libraries served Monday–Friday.
	wd := d.Weekday()
	return (wd == time.Saturday || wd == time.Sunday) && days&DefaultCourierDays == DefaultCourierDays
}

// NextRun is the courier run (an Asia/Shanghai day) a shipment created at t
// from one stop to another goes on: t's own day when t is before the
// sender's cut-off and both stops are served that day, otherwise the first
// later day both are served. ok is false when no such day exists within
// the scan bound (a data error, e.g. no courier days in common).
func NextRun(t time.Time, from, to CourierStop) (day Date, ok bool) {
	d := DateOf(t)
	cut, err := ParseCutoff(from.Cutoff)
	if err != nil {
		cut = 14 * 60
	}
	local := t.In(Shanghai)
	if local.Hour()*60+local.Minute() >= cut {
		d = d.AddDays(1)
	}
	for i := 0; i < maxScan; i++ {
		if from.Serves(d) && to.Serves(d) {
			return d, true
		}
		d = d.AddDays(1)
	}
	return d, false
}

// RunCloseTime is the instant the run of day d closes: the latest cut-off
// among the stops (so every stop's shipments created before its own
// cut-off make it).
func RunCloseTime(d Date, cutoffs []string) time.Time {
	latest, found := 0, false
	for _, c := range cutoffs {
		if m, err := ParseCutoff(c); err == nil && (!found || m > latest) {
			latest, found = m, true
		}
	}
	if !found {
		latest = 14 * 60 // no valid cut-off: the default
	}
	return d.Start().Add(time.Duration(latest) * time.Minute)
}

// ExceptionDue is when a shipment picked up at pickedUp becomes an
// exception: the end of the 3rd working day (of the receiving library)
// after pickup.
func ExceptionDue(pickedUp time.Time, to Schedule) time.Time {
	d, _ := to.AddWorkingDays(pickedUp, ExceptionWorkingDays)
	return d
}

// Violation kinds (R11), settled by the lender's policy.
const (
	ViolationOverdue = "overdue"
	ViolationDamaged = "damaged"
	ViolationLost    = "lost"
)

// LenderPolicy is the part of a lending library's policy that prices
// violations, in fen (0.01 CNY). All default to 0. There is deliberately
// no courier or shipping fee (R10).
type LenderPolicy struct {
	FinePerDayFen int
	DamageFeeFen  int
	LossFeeFen    int
}

// ReturnFacts is what a return check knows about one loan.
type ReturnFacts struct {
	DueAt            time.Time // zero: never checked out (no overdue possible)
	ReturnedAt       time.Time // the reader handed it back at the borrowing library; zero when lost
	ReturnCondition  string    // inspection by the borrowing library: good, damaged
	CheckinCondition string    // check-in by the lender: good, damaged
	Lost             bool      // report_lost
}

// Violation is one problem with a loan and its price under the lender's policy.
type Violation struct {
	Kind      string `json:"kind"`
	Days      int    `json:"days,omitempty"` // overdue: calendar days late
	AmountFen int    `json:"amount_fen"`
	Note      string `json:"note"`
}

// ComputeViolations is R11: a late return costs the lender's fine per
// calendar day (Asia/Shanghai days after the due date), damage found by
// either library's inspection the damage fee, a lost item the loss fee
// (and no overdue or damage on top). Violations are reported even when the
// lender's price is 0, so reports show every problem.
func ComputeViolations(f ReturnFacts, p LenderPolicy) []Violation {
	if f.Lost {
		return []Violation{{Kind: ViolationLost, AmountFen: max(p.LossFeeFen, 0), Note: "reported lost"}}
	}
	var out []Violation
	if !f.DueAt.IsZero() && !f.ReturnedAt.IsZero() && f.ReturnedAt.After(f.DueAt) {
		days := DaysBetween(DateOf(f.DueAt), DateOf(f.ReturnedAt))
		if days < 1 {
			days = 1
		}
		out = append(out, Violation{Kind: ViolationOverdue, Days: days, AmountFen: days * max(p.FinePerDayFen, 0),
			Note: fmt.Sprintf("returned %d day(s) after the due date", days)})
	}
	if f.ReturnCondition == "damaged" || f.CheckinCondition == "damaged" {
		by := []string{}
		if f.ReturnCondition == "damaged" {
			by = append(by, "borrowing library's inspection")
		}
		if f.CheckinCondition == "damaged" {
			by = append(by, "lender's check-in")
		}
		out = append(out, Violation{Kind: ViolationDamaged, AmountFen: max(p.DamageFeeFen, 0),
			Note: "damaged (" + strings.Join(by, ", ") + ")"})
	}
	return out
}

// FormatCNY renders fen as yuan with two decimals ("12.50").
func FormatCNY(fen int) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// ShelfLess orders call numbers in shelf order, as a pull slip lists them:
// Chinese Library Classification numbers (e.g. "TP311.13/12") compare their
// class part character by character ignoring the dots (the class is a
// decimal notation: TP31 < TP311 < TP32), then the book number after "/"
// (or "-") numerically, segment by segment (…/9 < …/12). Empty call numbers
// go last.
func ShelfLess(a, b string) bool {
	if a == "" || b == "" {
		return a != "" && b == ""
	}
	ca, na := splitCall(a)
	cb, nb := splitCall(b)
	if ca != cb {
		return ca < cb
	}
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			return lessSegment(na[i], nb[i])
		}
	}
	if len(na) != len(nb) {
		return len(na) < len(nb)
	}
	return a < b
}

func splitCall(s string) (class string, book []string) {
	s = strings.ToUpper(strings.TrimSpace(s))
	i := strings.IndexAny(s, "/")
	rest := ""
	if i >= 0 {
		s, rest = s[:i], s[i+1:]
	}
	class = strings.NewReplacer(".", "", " ", "").Replace(s)
	if rest != "" {
		book = strings.FieldsFunc(rest, func(r rune) bool { return r == '/' || r == '-' || r == ':' || r == '.' })
	}
	return class, book
}

func lessSegment(a, b string) bool {
	x, ea := strconv.Atoi(a)
	y, eb := strconv.Atoi(b)
	switch {
	case ea == nil && eb == nil:
		return x < y
	case ea == nil:
		return true
	case eb == nil:
		return false
	}
	return a < b
}

// SortShelf sorts items in place by the call number key returns.
func SortShelf[T any](items []T, key func(T) string) {
	sort.SliceStable(items, func(i, j int) bool { return ShelfLess(key(items[i]), key(items[j])) })
}

// CourierScanBody is the body of POST /v1/courier/scans and of a
// courier.scan message (ShipmentID is filled in by the intake, which
// matched the barcode).
type CourierScanBody struct {
	Barcode    string `json:"barcode"`
	Event      string `json:"event"`          // picked_up, delivered
	Stop       string `json:"stop,omitempty"` // library code where the courier scanned (optional)
	Note       string `json:"note,omitempty"`
	ShipmentID int64  `json:"shipment_id,omitempty"`
	// ScannedAt is when the scanner read the barcode, for scanners that
	// upload later (RFC 3339; default: when the hub received the scan).
	ScannedAt *time.Time `json:"scanned_at,omitempty"`
}

// MaxScanDelay is how old a scan's scanned_at may be.
const MaxScanDelay = 7 * 24 * time.Hour

// ScanTime is when a scan received at now happened: its scanned_at, which
// may lie at most MaxScanDelay before now and not after now (5 minutes of
// clock skew allowed), or now.
func (b CourierScanBody) ScanTime(now time.Time) (time.Time, error) {
	if b.ScannedAt == nil {
		return now, nil
	}
	at := *b.ScannedAt
	switch {
	case at.After(now.Add(5 * time.Minute)):
		return now, FieldError("scanned_at", "scanned_at %s is in the future", at.Format(time.RFC3339))
	case at.Before(now.Add(-MaxScanDelay)):
		return now, FieldError("scanned_at", "scanned_at %s is more than 7 days ago", at.Format(time.RFC3339))
	case at.After(now):
		return now, nil
	}
	return at.UTC(), nil
}

// Validate checks a scan's fields.
func (b CourierScanBody) Validate() error {
	switch {
	case strings.TrimSpace(b.Barcode) == "":
		return FieldError("barcode", "barcode is required")
	case len(b.Barcode) > 64:
		return FieldError("barcode", "barcode is longer than 64 characters")
	case b.Event != ScanPickedUp && b.Event != ScanDelivered:
		return FieldError("event", "event must be picked_up or delivered, not %q", b.Event)
	case len(b.Stop) > 16:
		return FieldError("stop", "stop is a library code")
	case len(b.Note) > 400:
		return FieldError("note", "note is longer than 400 characters")
	}
	return nil
}

// ScanResult is what a scan does to a shipment in status: the new status,
// or ok=false when the scan changes nothing (a repeated or out-of-order
// scan, recorded but ignored). A delivered scan also settles an exception.
func ScanResult(status, event string) (next string, ok bool) {
	switch event {
	case ScanPickedUp:
		if status == ShipAwaitingPickup {
			return ShipPickedUp, true
		}
	case ScanDelivered:
		if status == ShipAwaitingPickup || status == ShipPickedUp || status == ShipException {
			return ShipDelivered, true
		}
	}
	return status, false
}

// ShipmentRef is the body of a shipment.created message: the shipment, and
// its libraries and creation time, so the courier pool can find its run
// without reading it (From, To and CreatedAt are empty in messages written
// before they were added: the pool then reads the shipment).
type ShipmentRef struct {
	ShipmentID int64     `json:"shipment_id"`
	From       string    `json:"from,omitempty"`
	To         string    `json:"to,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}
