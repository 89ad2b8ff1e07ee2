package ill

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidateHolding returns why a holdings row cannot be stored ("" if it
// can): the limits of the holdings and records columns it fills.
func ValidateHolding(h Holding) string {
	switch {
	case strings.TrimSpace(h.LocalID) == "":
		return "local_id is required"
	case utf8.RuneCountInString(h.LocalID) > 64:
		return "local_id is longer than 64 characters"
	case strings.TrimSpace(h.Title) == "":
		return "title is required"
	case utf8.RuneCountInString(h.Title) > 400:
		return "title is longer than 400 characters"
	case utf8.RuneCountInString(h.Author) > 200 || utf8.RuneCountInString(h.Publisher) > 200:
		return "author or publisher is longer than 200 characters"
	case utf8.RuneCountInString(h.CallNumber) > 64:
		return "call_number is longer than 64 characters"
	case h.Year < 0 || h.Year > 2100:
		return "year is out of range"
	case h.Copies < 0 || h.Available < 0:
		return "copies and available must not be negative"
	}
	if strings.TrimSpace(h.ISSN) != "" {
		if _, ok := NormalizeISSN(h.ISSN); !ok {
			return "issn is not a valid ISSN"
		}
	}
	if c, err := ParseCoverage(h.Coverage); err != nil {
		return "coverage: " + err.Error()
	} else if len(c.String()) > 200 {
		return "coverage is longer than 200 characters"
	}
	return ""
}

// Rejection is a holdings row that was not stored, and why.
type Rejection struct {
	Index   int    `json:"index"` // position in the batch's upserts
	LocalID string `json:"local_id"`
	Reason  string `json:"reason"`
}

// HoldingsResult summarises one batch.
type HoldingsResult struct {
	Added, Updated int // upserts that created / replaced a holding
	Upserted       int // Added + Updated
	Deleted        int
	Rejected       int
	Conflicts      int         // matching conflicts reported (the rows were stored)
	Rejections     []Rejection `json:"rejections,omitempty"`
	Errors         []string    // Rejections as text
	Records        []int64     `json:"-"` // records whose holdings changed
}

// Add accumulates another batch's counts.
func (r *HoldingsResult) Add(o HoldingsResult) {
	r.Added += o.Added
	r.Updated += o.Updated
	r.Upserted += o.Upserted
	r.Deleted += o.Deleted
	r.Rejected += o.Rejected
	r.Conflicts += o.Conflicts
	r.Rejections = append(r.Rejections, o.Rejections...)
	r.Errors = append(r.Errors, o.Errors...)
}

// Reject counts upsert i (local id localID) as not stored, for reason why.
func (r *HoldingsResult) Reject(i int, localID, why string) {
	r.Rejected++
	r.Rejections = append(r.Rejections, Rejection{Index: i, LocalID: localID, Reason: why})
	r.Errors = append(r.Errors, fmt.Sprintf("upserts[%d] (%s): %s", i, localID, why))
}

// ConflictKind is what went wrong when a holding was matched to a union
// record (docs/catalog.md). The values are part of the API.
type ConflictKind string

const (
	// The holding's ISBN found a record whose title is not the same title:
	// attached by ISBN, reported for staff to check.
	ConflictISBNTitle ConflictKind = "isbn_title_mismatch"
	// The holding's title key matched a record carrying another ISBN: a
	// separate record was created (another edition or printing?).
	ConflictSameKeyOtherISBN ConflictKind = "same_key_other_isbn"
	// No ISBN, and the title key matched several records: attached to the
	// first one.
	ConflictAmbiguousKey ConflictKind = "ambiguous_key"
	// The ISBN failed normalisation or its check digit: matched by title key.
	ConflictInvalidISBN ConflictKind = "invalid_isbn"
)

// Conflict is a reported matching conflict (GET /v1/catalog/conflicts).
// RecordID is the record the holding was attached to, OtherID the record
// it was compared with; nil when there is none.
type Conflict struct {
	ID        int64        `json:"id"`
	Kind      ConflictKind `json:"kind"`
	Library   string       `json:"library"`
	LocalID   string       `json:"local_id"`
	RecordID  *int64       `json:"record_id"`
	OtherID   *int64       `json:"other_id"`
	Detail    string       `json:"detail"`
	CreatedAt time.Time    `json:"created_at"`
}
