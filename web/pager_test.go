package web

import (
	"net/http/httptest"
	"strconv"
	"testing"
)

// A capped catalogue total is a lower bound: the pager says "N+" and keeps
// a next page while pages come back full; an exact total ends the paging.
func TestPagerWithLowerBoundTotal(t *testing.T) {
	cases := []struct {
		name             string
		page, total      int
		more             bool
		pages            int
		wantPrev, wantNx bool
	}{
		{"exact, one page", 1, 15, false, 1, false, false},
		{"exact, middle", 2, 65, false, 4, true, true},
		{"exact, last page", 4, 65, false, 4, true, false},
		{"lower bound on its last counted page", 10, 200, true, 11, true, true},
		{"lower bound beyond the counted pages", 12, 240, true, 13, true, true},
		{"capped at 1,000, first page", 1, 1000, true, 50, false, true},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/search?q=%E6%95%B0%E6%8D%AE&page=1&msg=x", nil)
		pg := newPager(r, c.page, 20, c.total, c.more)
		if pg.Pages != c.pages || (pg.Prev != "") != c.wantPrev || (pg.Next != "") != c.wantNx || pg.More != c.more {
			t.Errorf("%s: %+v; want pages %d prev %v next %v", c.name, pg, c.pages, c.wantPrev, c.wantNx)
		}
		if pg.Next != "" && pg.Next != "/search?page="+strconv.Itoa(c.page+1)+"&q=%E6%95%B0%E6%8D%AE" {
			t.Errorf("%s: next link %q", c.name, pg.Next)
		}
	}
}
