package notify

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/notify/notifytest"
)

// arrived is the Chinese "文献到馆" notice to a reader.
func arrived() Notice {
	subject, body := ill.NoticeText(ill.NoticeArrived, "zh", ill.NoticeData{RequestID: "THU-20260302-0001", Title: "数据库系统概论"})
	return Notice{ID: 42, RequestID: "THU-20260302-0001", Kind: ill.NoticeArrived, Library: "THU", PatronID: "2023001",
		Locale: "zh", Subject: subject, Body: body, CreatedAt: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC),
		Recipient: "2023001@example.edu.cn"}
}

func TestSMTPDeliversChineseNotice(t *testing.T) {
	for _, mode := range []string{notifytest.PlainText, notifytest.StartTLS, notifytest.Implicit} {
		t.Run(mode, func(t *testing.T) {
			srv := notifytest.NewSMTPServer(t, mode)
			s := &SMTP{Addr: srv.Addr, From: "BALIS 馆际互借 <illhub@balis.edu.cn>", TLS: mode,
				TLSConfig: &tls.Config{RootCAs: srv.RootCAs(), MinVersion: tls.VersionTLS12}, Timeout: 5 * time.Second}
			if mode != notifytest.PlainText {
				s.Username, s.Password = "illhub", "s3cret-pw"
			}
			x := arrived()
			if err := s.Send(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages", len(msgs))
			}
			m := msgs[0]
			if m.From != "illhub@balis.edu.cn" || len(m.To) != 1 || m.To[0] != x.Recipient {
				t.Fatalf("envelope from %q to %v", m.From, m.To)
			}
			if m.TLS != (mode != notifytest.PlainText) {
				t.Errorf("session TLS = %v in mode %s", m.TLS, mode)
			}
			if mode != notifytest.PlainText && (m.AuthUser != "illhub" || m.AuthPass != "s3cret-pw") {
				t.Errorf("AUTH PLAIN user %q pass %q", m.AuthUser, m.AuthPass)
			}
			for i, line := range strings.Split(string(m.Data), "\r\n") {
				if len(line) > 998 {
					t.Errorf("line %d is %d octets long", i, len(line))
				}
				for _, r := range line {
					if r > 127 {
						t.Fatalf("line %d is not 7-bit: %q", i, line)
					}
				}
			}
			d, err := notifytest.Decode(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if d.Subject != "文献到馆通知" {
				t.Errorf("subject = %q", d.Subject)
			}
			if !strings.Contains(d.Body, "您申请的《数据库系统概论》（申请号 THU-20260302-0001）已到馆，请到馆际互借处领取。") {
				t.Errorf("body = %q", d.Body)
			}
			if _, err := mail.ParseDate(d.Header.Get("Date")); err != nil {
				t.Errorf("Date %q: %v", d.Header.Get("Date"), err)
			}
			if got := d.Header.Get("Message-ID"); got != "<illhub.notice.42.THU-20260302-0001@balis.edu.cn>" {
				t.Errorf("Message-ID = %q", got)
			}
			from, err := d.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != "BALIS 馆际互借" || from[0].Address != "illhub@balis.edu.cn" {
				t.Errorf("From = %v, %v", from, err)
			}
			to, err := d.Header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != x.Recipient {
				t.Errorf("To = %v, %v", to, err)
			}
			for k, want := range map[string]string{"MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
				"Content-Transfer-Encoding": "base64", "Content-Language": "zh-CN", "X-Illhub-Notice-Id": "42"} {
				if got := d.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestSMTPEnglishAndLongSubject(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.PlainText)
	s := &SMTP{Addr: srv.Addr, From: "illhub@balis.edu.cn", TLS: "none"}
	x := arrived()
	x.Locale = "en"
	x.Subject, x.Body = ill.NoticeText(ill.NoticeArrived, "en", ill.NoticeData{RequestID: x.RequestID, Title: "数据库系统概论"})
	if err := s.Send(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	long := arrived()
	long.Subject = strings.Repeat("馆际互借图书超期通知，", 12) + "\r\nBcc: evil@example.com"
	if err := s.Send(context.Background(), long); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	en, _ := notifytest.Decode(msgs[0].Data)
	if en.Subject != "Your interlibrary loan has arrived" || en.Header.Get("Content-Language") != "en" ||
		!strings.Contains(en.Body, "has arrived at your library") {
		t.Errorf("English notice: %q / %q", en.Subject, en.Body)
	}
	d, err := notifytest.Decode(msgs[1].Data)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("馆际互借图书超期通知，", 12) + " Bcc: evil@example.com"; d.Subject != want {
		t.Errorf("long subject = %q", d.Subject)
	}
	if d.Header.Get("Bcc") != "" {
		t.Error("a CR/LF in the subject injected a header")
	}
	for _, line := range strings.Split(string(msgs[1].Data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("header or body line longer than 78: %q", line)
		}
		if line == "" {
			break
		}
	}
}

func TestSMTPConfigurationErrorsArePermanent(t *testing.T) {
	x := arrived()
	for name, s := range map[string]*SMTP{
		"bad tls mode":             {Addr: "127.0.0.1:1", From: "a@b.cn", TLS: "ssl"},
		"no port":                  {Addr: "smtp.example.org", From: "a@b.cn", TLS: "none"},
		"password in clear":        {Addr: "smtp.example.org:25", From: "a@b.cn", TLS: "none", Username: "u", Password: "hunter2"},
		"bad from":                 {Addr: "127.0.0.1:1", From: "not an address", TLS: "none"},
		"starttls not offered":     nil, // filled below
		"recipient is not address": {Addr: "127.0.0.1:1", From: "a@b.cn", TLS: "none"},
	} {
		x := x
		if name == "recipient is not address" {
			x.Recipient = "读者 at example"
		}
		if name == "starttls not offered" {
			srv := notifytest.NewSMTPServer(t, notifytest.PlainText)
			s = &SMTP{Addr: srv.Addr, From: "a@b.cn", TLS: "starttls"}
		}
		err := s.Send(context.Background(), x)
		if err == nil || !IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent error", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the password leaked into the error: %v", name, err)
		}
	}
}

func TestSMTPRepliesDecideRetry(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.PlainText)
	n := &Notifier{Mail: &SMTP{Addr: srv.Addr, From: "illhub@balis.edu.cn", TLS: "none"}, Tries: 3, Backoff: time.Millisecond}
	srv.FailData(451, 451) // transient twice, then accepted
	if err := n.Send(context.Background(), ChannelEmail, arrived()); err != nil {
		t.Fatalf("451, 451, 250: %v", err)
	}
	if got := len(srv.Messages()); got != 1 {
		t.Fatalf("messages = %d", got)
	}
	srv.FailData(554, 554) // permanent: not retried
	err := n.Send(context.Background(), ChannelEmail, arrived())
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "554") {
		t.Fatalf("554: err = %v", err)
	}
	if err := n.Send(context.Background(), ChannelEmail, arrived()); err == nil {
		t.Fatal("the second 554 was consumed by a retry of the first")
	}
	// Nothing listening: transient, all tries used.
	n.Mail.Addr = "127.0.0.1:1"
	err = n.Send(context.Background(), ChannelEmail, arrived())
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "3 tries") {
		t.Fatalf("refused connection: %v", err)
	}
}

// receiver is a webhook endpoint that checks signatures with Verify.
type receiver struct {
	secret string
	mu     sync.Mutex
	got    []Payload
	bad    int
	calls  atomic.Int32
	status func(call int) int
	at     []time.Time
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := int(rc.calls.Add(1))
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.at = append(rc.at, time.Now())
	if !Verify(rc.secret, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature)) {
		rc.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.status != nil {
		if s := rc.status(call); s != http.StatusOK {
			http.Error(w, "try later", s)
			return
		}
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, p)
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhookSignedAndVerified(t *testing.T) {
	rc := &receiver{secret: "whsec_test"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	x := arrived()
	x.WebhookURL, x.WebhookSecret = srv.URL+"/ill/notices", "whsec_test"
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)
	w := NewWebhook(2 * time.Second)
	w.Now = func() time.Time { return at }
	if err := w.Send(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if rc.bad != 0 || len(rc.got) != 1 {
		t.Fatalf("bad signatures %d, payloads %d", rc.bad, len(rc.got))
	}
	p := rc.got[0]
	if p.ID != 42 || p.RequestID != x.RequestID || p.Kind != "arrived" || p.Library != "THU" || p.PatronID != "2023001" ||
		p.Locale != "zh" || p.Subject != "文献到馆通知" || p.Body != x.Body || !p.CreatedAt.Equal(x.CreatedAt) {
		t.Errorf("payload = %+v", p)
	}

	// The scheme: sha256=hex(HMAC-SHA256(secret, "<ts>.<body>")).
	body, _ := json.Marshal(PayloadOf(x))
	ts := fmt.Sprint(at.Unix())
	sig := Sign("whsec_test", ts, body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("signature %q", sig)
	}
	if !Verify("whsec_test", ts, body, sig) {
		t.Fatal("Verify refused a good signature")
	}
	tampered := []byte(strings.Replace(string(body), `"step":0`, `"step":1`, 1))
	for name, ok := range map[string]bool{
		"tampered body":     Verify("whsec_test", ts, tampered, sig),
		"other timestamp":   Verify("whsec_test", fmt.Sprint(at.Unix()+1), body, sig),
		"wrong secret":      Verify("whsec_other", ts, body, sig),
		"empty secret":      Verify("", ts, body, Sign("", ts, body)),
		"no sha256= prefix": Verify("whsec_test", ts, body, strings.TrimPrefix(sig, "sha256=")),
		"not hex":           Verify("whsec_test", ts, body, "sha256=zz"),
	} {
		if ok {
			t.Errorf("Verify accepted: %s", name)
		}
	}
	// A receiver with another secret answers 401: permanent, not retried.
	x.WebhookSecret = "whsec_wrong"
	n := &Notifier{Hook: w, Tries: 3, Backoff: time.Millisecond}
	before := rc.calls.Load()
	if err := n.Send(context.Background(), ChannelWebhook, x); err == nil || !IsPermanent(err) {
		t.Fatalf("401: err = %v", err)
	}
	if rc.calls.Load()-before != 1 {
		t.Errorf("a 401 was retried: %d calls", rc.calls.Load()-before)
	}
}

func TestWebhookRetriesWithBackoff(t *testing.T) {
	rc := &receiver{secret: "s", status: func(call int) int {
		if call <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	x := arrived()
	x.WebhookURL, x.WebhookSecret = srv.URL, "s"
	n := &Notifier{Hook: NewWebhook(time.Second), Tries: 3, Backoff: 50 * time.Millisecond}
	start := time.Now()
	if err := n.Send(context.Background(), ChannelWebhook, x); err != nil {
		t.Fatalf("fails twice then succeeds: %v", err)
	}
	if rc.calls.Load() != 3 || len(rc.got) != 1 {
		t.Fatalf("calls %d, accepted %d", rc.calls.Load(), len(rc.got))
	}
	if d1, d2 := rc.at[1].Sub(rc.at[0]), rc.at[2].Sub(rc.at[1]); d1 < 50*time.Millisecond || d2 < 100*time.Millisecond {
		t.Errorf("backoff %v then %v, want ≥ 50ms then ≥ 100ms", d1, d2)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("retries took too long")
	}

	// Always failing: the last error after Tries, transient.
	rc.status = func(int) int { return http.StatusInternalServerError }
	before := rc.calls.Load()
	err := n.Send(context.Background(), ChannelWebhook, x)
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("always 500: %v", err)
	}
	if rc.calls.Load()-before != 3 {
		t.Errorf("calls = %d, want 3", rc.calls.Load()-before)
	}
	// A cancelled context stops the retries.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Send(ctx, ChannelWebhook, x); err == nil {
		t.Fatal("cancelled context: no error")
	}
}

func TestWebhookErrorsDoNotLeakURLSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusBadGateway)
	}))
	defer srv.Close()
	x := arrived()
	x.WebhookSecret = "whsec_private"
	for _, u := range []string{srv.URL + "/hook?token=TOPSECRET", "http://user:TOPSECRET@127.0.0.1:1/hook?token=TOPSECRET"} {
		x.WebhookURL = u
		err := NewWebhook(time.Second).Send(context.Background(), x)
		if err == nil {
			t.Fatalf("%s: no error", u)
		}
		if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "whsec_private") {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
	x.WebhookURL = "ftp://example.org/x"
	if err := NewWebhook(time.Second).Send(context.Background(), x); !IsPermanent(err) {
		t.Errorf("ftp URL: %v", err)
	}
}

