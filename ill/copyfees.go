package ill

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Fees of copy requests (docs/delivery.md): the supplier prices a delivered
// copy per page or per item (its copy price, a library setting with its
// history in library_policy_history like the fee rules); the centre
// subsidises part of it by the reader's category (a share in percent or a
// fixed amount per request, never more than the charge); the reader pays the
// rest. One CopyFee is booked per delivered request and lands on the same
// monthly statement as the violations.

// CopyPriceUnit is what a supplier's copy price is per.
type CopyPriceUnit string

// Copy price units.
const (
	PerPage CopyPriceUnit = "page"
	PerItem CopyPriceUnit = "item"
)

// CopyPrice is a supplier's price of a delivered copy, in fen per Unit.
type CopyPrice struct {
	Unit     CopyPriceUnit
	PriceFen int
}

// Copy price fields, as the policy history names them.
const (
	FeeCopyUnit  = "copy_price_unit"
	FeeCopyPrice = "copy_price_fen"
)

// Sane upper bounds of a copy price, in fen.
const (
	MaxCopyPagePriceFen = 10_00    // 10 元 a page
	MaxCopyItemPriceFen = 1_000_00 // 1,000 元 an item
)

// Normalize validates p: the unit page or item, the price 0 … the unit's
// maximum (bad_request naming the field).
func (p CopyPrice) Normalize() (CopyPrice, error) {
	p.Unit = CopyPriceUnit(strings.ToLower(strings.TrimSpace(string(p.Unit))))
	limit := 0
	switch p.Unit {
	case PerPage:
		limit = MaxCopyPagePriceFen
	case PerItem:
		limit = MaxCopyItemPriceFen
	default:
		return p, FieldError(FeeCopyUnit, "copy_price_unit must be page or item")
	}
	if p.PriceFen < 0 || p.PriceFen > limit {
		return p, FieldError(FeeCopyPrice, "copy_price_fen must be between 0 and %s 元 per %s", FormatCNY(limit), p.Unit)
	}
	return p, nil
}

// Charge is what the supplier charges for a copy of pages pages (at least
// one page is charged per page: a file always has one).
func (p CopyPrice) Charge(pages int) int {
	if p.Unit == PerItem {
		return p.PriceFen
	}
	return p.PriceFen * max(pages, 1)
}

// Changes lists the fields in which next differs from p, for the policy
// history (By, At and Library left to the caller).
func (p CopyPrice) Changes(next CopyPrice) []PolicyChange {
	var out []PolicyChange
	if p.Unit != next.Unit {
		out = append(out, PolicyChange{Field: FeeCopyUnit, Old: string(p.Unit), New: string(next.Unit)})
	}
	if p.PriceFen != next.PriceFen {
		out = append(out, PolicyChange{Field: FeeCopyPrice, Old: strconv.Itoa(p.PriceFen), New: strconv.Itoa(next.PriceFen)})
	}
	return out
}

// ReaderCategory is a reader's category, which the centre's subsidy rules
// are per. A reader the library registered without one is CategoryOther.
type ReaderCategory string

// Reader categories.
const (
	CategoryFaculty       ReaderCategory = "faculty"       // 教职工
	CategoryPostgraduate  ReaderCategory = "postgraduate"  // 研究生
	CategoryUndergraduate ReaderCategory = "undergraduate" // 本科生
	CategoryOther         ReaderCategory = "other"         // 其他读者
)

// ReaderCategories lists the categories in display order.
var ReaderCategories = []ReaderCategory{CategoryFaculty, CategoryPostgraduate, CategoryUndergraduate, CategoryOther}

// ParseReaderCategory reads a category ("" is CategoryOther; bad_request on
// field category for anything outside the set).
func ParseReaderCategory(s string) (ReaderCategory, error) {
	c := ReaderCategory(strings.ToLower(strings.TrimSpace(s)))
	if c == "" {
		return CategoryOther, nil
	}
	for _, k := range ReaderCategories {
		if c == k {
			return c, nil
		}
	}
	return "", FieldError("category", "category must be faculty, postgraduate, undergraduate or other")
}

// SubsidyKind is how the centre subsidises a copy.
type SubsidyKind string

// Subsidy kinds.
const (
	SubsidyShare  SubsidyKind = "share"  // Value percent of the charge
	SubsidyAmount SubsidyKind = "amount" // Value fen per request, at most the charge
)

// SubsidyRule is the centre's subsidy for the readers of one category.
type SubsidyRule struct {
	Category ReaderCategory
	Kind     SubsidyKind
	Value    int // percent (share, 0–100) or fen (amount)
}

// MaxSubsidyAmountFen bounds a fixed subsidy per request.
const MaxSubsidyAmountFen = 1_000_00

