package ill

import "time"

// ReviewItem is an entry of the staff review list: a courier scan or a
// returned item whose barcode could not be matched (CodeUnknownBarcode,
// CodeBarcodeMismatch), kept for a person to look at instead of being
// guessed at. Library and OtherLibrary are the libraries it concerns (the
// courier's scans of unknown barcodes name none but the stop).
type ReviewItem struct {
	ID           int64
	Code         Code
	Source       string // "scan", "return_check", or the action refused ("return", "checkin")
	Barcode      string
	RequestID    string // "" when no request matched
	Library      string
	OtherLibrary string
	Detail       string
	CreatedAt    time.Time
	ResolvedAt   time.Time // zero while open
	ResolvedBy   string    // the resolving library's code (CentreCode for the centre)
	Resolution   string
}
