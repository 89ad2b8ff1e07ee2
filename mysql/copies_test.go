package mysql_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// Downloads are counted up to the limit even when they race; an expired or
// deleted file counts none; the expiry list and the deletion mark are
// once-only.
func TestCopyFileDownloads(t *testing.T) {
	_, st := testenv.DB(t, "copies")
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	f := ill.CopyFile{ID: ill.NewFileID(), RequestID: "ILL-0000000000000001", Library: "PKU", Key: "copies/x/f.pdf",
		Size: 10, Pages: 3, SHA256: "ab", UploadedBy: "PKU/li", UploadedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.AddCopyFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, expired := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.CountDownload(ctx, f.ID, 5, now)
			mu.Lock()
			defer mu.Unlock()
			switch ill.ErrorCode(err) {
			case "":
				ok++
			case ill.CodeLinkExpired:
				expired++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 5 || expired != 3 {
		t.Fatalf("8 racing downloads with a limit of 5: %d counted, %d refused", ok, expired)
	}
	got, err := st.CopyFile(ctx, f.ID)
	if err != nil || got.Downloads != 5 || got.Pages != 3 || got.UploadedBy != "PKU/li" {
		t.Fatalf("file after: %+v %v", got, err)
	}
	if _, err := st.CountDownload(ctx, "F000000000000000000000", 5, now); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("unknown file: %v", err)
	}

	g := f
	g.ID, g.ExpiresAt = ill.NewFileID(), now.Add(time.Minute)
	if err := st.AddCopyFile(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CountDownload(ctx, g.ID, 5, now.Add(time.Minute)); ill.ErrorCode(err) != ill.CodeLinkExpired {
		t.Fatalf("download at expiry: %v", err)
	}
	due, err := st.ExpiredCopyFiles(ctx, now.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != g.ID {
		t.Fatalf("expired files: %+v %v", due, err)
	}
	if won, err := st.MarkCopyFileDeleted(ctx, g.ID, now.Add(2*time.Minute)); !won || err != nil {
		t.Fatalf("first mark: %v %v", won, err)
	}
	if won, err := st.MarkCopyFileDeleted(ctx, g.ID, now.Add(3*time.Minute)); won || err != nil {
		t.Fatalf("second mark: %v %v", won, err)
	}
	if due, _ := st.ExpiredCopyFiles(ctx, now.Add(time.Hour), 10); len(due) != 1 || due[0].ID != f.ID {
		t.Fatalf("a deleted file is listed again: %+v", due)
	}
	files, err := st.CopyFilesOf(ctx, f.RequestID)
	deleted := 0
	for _, x := range files {
		if x.Deleted() != (x.ID == g.ID) {
			t.Errorf("file %s deleted %v", x.ID, x.Deleted())
		}
		if x.Deleted() {
			deleted++
		}
	}
	if err != nil || len(files) != 2 || deleted != 1 {
		t.Fatalf("files of the request: %+v %v", files, err)
	}
}

// A supplier's copy price and the centre's subsidy rules are kept with
// their history; the fee facts read in a transaction combine them with the
// reader's category; a fee is booked once per request and listed by
// either party's library and month.
func TestCopyPricesAndFees(t *testing.T) {
	_, st := testenv.DB(t, "copyfees")
	ctx := context.Background()
	testenv.Libraries(t, st, "PKU", "THU")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	if p, err := st.CopyPrice(ctx, "PKU"); err != nil || p != (ill.CopyPrice{Unit: ill.PerPage}) {
		t.Fatalf("default price %+v %v", p, err)
	}
	ch, err := st.SetCopyPrice(ctx, "PKU", ill.CopyPrice{Unit: ill.PerPage, PriceFen: 30}, "PKU/admin", at)
	if err != nil || len(ch) != 1 || ch[0].Field != ill.FeeCopyPrice || ch[0].Old != "0" || ch[0].New != "30" {
		t.Fatalf("set price: %+v %v", ch, err)
	}
	if ch, _ := st.SetCopyPrice(ctx, "PKU", ill.CopyPrice{Unit: ill.PerPage, PriceFen: 30}, "PKU/admin", at); len(ch) != 0 {
		t.Fatalf("the same price recorded changes: %+v", ch)
	}
	if _, err := st.SetCopyPrice(ctx, "NOPE", ill.CopyPrice{Unit: ill.PerPage}, "x", at); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("unknown library: %v", err)
	}
	if err := st.SetSubsidyRule(ctx, ill.SubsidyRule{Category: ill.CategoryPostgraduate, Kind: ill.SubsidyShare, Value: 50}, "CENTRE/a", at); err != nil {
		t.Fatal(err)
	}
	h, err := st.FeeHistory(ctx, "", 10)
	if err != nil || len(h) != 2 {
		t.Fatalf("history %+v %v", h, err)
	}
	if _, err := st.DB.ExecContext(ctx, `UPDATE patrons SET category = 'postgraduate' WHERE library_code = 'THU' AND patron_id = 'R1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO patrons (library_code, patron_id, updated_at, category) VALUES ('THU', 'R1', NOW(), 'postgraduate')`); err != nil {
		t.Fatal(err)
	}
	var fee ill.CopyFee
	err = st.InTx(ctx, func(tx *mysql.Tx) error {
		p, cat, rules, err := tx.CopyFeeFacts(ctx, "PKU", "THU", "R1")
		if err != nil {
			return err
		}
		fee = ill.PriceCopy(p, ill.SubsidyFor(rules, cat), 12)
		fee.RequestID, fee.Supplier, fee.Borrower, fee.PatronID, fee.CreatedAt = "ILL-0000000000000002", "PKU", "THU", "R1", at
		if ok, err := tx.AddCopyFee(ctx, fee); !ok || err != nil {
			t.Errorf("first booking: %v %v", ok, err)
		}
		if ok, err := tx.AddCopyFee(ctx, fee); ok || err != nil {
			t.Errorf("second booking: %v %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fee.Category != ill.CategoryPostgraduate || fee.ChargeFen != 360 || fee.SubsidyFen != 180 || fee.ReaderFen != 180 {
		t.Fatalf("fee %+v", fee)
	}
	march := ill.Date{Year: 2026, Month: 3, Day: 1}
	for _, c := range []struct {
		q    ill.CopyFeeQuery
		want int
	}{
		{ill.CopyFeeQuery{Library: "PKU", From: march, To: march.AddDays(30)}, 1},
		{ill.CopyFeeQuery{Library: "THU"}, 1},
		{ill.CopyFeeQuery{Library: "RUC"}, 0},
		{ill.CopyFeeQuery{From: march.AddDays(31)}, 0},
	} {
		got, err := st.CopyFeeList(ctx, c.q)
		if err != nil || len(got) != c.want {
			t.Errorf("%+v: %d fees %v", c.q, len(got), err)
		}
		if len(got) == 1 && (got[0].ChargeFen != 360 || got[0].Category != ill.CategoryPostgraduate) {
			t.Errorf("listed %+v", got[0])
		}
	}
}
