package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// Webhook headers (docs/notices.md).
const (
	HeaderTimestamp = "X-Illhub-Timestamp" // unix seconds when the request was signed
	HeaderSignature = "X-Illhub-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderNoticeID  = "X-Illhub-Notice-Id" // the notice id, also in the body: receivers dedupe on it
)

// Payload is the JSON body of a webhook notice.
type Payload struct {
	ID        int64     `json:"id"`
	RequestID string    `json:"request_id"`
	Kind      string    `json:"kind"`
	Step      int       `json:"step"`
	Library   string    `json:"library"`
	PatronID  string    `json:"patron_id"`
	Locale    string    `json:"locale"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"` // RFC 3339, Asia/Shanghai offset
}

// PayloadOf is the webhook body of x.
func PayloadOf(x Notice) Payload {
	return Payload{ID: x.ID, RequestID: x.RequestID, Kind: x.Kind, Step: x.Step, Library: x.Library,
		PatronID: x.PatronID, Locale: x.Locale, Subject: x.Subject, Body: x.Body, CreatedAt: x.CreatedAt.In(ill.Shanghai)}
}

// Webhook posts notices to library systems.
type Webhook struct {
	Client *http.Client
	Now    func() time.Time // signing time; time.Now when nil
}

// Send posts x to x.WebhookURL, signed with x.WebhookSecret. A 2xx answer
// is success; 408, 425, 429, 5xx and network errors are transient; any
// other answer is permanent.
func (w *Webhook) Send(ctx context.Context, x Notice) error {
	u, err := url.Parse(x.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Permanent(fmt.Errorf("webhook: library %s has an invalid webhook_url", x.Library))
	}
	where := redact(u)
	if x.WebhookSecret == "" {
		return Permanent(fmt.Errorf("webhook %s: library %s has no webhook secret", where, x.Library))
	}
	body, err := json.Marshal(PayloadOf(x))
	if err != nil {
		return Permanent(err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: %v", where, err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "illhub-notifier/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(x.WebhookSecret, ts, body))
	req.Header.Set(HeaderNoticeID, strconv.FormatInt(x.ID, 10))
	client := w.Client
	if client == nil {
		client = NewWebhook(0).Client
	}
	res, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the full URL, query included
		}
		return fmt.Errorf("webhook %s: %v", where, err)
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)) // let the connection be reused
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("webhook %s answered %s: %s", where, res.Status, strings.TrimSpace(truncate(string(snippet), 200)))
	switch {
	case res.StatusCode >= 500, res.StatusCode == http.StatusRequestTimeout, res.StatusCode == http.StatusTooEarly,
		res.StatusCode == http.StatusTooManyRequests:
		return err
	}
	return Permanent(err)
}

// Sign returns the X-Illhub-Signature value for body sent at timestamp:
// "sha256=" and the hex HMAC-SHA256, keyed with secret, of
// timestamp + "." + body.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signatureHeader (the X-Illhub-Signature value) is
// the signature of body sent at timestamp (the X-Illhub-Timestamp value)
// under secret. It compares in constant time and refuses an empty secret.
// Receivers should also reject a timestamp far from their clock (e.g. more
// than 5 minutes) to stop replays, and dedupe on the notice id: delivery is
// at least once.
func Verify(secret, timestamp string, body []byte, signatureHeader string) bool {
	if secret == "" || timestamp == "" {
		return false
	}
	got, ok := strings.CutPrefix(strings.TrimSpace(signatureHeader), "sha256=")
	if !ok {
		return false
	}
	mac, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, timestamp, body), "sha256="))
	return hmac.Equal(mac, want)
}

// redact keeps scheme, host and path of a webhook URL: its user info and
// query may hold credentials.
func redact(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
