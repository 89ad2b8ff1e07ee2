package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

func addLibraries(t *testing.T, st *mysql.Store, codes ...string) {
	t.Helper()
	for _, c := range codes {
		if err := st.AddLibrary(context.Background(), ill.Library{Code: c, NameZH: c + "图书馆", Lending: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func apply(t *testing.T, st *mysql.Store, lib string, hs ...ill.Holding) ill.HoldingsResult {
	t.Helper()
	res, err := st.ApplyHoldingsBatch(context.Background(), lib, ill.HoldingsBatch{Upserts: hs}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func recordOf(t *testing.T, st *mysql.Store, lib, local string) int64 {
	t.Helper()
	var id int64
	if err := st.DB.Get(&id, `SELECT record_id FROM holdings WHERE library_code = ? AND local_id = ?`, lib, local); err != nil {
		t.Fatalf("holding %s/%s: %v", lib, local, err)
	}
	return id
}

// The same book exported by several libraries (ISBN-13, ISBN-10 with
// hyphens, hyphenated ISBN-13 in traditional script, no ISBN at all with
// punctuation and author-role variants) becomes one union record; a
// holding whose ISBN names another title, and one with a bad check digit,
// are reported as conflicts.
func TestMatchingAcrossLibraries(t *testing.T) {
	_, st := testenv.DB(t, "match")
	addLibraries(t, st, "AAA", "BBB", "CCC", "DDD", "EEE")
	isbn13, ok := ill.NormalizeISBN("7040406640")
	if !ok {
		t.Fatal("test ISBN-10 invalid")
	}
	hyph := isbn13[:3] + "-" + isbn13[3:4] + "-" + isbn13[4:6] + "-" + isbn13[6:12] + "-" + isbn13[12:]
	apply(t, st, "AAA", ill.Holding{LocalID: "a1", ISBN: isbn13, Title: "数据库系统概论（第5版）", Author: "王珊, 萨师煊",
		Publisher: "高等教育出版社", Year: 2014, Available: 1})
	apply(t, st, "BBB", ill.Holding{LocalID: "b1", ISBN: "7-04-040664-0", Title: "数据库系统概论: 第5版", Author: "王珊，萨师煊编著",
		Publisher: "高等教育出版社", Year: 2014})
	apply(t, st, "CCC", ill.Holding{LocalID: "c1", ISBN: hyph, Title: "數據庫系統概論 第５版", Author: "王珊、薩師煊 著",
		Publisher: "高等教育出版社", Year: 2014})
	res := apply(t, st, "DDD", ill.Holding{LocalID: "d1", Title: "《數據庫系統概論》（第5版）", Author: "王珊 薩師煊",
		Publisher: "高等教育出版社", Year: 2014})
	if res.Added != 1 || res.Conflicts != 0 {
		t.Errorf("DDD: %+v", res)
	}
	want := recordOf(t, st, "AAA", "a1")
	for _, h := range [][2]string{{"BBB", "b1"}, {"CCC", "c1"}, {"DDD", "d1"}} {
		if got := recordOf(t, st, h[0], h[1]); got != want {
			t.Errorf("%s/%s matched record %d, want %d", h[0], h[1], got, want)
		}
	}
	var n int
	if err := st.DB.Get(&n, `SELECT COUNT(*) FROM records`); err != nil || n != 1 {
		t.Fatalf("records = %d (%v), want 1", n, err)
	}

	// Conflicts: an ISBN that belongs to another title; a bad check digit.
	res = apply(t, st, "EEE",
		ill.Holding{LocalID: "e1", ISBN: isbn13, Title: "红楼梦", Author: "曹雪芹", Publisher: "人民文学出版社", Year: 2008},
		ill.Holding{LocalID: "e2", ISBN: "7-04-040664-1", Title: "数据库系统概论(第5版)", Author: "王珊",
			Publisher: "高等教育出版社", Year: 2014})
	if res.Conflicts != 2 || res.Added != 2 {
		t.Fatalf("EEE: %+v, want 2 added with 2 conflicts", res)
	}
	cs, total, err := st.Conflicts(context.Background(), "EEE", 1, 20)
	if err != nil || total != 2 {
		t.Fatalf("conflicts: %d %v", total, err)
	}
	kinds := []ill.ConflictKind{cs[0].Kind, cs[1].Kind}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []ill.ConflictKind{ill.ConflictInvalidISBN, ill.ConflictISBNTitle}) {
		t.Errorf("conflict kinds %v", kinds)
	}
	if got := recordOf(t, st, "EEE", "e2"); got != want {
		t.Errorf("bad-check-digit holding matched %d by title key, want %d", got, want)
	}
	if _, total, _ := st.Conflicts(context.Background(), "AAA", 1, 20); total != 0 {
		t.Errorf("AAA sees %d conflicts, want 0 (per-library scoping)", total)
	}

	// Manual-request matching: ISBN-10, or title/author without publisher.
	for _, c := range []ill.Citation{{ISBN: "7-04-040664-0"}, {Title: "数据库系统概论 第5版", Author: "王珊", Year: 2014}} {
		var id int64
		err := st.InTx(context.Background(), func(tx *mysql.Tx) (err error) { id, err = tx.MatchRecord(context.Background(), c); return })
		if err != nil || id != want {
			t.Errorf("MatchRecord(%+v) = %d, %v; want %d", c, id, err, want)
		}
	}
	// A new ISBN for a title key held by a record with another ISBN: kept
	// apart and reported.
	res = apply(t, st, "AAA", ill.Holding{LocalID: "a2", ISBN: "9787111213826", Title: "数据库系统概论（第5版）",
		Author: "王珊", Publisher: "高等教育出版社", Year: 2014})
	if res.Conflicts != 1 || recordOf(t, st, "AAA", "a2") == want {
		t.Errorf("same key, other ISBN: %+v", res)
	}
	// Now two records share that title and author: a citation without
	// ISBN is ambiguous and goes to mediation (0).
	var id int64
	c := ill.Citation{Title: "数据库系统概论 第5版", Author: "王珊", Year: 2014}
	if err := st.InTx(context.Background(), func(tx *mysql.Tx) (err error) { id, err = tx.MatchRecord(context.Background(), c); return }); err != nil || id != 0 {
		t.Errorf("ambiguous citation matched %d (%v), want 0", id, err)
	}
}

// Candidates lists the members that lend a record and, in the same
// statement, whether the borrower holds an available copy itself, even
// when the borrower does not lend (so is no candidate).
func TestCandidatesWithTheBorrowersOwnCopy(t *testing.T) {
	_, st := testenv.DB(t, "cands")
	ctx := context.Background()
	addLibraries(t, st, "PKU", "THU")
	if err := st.AddLibrary(ctx, ill.Library{Code: "BNU", NameZH: "BNU图书馆", Lending: false}); err != nil {
		t.Fatal(err)
	}
	rec := testenv.Record(t, st, "", "编译原理", "陈火旺",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "BNU", Available: 2, Lendable: true},
		testenv.Holding{Library: "THU", Available: 0, Lendable: true})
	for _, c := range []struct {
		borrower string
		local    bool
	}{{"BNU", true}, {"THU", false}, {"PKU", true}} {
		if err := st.InTx(ctx, func(tx *mysql.Tx) error {
			cs, local, err := tx.Candidates(ctx, rec, c.borrower, time.Now())
			if err != nil {
				return err
			}
			var libs []string
			for _, x := range cs {
				libs = append(libs, x.Library)
			}
			slices.Sort(libs)
			if local != c.local || !slices.Equal(libs, []string{"PKU", "THU"}) {
				t.Errorf("borrower %s: candidates %v, local %v; want [PKU THU], %v", c.borrower, libs, local, c.local)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// LoansAndCandidates reads in one round trip what ActiveLoans and
// Candidates read one after the other: the reader's active loans (not
// the finished ones, not another reader's) and the record's lenders with
// the borrower's own copy, with the reader's row lock (the queued upsert
// of LockPatron) taken in front of them.
func TestLoansAndCandidatesReadWhatTheTwoReadsDo(t *testing.T) {
	_, st := testenv.DB(t, "loanscands")
	// The lenders' history is served from memory once read (as in the
	// consumers), so nothing but LoansAndCandidates reaches the server
	// in the transaction under test.
	st.UseDirectory(time.Hour)
	ctx := context.Background()
	addLibraries(t, st, "PKU", "THU", "BNU")
	rec := testenv.Record(t, st, "", "编译原理", "陈火旺",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "THU", Available: 1, Lendable: true},
		testenv.Holding{Library: "BNU", Available: 0, Lendable: true})
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		patron string
		state  ill.State
		record int64
	}{{"P1", ill.Requested, rec}, {"P1", ill.OnLoan, 0}, {"P1", ill.Completed, rec}, {"P2", ill.Requested, rec}} {
		r := &ill.Request{ID: fmt.Sprintf("ILL-LC%d", i), Borrower: "THU", ClientRequestID: fmt.Sprintf("lc%d", i),
			PatronID: c.patron, Title: "书", RecordID: c.record, State: c.state, SubmittedAt: at, UpdatedAt: at}
		if err := st.InTx(ctx, func(tx *mysql.Tx) error { return tx.InsertRequest(ctx, r) }); err != nil {
			t.Fatal(err)
		}
	}
	var (
		loans, wantLoans []ill.LoanRef
		cands, wantCands []ill.Candidate
		local, wantLocal bool
	)
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		if wantLoans, err = tx.ActiveLoans(ctx, "THU", "P1"); err != nil {
			return err
		}
		wantCands, wantLocal, err = tx.Candidates(ctx, rec, "THU", at)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(wantLoans) != 2 || len(wantCands) != 3 || !wantLocal {
		t.Fatalf("the two reads: loans %v, candidates %v, local %v; want 2 loans, 3 candidates, local", wantLoans, wantCands, wantLocal)
	}
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		if err := tx.LockPatron(ctx, "THU", ill.Patron{ID: "P1"}, at); err != nil {
			return err
		}
		if loans, cands, local, err = tx.LoansAndCandidates(ctx, "THU", "P1", rec, at); err != nil {
			return err
		}
		// R3 counts under the reader's lock: it went with the reads,
		// so another session cannot take it now.
		var id string
		lockErr := st.DB.GetContext(ctx, &id, `SELECT patron_id FROM patrons
			WHERE library_code = 'THU' AND patron_id = 'P1' FOR UPDATE NOWAIT`)
		if lockErr == nil || errors.Is(lockErr, sql.ErrNoRows) {
			t.Errorf("after the reads another session took the reader's row (%v): the lock did not travel with them", lockErr)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	byID := func(a, b ill.LoanRef) int { return strings.Compare(a.ID, b.ID) }
	byLib := func(a, b ill.Candidate) int { return strings.Compare(a.Library, b.Library) }
	slices.SortFunc(loans, byID)
	slices.SortFunc(wantLoans, byID)
	slices.SortFunc(cands, byLib)
	slices.SortFunc(wantCands, byLib)
	if !slices.Equal(loans, wantLoans) || !slices.Equal(cands, wantCands) || local != wantLocal {
		t.Errorf("one round trip: loans %v, candidates %v, local %v; the two reads: %v, %v, %v",
			loans, cands, local, wantLoans, wantCands, wantLocal)
	}
}
