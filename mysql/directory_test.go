package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// The directory serves libraries, ISO 18626 registrations, courier
// settings and closures from memory: a change written behind the store's
// back is seen only after TTL (here: after Forget, as a TTL would), a
// change through the store at once, and a library missing from the
// snapshot is read from the database.
func TestDirectoryServesFromMemoryUntilTTL(t *testing.T) {
	_, st := testenv.DB(t, "directory")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU", "PKU")
	if err := st.AddClosure(ctx, "PKU", ill.DateRange{From: ill.Date{Year: 2026, Month: 3, Day: 2},
		To: ill.Date{Year: 2026, Month: 3, Day: 6}}, "寒假"); err != nil {
		t.Fatal(err)
	}
	st.UseDirectory(time.Hour)

	type seen struct {
		locale, symbol, cutoff string
		closures               int
	}
	look := func(code string) (s seen) {
		t.Helper()
		err := st.InTx(ctx, func(tx *mysql.Tx) error {
			l, err := tx.Library(ctx, code)
			if err != nil {
				return err
			}
			m, err := tx.ISOMember(ctx, code)
			if err != nil {
				return err
			}
			stops, err := tx.CourierStops(ctx, code)
			if err != nil {
				return err
			}
			cl, err := tx.Closures(ctx, code)
			if err != nil {
				return err
			}
			of, err := tx.ClosuresOf(ctx, []string{code})
			if err != nil {
				return err
			}
			if len(of[code]) != len(cl) {
				t.Errorf("%s: ClosuresOf %d, Closures %d", code, len(of[code]), len(cl))
			}
			s = seen{l.Locale, m.Symbol, stops[code].Cutoff, len(cl)}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := look("PKU")
	if before != (seen{"zh", "PKU", "14:00", 1}) {
		t.Fatalf("PKU from the directory: %+v", before)
	}

	// Behind the store's back (another process, plain SQL): not seen yet.
	if _, err := st.DB.Exec(`UPDATE libraries SET locale = 'en', iso_symbol = 'PEKING', courier_cutoff = '11:00' WHERE code = 'PKU'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(`DELETE FROM closures WHERE library_code = 'PKU'`); err != nil {
		t.Fatal(err)
	}
	if got := look("PKU"); got != before {
		t.Fatalf("changed behind the cache's back, read within TTL: %+v, want the cached %+v", got, before)
	}
	// A library added since the snapshot is read from the database.
	if _, err := st.DB.Exec(`INSERT INTO libraries (code, name_zh, name_en, iso_symbol, lending, locale)
		VALUES ('RUC', '人大', 'RUC', 'RUC', 1, 'en')`); err != nil {
		t.Fatal(err)
	}
	if got := look("RUC"); got.locale != "en" || got.symbol != "RUC" {
		t.Fatalf("a library missing from the snapshot: %+v", got)
	}
	if _, err := st.Library(ctx, "NOPE"); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("unknown library: %v, want not_found", err)
	}

	// A change through the store itself is seen at once (it drops the
	// snapshot), and with it the earlier change made behind its back.
	if err := st.AddClosure(ctx, "THU", ill.DateRange{From: ill.Date{Year: 2026, Month: 7, Day: 1},
		To: ill.Date{Year: 2026, Month: 8, Day: 31}}, "暑假"); err != nil {
		t.Fatal(err)
	}
	if got := look("PKU"); got != (seen{"en", "PEKING", "11:00", 0}) {
		t.Fatalf("after the store's own write: %+v", got)
	}
	if got := look("THU"); got.closures != 1 {
		t.Fatalf("THU's new closure: %+v", got)
	}

	// A lender's routing history is kept too: a loan recorded since is
	// not counted until TTL (the copies on the shelf are always live).
	rec := testenv.Record(t, st, "", "数据结构", "严蔚敏", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	lent := func() (lent, available int) {
		t.Helper()
		if err := st.InTx(ctx, func(tx *mysql.Tx) error {
			cs, err := tx.Candidates(ctx, rec, time.Now())
			if err != nil || len(cs) != 1 {
				t.Fatalf("candidates %+v, %v", cs, err)
			}
			lent, available = cs[0].Lent, cs[0].Available
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return lent, available
	}
	if l, a := lent(); l != 0 || a != 1 {
		t.Fatalf("PKU before: lent %d, available %d", l, a)
	}
	if _, err := st.DB.Exec(`INSERT INTO rota (request_id, rank_no, library_code, outcome, asked_at) VALUES ('ILL-X', 1, 'PKU', 'will_supply', UTC_TIMESTAMP())`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(`UPDATE holdings SET available = 0 WHERE library_code = 'PKU'`); err != nil {
		t.Fatal(err)
	}
	if l, a := lent(); l != 0 || a != 0 {
		t.Fatalf("PKU within TTL: lent %d (want the cached 0), available %d (want the live 0)", l, a)
	}

	// Without a directory every read goes to the database.
	st.UseDirectory(0)
	if l, _ := lent(); l != 1 {
		t.Fatalf("PKU without a directory: lent %d, want 1", l)
	}
	if _, err := st.DB.Exec(`UPDATE libraries SET locale = 'zh' WHERE code = 'PKU'`); err != nil {
		t.Fatal(err)
	}
	if got := look("PKU"); got.locale != "zh" {
		t.Fatalf("no directory: %+v", got)
	}
}
