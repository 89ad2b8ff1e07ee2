package demo

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

func TestLibraries(t *testing.T) {
	ls := Libraries()
	if len(ls) < 32 {
		t.Fatalf("%d libraries, want at least 32", len(ls))
	}
	if ls[0].Code != CentreLibrary {
		t.Errorf("first library %s, want the centre's host %s", ls[0].Code, CentreLibrary)
	}
	discs := map[string]bool{}
	for _, d := range disciplines {
		discs[d.name] = true
	}
	codes, names := map[string]bool{}, map[string]bool{}
	for _, l := range ls {
		if l.Code == "" || len(l.Code) > 16 || strings.ToUpper(l.Code) != l.Code || strings.ContainsAny(l.Code, " -_") {
			t.Errorf("bad code %q", l.Code)
		}
		if l.Code == ill.CentreCode {
			t.Errorf("library code %s is reserved for centre keys", l.Code)
		}
		if codes[l.Code] || names[l.NameZH] {
			t.Errorf("duplicate library %s %s", l.Code, l.NameZH)
		}
		codes[l.Code], names[l.NameZH] = true, true
		if l.NameZH == "" || l.NameEN == "" || l.ISOSymbol() != l.Code {
			t.Errorf("%s: names %q/%q, symbol %q", l.Code, l.NameZH, l.NameEN, l.ISOSymbol())
		}
		if l.DepositRequired != (l.Code == DepositLibrary) {
			t.Errorf("%s: deposit required %v", l.Code, l.DepositRequired)
		}
		if !l.Lending || l.LoanMonths != 1 || l.RecallDays != 7 || l.Size < 1 || l.Size > 10 {
			t.Errorf("%s: policy %+v", l.Code, l)
		}
		if _, err := time.Parse("15:04", l.CourierCutoff); err != nil {
			t.Errorf("%s: courier cutoff %q", l.Code, l.CourierCutoff)
		}
		if !strings.HasSuffix(l.Email(), ".example") {
			t.Errorf("%s: email %q outside the reserved domain", l.Code, l.Email())
		}
		for _, s := range l.Strengths {
			if !discs[s] {
				t.Errorf("%s: unknown discipline %q", l.Code, s)
			}
		}
	}
	for _, c := range []string{"BUPT", "THU", "PKU", "RUC", "BNU", "BUAA", "BIT", "BFSU"} {
		if !codes[c] {
			t.Errorf("SPEC §7 member %s missing", c)
		}
	}
}

func TestPatrons(t *testing.T) {
	ps := Patrons()
	if want := len(Libraries()) * PatronsPerLibrary; len(ps) != want {
		t.Fatalf("%d patrons, want %d", len(ps), want)
	}
	if !reflect.DeepEqual(ps, Patrons()) {
		t.Fatal("Patrons is not deterministic")
	}
	seen := map[string]bool{}
	for _, p := range ps {
		k := p.Library + "/" + p.ID
		if seen[k] || p.Name == "" || !strings.HasPrefix(p.ID, p.Library) || !strings.HasSuffix(p.Email, ".example") {
			t.Errorf("bad or duplicate patron %+v", p)
		}
		seen[k] = true
		wantPaid := p.Library == DepositLibrary && p.ID <= DepositLibrary+"2024003"
		if p.DepositPaid != wantPaid {
			t.Errorf("%s: deposit paid %v, want %v", k, p.DepositPaid, wantPaid)
		}
	}
}

func TestCatalogueDeterministic(t *testing.T) {
	a, b := Catalogue(2000), Catalogue(2000)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls returned different catalogues")
	}
	if small := Catalogue(700); !reflect.DeepEqual(small, a[:700]) {
		t.Fatal("Catalogue(700) is not a prefix of Catalogue(2000)")
	}
	if Catalogue(0) != nil || Catalogue(-1) != nil {
		t.Fatal("Catalogue(n <= 0) must be empty")
	}
}

