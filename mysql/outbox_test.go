package mysql_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// The relay is told of a commit that wrote outbox rows (and of a group's),
// never of a rollback or of a transaction that wrote none.
func TestOnOutboxCommitAfterCommitOnly(t *testing.T) {
	_, st := testenv.DB(t, "outboxkick")
	ctx := context.Background()
	var kicks atomic.Int32
	st.OnOutboxCommit(func() { kicks.Add(1) })
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
	n, err := st.PendingOutbox(ctx)
	if err != nil || n != 3 {
		t.Fatalf("pending outbox rows %d (%v), want 3 (k1, k3, k4)", n, err)
	}
}
