package mysql_test

import (
	"context"
	"fmt"
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
			cs, _, err := tx.Candidates(ctx, rec, "THU", time.Now())
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

// The member rows read back as written: a new library with the defaults
// of ill.Library.WithDefaults, its ISO 18626 registration (an empty value
// keeps the stored one), and its ISO 18626 messages, whose SentAt stays
// zero until a delivery succeeds.
func TestMemberRowsRoundTrip(t *testing.T) {
	_, st := testenv.DB(t, "members")
	ctx := context.Background()
	if err := st.AddLibrary(ctx, ill.Library{Code: "ZZU", NameZH: "郑大", Lending: true}); err != nil {
		t.Fatal(err)
	}
	l, err := st.Library(ctx, "ZZU")
	if err != nil {
		t.Fatal(err)
	}
	if l.CreatedAt.IsZero() {
		t.Error("created_at not read")
	}
	l.CreatedAt = time.Time{}
	want := (ill.Library{Code: "ZZU", NameZH: "郑大", Lending: true}).WithDefaults()
	want.CourierDays = "mon,tue,wed,thu,fri" // the column's default: AddLibrary does not write it
	// the copy settings' column defaults (ill.DefaultCopyTerms), set with SetCopyTerms
	want.CopyRespondDays, want.CopyDeliverDays, want.CopyLimit = 1, 3, 10
	if *l != want {
		t.Fatalf("read %+v, want %+v", *l, want)
	}
	if err := st.SetCopyTerms(ctx, "ZZU", ill.CopyTerms{RespondDays: 2, DeliverDays: 5, Limit: 4}); err != nil {
		t.Fatal(err)
	}
	if l, err = st.Library(ctx, "ZZU"); err != nil || l.CopyTerms() != (ill.CopyTerms{RespondDays: 2, DeliverDays: 5, Limit: 4}) {
		t.Fatalf("copy terms %+v, %v", l, err)
	}
	if err := st.SetCopyTerms(ctx, "NOPE", ill.DefaultCopyTerms); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("copy terms of a stranger: %v", err)
	}
	l.CreatedAt = time.Time{}
	want.CopyRespondDays, want.CopyDeliverDays, want.CopyLimit = 2, 5, 4
	if *l != want {
		t.Fatalf("read %+v, want %+v", *l, want)
	}
	if ls, err := st.Libraries(ctx); err != nil || len(ls) != 1 || ls[0].Code != "ZZU" || ls[0].LoanMonths != 1 {
		t.Fatalf("Libraries: %+v, %v", ls, err)
	}

	closed := true
	if err := st.SetISO(ctx, ill.ISORegistration{Code: "ZZU", Endpoint: "https://zzu.example/iso", Secret: "s", ClosedNetwork: &closed}); err != nil {
		t.Fatal(err)
	}
	wantISO := ill.ISOMember{Code: "ZZU", Symbol: "ZZU", Endpoint: "https://zzu.example/iso", SecretHash: ill.HashKey("s"), ClosedNetwork: true}
	for name, get := range map[string]func() (*ill.ISOMember, error){
		"by code":   func() (*ill.ISOMember, error) { return st.ISOMember(ctx, "ZZU") },
		"by symbol": func() (*ill.ISOMember, error) { return st.ISOMemberBySymbol(ctx, "zzu") },
	} {
		if m, err := get(); err != nil || *m != wantISO {
			t.Errorf("ISO member %s: %+v, %v; want %+v", name, m, err, wantISO)
		}
	}
	if err := st.SetISO(ctx, ill.ISORegistration{Code: "NOPE", Symbol: "NOPE"}); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Errorf("registering an unknown library: %v, want not_found", err)
	}

	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var id int64
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		id, err = tx.AddISOMessage(ctx, ill.ISOMessage{RequestID: "ILL-R", Direction: "out", LibraryCode: "ZZU",
			Kind: "request", Summary: "request", Body: "<r/>", Status: ill.ISOPending, CreatedAt: at})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.LogISOMessage(ctx, ill.ISOMessage{RequestID: "ILL-R", Direction: "in", LibraryCode: "ZZU",
		Kind: "supplyingAgencyMessage", Body: "<s/>", Status: ill.ISOInOK, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	ms, err := st.ISOMessages(ctx, "ILL-R")
	if err != nil || len(ms) != 2 {
		t.Fatalf("messages %+v, %v", ms, err)
	}
	if m := ms[0]; m.ID != id || m.Status != ill.ISOPending || !m.SentAt.IsZero() || !m.CreatedAt.Equal(at) || m.Direction != "out" {
		t.Fatalf("pending outbound: %+v", m)
	}
	if m := ms[1]; m.Status != ill.ISOInOK || !m.SentAt.IsZero() || m.Direction != "in" {
		t.Fatalf("inbound: %+v", m)
	}
	sent := at.Add(time.Minute)
	if err := st.InTx(ctx, func(tx *mysql.Tx) error {
		if p, err := tx.LockPendingISO(ctx, "ILL-R", "ZZU"); err != nil || len(p) != 1 || p[0].ID != id {
			t.Fatalf("pending %+v, %v", p, err)
		}
		if m, err := st.ISOMessage(ctx, id); err != nil || m.LibraryCode != "ZZU" {
			t.Fatalf("message %d: %+v, %v", id, m, err)
		}
		return tx.RecordISOOutcome(ctx, id, ill.ISOSent, "", sent)
	}); err != nil {
		t.Fatal(err)
	}
	ms, err = st.ISOMessages(ctx, "ILL-R")
	if err != nil || ms[0].Status != ill.ISOSent || ms[0].Attempts != 1 || !ms[0].SentAt.Equal(sent) {
		t.Fatalf("after delivery: %+v, %v", ms[0], err)
	}

	// A key's RevokedAt stays zero while it is active.
	by := ill.AuditActor{Name: "test", At: at}
	var ids [2]int64
	for i := range ids {
		if ids[i], err = st.IssueKey(ctx, ill.KeyGrant{Owner: "ZZU", Key: fmt.Sprint("key-", i), Label: "k"}, by); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RevokeKeys(ctx, "ZZU", ids[0], by); err != nil {
		t.Fatal(err)
	}
	ks, err := st.Keys(ctx, "ZZU")
	if err != nil || len(ks) != 2 || ks[0].ID != ids[0] || !ks[0].RevokedAt.Equal(at) || !ks[1].RevokedAt.IsZero() ||
		ks[1].CreatedAt.IsZero() || ks[1].Owner != "ZZU" || ks[1].Label != "k" {
		t.Fatalf("keys %+v, %v", ks, err)
	}
}

// Every transition asks which of its libraries speak NCIP: the answer
// comes from the directory (no statement), a registration through the
// store is seen at once, one behind its back after TTL.
func TestDirectoryServesNCIPRegistrations(t *testing.T) {
	_, st := testenv.DB(t, "dirncip")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU", "PKU")
	st.UseDirectory(time.Hour)
	members := func() map[string]*ill.NCIPMember {
		t.Helper()
		var out map[string]*ill.NCIPMember
		if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
			out, err = tx.NCIPMembers(ctx, "thu", "PKU", "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if m := members(); len(m) != 0 {
		t.Fatalf("no registrations yet, got %v", m)
	}
	if err := st.SetNCIP(ctx, ill.NCIPRegistration{Code: "THU", Endpoint: "http://ils.thu/ncip"}); err != nil {
		t.Fatal(err)
	}
	if m := members(); len(m) != 1 || m["THU"] == nil || m["THU"].Endpoint != "http://ils.thu/ncip" {
		t.Fatalf("after SetNCIP through the store: %v", m)
	}
	if _, err := st.DB.Exec(`UPDATE ncip_members SET endpoint = 'http://elsewhere/ncip' WHERE library_code = 'THU'`); err != nil {
		t.Fatal(err)
	}
	if m := members(); m["THU"].Endpoint != "http://ils.thu/ncip" {
		t.Fatalf("changed behind the cache's back, read within TTL: %v", m["THU"])
	}
	st.UseDirectory(time.Hour) // a new snapshot, as after the TTL
	if m := members(); m["THU"].Endpoint != "http://elsewhere/ncip" {
		t.Fatalf("after the TTL: %v", m["THU"])
	}
}
