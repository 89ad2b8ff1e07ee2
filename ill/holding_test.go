package ill_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

func TestValidateHolding(t *testing.T) {
	ok := ill.Holding{LocalID: "b1", Title: "红楼梦", Author: "曹雪芹", Publisher: "人民文学出版社", Year: 2008,
		CallNumber: "I242.4/1", Copies: 2, Available: 1}
	with := func(change func(*ill.Holding)) ill.Holding {
		h := ok
		change(&h)
		return h
	}
	cases := []struct {
		name string
		h    ill.Holding
		want string
	}{
		{"valid", ok, ""},
		{"zero counts and year are valid", with(func(h *ill.Holding) { h.Copies, h.Available, h.Year = 0, 0, 0 }), ""},
		{"limits are inclusive", with(func(h *ill.Holding) {
			h.LocalID, h.Title, h.Author, h.Publisher, h.CallNumber, h.Year =
				strings.Repeat("本", 64), strings.Repeat("书", 400), strings.Repeat("作", 200), strings.Repeat("社", 200),
				strings.Repeat("号", 64), 2100
		}), ""},
		{"no local id", with(func(h *ill.Holding) { h.LocalID = " \t" }), "local_id is required"},
		{"long local id", with(func(h *ill.Holding) { h.LocalID = strings.Repeat("本", 65) }), "local_id is longer than 64 characters"},
		{"no title", with(func(h *ill.Holding) { h.Title = "  " }), "title is required"},
		{"long title", with(func(h *ill.Holding) { h.Title = strings.Repeat("书", 401) }), "title is longer than 400 characters"},
		{"long author", with(func(h *ill.Holding) { h.Author = strings.Repeat("作", 201) }), "author or publisher is longer than 200 characters"},
		{"long publisher", with(func(h *ill.Holding) { h.Publisher = strings.Repeat("社", 201) }), "author or publisher is longer than 200 characters"},
		{"long call number", with(func(h *ill.Holding) { h.CallNumber = strings.Repeat("号", 65) }), "call_number is longer than 64 characters"},
		{"negative year", with(func(h *ill.Holding) { h.Year = -1 }), "year is out of range"},
		{"future year", with(func(h *ill.Holding) { h.Year = 2101 }), "year is out of range"},
		{"negative copies", with(func(h *ill.Holding) { h.Copies = -1 }), "copies and available must not be negative"},
		{"negative available", with(func(h *ill.Holding) { h.Available = -1 }), "copies and available must not be negative"},
		{"first failure wins", with(func(h *ill.Holding) { h.LocalID, h.Year = "", -1 }), "local_id is required"},
	}
	for _, c := range cases {
		if got := ill.ValidateHolding(c.h); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// Reject records a rejection three ways (count, row, text); Add sums two
// batches, keeping their rejections in order and leaving Records alone.
func TestHoldingsResultRejectAndAdd(t *testing.T) {
	var a ill.HoldingsResult
	a.Added, a.Upserted, a.Records = 1, 1, []int64{7}
	a.Reject(2, "b2", "title is required")
	want := ill.HoldingsResult{Added: 1, Upserted: 1, Rejected: 1, Records: []int64{7},
		Rejections: []ill.Rejection{{Index: 2, LocalID: "b2", Reason: "title is required"}},
		Errors:     []string{"upserts[2] (b2): title is required"}}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("after Reject: %+v, want %+v", a, want)
	}

	b := ill.HoldingsResult{Updated: 2, Upserted: 2, Deleted: 3, Conflicts: 1, Records: []int64{8}}
	b.Reject(0, "c0", "year is out of range")
	a.Add(b)
	want = ill.HoldingsResult{Added: 1, Updated: 2, Upserted: 3, Deleted: 3, Rejected: 2, Conflicts: 1,
		Records: []int64{7},
		Rejections: []ill.Rejection{{Index: 2, LocalID: "b2", Reason: "title is required"},
			{Index: 0, LocalID: "c0", Reason: "year is out of range"}},
		Errors: []string{"upserts[2] (b2): title is required", "upserts[0] (c0): year is out of range"}}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("after Add: %+v, want %+v", a, want)
	}
}