func TestCatalogue(t *testing.T) {
	books := Catalogue(DefaultBooks)
	if len(books) < 10000 {
		t.Fatalf("%d books, want at least 10000", len(books))
	}
	first := books[0]
	if first.Title != "数据库系统概论" || first.Author != "王珊, 萨师煊" || first.ISBN13 != "9787040406641" ||
		first.CLC != "TP311.13" {
		t.Errorf("first record %+v", first)
	}

	libs := map[string]Library{}
	for _, l := range Libraries() {
		libs[l.Code] = l
	}
	isbns, keys, localIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	titles, pubs := map[string]bool{}, map[string]bool{}
	perLib := map[string]int{}
	notEligible := 0
	for i, b := range books {
		where := fmt.Sprintf("book %d %q", i, b.Title)
		titles[b.Title], pubs[b.Publisher] = true, true
		if !b.Eligible() {
			notEligible++
		}
		switch {
		case b.ISBN13 != "":
			if n, ok := ill.NormalizeISBN(b.ISBN13); !ok || n != b.ISBN13 {
				t.Errorf("%s: invalid ISBN %s", where, b.ISBN13)
			}
			if isbns[b.ISBN13] {
				t.Errorf("%s: duplicate ISBN %s", where, b.ISBN13)
			}
			isbns[b.ISBN13] = true
			if !slices.ContainsFunc(publishers[b.Publisher], func(p isbnPrefix) bool {
				return strings.HasPrefix(b.ISBN13, strings.ReplaceAll(p.p, "-", ""))
			}) {
				t.Errorf("%s: ISBN %s is not in %s's blocks", where, b.ISBN13, b.Publisher)
			}
		case b.Material == "book":
			t.Errorf("%s: a book without ISBN", where)
		default:
			if keys[b.MatchKey()] {
				t.Errorf("%s: duplicate match key of an ISBN-less record", where)
			}
			keys[b.MatchKey()] = true
		}
		if b.Title == "" || b.Publisher == "" || b.CLC == "" || b.Year < 1995 || b.Year > 2026 {
			t.Errorf("%s: incomplete %+v", where, b)
		}
		if b.Material != "journal" && b.Author == "" {
			t.Errorf("%s: no author", where)
		}
		if !slices.Contains([]string{"chi", "eng"}, b.Language) ||
			!slices.Contains([]string{"book", "journal", "thesis"}, b.Material) {
			t.Errorf("%s: language %q material %q", where, b.Language, b.Material)
		}
		if len(b.Holdings) < 1 || len(b.Holdings) > 6 {
			t.Errorf("%s: %d holdings", where, len(b.Holdings))
		}
		if !sort.SliceIsSorted(b.Holdings, func(x, y int) bool { return b.Holdings[x].Library < b.Holdings[y].Library }) {
			t.Errorf("%s: holdings not sorted by library", where)
		}
		for j, h := range b.Holdings {
			if j > 0 && b.Holdings[j-1].Library == h.Library {
				t.Errorf("%s: %s holds it twice", where, h.Library)
			}
			if _, ok := libs[h.Library]; !ok {
				t.Errorf("%s: unknown library %s", where, h.Library)
			}
			k := h.Library + "/" + h.LocalID
			if h.LocalID == "" || localIDs[k] {
				t.Errorf("%s: duplicate local id %s", where, k)
			}
			localIDs[k] = true
			if !strings.HasPrefix(h.CallNumber, b.CLC+"/") || len(h.CallNumber) <= len(b.CLC)+1 {
				t.Errorf("%s: call number %q for class %s", where, h.CallNumber, b.CLC)
			}
			if h.Copies < 1 || h.Copies > 3 || h.Available < 0 || h.Available > h.Copies {
				t.Errorf("%s: %s copies %d available %d", where, h.Library, h.Copies, h.Available)
			}
			perLib[h.Library]++
		}
	}
	if share := float64(notEligible) / float64(len(books)); share < 0.01 || share > 0.04 {
		t.Errorf("%.1f%% not eligible, want about 2%%", 100*share)
	}
	if len(titles) < 3000 || len(pubs) < 40 {
		t.Errorf("too little variety: %d titles, %d publishers", len(titles), len(pubs))
	}
	counts := make([]int, 0, len(perLib))
	for _, n := range perLib {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	median := counts[len(counts)/2]
	for _, c := range []string{"THU", "PKU"} {
		if perLib[c] < 2*median {
			t.Errorf("%s holds %d records, want at least twice the median %d", c, perLib[c], median)
		}
	}
	if len(perLib) != len(libs) {
		t.Errorf("%d of %d libraries hold something", len(perLib), len(libs))
	}
}

func TestCalendars(t *testing.T) {
	cys, err := Calendars()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cys, func(cy ill.CalendarYear) bool { return cy.Year == 2026 })
	if i < 0 {
		t.Fatalf("no 2026 calendar among %d embedded", len(cys))
	}
	cal := ill.NewCalendar(cys...)
	if !cal.NationalWorkingDay(ill.Date{Year: 2026, Month: 2, Day: 14}) || cal.NationalWorkingDay(ill.Date{Year: 2026, Month: 10, Day: 7}) {
		t.Error("2026 calendar: Feb 14 must be a working day and Oct 7 a holiday")
	}
}

