package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// LockNotice reads and locks a notice; an unknown notice is not_found.
func TestLockNoticeAndNotFound(t *testing.T) {
	_, st := testenv.DB(t, "locknotice")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	var id int64
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		id, _, err = tx.AddNotice(ctx, ill.Notice{RequestID: "ILL-N1", Kind: "arrived", Library: "THU", Locale: "zh",
			Subject: "到书", Body: "到书", At: at})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	lock := func(nid int64) (n *ill.StoredNotice, err error) {
		err = st.InTx(ctx, func(tx *mysql.Tx) (err error) {
			n, err = tx.LockNotice(ctx, nid)
			return err
		})
		return n, err
	}
	if n, err := lock(id); err != nil || n.ID != id || n.Kind != "arrived" || n.Status != ill.NoticePending {
		t.Fatalf("lock: %+v %v", n, err)
	}
	if _, err := lock(id + 100); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("unknown notice: %v, want not_found", err)
	}
}

// A delivery round's outcome reads back as the typed status; sent_at is
// NULL (the zero time) until the status is sent, then the round's time.
func TestNoticeOutcomeReadsBack(t *testing.T) {
	_, st := testenv.DB(t, "noticeoutcome")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	var id int64
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		id, _, err = tx.AddNotice(ctx, ill.Notice{RequestID: "ILL-N2", Kind: ill.NoticeArrived, Library: "THU",
			PatronID: "THU2024001", Recipient: "r@example.edu.cn", Locale: "zh", Subject: "到书", Body: "到书", At: at})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rounds := []struct {
		o        ill.NoticeOutcome
		at       time.Time
		attempts int
		sentAt   time.Time
	}{
		{ill.NoticeOutcome{Status: ill.NoticePending, Attempted: true, DeliveredVia: "email", LastError: "webhook: 500"},
			at.Add(time.Minute), 1, time.Time{}},
		{ill.NoticeOutcome{Status: ill.NoticeSent, Attempted: true, DeliveredVia: "email,webhook"},
			at.Add(2 * time.Minute), 2, at.Add(2 * time.Minute)},
	}
	for _, r := range rounds {
		if err := st.InTx(ctx, func(tx *mysql.Tx) error {
			if _, err := tx.LockNotice(ctx, id); err != nil {
				return err
			}
			return tx.RecordNoticeOutcome(ctx, id, r.o, r.at)
		}); err != nil {
			t.Fatal(err)
		}
		n, err := st.Notice(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if n.Status != r.o.Status || n.Attempts != r.attempts || n.DeliveredVia != r.o.DeliveredVia ||
			n.LastError != r.o.LastError || !n.SentAt.Equal(r.sentAt) || n.PatronID != "THU2024001" || !n.CreatedAt.Equal(at) {
			t.Errorf("after %s: %+v", r.o.Status, n)
		}
	}
}

// A notice to a reader stored with ReaderOf and no address takes the
// reader's registered address (matched without case, as every card is);
// an unknown reader's notice is stored with none.
func TestReaderNoticeTakesTheRegisteredAddress(t *testing.T) {
	_, st := testenv.DB(t, "readernotice")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	var ids [2]int64
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		if err := tx.LockPatron(ctx, "THU", ill.Patron{ID: "P7", Email: "p7@thu.example"}, at); err != nil {
			return err
		}
		for i, patron := range []string{"p7", "P8"} {
			if ids[i], _, err = tx.AddNotice(ctx, ill.Notice{RequestID: "ILL-R" + patron, Kind: "arrived", Library: "THU",
				PatronID: patron, ReaderOf: "THU", Locale: "zh", Subject: "到书", Body: "到书", At: at}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"p7@thu.example", ""} {
		var n *ill.StoredNotice
		if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
			n, err = tx.LockNotice(ctx, ids[i])
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n.Recipient != want {
			t.Errorf("notice %d: recipient %q, want %q", i, n.Recipient, want)
		}
	}
}