func TestChannelsAndNew(t *testing.T) {
	cfg := config.Config{SMTPFrom: "illhub@balis.edu.cn", SMTPTLS: "starttls", WebhookTimeout: time.Second, NoticeAttempts: 4}
	n := New(cfg)
	x := arrived()
	if got := n.Channels(x); len(got) != 0 {
		t.Errorf("no SMTP, no webhook: channels %v", got)
	}
	x.WebhookURL = "https://lib.example.edu.cn/hook"
	if got := n.Channels(x); len(got) != 0 {
		t.Errorf("webhook without secret counts as configured: %v", got)
	}
	x.WebhookSecret = "s"
	if got := n.Channels(x); len(got) != 1 || got[0] != ChannelWebhook {
		t.Errorf("webhook only: %v", got)
	}
	cfg.SMTPAddr, cfg.SMTPUsername, cfg.SMTPPassword = "smtp.balis.edu.cn:587", "illhub", "hunter2"
	n = New(cfg)
	if got := n.Channels(x); len(got) != 2 {
		t.Errorf("both: %v", got)
	}
	x.Recipient = ""
	if got := n.Channels(x); len(got) != 1 || got[0] != ChannelWebhook {
		t.Errorf("no recipient address: %v", got)
	}
	if n.MaxAttempts() != 4 || (&Notifier{}).MaxAttempts() != DefaultAttempts {
		t.Errorf("MaxAttempts = %d", n.MaxAttempts())
	}
	for _, s := range []string{fmt.Sprint(n.Mail), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", n.Mail), fmt.Sprintf("%v", *n)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("the SMTP password is printed: %s", s)
		}
	}
}
