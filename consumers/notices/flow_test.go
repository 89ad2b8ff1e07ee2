package notices_test

// Notices end to end against the real MariaDB and RabbitMQ: delivered by
// e-mail (an SMTP test server) and signed webhook (a library's receiver),
// and failed and dead-lettered after their delivery attempts.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/notify"
	"github.com/balis/illhub/notify/notifytest"
	"github.com/balis/illhub/rabbitmq"
	"github.com/balis/illhub/service"
)

// hookReceiver is a library system's webhook endpoint: it checks every
// request's signature with notify.Verify and keeps the good payloads.
type hookReceiver struct {
	secret string
	status atomic.Int32 // answer for verified requests (default 204)
	calls  atomic.Int32
	forged atomic.Int32

	mu  sync.Mutex
	got []notify.Payload
}

func newHookReceiver(t *testing.T, secret string) (*hookReceiver, *httptest.Server) {
	rc := &hookReceiver{secret: secret}
	rc.status.Store(http.StatusNoContent)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if !notify.Verify(rc.secret, r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature)) {
			rc.forged.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if s := int(rc.status.Load()); s >= 300 {
			http.Error(w, "unavailable", s)
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.got = append(rc.got, p)
		rc.mu.Unlock()
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *hookReceiver) waitFor(t *testing.T, what string, match func(notify.Payload) bool) notify.Payload {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		for _, p := range rc.got {
			if match(p) {
				rc.mu.Unlock()
				return p
			}
		}
		rc.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("webhook never received %s (%d calls, %d with a bad signature)", what, rc.calls.Load(), rc.forged.Load())
	return notify.Payload{}
}

// setWebhook registers a library's webhook as `illctl library webhook` does.
func setWebhook(h *harness.Harness, code, url, secret string) {
	h.T.Helper()
	if _, err := h.St.DB.Exec(`UPDATE libraries SET webhook_url = ?, webhook_secret = ? WHERE code = ?`, url, secret, code); err != nil {
		h.T.Fatal(err)
	}
}

// startNotifyingConsumers starts consumers whose notices pool delivers
// through notify.New(cfg) (what service.NewConsumers wires in production).
func startNotifyingConsumers(h *harness.Harness, smtpAddr string, attempts int) {
	cfg := h.Cfg
	cfg.SMTPAddr, cfg.SMTPTLS, cfg.SMTPFrom = smtpAddr, "none", "BALIS 馆际互借 <illhub@balis.edu.cn>"
	cfg.WebhookTimeout, cfg.NoticeAttempts = 2*time.Second, attempts
	h.StartConsumers(func(c *service.Consumers) {
		n := notify.New(cfg)
		n.Backoff = 10 * time.Millisecond
		c.Notices.Notifier = n
	})
}

type noticeRow struct {
	Status       string `db:"status"`
	Attempts     int    `db:"attempts"`
	DeliveredVia string `db:"delivered_via"`
	LastError    string `db:"last_error"`
}

// waitNotice waits until the request's notice (kind, step) leaves pending.
func waitNotice(h *harness.Harness, id, kind string, step int) noticeRow {
	h.T.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var n noticeRow
	for time.Now().Before(deadline) {
		err := h.St.DB.Get(&n, `SELECT status, attempts, delivered_via, last_error FROM notices
			WHERE request_id = ? AND kind = ? AND step = ?`, id, kind, step)
		if err == nil && n.Status != "pending" {
			return n
		}
		time.Sleep(30 * time.Millisecond)
	}
	h.T.Fatalf("notice %s/%s/%d still pending: %+v", id, kind, step, n)
	return n
}

// The reader's Chinese 文献到馆 notice reaches the SMTP server, and the
// borrowing library's system receives it, and the recall notices, signed.
func TestNoticesByEmailAndSignedWebhook(t *testing.T) {
	h := harness.New(t, 3)
	mailSrv := notifytest.NewSMTPServer(t, notifytest.PlainText)
	hook, hookSrv := newHookReceiver(t, "whsec_thu_test")
	setWebhook(h, "THU", hookSrv.URL+"/illhub/notices?token=abc", "whsec_thu_test")
	startNotifyingConsumers(h, mailSrv.Addr, 3)

	rec := testenv.Record(t, h.St, "9787040406641", "数据库系统概论", "王珊", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	id := h.Submit("THU", "nt-1", "2023001", rec)
	h.WaitState(id, "THU", ill.Requested)
	// The lender is told by e-mail (PKU has no webhook).
	mailSrv.WaitFor(t, 15*time.Second, func(m notifytest.Message) bool { return m.To[0] == "pku-ill@example.edu.cn" })
	h.Act(id, "respond", "PKU", map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.WillSupply)
	h.Act(id, "ship", "PKU", map[string]any{"item_barcode": "PKU0001"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Shipped)
	h.Act(id, "receive", "THU", nil, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Received)

	// 1. E-mail to the reader, in Chinese.
	m := mailSrv.WaitFor(t, 15*time.Second, func(m notifytest.Message) bool { return m.To[0] == "2023001@example.edu.cn" })
	if m.From != "illhub@balis.edu.cn" {
		t.Errorf("envelope sender %q", m.From)
	}
	d, err := notifytest.Decode(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if d.Subject != "文献到馆通知" {
		t.Errorf("subject = %q", d.Subject)
	}
	if want := "您申请的《数据库系统概论》（申请号 " + id + "）已到馆，请到馆际互借处领取。"; !strings.Contains(d.Body, want) {
		t.Errorf("body = %q, want it to contain %q", d.Body, want)
	}
	// 2. The borrowing library's webhook, signed.
	p := hook.waitFor(t, "the arrived notice", func(p notify.Payload) bool { return p.RequestID == id && p.Kind == ill.NoticeArrived })
	if p.Library != "THU" || p.PatronID != "2023001" || p.Locale != "zh" || p.Subject != "文献到馆通知" || p.Body != strings.TrimSpace(strings.Split(d.Body, "\r\n")[0]) {
		t.Errorf("webhook payload = %+v", p)
	}
	if n := waitNotice(h, id, ill.NoticeArrived, 0); n.Status != "sent" || n.Attempts != 1 || n.DeliveredVia != "email,webhook" {
		t.Errorf("arrived notice = %+v", n)
	}
	if n := waitNotice(h, id, ill.NoticeNewRequest, 1); n.Status != "sent" || n.DeliveredVia != "email" {
		t.Errorf("new_request notice = %+v", n)
	}

	// 3. A recall: step 0 to the reader, step 1 to the borrowing library.
	h.Act(id, "checkout", "THU", nil, http.StatusAccepted)
	h.WaitState(id, "THU", ill.OnLoan)
	h.Act(id, "recall", "PKU", nil, http.StatusAccepted)
	h.WaitState(id, "THU", ill.Recalled)
	lib := hook.waitFor(t, "the library's recall notice", func(p notify.Payload) bool {
		return p.RequestID == id && p.Kind == ill.NoticeRecalled && p.Step == 1
	})
	if lib.PatronID != "" || lib.Subject != "索回通知" {
		t.Errorf("recall payload = %+v", lib)
	}
	mailSrv.WaitFor(t, 15*time.Second, func(m notifytest.Message) bool {
		d, _ := notifytest.Decode(m.Data)
		return m.To[0] == "thu-ill@example.edu.cn" && d.Subject == "索回通知"
	})
	if hook.forged.Load() != 0 {
		t.Errorf("%d webhook calls failed verification", hook.forged.Load())
	}
}

// A library whose webhook keeps failing: the notice is retried, then
// marked failed after ILL_NOTICE_ATTEMPTS and its message dead-lettered.
// Without SMTP and webhook a notice is stored as not_configured.
func TestFailingWebhookNoticeIsFailedAndDeadLettered(t *testing.T) {
	const limit = 3
	h := harness.New(t, limit)
	hook, hookSrv := newHookReceiver(t, "whsec_ruc")
	hook.status.Store(http.StatusServiceUnavailable)
	setWebhook(h, "RUC", hookSrv.URL, "whsec_ruc")
	startNotifyingConsumers(h, "", 2) // no SMTP server

	// No member holds it: UNFILLED, with a notice to the borrowing library.
	rec := testenv.Record(t, h.St, "", "无人收藏的书", "佚名")
	id := h.Submit("RUC", "nt-2", "R1", rec)
	h.WaitState(id, "RUC", ill.Unfilled)
	n := waitNotice(h, id, ill.NoticeUnfilled, 0)
	if n.Status != "failed" || n.Attempts != 2 || !strings.Contains(n.LastError, "503") {
		t.Fatalf("unfilled notice = %+v", n)
	}
	if hook.calls.Load() != 2*3 { // 2 delivery rounds × 3 in-process tries
		t.Errorf("webhook calls = %d, want 6", hook.calls.Load())
	}
	dlq := rabbitmq.DLQ{URL: h.Cfg.AMQPURL, Topo: rabbitmq.Topology{Prefix: h.Cfg.AMQPPrefix, DeliveryLimit: limit}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		found, err := dlq.List(10)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 1 && strings.HasPrefix(found[0].MessageID, "notice:") && found[0].RoutingKey == ill.MsgNotice {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead letters = %+v", found)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// THU has neither webhook nor (without SMTP) e-mail: not_configured.
	id2 := h.Submit("THU", "nt-3", "T1", rec)
	h.WaitState(id2, "THU", ill.Unfilled)
	if n := waitNotice(h, id2, ill.NoticeUnfilled, 0); n.Status != "not_configured" || n.Attempts != 0 {
		t.Errorf("notice without channels = %+v", n)
	}
}
