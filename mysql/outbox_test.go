package mysql_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// The relay is handed the rows of a commit that wrote outbox rows (a
// group's in one call), never those of a rollback, and not called for a
// transaction that wrote none.
func TestOnOutboxCommitAfterCommitOnly(t *testing.T) {
	_, st := testenv.DB(t, "outboxkick")
	ctx := context.Background()
	var kicks atomic.Int32
	var handed []string
	st.OnOutboxCommit(func(rows []ill.OutboxRow) {
		kicks.Add(1)
		for _, r := range rows {
			if r.RoutingKey != ill.MsgNotice || !strings.Contains(string(r.Body), `"id":"`+r.MessageID+`"`) {
				t.Errorf("handed row %+v: not the message enqueued", r)
			}
			handed = append(handed, r.MessageID)
		}
	})
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	msg := func(id string) ill.Message {
		return ill.Message{ID: id, Type: ill.MsgNotice, Actor: ill.SystemActor, RequestID: "ILL-K1", At: at}
	}
	expect := func(what string, want int32) {
		t.Helper()
		if got := kicks.Load(); got != want {
			t.Fatalf("%s: %d kicks, want %d", what, got, want)
		}
	}
	if err := st.InTx(ctx, func(tx *mysql.Tx) error { return tx.Enqueue(ctx, msg("k1")) }); err != nil {
		t.Fatal(err)
	}
	expect("a commit with an outbox row", 1)
	boom := errors.New("boom")
	if err := st.InTx(ctx, func(tx *mysql.Tx) error {
		if err := tx.Enqueue(ctx, msg("k2")); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("rollback: %v", err)
	}
	expect("a rollback", 1)
	if err := st.InTx(ctx, func(tx *mysql.Tx) error {
		_, err := tx.Library(ctx, "THU")
		if ill.ErrorCode(err) == ill.CodeNotFound {
			return nil
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	expect("a transaction without outbox rows", 1)
	if err := st.Group(ctx, func(gctx context.Context) error {
		for _, id := range []string{"k3", "k4"} {
			if err := st.InTx(gctx, func(tx *mysql.Tx) error { return tx.Enqueue(gctx, msg(id)) }); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	expect("a group of two", 2)
	if got := strings.Join(handed, ","); got != "k1,k3,k4" {
		t.Fatalf("handed over %s, want k1,k3,k4", got)
	}
	n, err := st.PendingOutbox(ctx)
	if err != nil || n != 3 {
		t.Fatalf("pending outbox rows %d (%v), want 3 (k1, k3, k4)", n, err)
	}
	// The poll leaves rows younger than its grace to the fast path, and
	// marking by message id makes them published for it.
	poll := func(minAge time.Duration) []string {
		var ids []string
		if _, err := st.RelayOutbox(ctx, 100, minAge, func(rows []ill.OutboxRow) ([]int64, error) {
			for _, r := range rows {
				ids = append(ids, r.MessageID)
			}
			return nil, nil // nothing confirmed: the rows stay pending
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if ids := poll(time.Hour); len(ids) != 0 {
		t.Fatalf("the poll took %v, younger than its grace", ids)
	}
	if err := st.MarkPublished(ctx, []string{"k1", "k3"}); err != nil {
		t.Fatal(err)
	}
	if ids := poll(0); strings.Join(ids, ",") != "k4" {
		t.Fatalf("after marking k1 and k3 published the poll found %v, want [k4]", ids)
	}
}
