package notices

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/consumers"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/notify"
	"github.com/balis/illhub/rabbitmq"
)

// Notifier delivers one notice over one channel (package notify).
type Notifier interface {
	// Channels lists the channels configured for n; none means the
	// notice is stored as not_configured.
	Channels(n notify.Notice) []notify.Channel
	// Send delivers n over ch, with a short in-process retry. An error
	// marked notify.Permanent will not succeed on a later attempt.
	Send(ctx context.Context, ch notify.Channel, n notify.Notice) error
	// MaxAttempts is ILL_NOTICE_ATTEMPTS: delivery rounds before the
	// notice is failed.
	MaxAttempts() int
}

// Pool is the notices pool: it delivers stored notices. Its fields are
// read-only once its handler runs.
type Pool struct {
	Store    *mysql.Store
	Notifier Notifier // the configured channels; nil: every notice is stored not_configured
	Log      *slog.Logger
}

// sendReserve is kept from the handler's deadline for recording the outcome
// after the (slow) network sends.
const sendReserve = 5 * time.Second

// Handle delivers one stored notice (message body ill.NoticeRef: {"notice_id": N},
// or {"request_id", "kind", "step"}) by
// e-mail to its recipient and by webhook to its library, whichever are
// configured (Notifier; nil = none).
//
// No database transaction is held across the network sends:
//
//  1. claim: a short transaction locks the notice row, and a notice already
//     settled (sent, not_configured, failed) is acked without effect. A
//     notice with no configured channel is marked not_configured.
//  2. send, outside any transaction, over the channels not yet in
//     delivered_via.
//  3. record: a second short transaction stores the outcome. When every
//     channel delivered, status sent and the message id in the inbox
//     (handler "notices"). Otherwise attempts+1, the channels that did
//     deliver (so the next round does not repeat them) and last_error; the
//     handler then returns a transient error and the broker redelivers,
//     until attempts reaches ILL_NOTICE_ATTEMPTS (or an error is permanent,
//     e.g. an SMTP 5xx or a webhook 4xx): status failed and a non-retryable
//     error, so the message is dead-lettered (illctl dlq list).
//
// Delivery is therefore at least once: a crash (or a lost database) between
// a successful send and step 3 re-sends that channel once on redelivery.
// E-mails carry a stable Message-ID and webhooks the notice id, so
// receivers can recognise the repeat. A duplicate message processed at the
// same moment by two consumers may likewise send twice; status and inbox
// stay consistent because step 3 re-checks the locked row.
//
// A failed notice is not retried by replaying its dead letter alone (the
// row says failed): set it back to pending first (docs/notices.md).
func (p *Pool) Handle(ctx context.Context, d rabbitmq.Delivery) error {
	m, err := consumers.Decode(d)
	if err != nil {
		return err
	}
	var ref ill.NoticeRef
	if err := json.Unmarshal(m.Body, &ref); err != nil || (ref.NoticeID == 0 && !ref.ByKey()) {
		return ill.Errorf(ill.CodeBadRequest, "notice message names no notice (notice_id, or request_id and kind)")
	}

	// 1. Read the notice and its library's channels: plain reads, no
	// transaction (nothing is held while sending; step 3 records a final
	// outcome only if the notice is still pending, and re-reads a failed
	// round's row under its lock).
	var stored *ill.StoredNotice
	if ref.ByKey() {
		stored, err = p.Store.NoticeByKey(ctx, ref)
	} else {
		stored, err = p.Store.Notice(ctx, ref.NoticeID)
	}
	if err != nil {
		return err
	}
	id := stored.ID
	if stored.Status.Settled() {
		return nil // a duplicate or a replay of a settled notice
	}
	lib, err := p.Store.Library(ctx, stored.Library)
	if err != nil {
		return err
	}
	x := notify.Notice{ID: stored.ID, RequestID: stored.RequestID, Kind: stored.Kind, Step: stored.Step,
		Library: stored.Library, PatronID: stored.PatronID, Locale: stored.Locale, Subject: stored.Subject,
		Body: stored.Body, CreatedAt: stored.CreatedAt, Recipient: stored.Recipient,
		WebhookURL: lib.WebhookURL, WebhookSecret: lib.WebhookSecret}
	log := p.Log.With("notice_id", id, "request_id", stored.RequestID, "kind", stored.Kind, "message_id", m.ID)
	delivered := splitChannels(stored.DeliveredVia)
	var channels []notify.Channel
	if p.Notifier != nil {
		channels = p.Notifier.Channels(x)
	}
	if len(channels) == 0 && len(delivered) == 0 {
		log.Info("notice stored; no delivery channel configured", "status", ill.NoticeNotConfigured)
		return p.settleNotice(ctx, stored, ill.NoticeOutcome{Status: ill.NoticeNotConfigured})
	}

	// 2. Send, outside any transaction.
	sendCtx, cancel := ctx, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		sendCtx, cancel = context.WithDeadline(ctx, dl.Add(-sendReserve))
	}
	var problems []string
	permanent, attempted := false, false
	for _, ch := range channels {
		if slices.Contains(delivered, ch) {
			continue
		}
		attempted = true
		if err := p.Notifier.Send(sendCtx, ch, x); err != nil {
			permanent = permanent || notify.IsPermanent(err)
			problems = append(problems, string(ch)+": "+err.Error())
			log.Warn("notice delivery failed", "channel", ch, "permanent", notify.IsPermanent(err), "err", err)
			continue
		}
		delivered = append(delivered, ch)
		log.Info("notice delivered", "channel", ch)
	}
	cancel()

	// 3. Record.
	if len(problems) == 0 {
		return p.settleNotice(ctx, stored, ill.NoticeOutcome{Status: ill.NoticeSent, Attempted: attempted,
			DeliveredVia: joinChannels(delivered)})
	}
	failed := false
	var attempts int
	err = p.Store.InTx(ctx, func(tx *mysql.Tx) error {
		n, err := tx.LockNotice(ctx, id)
		if err != nil {
			return err
		}
		if n.Status.Settled() {
			failed = n.Status == ill.NoticeFailed
			return nil // settled meanwhile by a duplicate delivery
		}
		attempts = n.Attempts + 1
		failed = permanent || attempts >= p.Notifier.MaxAttempts()
		status := ill.NoticePending
		if failed {
			status = ill.NoticeFailed
		}
		all := mergeChannels(splitChannels(n.DeliveredVia), delivered)
		return tx.RecordNoticeOutcome(ctx, id, ill.NoticeOutcome{Status: status, Attempted: true,
			DeliveredVia: joinChannels(all), LastError: strings.Join(problems, "; ")}, time.Now())
	})
	if err != nil {
		return err
	}
	if failed {
		log.Error("notice failed; dead-lettering its message", "attempts", attempts, "permanent", permanent)
		// conflict: dead-lettered at once (ill.DispositionFor); the
		// notice row says failed, staff see it and the DLQ shows it.
		return ill.Errorf(ill.CodeUndeliverable, "notice %d failed after %d delivery attempt(s): %s",
			id, attempts, strings.Join(problems, "; "))
	}
	return ill.Errorf(ill.CodeTransient, "notice %d: delivery attempt %d of %d failed: %s",
		id, attempts, p.Notifier.MaxAttempts(), strings.Join(problems, "; "))
}

// settleNotice records a final sent or not_configured outcome, in one
// statement that changes the notice only while it is pending. The
// notice's own status is the record of its delivery: a redelivered
// message finds it settled and changes nothing, so no inbox row is
// written. The channels already delivered are those stored said.
func (p *Pool) settleNotice(ctx context.Context, stored *ill.StoredNotice, o ill.NoticeOutcome) error {
	o.DeliveredVia = joinChannels(mergeChannels(splitChannels(stored.DeliveredVia), splitChannels(o.DeliveredVia)))
	return p.Store.SettleNotice(ctx, stored.ID, o, time.Now())
}

func splitChannels(s string) []notify.Channel {
	var out []notify.Channel
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, notify.Channel(c))
		}
	}
	return out
}

func mergeChannels(a, b []notify.Channel) []notify.Channel {
	out := slices.Clone(a)
	for _, c := range b {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func joinChannels(cs []notify.Channel) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

var _ Notifier = (*notify.Notifier)(nil)