func TestLoad(t *testing.T) {
	_, st := testenv.DB(t, "demo") // a fresh, migrated database, dropped at the end
	db := st.DB
	ctx := context.Background()
	books := Catalogue(DefaultBooks)
	wantHoldings, wantNoISBN := 0, 0
	for _, b := range books {
		wantHoldings += len(b.Holdings)
		if b.ISBN13 == "" {
			wantNoISBN++
		}
	}
	cys, err := Calendars()
	if err != nil {
		t.Fatal(err)
	}
	wantDays := 0
	for _, cy := range cys {
		wantDays += len(cy.Days)
	}
	want := Summary{Libraries: len(Libraries()), APIKeys: len(Libraries()) + 1, Patrons: len(Patrons()),
		Records: len(books), Holdings: wantHoldings, CalendarYears: len(cys), CalendarDays: wantDays}

	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.GetContext(ctx, &n, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	for run := 1; run <= 2; run++ {
		lastDone := 0
		sum, err := Load(ctx, st, Options{Progress: func(done, total int) {
			if done <= lastDone || total != len(books) {
				t.Errorf("progress %d/%d after %d", done, total, lastDone)
			}
			lastDone = done
		}})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		t.Logf("run %d: %s", run, sum)
		if lastDone != len(books) {
			t.Errorf("run %d: last progress %d, want %d", run, lastDone, len(books))
		}
		got := sum
		got.Elapsed = 0
		if got != want {
			t.Errorf("run %d: summary %+v, want %+v", run, got, want)
		}
		tables := []struct {
			table string
			want  int
		}{
			{"libraries", want.Libraries}, {"api_keys", want.APIKeys}, {"patrons", want.Patrons},
			{"records", want.Records}, {"holdings", want.Holdings}, {"calendar_days", want.CalendarDays},
			{"calendar_years", want.CalendarYears},
			{"courier_keys", 1}, // demo-key-COURIER
		}
		for _, tc := range tables {
			if n := count("SELECT COUNT(*) FROM " + tc.table); n != tc.want {
				t.Errorf("run %d: %d rows in %s, want %d", run, n, tc.table, tc.want)
			}
		}
		if n := count(`SELECT COUNT(*) FROM records WHERE isbn13 IS NULL`); n != wantNoISBN {
			t.Errorf("run %d: %d records without ISBN, want %d", run, n, wantNoISBN)
		}
		if n := count(`SELECT COUNT(DISTINCT record_id) FROM holdings h JOIN records r ON r.id = h.record_id`); n != len(books) {
			t.Errorf("run %d: %d records with holdings, want %d", run, n, len(books))
		}
	}

	var key struct {
		Library string `db:"library_code"`
		Centre  bool   `db:"is_centre"`
	}
	if err := db.GetContext(ctx, &key, `SELECT library_code, is_centre FROM api_keys WHERE key_hash = ?`,
		ill.HashKey("demo-key-THU")); err != nil || key.Library != "THU" || key.Centre {
		t.Errorf("demo-key-THU: %+v, %v", key, err)
	}
	if err := db.GetContext(ctx, &key, `SELECT library_code, is_centre FROM api_keys WHERE key_hash = ?`,
		ill.HashKey("demo-key-CENTRE")); err != nil || key.Library != ill.CentreCode || !key.Centre {
		t.Errorf("demo-key-CENTRE: %+v, %v", key, err)
	}
	if n := count(`SELECT COUNT(*) FROM libraries WHERE deposit_required = 1 AND code = 'BFSU'`); n != 1 ||
		count(`SELECT COUNT(*) FROM libraries WHERE deposit_required = 1`) != 1 {
		t.Error("only BFSU must require a deposit")
	}
	if n := count(`SELECT COUNT(*) FROM patrons WHERE library_code = 'BFSU' AND deposit_paid = 1`); n != 3 {
		t.Errorf("%d BFSU readers paid a deposit, want 3", n)
	}
	var title string
	if err := db.GetContext(ctx, &title, `SELECT title FROM records WHERE isbn13 = '9787040406641'`); err != nil ||
		title != "数据库系统概论" {
		t.Errorf("9787040406641: %q, %v", title, err)
	}
	if n := count(`SELECT COUNT(*) FROM holdings h JOIN records r ON r.id = h.record_id
		WHERE r.isbn13 = '9787040406641'`); n != len(books[0].Holdings) {
		t.Errorf("数据库系统概论 has %d holdings, want %d", n, len(books[0].Holdings))
	}
	if kind := count(`SELECT COUNT(*) FROM calendar_days WHERE day = '2026-02-14' AND kind = 'workday'`); kind != 1 {
		t.Error("2026-02-14 must be loaded as an adjusted working day")
	}

	t.Run("LoadCalendar replaces the year", func(t *testing.T) {
		i := slices.IndexFunc(cys, func(cy ill.CalendarYear) bool { return cy.Year == 2026 })
		full := cys[i]
		short := ill.CalendarYear{Year: 2026, Source: "test", Days: full.Days[:2]}
		if err := LoadCalendar(ctx, st, short); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT COUNT(*) FROM calendar_days WHERE YEAR(day) = 2026`); n != 2 {
			t.Errorf("%d days after loading 2, want 2", n)
		}
		var src string
		if err := db.GetContext(ctx, &src, `SELECT source FROM calendar_years WHERE year = 2026`); err != nil || src != "test" {
			t.Errorf("source %q, %v", src, err)
		}
		bad := ill.CalendarYear{Year: 2026, Days: []ill.CalendarDay{{Date: ill.Date{Year: 2027, Month: 1, Day: 1}, Kind: ill.Holiday}}}
		if err := LoadCalendar(ctx, st, bad); err == nil {
			t.Error("a day outside the year was accepted")
		}
		if err := LoadCalendar(ctx, st, full); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT COUNT(*) FROM calendar_days WHERE YEAR(day) = 2026`); n != len(full.Days) {
			t.Errorf("%d days after reloading, want %d", n, len(full.Days))
		}
	})
}

func TestLoadOptions(t *testing.T) {
	if _, err := Load(context.Background(), nil, Options{Books: -1}); err == nil {
		t.Error("negative Books accepted")
	}
}
