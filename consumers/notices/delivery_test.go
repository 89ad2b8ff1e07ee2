package notices_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/consumers/notices"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/notify"
	"github.com/balis/illhub/rabbitmq"
)

// scripted is a Notifier whose sends fail as planned per channel.
type scripted struct {
	attempts int
	channels []notify.Channel
	mu       sync.Mutex
	plan     map[notify.Channel][]error // next results; nil = success (when the plan runs out too)
	sent     map[notify.Channel]int
}

func (s *scripted) Channels(notify.Notice) []notify.Channel { return s.channels }
func (s *scripted) MaxAttempts() int                        { return s.attempts }
func (s *scripted) Send(_ context.Context, ch notify.Channel, _ notify.Notice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent == nil {
		s.sent = map[notify.Channel]int{}
	}
	s.sent[ch]++
	if p := s.plan[ch]; len(p) > 0 {
		s.plan[ch] = p[1:]
		return p[0]
	}
	return nil
}

type noticeEnv struct {
	t  *testing.T
	st *mysql.Store
	p  *notices.Pool
	n  int
}

func newNoticeEnv(t *testing.T) *noticeEnv {
	_, st := testenv.DB(t, "notices")
	testenv.Libraries(t, st, "THU")
	p := &notices.Pool{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return &noticeEnv{t: t, st: st, p: p}
}

// notice stores a new notice and returns its delivery message.
func (e *noticeEnv) notice() (int64, rabbitmq.Delivery) {
	e.t.Helper()
	e.n++
	var id int64
	err := e.st.InTx(context.Background(), func(tx *mysql.Tx) error {
		var err error
		id, _, err = tx.AddNotice(context.Background(), ill.Notice{RequestID: "THU-R" + strconv.Itoa(e.n), Kind: ill.NoticeArrived,
			Library: "THU", PatronID: "P1", Recipient: "p1@example.edu.cn", Locale: "zh", Subject: "文献到馆通知", Body: "已到馆", At: time.Now()})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]int64{"notice_id": id})
	raw, _ := json.Marshal(ill.Message{ID: "notice:" + strconv.FormatInt(id, 10), Type: ill.MsgNotice, Actor: ill.SystemActor,
		At: time.Now(), Body: body})
	return id, rabbitmq.Delivery{MessageID: "notice:" + strconv.FormatInt(id, 10), RoutingKey: ill.MsgNotice, Body: raw}
}

func (e *noticeEnv) handle(d rabbitmq.Delivery) ill.Disposition {
	return ill.DispositionFor(e.p.Handle(context.Background(), d))
}

func (e *noticeEnv) row(id int64) *ill.StoredNotice {
	e.t.Helper()
	n, err := e.st.Notice(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestNoticeWithoutChannelsIsNotConfigured(t *testing.T) {
	e := newNoticeEnv(t)
	id, d := e.notice()
	if got := e.handle(d); got != ill.Ack {
		t.Fatalf("nil notifier: disposition %v", got)
	}
	if n := e.row(id); n.Status != ill.NoticeNotConfigured || n.Attempts != 0 {
		t.Fatalf("status %s attempts %d", n.Status, n.Attempts)
	}
	e.p.Notifier = &scripted{attempts: 3} // configured, but no channel applies to this notice
	id, d = e.notice()
	e.handle(d)
	if n := e.row(id); n.Status != ill.NoticeNotConfigured {
		t.Fatalf("no channel: status %s", n.Status)
	}
	// Delivered again (a redelivery), the settled notice stays as it is.
	before := e.row(id)
	e.handle(d)
	if n := e.row(id); n.Status != before.Status || n.Attempts != before.Attempts || n.DeliveredVia != before.DeliveredVia {
		t.Errorf("redelivery changed the notice: %+v, was %+v", n, before)
	}
}

func TestNoticePartialFailureRetriesOnlyTheFailedChannel(t *testing.T) {
	e := newNoticeEnv(t)
	s := &scripted{attempts: 5, channels: []notify.Channel{notify.ChannelEmail, notify.ChannelWebhook},
		plan: map[notify.Channel][]error{notify.ChannelWebhook: {errors.New("503")}}}
	e.p.Notifier = s
	id, d := e.notice()
	if got := e.handle(d); got != ill.Requeue {
		t.Fatalf("webhook down: disposition %v, want requeue", got)
	}
	n := e.row(id)
	if n.Status != ill.NoticePending || n.Attempts != 1 || n.DeliveredVia != "email" || n.LastError == "" {
		t.Fatalf("after round 1: %+v", n)
	}
	if got := e.handle(d); got != ill.Ack { // the broker's redelivery
		t.Fatalf("round 2: disposition %v", got)
	}
	n = e.row(id)
	if n.Status != ill.NoticeSent || n.Attempts != 2 || n.DeliveredVia != "email,webhook" || n.SentAt.IsZero() {
		t.Fatalf("after round 2: %+v", n)
	}
	if s.sent[notify.ChannelEmail] != 1 || s.sent[notify.ChannelWebhook] != 2 {
		t.Fatalf("sends %v: the e-mail must go out once", s.sent)
	}
	e.handle(d) // a late duplicate: no effect
	if s.sent[notify.ChannelEmail] != 1 || s.sent[notify.ChannelWebhook] != 2 {
		t.Fatalf("a duplicate re-sent: %v", s.sent)
	}
}

func TestNoticeFailsAfterMaxAttemptsAndDeadLetters(t *testing.T) {
	e := newNoticeEnv(t)
	down := errors.New("connection refused")
	s := &scripted{attempts: 3, channels: []notify.Channel{notify.ChannelWebhook},
		plan: map[notify.Channel][]error{notify.ChannelWebhook: {down, down, down, down}}}
	e.p.Notifier = s
	id, d := e.notice()
	for round := 1; round <= 2; round++ {
		if got := e.handle(d); got != ill.Requeue {
			t.Fatalf("round %d: disposition %v", round, got)
		}
	}
	if got := e.handle(d); got != ill.DeadLetter {
		t.Fatalf("round 3 of 3: disposition %v, want dead letter", got)
	}
	n := e.row(id)
	if n.Status != ill.NoticeFailed || n.Attempts != 3 || n.LastError == "" {
		t.Fatalf("failed notice: %+v", n)
	}
	if got := e.handle(d); got != ill.Ack || s.sent[notify.ChannelWebhook] != 3 {
		t.Fatalf("a replay of a failed notice: disposition %v, sends %d", got, s.sent[notify.ChannelWebhook])
	}
	// Staff reset it; a replay then delivers it.
	if _, err := e.st.DB.Exec(`UPDATE notices SET status = 'pending', attempts = 0 WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	s.plan[notify.ChannelWebhook] = nil
	if got := e.handle(d); got != ill.Ack || e.row(id).Status != ill.NoticeSent {
		t.Fatalf("after reset: disposition %v, status %s", got, e.row(id).Status)
	}

	// A permanent error fails at once.
	s.plan[notify.ChannelWebhook] = []error{notify.Permanent(errors.New("410 Gone"))}
	id, d = e.notice()
	if got := e.handle(d); got != ill.DeadLetter {
		t.Fatalf("permanent error: disposition %v", got)
	}
	if n := e.row(id); n.Status != ill.NoticeFailed || n.Attempts != 1 {
		t.Fatalf("permanent: %+v", n)
	}
}

func TestUnknownNoticeIsDeadLettered(t *testing.T) {
	e := newNoticeEnv(t)
	raw, _ := json.Marshal(ill.Message{ID: "notice:999", Type: ill.MsgNotice, Actor: ill.SystemActor, At: time.Now(),
		Body: json.RawMessage(`{"notice_id":999}`)})
	if got := e.handle(rabbitmq.Delivery{Body: raw}); got != ill.DeadLetter {
		t.Fatalf("disposition %v", got)
	}
}
