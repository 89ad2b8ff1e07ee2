// Package notify delivers illhub notices to readers and libraries: by
// e-mail through an SMTP server (smtp.go) and by a signed HTTP webhook to
// the library's system (webhook.go). See docs/notices.md for the webhook
// signature scheme and the delivery guarantees.
//
// A Notifier sends one notice over one channel at a time, with a short
// in-process retry. It keeps no state: the notices pool (worker) stores the
// status, counts delivery rounds in notices.attempts and leaves longer
// retries to the broker's redelivery.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/balis/illhub/config"
)

// Channel is a delivery channel.
type Channel string

const (
	ChannelEmail   Channel = "email"   // to the notice's recipient address, through ILL_SMTP_ADDR
	ChannelWebhook Channel = "webhook" // to the library's webhook_url, signed with its webhook_secret
)

// Notice is one stored notice with its delivery targets.
type Notice struct {
	ID        int64
	RequestID string
	Kind      string
	Step      int
	Library   string // the library the notice belongs to (whose webhook receives it)
	PatronID  string // "" for a notice to the library itself
	Locale    string // zh or en: the language subject and body are written in
	Subject   string
	Body      string
	CreatedAt time.Time

	Recipient     string // e-mail address; "" = no e-mail
	WebhookURL    string // "" = no webhook
	WebhookSecret string // never logged, never sent
}

// Notifier delivers notices. Construct it with New; the zero value sends
// nothing (every channel unconfigured).
type Notifier struct {
	Mail *SMTP    // nil when ILL_SMTP_ADDR is empty
	Hook *Webhook // nil disables webhooks
	// Tries is the number of in-process tries per channel and Send call
	// (default 3); Backoff the pause after the first failed try, doubled
	// after each further one (default 200ms).
	Tries   int
	Backoff time.Duration
	// Attempts is ILL_NOTICE_ATTEMPTS: delivery rounds (Send calls by the
	// notices pool, one per broker delivery) before a notice is failed.
	Attempts int
}

// DefaultAttempts is used when Attempts is not set.
const DefaultAttempts = 5

// New builds the notifier from ILL_SMTP_*, ILL_WEBHOOK_TIMEOUT and
// ILL_NOTICE_ATTEMPTS. With ILL_SMTP_ADDR empty no e-mail is sent.
func New(cfg config.Config) *Notifier {
	n := &Notifier{Hook: NewWebhook(cfg.WebhookTimeout), Tries: 3, Backoff: 200 * time.Millisecond,
		Attempts: cfg.NoticeAttempts}
	if strings.TrimSpace(cfg.SMTPAddr) != "" {
		n.Mail = &SMTP{Addr: strings.TrimSpace(cfg.SMTPAddr), From: cfg.SMTPFrom, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS}
	}
	return n
}

// MaxAttempts is the number of delivery rounds before a notice is failed.
func (n *Notifier) MaxAttempts() int {
	if n.Attempts < 1 {
		return DefaultAttempts
	}
	return n.Attempts
}

// Channels lists the channels configured for x: e-mail when SMTP is
// configured and x has a recipient address, the webhook when x's library
// has a webhook URL and secret. None means the notice is not_configured.
func (n *Notifier) Channels(x Notice) []Channel {
	var out []Channel
	if n.Mail != nil && strings.TrimSpace(x.Recipient) != "" {
		out = append(out, ChannelEmail)
	}
	if n.Hook != nil && x.WebhookURL != "" && x.WebhookSecret != "" {
		out = append(out, ChannelWebhook)
	}
	return out
}

// Send delivers x over ch. A failed try is repeated after a pause (Tries,
// Backoff) unless the error is permanent or ctx ends; the last error is
// returned. Errors never contain the SMTP password, the webhook secret or
// the webhook URL's query.
func (n *Notifier) Send(ctx context.Context, ch Channel, x Notice) error {
	var send func(context.Context, Notice) error
	switch ch {
	case ChannelEmail:
		if n.Mail == nil {
			return Permanent(errors.New("e-mail: no SMTP server configured (ILL_SMTP_ADDR)"))
		}
		send = n.Mail.Send
	case ChannelWebhook:
		if n.Hook == nil {
			return Permanent(errors.New("webhook: disabled"))
		}
		send = n.Hook.Send
	default:
		return Permanent(fmt.Errorf("unknown channel %q", ch))
	}
	tries := max(n.Tries, 1)
	wait := n.Backoff
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	var err error
	for i := 1; ; i++ {
		if err = send(ctx, x); err == nil || IsPermanent(err) || i >= tries {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (then %v)", err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
	if err != nil && tries > 1 && !IsPermanent(err) {
		err = fmt.Errorf("%w (%d tries)", err, tries)
	}
	return err
}

// permanentError marks a failure that a retry cannot fix (a 5xx SMTP
// reply, an invalid address, a webhook's 4xx answer, bad configuration).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err (or an error it wraps) was marked
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// NewWebhook returns a webhook sender with the given timeout per request
// (default 5s). Redirects are not followed: a 3xx answer is a failure.
func NewWebhook(timeout time.Duration) *Webhook {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Webhook{Client: &http.Client{Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}
