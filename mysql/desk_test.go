package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// A deposit change is stored with its audit row (who, when, the card as
// registered); setting the same status again changes nothing and writes
// no row; an unknown reader is not_found.
func TestSetDepositKeepsAnAuditRow(t *testing.T) {
	_, st := testenv.DB(t, "deskdeposit")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	if err := st.PutReader(ctx, ill.Reader{Library: "THU", ID: "T001", Name: "张三"}, at); err != nil {
		t.Fatal(err)
	}
	if changed, err := st.SetDeposit(ctx, "THU", "t001", true, "wang", at.Add(time.Hour)); err != nil || !changed {
		t.Fatalf("SetDeposit: %v %v", changed, err)
	}
	if r, _ := st.Reader(ctx, "THU", "T001"); !r.DepositPaid {
		t.Fatal("deposit not stored")
	}
	if changed, err := st.SetDeposit(ctx, "THU", "T001", true, "li", at.Add(2*time.Hour)); err != nil || changed {
		t.Fatalf("SetDeposit to the same status: %v %v", changed, err)
	}
	if changed, err := st.SetDeposit(ctx, "THU", "T001", false, "li", at.Add(3*time.Hour)); err != nil || !changed {
		t.Fatalf("SetDeposit back: %v %v", changed, err)
	}
	got, err := st.DepositChanges(ctx, "THU", "T001", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []ill.DepositChange{
		{Library: "THU", PatronID: "T001", Paid: false, By: "li", At: at.Add(3 * time.Hour)},
		{Library: "THU", PatronID: "T001", Paid: true, By: "wang", At: at.Add(time.Hour)},
	}
	if len(got) != len(want) {
		t.Fatalf("changes %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Paid != want[i].Paid || got[i].By != want[i].By || !got[i].At.Equal(want[i].At) || got[i].PatronID != want[i].PatronID {
			t.Fatalf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := st.SetDeposit(ctx, "PKU", "T001", true, "x", at); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("another library's reader: %v, want not_found", err)
	}
	if got, _ := st.DepositChanges(ctx, "PKU", "T001", 10); len(got) != 0 {
		t.Fatalf("another library's changes: %+v", got)
	}
}

func putRequestRow(t *testing.T, st *mysql.Store, id, borrower, patron, lender, barcode string, state ill.State, updated time.Time) {
	t.Helper()
	if _, err := st.DB.Exec(`INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state, lender,
		item_barcode, submitted_at, updated_at) VALUES (?, ?, ?, ?, '书', ?, ?, ?, ?, ?)`,
		id, borrower, "c-"+id, patron, string(state), lender, barcode, updated, updated); err != nil {
		t.Fatal(err)
	}
}

// RequestsByBarcode finds the requests carrying a barcode that the library
// borrows or lends (every library's for ""), most recently updated
// first; ActiveRequestCount counts only the states of R3.
func TestRequestsByBarcodeAndActiveCount(t *testing.T) {
	_, st := testenv.DB(t, "deskbarcode")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	putRequestRow(t, st, "ILL-OLD", "THU", "T1", "PKU", "PKU0001", ill.Completed, at)
	putRequestRow(t, st, "ILL-LIVE", "THU", "T1", "PKU", "PKU0001", ill.Shipped, at.Add(time.Hour))
	putRequestRow(t, st, "ILL-OTHER", "RUC", "R1", "BNU", "PKU0001", ill.Shipped, at.Add(2*time.Hour))
	putRequestRow(t, st, "ILL-X", "THU", "T1", "PKU", "PKU0002", ill.Requested, at)
	ids := func(rs []*ill.Request) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		lib  string
		want []string
	}{
		{"THU", []string{"ILL-LIVE", "ILL-OLD"}},
		{"PKU", []string{"ILL-LIVE", "ILL-OLD"}},
		{"RUC", []string{"ILL-OTHER"}},
		{"BFSU", nil},
		{"", []string{"ILL-OTHER", "ILL-LIVE", "ILL-OLD"}},
	} {
		got, err := st.RequestsByBarcode(ctx, "pku0001", c.lib, 10)
		if err != nil || len(ids(got)) != len(c.want) || (len(c.want) > 0 && ids(got)[0] != c.want[0]) {
			t.Fatalf("%q: %v %v, want %v", c.lib, ids(got), err, c.want)
		}
		for i := range c.want {
			if ids(got)[i] != c.want[i] {
				t.Fatalf("%q: %v, want %v", c.lib, ids(got), c.want)
			}
		}
	}
	if got, _ := st.RequestsByBarcode(ctx, "PKU0001", "THU", 1); len(got) != 1 || got[0].State != ill.Shipped {
		t.Fatalf("limit 1: %v", ids(got))
	}
	if n, err := st.ActiveRequestCount(ctx, "THU", "t1"); err != nil || n != 2 {
		t.Fatalf("active count: %d %v, want 2 (SHIPPED and REQUESTED)", n, err)
	}
}

// A request's notices are listed oldest first, filtered to one library's;
// a reader's notices newest first, paged, never another reader's.
func TestNoticeLogReads(t *testing.T) {
	_, st := testenv.DB(t, "desknotices")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	add := func(req, kind, lib, patron string, step int, when time.Time) {
		if err := st.InTx(ctx, func(tx *mysql.Tx) error {
			_, _, err := tx.AddNotice(ctx, ill.Notice{RequestID: req, Kind: kind, Step: step, Library: lib, PatronID: patron,
				Locale: "zh", Subject: kind, Body: kind, At: when})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("ILL-A", ill.NoticeNewRequest, "PKU", "", 1, at)
	add("ILL-A", ill.NoticeArrived, "THU", "T1", 0, at.Add(time.Hour))
	add("ILL-A", ill.NoticeCourtesy, "THU", "T1", 0, at.Add(2*time.Hour))
	add("ILL-B", ill.NoticeArrived, "THU", "T2", 0, at.Add(3*time.Hour))
	all, err := st.RequestNotices(ctx, "ILL-A", "")
	if err != nil || len(all) != 3 || all[0].Kind != ill.NoticeNewRequest || all[2].Kind != ill.NoticeCourtesy {
		t.Fatalf("all notices of ILL-A: %+v %v", all, err)
	}
	if thu, _ := st.RequestNotices(ctx, "ILL-A", "THU"); len(thu) != 2 || thu[0].Kind != ill.NoticeArrived {
		t.Fatalf("THU's notices of ILL-A: %+v", thu)
	}
	if pku, _ := st.RequestNotices(ctx, "ILL-A", "PKU"); len(pku) != 1 || pku[0].Kind != ill.NoticeNewRequest {
		t.Fatalf("PKU's notices of ILL-A: %+v", pku)
	}
	p1, total, err := st.ReaderNotices(ctx, "THU", "t1", 1, 1)
	if err != nil || total != 2 || len(p1) != 1 || p1[0].Kind != ill.NoticeCourtesy {
		t.Fatalf("T1 page 1: %+v %d %v", p1, total, err)
	}
	if p2, _, _ := st.ReaderNotices(ctx, "THU", "T1", 2, 1); len(p2) != 1 || p2[0].Kind != ill.NoticeArrived {
		t.Fatalf("T1 page 2: %+v", p2)
	}
	if other, total, _ := st.ReaderNotices(ctx, "PKU", "T1", 1, 10); len(other) != 0 || total != 0 {
		t.Fatalf("PKU's reader T1: %+v", other)
	}
	if lib, total, _ := st.ReaderNotices(ctx, "PKU", "", 1, 10); len(lib) != 0 || total != 0 {
		t.Fatalf("the empty card lists the library's own notices: %+v", lib)
	}
}
