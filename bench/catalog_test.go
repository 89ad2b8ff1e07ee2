package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/demo"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/jmoiron/sqlx"
)

// BenchmarkCatalog loads a union catalogue of ILL_BENCH_RECORDS records
// (default 1,000,000) with ILL_BENCH_HOLDINGS holdings (default 3,000,000)
// and measures (1) the bulk load rate, (2) the rate of the real ingestion
// path (mysql ApplyHoldings: matching, conflicts, index upkeep, as used by
// the holdings consumer and `illctl import holdings`) for a further 20,000 (ILL_BENCH_IMPORT)
// rows, (3) the index rebuild, and (4) search latency p50/p95/p99 for 2-,
// 3- and 4-character Chinese queries and ISBN lookups (page 1, 20 per
// page, as GET /v1/catalog/search runs them). Gated by ILL_BENCH_CATALOG=1
// (it takes many minutes and several GB of disk; its database is dropped
// at the end). Results: docs/benchmarks.md.
func BenchmarkCatalog(b *testing.B) {
	if os.Getenv("ILL_BENCH_CATALOG") != "1" {
		b.Skip("set ILL_BENCH_CATALOG=1 to run the 1M-record catalogue benchmark")
	}
	nRec := envInt("ILL_BENCH_RECORDS", 1_000_000)
	nHold := envInt("ILL_BENCH_HOLDINGS", 3_000_000)
	ctx := context.Background()
	libs := demo.Libraries()
	// ILL_BENCH_CATALOG_DB names a database an interrupted run already bulk
	// loaded (same ILL_BENCH_RECORDS/HOLDINGS): skip the load, measure the
	// rest, drop it at the end.
	reuse := os.Getenv("ILL_BENCH_CATALOG_DB")
	var st *mysql.Store
	if reuse != "" {
		var err error
		if st, err = mysql.Open("root:@tcp(127.0.0.1:3306)/" + reuse); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _, _ = st.DB.Exec("DROP DATABASE IF EXISTS `" + reuse + "`"); st.Close() })
	} else {
		_, st = testenv.DB(b, "catbench")
	}
	for _, l := range libs {
		if err := st.AddLibrary(ctx, ill.Library{Code: l.Code, NameZH: l.NameZH, Lending: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()

	// 1. Bulk load: demo catalogue generator, explicit ids, multi-row INSERTs.
	t0 := time.Now()
	books := syntheticCatalogue(nRec, libs)
	b.Logf("generated %d records in %s", len(books), time.Since(t0).Round(time.Millisecond))
	rng := rand.New(rand.NewPCG(7, 7))
	if reuse == "" {
		t0 = time.Now()
		rows := make([][]any, 0, 2000)
		flush := func(prefix string, cols int) {
			if len(rows) == 0 {
				return
			}
			if err := insertRows(ctx, st.DB, prefix, cols, rows); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
		const recPrefix = `INSERT INTO records (id, isbn13, title, author, publisher, year, language, material, clc, match_key) VALUES `
		for i, bk := range books {
			var isbn any
			if bk.ISBN13 != "" {
				isbn = bk.ISBN13
			}
			rows = append(rows, []any{i + 1, isbn, bk.Title, bk.Author, bk.Publisher, bk.Year, bk.Language, bk.Material, bk.CLC, bk.MatchKey()})
			if len(rows) == cap(rows) {
				flush(recPrefix, 10)
			}
		}
		flush(recPrefix, 10)
		recDur := time.Since(t0)
		// Holdings: the generator's, then more copies at other libraries up to nHold.
		type hold struct {
			lib, local string
			rec        int
			avail      int
		}
		var hs []hold
		for i, bk := range books {
			for _, h := range bk.Holdings {
				hs = append(hs, hold{h.Library, h.LocalID, i + 1, h.Available})
			}
		}
		for n := 0; len(hs) < nHold; n++ {
			i := rng.IntN(len(books))
			hs = append(hs, hold{libs[rng.IntN(len(libs))].Code, "x" + strconv.Itoa(n), i + 1, rng.IntN(2)})
		}
		hs = hs[:min(len(hs), nHold)]
		slices.SortFunc(hs, func(a, b hold) int {
			if c := strings.Compare(a.lib, b.lib); c != 0 {
				return c
			}
			return strings.Compare(a.local, b.local)
		})
		t1 := time.Now()
		now := time.Now().UTC()
		const holdPrefix = `INSERT IGNORE INTO holdings (library_code, local_id, record_id, call_number, copies, available, lendable, updated_at) VALUES `
		for _, h := range hs {
			rows = append(rows, []any{h.lib, h.local, h.rec, "TP311/1", 1, h.avail, true, now})
			if len(rows) == cap(rows) {
				flush(holdPrefix, 8)
			}
		}
		flush(holdPrefix, 8)
		holdDur := time.Since(t1)
		b.Logf("bulk load: %d records in %s (%.0f rows/s), %d holdings in %s (%.0f rows/s)",
			len(books), recDur.Round(time.Millisecond), float64(len(books))/recDur.Seconds(),
			len(hs), holdDur.Round(time.Millisecond), float64(len(hs))/holdDur.Seconds())
		b.ReportMetric(float64(len(books)+len(hs))/(recDur+holdDur).Seconds(), "bulk_rows/s")
	}

	// 3. Index build.
	t2 := time.Now()
	nr, nt, err := st.RebuildSearchIndex(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("search index: %d records, %d bigram postings in %s", nr, nt, time.Since(t2).Round(time.Millisecond))

	// 2. The real ingestion path, 2 batches of 10,000 rows from a library's
	// export: half of them copies of existing records (by ISBN or title key),
	// half new titles.
	var batch []ill.Holding
	for i := 0; i < envInt("ILL_BENCH_IMPORT", 20000); i++ {
		bk := books[rng.IntN(len(books))]
		h := ill.Holding{LocalID: fmt.Sprintf("imp%06d", i), ISBN: bk.ISBN13, Title: bk.Title, Author: bk.Author,
			Publisher: bk.Publisher, Year: bk.Year, Language: bk.Language, Material: bk.Material, Copies: 1, Available: 1}
		if i%2 == 1 {
			h.ISBN, h.Title = "", fmt.Sprintf("新编%s（第%d辑）", bk.Title, i)
		}
		batch = append(batch, h)
	}
	t3 := time.Now()
	var sum ill.HoldingsResult
	for lo := 0; lo < len(batch); lo += ill.MaxHoldingsBatch {
		res, err := st.ApplyHoldingsBatch(ctx, libs[0].Code, ill.HoldingsBatch{Upserts: batch[lo:min(lo+ill.MaxHoldingsBatch, len(batch))]}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		sum.Add(res)
	}
	impDur := time.Since(t3)
	b.Logf("ingestion (ApplyHoldings): %d rows in %s = %.0f rows/s (added %d, updated %d, rejected %d, conflicts %d)",
		len(batch), impDur.Round(time.Millisecond), float64(len(batch))/impDur.Seconds(), sum.Added, sum.Updated, sum.Rejected, sum.Conflicts)
	b.ReportMetric(float64(len(batch))/impDur.Seconds(), "ingest_rows/s")

	// 4. Queries: substrings of random titles (so they occur), 300 each.
	var isbns []string
	queries := map[int][]string{}
	for len(queries[2]) < 300 || len(queries[3]) < 300 || len(queries[4]) < 300 || len(isbns) < 300 {
		bk := books[rng.IntN(len(books))]
		if bk.ISBN13 != "" && len(isbns) < 300 {
			isbns = append(isbns, bk.ISBN13)
		}
		rs := []rune(ill.Fold(bk.Title))
		for n := 2; n <= 4; n++ {
			if len(rs) >= n && len(queries[n]) < 300 {
				i := rng.IntN(len(rs) - n + 1)
				queries[n] = append(queries[n], string(rs[i:i+n]))
			}
		}
	}
	run := func(name string, qs []ill.SearchQuery) {
		var lat []time.Duration
		capped, hits := 0, 0
		for _, q := range qs {
			s := time.Now()
			res, err := st.SearchFull(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(s))
			if res.TotalCapped {
				capped++
			}
			hits += len(res.Hits)
		}
		slices.Sort(lat)
		p := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
		b.Logf("%-22s n=%d p50=%s p95=%s p99=%s max=%s (avg hits %.1f, totals capped %d)", name, len(lat),
			p(0.50).Round(10*time.Microsecond), p(0.95).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond),
			lat[len(lat)-1].Round(10*time.Microsecond), float64(hits)/float64(len(qs)), capped)
		b.ReportMetric(float64(p(0.95).Microseconds())/1000, name+"_p95_ms")
	}
	for n := 2; n <= 4; n++ {
		var qs []ill.SearchQuery
		for _, w := range queries[n] {
			qs = append(qs, ill.SearchQuery{Q: w, PerPage: 20})
		}
		run(fmt.Sprintf("%d-char", n), qs)
	}
	var qs []ill.SearchQuery
	for _, w := range queries[2][:100] {
		qs = append(qs, ill.SearchQuery{Q: w, PerPage: 20, Available: true, YearFrom: 2010})
	}
	run("2-char+filters", qs)
	qs = qs[:0]
	for _, w := range queries[3][:100] {
		qs = append(qs, ill.SearchQuery{Q: w, PerPage: 20, Library: libs[3].Code})
	}
	run("3-char+library", qs)
	qs = qs[:0]
	for _, i := range isbns {
		qs = append(qs, ill.SearchQuery{ISBN: i, PerPage: 20})
	}
	run("isbn", qs)
}

// syntheticCatalogue scales the demo catalogue (whose generator has a
// finite space of journal volumes and theses) to n records: record i takes
// the title of demo record i mod 10,000, prefixed by a word cut from
// another demo title for records beyond the first 10,000, with another
// demo record's author and publisher, a year in 1980–2026 and a unique
// valid ISBN-13 (978-7-…). Bigram frequencies thus stay those of the demo
// titles, each word about n/10,000 times more frequent: a harder case for
// search than a real catalogue's long tail.
func syntheticCatalogue(n int, libs []demo.Library) []demo.Book {
	base := demo.Catalogue(10000)
	rng := rand.New(rand.NewPCG(11, 13))
	var words []string
	for len(words) < 400 {
		rs := []rune(base[rng.IntN(len(base))].Title)
		l := 2 + rng.IntN(3)
		if len(rs) > l {
			i := rng.IntN(len(rs) - l)
			words = append(words, string(rs[i:i+l]))
		}
	}
	out := make([]demo.Book, n)
	for i := range out {
		b := base[i%len(base)]
		o := base[rng.IntN(len(base))]
		bk := demo.Book{Title: b.Title, Author: o.Author, Publisher: o.Publisher, Year: 1980 + rng.IntN(47),
			Language: "chi", Material: "book", CLC: b.CLC}
		if i >= len(base) {
			bk.Title = words[rng.IntN(len(words))] + bk.Title
		}
		d12 := fmt.Sprintf("9787%08d", i)
		bk.ISBN13 = d12 + string(ill.ISBN13Check(d12))
		for k := 0; k < 1+rng.IntN(4); k++ {
			l := libs[rng.IntN(len(libs))]
			bk.Holdings = append(bk.Holdings, demo.Holding{Library: l.Code, LocalID: fmt.Sprintf("r%d-%d", i, k),
				Available: rng.IntN(2)})
		}
		out[i] = bk
	}
	return out
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

func insertRows(ctx context.Context, db *sqlx.DB, prefix string, cols int, rows [][]any) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	var sb strings.Builder
	sb.WriteString(prefix)
	args := make([]any, 0, len(rows)*cols)
	for i, r := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(one)
		args = append(args, r...)
	}
	_, err := db.ExecContext(ctx, sb.String(), args...)
	return err
}
