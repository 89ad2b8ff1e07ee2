package mysql_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

func ids(hs []ill.SearchHit) []int64 {
	out := make([]int64, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

// Chinese words of two or more characters match anywhere in the title or
// author through the bigram index; ranking puts the exact title first, then
// more holdings; filters and paging work; the index follows holdings
// changes.
func TestSearchChinese(t *testing.T) {
	_, st := testenv.DB(t, "search")
	ctx := context.Background()
	addLibraries(t, st, "AAA", "BBB", "CCC")
	yes, no := true, false
	_ = no
	apply(t, st, "AAA",
		ill.Holding{LocalID: "1", Title: "数据库系统概论", Author: "王珊", Publisher: "高等教育出版社", Year: 2014, Available: 1, Lendable: &yes},
		ill.Holding{LocalID: "2", Title: "数据结构（C语言版）", Author: "严蔚敏", Publisher: "清华大学出版社", Year: 2007},
		ill.Holding{LocalID: "3", Title: "大数据时代", Author: "舍恩伯格", Publisher: "浙江人民出版社", Year: 2013},
		ill.Holding{LocalID: "4", Title: "红楼梦", Author: "曹雪芹", Publisher: "人民文学出版社", Year: 2008},
		ill.Holding{LocalID: "5", Title: "数据库系统概论习题解析", Author: "王珊", Publisher: "高等教育出版社", Year: 2015})
	apply(t, st, "BBB",
		ill.Holding{LocalID: "x", Title: "大数据时代", Author: "舍恩伯格", Publisher: "浙江人民出版社", Year: 2013, Available: 1},
		ill.Holding{LocalID: "y", Title: "数据库系统概论习题解析", Author: "王珊", Publisher: "高等教育出版社", Year: 2015})
	apply(t, st, "CCC",
		ill.Holding{LocalID: "z", Title: "数据库系统概论习题解析", Author: "王珊", Publisher: "高等教育出版社", Year: 2015})
	db, ds, big, hlm, ex := recordOf(t, st, "AAA", "1"), recordOf(t, st, "AAA", "2"), recordOf(t, st, "AAA", "3"),
		recordOf(t, st, "AAA", "4"), recordOf(t, st, "AAA", "5")

	cases := []struct {
		name  string
		q     ill.SearchQuery
		want  []int64
		total int
	}{
		{"2-char word, ranked by holdings", ill.SearchQuery{Q: "数据"}, []int64{ex, big, db, ds}, 4},
		{"3-char word", ill.SearchQuery{Q: "数据库"}, []int64{ex, db}, 2},
		{"exact title first", ill.SearchQuery{Q: "数据库系统概论"}, []int64{db, ex}, 2},
		{"traditional query", ill.SearchQuery{Q: "數據庫"}, []int64{ex, db}, 2},
		{"2-char author", ill.SearchQuery{Q: "王珊"}, []int64{ex, db}, 2},
		{"all words must match", ill.SearchQuery{Q: "数据 王珊"}, []int64{ex, db}, 2},
		{"words in title and author", ill.SearchQuery{Q: "习题 王珊"}, []int64{ex}, 1},
		{"no match across fields", ill.SearchQuery{Q: "解析王"}, nil, 0},
		{"one character", ill.SearchQuery{Q: "梦"}, []int64{hlm}, 1},
		{"library filter", ill.SearchQuery{Q: "数据", Library: "BBB"}, []int64{ex, big}, 2},
		{"available only", ill.SearchQuery{Q: "数据", Available: true}, []int64{big, db}, 2},
		{"year range", ill.SearchQuery{Q: "数据", YearFrom: 2010, YearTo: 2014}, []int64{big, db}, 2},
		{"isbn-less no hit", ill.SearchQuery{Q: "不存在"}, nil, 0},
		{"paging page 2", ill.SearchQuery{Q: "数据", Page: 2, PerPage: 3}, []int64{ds}, 4},
		{"paging with exact first", ill.SearchQuery{Q: "数据库系统概论", Page: 2, PerPage: 1}, []int64{ex}, 2},
	}
	for _, c := range cases {
		res, err := st.SearchFull(ctx, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := ids(res.Hits); !slices.Equal(got, c.want) || res.Total != c.total {
			t.Errorf("%s: got %v total %d, want %v total %d", c.name, got, res.Total, c.want, c.total)
		}
	}

	// The index follows holdings: deleting "大数据时代" at both libraries
	// removes it from results; a new holding of 数据结构 at two more
	// libraries moves it up.
	if _, err := st.ApplyHoldingsBatch(ctx, "AAA", ill.HoldingsBatch{Deletes: []string{"3"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyHoldingsBatch(ctx, "BBB", ill.HoldingsBatch{Deletes: []string{"x"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, lib := range []string{"BBB", "CCC"} {
		apply(t, st, lib, ill.Holding{LocalID: "ds", Title: "数据结构 C语言版", Author: "严蔚敏", Publisher: "清华大学出版社", Year: 2007})
	}
	res, err := st.SearchFull(ctx, ill.SearchQuery{Q: "数据"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(res.Hits), []int64{ds, ex, db}; !slices.Equal(got, want) {
		t.Errorf("after changes: %v, want %v", got, want)
	}
	if res.Hits[0].Holdings != 3 {
		t.Errorf("holdings of 数据结构 = %d, want 3", res.Hits[0].Holdings)
	}

	// A rebuilt index answers the same.
	if _, _, err := st.RebuildSearchIndex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	res2, err := st.SearchFull(ctx, ill.SearchQuery{Q: "数据"})
	if err != nil || !slices.Equal(ids(res2.Hits), ids(res.Hits)) {
		t.Errorf("after reindex: %v %v, want %v", ids(res2.Hits), err, ids(res.Hits))
	}
}

// The total is exact below the caps and a lower bound (TotalCapped) beyond
// them: 2,100 held records share the bigram 测试; the count checks at most
// SearchScanCap postings when a filter applies, and never reports fewer
// matches than the page shows.
func TestSearchTotalCaps(t *testing.T) {
	_, st := testenv.DB(t, "searchcap")
	ctx := context.Background()
	addLibraries(t, st, "AAA", "BBB", "CCC")
	const n = 2100
	var recs, holds []string
	var rargs, hargs []any
	now := time.Now().UTC()
	for i := 1; i <= n; i++ {
		recs = append(recs, "(?, ?, ?, ?, ?, 'chi', 'book', '', '')")
		rargs = append(rargs, i, fmt.Sprintf("测试书%d", i), "某作者", "某出版社", 2000+i%20)
		lib := "AAA"
		switch {
		case i%10 == 0:
			lib = "BBB" // 210 records: one in ten postings
		case i > 2050 && i < 2060:
			lib = "CCC" // 9 records, all beyond SearchScanCap
		}
		holds = append(holds, "(?, ?, ?, 'TP/1', 1, 1, 1, ?)")
		hargs = append(hargs, lib, fmt.Sprintf("h%d", i), i, now)
	}
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO records (id, title, author, publisher, year, language, material, clc, match_key) VALUES `+
		strings.Join(recs, ","), rargs...); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO holdings (library_code, local_id, record_id, call_number, copies, available, lendable, updated_at) VALUES `+
		strings.Join(holds, ","), hargs...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.RebuildSearchIndex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ill.SearchScanCap > 2050 || ill.SearchScanCap/10 >= ill.SearchTotalCap || ill.SearchTotalCap >= ill.SearchScanCap {
		t.Fatalf("the cases below assume SearchScanCap ≤ 2,050 and SearchScanCap/10 < SearchTotalCap < SearchScanCap")
	}
	cases := []struct {
		name   string
		q      ill.SearchQuery
		total  int
		capped bool
		hits   int
	}{
		{"no filter: the probe's count, capped", ill.SearchQuery{Q: "测试"}, ill.SearchTotalCap, true, 20},
		{"3-char word: checked, capped", ill.SearchQuery{Q: "测试书"}, ill.SearchTotalCap, true, 20},
		{"library filter: matches among the scanned postings", ill.SearchQuery{Q: "测试", Library: "BBB"}, ill.SearchScanCap / 10, true, 20},
		{"matches beyond the scan: at least the page", ill.SearchQuery{Q: "测试", Library: "CCC"}, 9, true, 9},
		{"exact and small: not capped", ill.SearchQuery{Q: "测试书2055"}, 1, false, 1},
	}
	for _, c := range cases {
		res, err := st.SearchFull(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Total != c.total || res.TotalCapped != c.capped || len(res.Hits) != c.hits {
			t.Errorf("%s: total %d capped %v hits %d; want %d %v %d", c.name, res.Total, res.TotalCapped, len(res.Hits), c.total, c.capped, c.hits)
		}
	}
}
