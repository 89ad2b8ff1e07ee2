package mysql_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// Loading the demo members twice restores the demo values: revoked demo
// keys are active again, the policy is the demo's, and a library's email
// set in between is kept.
func TestLoadDemoMembers(t *testing.T) {
	_, st := testenv.DB(t, "demomembers")
	ctx := context.Background()
	m := mysql.DemoMembers{
		Libraries: []ill.Library{
			{Code: "AAA", NameZH: "甲馆", NameEN: "A", ISOSymbol: "AAA", Lending: true, LoanMonths: 1, RecallDays: 7,
				FinePerDayFen: 10, Locale: "zh", Email: "ill@aaa.example", CourierCutoff: "14:00"},
			{Code: "BBB", NameZH: "乙馆", NameEN: "B", ISOSymbol: "BBB", Lending: true, DepositRequired: true,
				LoanMonths: 1, RecallDays: 7, Locale: "zh", Email: "ill@bbb.example", CourierCutoff: "15:30"},
		},
		Keys: []ill.KeyGrant{
			{Owner: "AAA", Key: ill.DemoKey("AAA"), Label: "demo key"},
			{Owner: "BBB", Key: ill.DemoKey("BBB"), Label: "demo key"},
			{Owner: ill.CentreCode, Key: ill.DemoKey(ill.CentreCode), Label: "demo centre key"},
			{Owner: ill.CourierOwner, Key: ill.DemoKey(ill.CourierOwner), Label: "demo courier key"},
		},
		Readers: []ill.Reader{
			{Library: "AAA", ID: "AAA001", Name: "张三", Email: "a1@example"},
			{Library: "BBB", ID: "BBB001", Name: "李四", Email: "b1@example", DepositPaid: true},
			{Library: "BBB", ID: "BBB002", Name: "王五", Email: "b2@example"},
		},
	}
	owners := func() []string {
		t.Helper()
		creds, err := st.ActiveDemoKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range creds {
			out = append(out, c.Owner)
		}
		slices.Sort(out)
		return out
	}
	allOwners := []string{"AAA", "BBB", ill.CentreCode, ill.CourierOwner}
	slices.Sort(allOwners)

	if err := st.LoadDemoMembers(ctx, m, time.Now(), 2); err != nil { // readers in statements of 2
		t.Fatal(err)
	}
	if got := owners(); !slices.Equal(got, allOwners) {
		t.Fatalf("active demo keys %v, want %v", got, allOwners)
	}
	p, err := st.PrincipalByKeyHash(ctx, ill.HashKey(ill.DemoKey(ill.CentreCode)))
	if err != nil || !p.Centre {
		t.Fatalf("centre key: %+v %v", p, err)
	}
	if ok, err := st.CourierKeyValid(ctx, ill.HashKey(ill.DemoKey(ill.CourierOwner))); err != nil || !ok {
		t.Fatalf("courier key valid %v, %v", ok, err)
	}
	if _, err := st.PrincipalByKeyHash(ctx, ill.HashKey(ill.DemoKey(ill.CourierOwner))); err == nil {
		t.Error("the courier key authenticates as an API key")
	}

	// Between two loads: keys revoked, a policy and a reader changed, the
	// library's email set by an operator.
	if _, err := st.RevokeDemoKeys(ctx, ill.AuditActor{Name: "test", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := owners(); len(got) != 0 {
		t.Fatalf("active demo keys after revoking: %v", got)
	}
	if err := st.AddLibrary(ctx, ill.Library{Code: "BBB", NameZH: "乙馆", LoanMonths: 3, Email: "office@bbb.example"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutReader(ctx, ill.Reader{Library: "BBB", ID: "BBB001", Name: "改名", DepositPaid: false}, time.Now()); err != nil {
		t.Fatal(err)
	}

	if err := st.LoadDemoMembers(ctx, m, time.Now(), 0); err != nil { // all readers in one statement
		t.Fatal(err)
	}
	if got := owners(); !slices.Equal(got, allOwners) {
		t.Errorf("active demo keys after reloading %v, want %v", got, allOwners)
	}
	b, err := st.Library(ctx, "BBB")
	if err != nil {
		t.Fatal(err)
	}
	if b.LoanMonths != 1 || !b.DepositRequired || b.CourierCutoff != "15:30" || b.Email != "office@bbb.example" {
		t.Errorf("BBB after reloading: loan months %d, deposit %v, cut-off %q, email %q; want 1, true, 15:30, office@bbb.example",
			b.LoanMonths, b.DepositRequired, b.CourierCutoff, b.Email)
	}
	r, err := st.Reader(ctx, "BBB", "BBB001")
	if err != nil || r.Name != "李四" || !r.DepositPaid {
		t.Errorf("BBB001 after reloading: %+v %v", r, err)
	}
	var n int
	if err := st.DB.Get(&n, `SELECT (SELECT COUNT(*) FROM libraries) + (SELECT COUNT(*) FROM api_keys)
		+ (SELECT COUNT(*) FROM courier_keys) + (SELECT COUNT(*) FROM patrons)`); err != nil || n != 2+3+1+3 {
		t.Errorf("%d rows in libraries, api_keys, courier_keys and patrons (%v), want 9", n, err)
	}
}

// Demo records are found by ISBN, or by title key when they have none
// (also a record a holdings import created), so a second load adds no
// rows; their holdings and the search index follow.
func TestLoadDemoRecords(t *testing.T) {
	_, st := testenv.DB(t, "demorecords")
	ctx := context.Background()
	addLibraries(t, st, "AAA", "BBB", "CCC")
	// A journal volume AAA imported before the demo load.
	apply(t, st, "AAA", ill.Holding{LocalID: "j1", Title: "图书情报工作 2020年合订本", Author: "中国科学院文献情报中心",
		Publisher: "图书情报工作杂志社", Year: 2020, Language: "chi", Material: "journal"})
	journal := recordOf(t, st, "AAA", "j1")

	recs := []mysql.DemoRecord{
		{Record: ill.Record{ISBN13: "9787040406641", Title: "数据库系统概论", Author: "王珊, 萨师煊",
			Publisher: "高等教育出版社", Year: 2014, Language: "chi", Material: "book", CLC: "TP311.13"},
			Holdings: []mysql.DemoHolding{
				{Library: "AAA", LocalID: "1", CallNumber: "TP311.13/W245", Copies: 3, Available: 2, Lendable: true},
				{Library: "BBB", LocalID: "1", CallNumber: "TP311.13/W245", Copies: 1, Available: 0, Lendable: true},
			}},
		{Record: ill.Record{Title: "图书情报工作 2020年合订本", Author: "中国科学院文献情报中心",
			Publisher: "图书情报工作杂志社", Year: 2020, Language: "chi", Material: "journal", CLC: "G25"},
			Holdings: []mysql.DemoHolding{{Library: "BBB", LocalID: "2", CallNumber: "G25/1", Copies: 1, Available: 1}}},
		{Record: ill.Record{Title: "数字图书馆研究", Author: "赵六", Publisher: "北京大学", Year: 2019,
			Language: "chi", Material: "thesis", CLC: "G250"},
			Holdings: []mysql.DemoHolding{{Library: "CCC", LocalID: "3", CallNumber: "G250/1", Copies: 1, Available: 1,
				Lendable: true}}},
	}
	count := func(query string) int {
		t.Helper()
		var n int
		if err := st.DB.Get(&n, query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	for run := 1; run <= 2; run++ {
		n, err := st.LoadDemoRecords(ctx, recs, time.Now(), 1) // one row per statement
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if n != 4 {
			t.Errorf("run %d: %d holdings written, want 4", run, n)
		}
		if got := count(`SELECT COUNT(*) FROM records`); got != 3 {
			t.Errorf("run %d: %d records, want 3 (the imported journal matched)", run, got)
		}
		if got := count(`SELECT COUNT(*) FROM holdings`); got != 5 {
			t.Errorf("run %d: %d holdings, want 5", run, got)
		}
		if got := recordOf(t, st, "BBB", "2"); got != journal {
			t.Errorf("run %d: BBB's journal holding on record %d, want the imported %d", run, got, journal)
		}
		if got := count(`SELECT COUNT(*) FROM records WHERE clc = 'G25' AND material = 'journal'`); got != 1 {
			t.Errorf("run %d: the journal's class was not restored", run)
		}
		if got := count(`SELECT available * 10 + copies FROM holdings WHERE library_code = 'AAA' AND local_id = '1'`); got != 23 {
			t.Errorf("run %d: AAA's copies of 数据库系统概论: available*10+copies = %d, want 23", run, got)
		}
		res, err := st.SearchFull(ctx, ill.SearchQuery{Q: "数据库系统概论"})
		if err != nil || len(res.Hits) != 1 || res.Hits[0].Holdings != 2 {
			t.Errorf("run %d: search 数据库系统概论: %+v %v, want one hit with 2 holdings", run, res.Hits, err)
		}
		// Availability changed in between is restored by the next load.
		if _, err := st.DB.Exec(`UPDATE holdings SET available = 0, copies = 1`); err != nil {
			t.Fatal(err)
		}
	}
}