// Normalize validates r (bad_request naming the field).
func (r SubsidyRule) Normalize() (SubsidyRule, error) {
	c, err := ParseReaderCategory(string(r.Category))
	if err != nil {
		return r, err
	}
	r.Category = c
	r.Kind = SubsidyKind(strings.ToLower(strings.TrimSpace(string(r.Kind))))
	switch r.Kind {
	case SubsidyShare:
		if r.Value < 0 || r.Value > 100 {
			return r, FieldError("value", "a share is a percentage between 0 and 100")
		}
	case SubsidyAmount:
		if r.Value < 0 || r.Value > MaxSubsidyAmountFen {
			return r, FieldError("value", "an amount is between 0 and %s 元", FormatCNY(MaxSubsidyAmountFen))
		}
	default:
		return r, FieldError("kind", "kind must be share or amount")
	}
	return r, nil
}

// Subsidy is the centre's part of charge: a share rounded half up to the
// fen, or the fixed amount but never more than the charge.
func (r SubsidyRule) Subsidy(charge int) int {
	if charge <= 0 {
		return 0
	}
	switch r.Kind {
	case SubsidyShare:
		return (charge*r.Value + 50) / 100
	case SubsidyAmount:
		return min(r.Value, charge)
	}
	return 0
}

// SubsidyFor picks the rule of category among rules; with none for it, no
// subsidy (the zero rule).
func SubsidyFor(rules []SubsidyRule, category ReaderCategory) SubsidyRule {
	for _, r := range rules {
		if r.Category == category {
			return r
		}
	}
	return SubsidyRule{Category: category}
}

// CopyFee is the booked fee of one delivered copy request: the supplier's
// charge, the centre's subsidy and the reader's part (ChargeFen =
// SubsidyFen + ReaderFen), with the price and rule it was computed from.
type CopyFee struct {
	RequestID   string
	Supplier    string // the lender that delivered
	Borrower    string
	PatronID    string
	Category    ReaderCategory
	Pages       int
	Unit        CopyPriceUnit
	PriceFen    int
	ChargeFen   int
	SubsidyKind SubsidyKind // "" when no rule applied
	SubsidyFen  int
	ReaderFen   int
	CreatedAt   time.Time
	Title       string // read only: the request's title
}

// PriceCopy computes the fee of a copy of pages pages at the supplier's
// price p under subsidy rule r.
func PriceCopy(p CopyPrice, r SubsidyRule, pages int) CopyFee {
	charge := p.Charge(pages)
	sub := r.Subsidy(charge)
	return CopyFee{Category: r.Category, Pages: pages, Unit: p.Unit, PriceFen: p.PriceFen, ChargeFen: charge,
		SubsidyKind: r.Kind, SubsidyFen: sub, ReaderFen: charge - sub}
}

// CopyFeeTotal sums copy fees (a statement's copy lines).
type CopyFeeTotal struct {
	Count      int
	ChargeFen  int
	SubsidyFen int
	ReaderFen  int
}

// CopyFeeTotals sums fees.
func CopyFeeTotals(fees []CopyFee) CopyFeeTotal {
	var t CopyFeeTotal
	for _, f := range fees {
		t.Count++
		t.ChargeFen += f.ChargeFen
		t.SubsidyFen += f.SubsidyFen
		t.ReaderFen += f.ReaderFen
	}
	return t
}

// CopyFeeQuery selects booked copy fees: Library as supplier or borrower
// ("" every library's), days of booking From–To (Asia/Shanghai, inclusive;
// zero unbounded), RequestID "" any.
type CopyFeeQuery struct {
	Library   string
	RequestID string
	From, To  Date
}

// Matches reports whether f is selected by q (the in-memory form of the
// store's query).
func (q CopyFeeQuery) Matches(f CopyFee) bool {
	d := DateOf(f.CreatedAt)
	return (q.Library == "" || f.Supplier == q.Library || f.Borrower == q.Library) &&
		(q.RequestID == "" || f.RequestID == q.RequestID) &&
		(q.From == Date{} || !d.Before(q.From)) && (q.To == Date{} || !q.To.Before(d))
}

// CopyFees stores the copy prices, the subsidy rules and the booked fees
// (tables copy_prices, copy_subsidies, copy_fees; history in
// library_policy_history). Reads take no locks.
type CopyFees interface {
	// CopyPrice reads library's copy price (per page, 0 fen when it never
	// set one).
	CopyPrice(ctx context.Context, library string) (CopyPrice, error)
	// SetCopyPrice sets library's copy price and records one history row
	// per changed field, by and at, in one transaction; it returns the
	// changes. p must be valid (CopyPrice.Normalize).
	SetCopyPrice(ctx context.Context, library string, p CopyPrice, by string, at time.Time) ([]PolicyChange, error)
	// SubsidyRules lists the centre's rules, by category.
	SubsidyRules(ctx context.Context) ([]SubsidyRule, error)
	// SetSubsidyRule sets the rule of r.Category (valid:
	// SubsidyRule.Normalize), recorded in the centre's policy history.
	SetSubsidyRule(ctx context.Context, r SubsidyRule, by string, at time.Time) error
	// CopyFeeList lists the booked fees q selects, oldest first, with the
	// request's title (at most MaxViolationRows).
	CopyFeeList(ctx context.Context, q CopyFeeQuery) ([]CopyFee, error)
}
