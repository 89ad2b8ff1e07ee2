package rabbitmq_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/rabbitmq"
	amqp "github.com/rabbitmq/amqp091-go"
)

// nackLog counts "publish nacked" warnings and signals the first one.
type nackLog struct {
	slog.Handler
	n     atomic.Int32
	first chan struct{}
}

func (h *nackLog) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "nacked") && h.n.Add(1) == 1 {
		close(h.first)
	}
	return nil
}
func (h *nackLog) Enabled(context.Context, slog.Level) bool { return true }

// fullQueue binds a one-message reject-publish queue to routing key rk and
// fills it, so the broker nacks every further publish to rk until purged.
func fullQueue(t *testing.T, url string, topo rabbitmq.Topology, rk string) (*amqp.Channel, string) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := topo.Declare(ch); err != nil {
		t.Fatal(err)
	}
	q := topo.Prefix + "full"
	if _, err := ch.QueueDeclare(q, false, true, false, false,
		amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"}); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q, rk, topo.Exchange(), false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.PublishWithContext(context.Background(), topo.Exchange(), rk, false, false, amqp.Publishing{Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	return ch, q
}

// A nacked publish is republished; it succeeds once the queue takes it again,
// and fails with code unavailable after the bounded number of attempts.
func TestPublishRepublishesAfterNack(t *testing.T) {
	url, topo := testenv.AMQP(t, 5)
	const rk = "test.nack"
	ch, q := fullQueue(t, url, topo, rk)

	h := &nackLog{Handler: slog.DiscardHandler, first: make(chan struct{})}
	pub := &rabbitmq.Publisher{URL: url, Topo: topo, Log: slog.New(h)}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Always full: every attempt is nacked.
	err := pub.Publish(ctx, rk, "m-1", []byte(`{}`))
	var ie *ill.Error
	if !errors.As(err, &ie) || ie.Code != ill.CodeUnavailable || !strings.Contains(ie.Message, "nack") {
		t.Fatalf("publish to a full queue: %v", err)
	}
	if got := h.n.Load(); got != 3 {
		t.Fatalf("nack warnings = %d, want 3 (one per attempt)", got)
	}

	// Room appears after the first nack: the republish is confirmed.
	h2 := &nackLog{Handler: slog.DiscardHandler, first: make(chan struct{})}
	pub2 := &rabbitmq.Publisher{URL: url, Topo: topo, Log: slog.New(h2)}
	defer pub2.Close()
	go func() {
		<-h2.first
		_, _ = ch.QueuePurge(q, false)
	}()
	if err := pub2.Publish(ctx, rk, "m-2", []byte(`{}`)); err != nil {
		t.Fatalf("publish after the queue drained: %v", err)
	}
	if h2.n.Load() < 1 {
		t.Fatal("the first attempt was not nacked: the test did not exercise a republish")
	}
	n, err := ch.QueueDeclarePassive(q, false, true, false, false,
		amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"})
	if err != nil || n.Messages != 1 {
		t.Fatalf("queue holds %d messages (%v), want exactly the republished one", n.Messages, err)
	}
}
