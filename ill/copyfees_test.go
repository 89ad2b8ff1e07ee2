package ill_test

import (
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestPriceCopy(t *testing.T) {
	perPage := ill.CopyPrice{Unit: ill.PerPage, PriceFen: 30} // 0.30 元 a page
	perItem := ill.CopyPrice{Unit: ill.PerItem, PriceFen: 500}
	half := ill.SubsidyRule{Category: ill.CategoryPostgraduate, Kind: ill.SubsidyShare, Value: 50}
	third := ill.SubsidyRule{Category: ill.CategoryUndergraduate, Kind: ill.SubsidyShare, Value: 33}
	four := ill.SubsidyRule{Category: ill.CategoryFaculty, Kind: ill.SubsidyAmount, Value: 400}
	for _, c := range []struct {
		name                    string
		p                       ill.CopyPrice
		r                       ill.SubsidyRule
		pages                   int
		charge, subsidy, reader int
	}{
		{"per page, half", perPage, half, 12, 360, 180, 180},
		{"per page, odd half rounds up", perPage, ill.SubsidyRule{Kind: ill.SubsidyShare, Value: 50}, 1, 30, 15, 15},
		{"per page, 33% rounds half up", perPage, third, 5, 150, 50, 100},  // 49.5 → 50
		{"per page, 33% rounds down", perPage, third, 3, 90, 30, 60},       // 29.7 → 30
		{"per page, 33% of 1 page", perPage, third, 1, 30, 10, 20},         // 9.9 → 10
		{"per page, no rule", perPage, ill.SubsidyRule{}, 10, 300, 0, 300}, // nobody subsidises
		{"per page, zero pages counts one", perPage, half, 0, 30, 15, 15},
		{"per item, fixed amount", perItem, four, 40, 500, 400, 100},
		{"fixed amount capped at the charge", perPage, four, 3, 90, 90, 0},
		{"full share", perItem, ill.SubsidyRule{Kind: ill.SubsidyShare, Value: 100}, 9, 500, 500, 0},
		{"free supplier", ill.CopyPrice{Unit: ill.PerPage}, four, 9, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := ill.PriceCopy(c.p, c.r, c.pages)
			if f.ChargeFen != c.charge || f.SubsidyFen != c.subsidy || f.ReaderFen != c.reader {
				t.Fatalf("PriceCopy = charge %d subsidy %d reader %d, want %d %d %d", f.ChargeFen, f.SubsidyFen, f.ReaderFen,
					c.charge, c.subsidy, c.reader)
			}
			if f.SubsidyFen+f.ReaderFen != f.ChargeFen || f.ReaderFen < 0 {
				t.Fatal("parts do not add up to the charge")
			}
		})
	}
}

func TestCopyPriceNormalize(t *testing.T) {
	for _, c := range []struct {
		p     ill.CopyPrice
		field string
	}{
		{ill.CopyPrice{Unit: " Page ", PriceFen: 30}, ""},
		{ill.CopyPrice{Unit: "item", PriceFen: ill.MaxCopyItemPriceFen}, ""},
		{ill.CopyPrice{Unit: "page", PriceFen: ill.MaxCopyPagePriceFen + 1}, ill.FeeCopyPrice},
		{ill.CopyPrice{Unit: "page", PriceFen: -1}, ill.FeeCopyPrice},
		{ill.CopyPrice{Unit: "sheet", PriceFen: 1}, ill.FeeCopyUnit},
	} {
		got, err := c.p.Normalize()
		if c.field == "" {
			if err != nil || (got.Unit != ill.PerPage && got.Unit != ill.PerItem) {
				t.Errorf("%+v: %v %+v", c.p, err, got)
			}
			continue
		}
		if e, ok := err.(*ill.Error); !ok || e.Field != c.field {
			t.Errorf("%+v: %v, want a bad_request on %s", c.p, err, c.field)
		}
	}
	old := ill.CopyPrice{Unit: ill.PerPage, PriceFen: 30}
	ch := old.Changes(ill.CopyPrice{Unit: ill.PerItem, PriceFen: 500})
	if len(ch) != 2 || ch[0].Field != ill.FeeCopyUnit || ch[0].Old != "page" || ch[0].New != "item" ||
		ch[1].Field != ill.FeeCopyPrice || ch[1].Old != "30" || ch[1].New != "500" {
		t.Errorf("Changes = %+v", ch)
	}
	if len(old.Changes(old)) != 0 {
		t.Error("no change reported changes")
	}
}

func TestSubsidyRules(t *testing.T) {
	for _, c := range []struct {
		r     ill.SubsidyRule
		field string
	}{
		{ill.SubsidyRule{Category: "Faculty", Kind: "share", Value: 100}, ""},
		{ill.SubsidyRule{Category: "", Kind: "amount", Value: 0}, ""},
		{ill.SubsidyRule{Category: "faculty", Kind: "share", Value: 101}, "value"},
		{ill.SubsidyRule{Category: "faculty", Kind: "amount", Value: -1}, "value"},
		{ill.SubsidyRule{Category: "faculty", Kind: "gift", Value: 1}, "kind"},
		{ill.SubsidyRule{Category: "alumni", Kind: "share", Value: 1}, "category"},
	} {
		_, err := c.r.Normalize()
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.r, err)
			}
			continue
		}
		if e, ok := err.(*ill.Error); !ok || e.Field != c.field {
			t.Errorf("%+v: %v, want a bad_request on %s", c.r, err, c.field)
		}
	}
	rules := []ill.SubsidyRule{{Category: ill.CategoryFaculty, Kind: ill.SubsidyShare, Value: 80}}
	if r := ill.SubsidyFor(rules, ill.CategoryFaculty); r.Value != 80 {
		t.Errorf("faculty rule not found: %+v", r)
	}
	if r := ill.SubsidyFor(rules, ill.CategoryOther); r.Kind != "" || r.Subsidy(1000) != 0 {
		t.Errorf("a category without a rule got a subsidy: %+v", r)
	}
}

func TestCopyFeeQueryAndTotals(t *testing.T) {
	at := time.Date(2026, 2, 28, 17, 0, 0, 0, time.UTC) // 1 March in Beijing
	f := ill.CopyFee{RequestID: "R1", Supplier: "PKU", Borrower: "THU", CreatedAt: at, ChargeFen: 300, SubsidyFen: 100, ReaderFen: 200}
	march := ill.Date{Year: 2026, Month: 3, Day: 1}
	for _, c := range []struct {
		q    ill.CopyFeeQuery
		want bool
	}{
		{ill.CopyFeeQuery{}, true},
		{ill.CopyFeeQuery{Library: "PKU"}, true},
		{ill.CopyFeeQuery{Library: "THU"}, true},
		{ill.CopyFeeQuery{Library: "RUC"}, false},
		{ill.CopyFeeQuery{From: march, To: march}, true},
		{ill.CopyFeeQuery{From: march.AddDays(-1), To: march.AddDays(-1)}, false},
		{ill.CopyFeeQuery{RequestID: "R2"}, false},
	} {
		if got := c.q.Matches(f); got != c.want {
			t.Errorf("%+v.Matches = %v", c.q, got)
		}
	}
	tot := ill.CopyFeeTotals([]ill.CopyFee{f, f})
	if tot != (ill.CopyFeeTotal{Count: 2, ChargeFen: 600, SubsidyFen: 200, ReaderFen: 400}) {
		t.Errorf("totals %+v", tot)
	}
}
