package mysql_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// Store.Group: the InTx closures run with its context join one
// transaction, committed together; one failing closure (even when its
// caller swallows the error) leaves nothing behind.
func TestGroupCommitsAllOrNothing(t *testing.T) {
	_, st := testenv.DB(t, "group")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	mark := func(ctx context.Context, id string) error {
		return st.InTx(ctx, func(tx *mysql.Tx) error {
			first, err := tx.MarkProcessed(ctx, "test", id, at)
			if err == nil && !first {
				err = errors.New("seen before")
			}
			return err
		})
	}
	inbox := func() (n int) {
		if err := st.DB.Get(&n, `SELECT COUNT(*) FROM inbox WHERE handler = 'test'`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := st.Group(ctx, func(gctx context.Context) error {
		for _, id := range []string{"g1", "g2", "g3"} {
			if err := mark(gctx, id); err != nil {
				return err
			}
		}
		if n := inbox(); n != 0 { // another connection: nothing committed yet
			t.Errorf("inside the group, %d rows visible outside it", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := inbox(); n != 3 {
		t.Fatalf("after the group: %d inbox rows, want 3", n)
	}

	// g4 is new, g1 is not: the closure for g1 fails, and g4 is not kept.
	err := st.Group(ctx, func(gctx context.Context) error {
		if err := mark(gctx, "g4"); err != nil {
			return err
		}
		return mark(gctx, "g1")
	})
	if err == nil || inbox() != 3 {
		t.Fatalf("a failing member: err %v, %d rows (want an error and 3)", err, inbox())
	}
	// The same, with the failure swallowed by the caller.
	err = st.Group(ctx, func(gctx context.Context) error {
		_ = mark(gctx, "g5")
		_ = mark(gctx, "g2")
		return nil
	})
	if err == nil || inbox() != 3 {
		t.Fatalf("a swallowed failure: err %v, %d rows (want an error and 3)", err, inbox())
	}
	// Outside a group InTx is its own transaction again.
	if err := mark(ctx, "g5"); err != nil || inbox() != 4 {
		t.Fatalf("plain InTx: %v, %d rows", err, inbox())
	}
}

// Queued writes (events, the request row, outbox rows) reach the server in
// call order with the transaction's next statement: the transaction reads
// its own writes, they commit with it, and a queued write that fails fails
// the transaction instead of vanishing.
func TestQueuedWritesAreReadAndCommittedInOrder(t *testing.T) {
	_, st := testenv.DB(t, "queued")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU", "PKU")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	r := &ill.Request{ID: "ILL-Q1", Borrower: "THU", ClientRequestID: "q1", PatronID: "P1", Title: "书",
		State: ill.Submitted, SubmittedAt: at, UpdatedAt: at}
	if err := st.InTx(ctx, func(tx *mysql.Tx) error {
		if err := tx.LockPatron(ctx, "THU", ill.Patron{ID: "P1"}, at); err != nil {
			return err
		}
		return tx.InsertRequest(ctx, r)
	}); err != nil {
		t.Fatal(err)
	}
	err := st.InTx(ctx, func(tx *mysql.Tx) error {
		first, locked, err := tx.ClaimRequest(ctx, "requests", "m1", r.ID)
		if err != nil || !first {
			t.Fatalf("claim: first %v, err %v", first, err)
		}
		locked.State, locked.Lender = ill.Requested, "PKU"
		if err := tx.AddEvent(ctx, r.ID, "m1", ill.Event{At: at, Actor: "THU", Action: ill.ActRoute, From: ill.Submitted, To: ill.Requested}); err != nil {
			return err
		}
		if err := tx.UpdateRequest(ctx, locked); err != nil {
			return err
		}
		// A read in the same transaction sees the queued update; the same
		// message claimed again is recognised as seen.
		again, seen, err := tx.ClaimRequest(ctx, "requests", "m1", r.ID)
		if err != nil || again || seen.State != ill.Requested || seen.Lender != "PKU" {
			t.Errorf("second claim of m1: first %v, read back %+v, err %v", again, seen, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.GetRequest(ctx, r.ID)
	if err != nil || got.State != ill.Requested || got.Lender != "PKU" || len(got.Events) != 1 {
		t.Fatalf("committed: %+v, %v", got, err)
	}
	if _, _, err := func() (bool, *ill.Request, error) { // not_found comes through the multi-result read
		var first bool
		var req *ill.Request
		err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
			first, req, err = tx.ClaimRequest(ctx, "requests", "m2", "ILL-NONE")
			return err
		})
		return first, req, err
	}(); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("claim of an unknown request: %v, want not_found", err)
	}

	// A queued write that fails (an action name longer than its column,
	// refused by the strict SQL mode) makes the transaction fail, also
	// when nothing is read after it.
	err = st.InTx(ctx, func(tx *mysql.Tx) error {
		if _, _, err := tx.ClaimRequest(ctx, "requests", "m3", r.ID); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, r.ID, "m3", ill.Event{At: at, Actor: "THU", Action: ill.ActRoute, Note: "must not stay"}); err != nil {
			return err
		}
		return tx.AddEvent(ctx, r.ID, "m3", ill.Event{At: at, Actor: "THU", Action: ill.Action(strings.Repeat("x", 40))})
	})
	if err == nil {
		t.Fatal("a failing queued write was lost: the transaction committed")
	}
	var n int
	_ = st.DB.Get(&n, `SELECT COUNT(*) FROM events WHERE note = 'must not stay'`)
	var inboxed int
	_ = st.DB.Get(&inboxed, `SELECT COUNT(*) FROM inbox WHERE message_id = 'm3'`)
	if n != 0 || inboxed != 0 {
		t.Fatalf("after the failed transaction: %d events, %d inbox rows kept", n, inboxed)
	}
}

// Transactions run at READ COMMITTED although they no longer say so (the
// level is set once per connection by Open): a second plain read in the
// same transaction sees a row another transaction committed in between
// (at REPEATABLE READ, the server's default, it would not). Checked on
// several transactions, so that reused pool connections are covered too.
func TestTransactionsReadCommitted(t *testing.T) {
	_, st := testenv.DB(t, "readcommitted")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	for i, id := range []string{"ILL-RC1", "ILL-RC2", "ILL-RC3"} {
		client := "rc" + id
		err := st.InTx(ctx, func(tx *mysql.Tx) error {
			if got, err := tx.RequestState(ctx, id); ill.ErrorCode(err) != ill.CodeNotFound {
				t.Fatalf("before: %q, %v", got, err)
			}
			// Another transaction (another connection) commits the row.
			if err := st.InTx(context.Background(), func(other *mysql.Tx) error {
				if err := other.LockPatron(ctx, "THU", ill.Patron{ID: "P1"}, at); err != nil {
					return err
				}
				return other.InsertRequest(ctx, &ill.Request{ID: id, Borrower: "THU", ClientRequestID: client,
					PatronID: "P1", Title: "书", State: ill.Submitted, SubmittedAt: at, UpdatedAt: at})
			}); err != nil {
				return err
			}
			got, err := tx.RequestState(ctx, id)
			if err != nil && ill.ErrorCode(err) != ill.CodeNotFound {
				return err
			}
			if got != ill.Submitted {
				t.Errorf("transaction %d: the row committed meanwhile is not seen (%q, %v): not READ COMMITTED", i, got, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The transaction pool's sessions run with autocommit off: every path out
// of InTx (commit, an error, a panic) must end the transaction, or the
// connection would go back to the pool holding its locks. After each, the
// row the transaction locked can be changed at once from elsewhere.
func TestTransactionPoolEndsEveryTransaction(t *testing.T) {
	_, st := testenv.DB(t, "txpoolend")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	var id int64
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		id, _, err = tx.AddNotice(ctx, ill.Notice{RequestID: "ILL-TP1", Kind: "arrived", Library: "THU", Locale: "zh",
			Subject: "到书", Body: "到书", At: at})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	free := func(how string) {
		t.Helper()
		// A plain UPDATE from the other pool, waiting at most 1 s for the
		// row lock.
		conn, err := st.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SET SESSION innodb_lock_wait_timeout = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `UPDATE notices SET attempts = attempts + 1 WHERE id = ?`, id); err != nil {
			t.Fatalf("after %s the notice is still locked: %v", how, err)
		}
	}
	lock := func(tx *mysql.Tx) error { _, err := tx.LockNotice(ctx, id); return err }
	// Every connection of the pool in turn: several transactions at once.
	for round := 0; round < 3; round++ {
		if err := st.InTx(ctx, lock); err != nil {
			t.Fatal(err)
		}
		free("a commit")
		boom := errors.New("boom")
		if err := st.InTx(ctx, func(tx *mysql.Tx) error {
			if err := lock(tx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("rollback: %v", err)
		}
		free("an error")
		func() {
			defer func() { _ = recover() }()
			_ = st.InTx(ctx, func(tx *mysql.Tx) error {
				if err := lock(tx); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		free("a panic")
	}
}

// A request inserted again under a stored id (a repeated submit) fails the
// transaction with mysql.ErrRequestExists, whether the queued insert
// reaches the server with a later statement or with the commit, and
// nothing of that transaction stays.
func TestRepeatedRequestInsertIsErrRequestExists(t *testing.T) {
	_, st := testenv.DB(t, "requestexists")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	r := &ill.Request{ID: "ILL-X1", Borrower: "THU", ClientRequestID: "x1", PatronID: "P1", Title: "书",
		State: ill.Submitted, SubmittedAt: at, UpdatedAt: at}
	insert := func(then func(tx *mysql.Tx) error) error {
		return st.InTx(ctx, func(tx *mysql.Tx) error {
			if err := tx.LockPatron(ctx, "THU", ill.Patron{ID: "P1"}, at); err != nil {
				return err
			}
			if err := tx.InsertRequest(ctx, r); err != nil {
				return err
			}
			if err := tx.AddEvent(ctx, r.ID, "m-x1", ill.Event{At: at, Actor: "THU", Action: ill.ActSubmit, To: ill.Submitted}); err != nil {
				return err
			}
			return then(tx)
		})
	}
	if err := insert(func(*mysql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	events := func() int {
		var n int
		if err := st.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM events WHERE request_id = ?`, r.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	cases := map[string]func(tx *mysql.Tx) error{
		"at the commit": func(*mysql.Tx) error { return nil },
		"at the next statement": func(tx *mysql.Tx) error {
			_, err := tx.RequestState(ctx, r.ID)
			if !errors.Is(err, mysql.ErrRequestExists) {
				t.Errorf("the read after the insert: %v, want ErrRequestExists", err)
			}
			return err
		},
	}
	for name, then := range cases {
		if err := insert(then); !errors.Is(err, mysql.ErrRequestExists) {
			t.Errorf("%s: %v, want ErrRequestExists", name, err)
		}
	}
	if n := events(); n != 1 {
		t.Errorf("%d timeline lines, want the first transaction's one", n)
	}
}

// A queued notice is stored once per (request, kind, step) with the
// reader's registered address, and its delivery message names it by key,
// once in the outbox however often it is queued.
func TestQueueNoticeByKey(t *testing.T) {
	_, st := testenv.DB(t, "queuenotice")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO patrons (library_code, patron_id, name, email, deposit_paid, updated_at)
		VALUES ('THU', 'R1', '读者', 'r1@thu.edu.cn', 0, ?)`, at); err != nil {
		t.Fatal(err)
	}
	n := ill.Notice{RequestID: "ILL-QN1", Kind: ill.NoticeArrived, Step: 2, Library: "THU", PatronID: "r1", ReaderOf: "THU",
		Locale: "zh", Subject: "到书", Body: "到书", At: at}
	for range 2 {
		if err := st.InTx(ctx, func(tx *mysql.Tx) error { return tx.QueueNotice(ctx, n) }); err != nil {
			t.Fatal(err)
		}
	}
	ref := ill.NoticeRef{RequestID: n.RequestID, Kind: n.Kind, Step: n.Step}
	got, err := st.NoticeByKey(ctx, ref)
	if err != nil || got.Recipient != "r1@thu.edu.cn" || got.Status != ill.NoticePending || got.Step != 2 {
		t.Fatalf("notice by key: %+v, %v", got, err)
	}
	var rows []struct {
		MessageID string `db:"message_id"`
		Body      []byte `db:"body"`
	}
	if err := st.DB.SelectContext(ctx, &rows, `SELECT message_id, body FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].MessageID != ref.MessageID() {
		t.Fatalf("outbox %v, want one message %s", rows, ref.MessageID())
	}
	var m ill.Message
	var back ill.NoticeRef
	if err := json.Unmarshal(rows[0].Body, &m); err != nil || json.Unmarshal(m.Body, &back) != nil || back != ref || !back.ByKey() {
		t.Fatalf("message body %s names %+v, want %+v", rows[0].Body, back, ref)
	}
	if _, err := st.NoticeByKey(ctx, ill.NoticeRef{RequestID: "ILL-QN1", Kind: ill.NoticeArrived, Step: 3}); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("unknown key: %v, want not_found", err)
	}
}
