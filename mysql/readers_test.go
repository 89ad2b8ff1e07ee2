package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// A registered reader reads back as ill.Reader; registering again without
// a PIN or a category keeps the stored ones; SetReaderCategory changes the
// category (not_found for an unknown reader); an unknown card is not_found.
func TestReaderRoundTrip(t *testing.T) {
	_, st := testenv.DB(t, "readers")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	want := ill.Reader{Library: "THU", ID: "THU2024001", Name: "张三", Email: "z@example.edu.cn", DepositPaid: true, PINHash: "h1",
		Category: ill.CategoryFaculty}
	if err := st.PutReader(ctx, want, at); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Reader(ctx, "THU", "thu2024001"); err != nil || got != want {
		t.Fatalf("Reader: %+v %v, want %+v", got, err, want)
	}
	again := want
	again.Name, again.DepositPaid, again.PINHash, again.Category = "张三丰", false, "", ""
	if err := st.PutReader(ctx, again, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	again.PINHash, again.Category = "h1", ill.CategoryFaculty
	if got, err := st.Reader(ctx, "THU", "THU2024001"); err != nil || got != again {
		t.Fatalf("Reader after update without PIN: %+v %v, want %+v", got, err, again)
	}
	for _, c := range []ill.ReaderCategory{ill.CategoryUndergraduate, ill.CategoryUndergraduate} { // the second changes nothing
		if err := st.SetReaderCategory(ctx, "thu", "thu2024001", c); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.Reader(ctx, "THU", "THU2024001"); err != nil || got.Category != ill.CategoryUndergraduate {
		t.Fatalf("category after SetReaderCategory: %+v %v", got, err)
	}
	if err := st.SetReaderCategory(ctx, "THU", "NOBODY", ill.CategoryFaculty); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("unknown reader's category: %v", err)
	}
	if got, err := st.Reader(ctx, "PKU", "THU2024001"); ill.ErrorCode(err) != ill.CodeNotFound || got != (ill.Reader{}) {
		t.Fatalf("other library's card: %+v %v, want not_found", got, err)
	}
}

// The Store's own statements (outside InTx, which classifies for its
// closures) answer a lost database with code unavailable themselves, so
// no caller needs to classify their errors.
func TestStoreStatementsClassifyUnavailable(t *testing.T) {
	st, err := mysql.Open("root:@tcp(127.0.0.1:1)/illhub_nowhere?timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now()
	calls := map[string]func() error{
		"PutReader": func() error { return st.PutReader(ctx, ill.Reader{Library: "THU", ID: "1"}, now) },
		"Reader":    func() error { _, err := st.Reader(ctx, "THU", "1"); return err },
		"PutStaff":  func() error { return st.PutStaff(ctx, ill.Staff{Library: "THU", Username: "a"}) },
		"StaffUser": func() error { _, err := st.StaffUser(ctx, "THU", "a"); return err },
		"AddSession": func() error {
			return st.AddSession(ctx, ill.Session{IDHash: "x", CreatedAt: now, ExpiresAt: now})
		},
		"SessionByHash":    func() error { _, err := st.SessionByHash(ctx, "x", now); return err },
		"DeleteSession":    func() error { return st.DeleteSession(ctx, "x") },
		"DeleteSessionsOf": func() error { _, err := st.DeleteSessionsOf(ctx, "staff", "THU", "a"); return err },
		"ill.Notice":       func() error { _, err := st.Notice(ctx, 1); return err },
		"PurgeOutbox":      func() error { _, err := st.PurgeOutbox(ctx, now); return err },
		"OldestOutboxAge":  func() error { _, err := st.OldestOutboxAge(ctx); return err },
		"PendingOutbox":    func() error { _, err := st.PendingOutbox(ctx); return err },
		"PurgeInbox":       func() error { _, err := st.PurgeInbox(ctx, now); return err },
		"RelayOutbox": func() error {
			_, err := st.RelayOutbox(ctx, 1, 0, func([]ill.OutboxRow) ([]int64, error) { return nil, nil })
			return err
		},
	}
	for name, call := range calls {
		if err := call(); ill.ErrorCode(err) != ill.CodeUnavailable {
			t.Errorf("%s: %v, want code unavailable", name, err)
		}
	}
}
