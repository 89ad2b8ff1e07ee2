package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balis/illhub/ill"
)

// SMTP sends notices as e-mail with net/smtp.
type SMTP struct {
	Addr     string // host:port (ILL_SMTP_ADDR)
	From     string // envelope sender and From: (ILL_SMTP_FROM), "addr" or "Name <addr>"
	Username string // AUTH PLAIN when set (ILL_SMTP_USERNAME)
	Password string // never logged (ILL_SMTP_PASSWORD)
	// TLS is none (plain text; only for a relay on localhost or a trusted
	// network), starttls (upgrade required; the default) or tls (implicit
	// TLS, e.g. port 465). The server certificate is always verified.
	TLS string
	// TLSConfig, when set, is the base TLS configuration (e.g. RootCAs);
	// ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds one whole SMTP conversation (default 20s).
	Timeout time.Duration
	// LocalName is the EHLO name (default: the host name).
	LocalName string
	Now       func() time.Time
}

// String describes the server without the password.
func (s *SMTP) String() string {
	if s == nil {
		return "smtp(none)"
	}
	u := ""
	if s.Username != "" {
		u = s.Username + "@"
	}
	return fmt.Sprintf("smtp://%s%s (tls=%s)", u, s.Addr, s.mode())
}

// GoString is String: %#v must not print the password either.
func (s *SMTP) GoString() string { return s.String() }

// LogValue keeps the password out of structured logs.
func (s *SMTP) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s *SMTP) mode() string {
	m := strings.ToLower(strings.TrimSpace(s.TLS))
	if m == "" {
		return "starttls"
	}
	return m
}

// Send mails x to x.Recipient. 5xx replies, invalid addresses and
// configuration errors are permanent; connection problems and 4xx replies
// are transient.
func (s *SMTP) Send(ctx context.Context, x Notice) error {
	mode := s.mode()
	if mode != "none" && mode != "starttls" && mode != "tls" {
		return Permanent(fmt.Errorf("smtp: ILL_SMTP_TLS=%q: want none, starttls or tls", s.TLS))
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: ILL_SMTP_ADDR=%q: want host:port", s.Addr))
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: ILL_SMTP_FROM=%q: %v", s.From, err))
	}
	to, err := mail.ParseAddress(x.Recipient)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: notice %d: invalid recipient address: %v", x.ID, err))
	}
	if s.Username != "" && mode == "none" && !isLocal(host) {
		return Permanent(errors.New("smtp: refusing to send the SMTP password unencrypted to a remote server: set ILL_SMTP_TLS=starttls or tls"))
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	msg := buildMessage(from, to, x, now())

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tcfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tcfg = s.TLSConfig.Clone()
	}
	if tcfg.ServerName == "" {
		tcfg.ServerName = host
	}
	dialer := &net.Dialer{Deadline: deadline}
	var conn net.Conn
	if mode == "tls" {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tcfg}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: connect: %v", s.Addr, err)
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return s.fail("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.localName()); err != nil {
		return s.fail("EHLO", err)
	}
	if mode == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return Permanent(fmt.Errorf("smtp %s: server does not offer STARTTLS (ILL_SMTP_TLS=starttls); use tls or, for a local relay, none", s.Addr))
		}
		if err := c.StartTLS(tcfg); err != nil {
			return s.fail("STARTTLS", err)
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return Permanent(fmt.Errorf("smtp %s: server does not offer AUTH but ILL_SMTP_USERNAME is set", s.Addr))
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return s.fail("AUTH", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return s.fail("MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return s.fail("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.fail("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return s.fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.fail("end of DATA", err)
	}
	// The message is accepted: a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// fail wraps an SMTP error; a 5xx reply is permanent.
func (s *SMTP) fail(step string, err error) error {
	err = fmt.Errorf("smtp %s: %s: %w", s.Addr, step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}

func (s *SMTP) localName() string {
	if s.LocalName != "" {
		return s.LocalName
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

func isLocal(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// buildMessage renders x as an RFC 5322 message: UTF-8 subject encoded as
// RFC 2047 words, base64 UTF-8 text body with CRLF line ends. The
// Message-ID is stable per notice, so a re-sent notice (delivery is at
// least once) can be recognised by mail systems and readers.
func buildMessage(from, to *mail.Address, x Notice, now time.Time) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	domain := "illhub.invalid"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i < len(from.Address)-1 {
		domain = from.Address[i+1:]
	}
	lang, footer := "zh-CN", "—— 本邮件由 BALIS 馆际互借服务（illhub）自动发送，请勿直接回复。"
	if x.Locale == "en" {
		lang, footer = "en", "— Sent automatically by the BALIS interlibrary-loan hub (illhub). Please do not reply."
	}
	reqID := unsafeID.ReplaceAllString(x.RequestID, "")
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", encodeHeader(x.Subject))
	hdr("Date", now.In(ill.Shanghai).Format(time.RFC1123Z))
	hdr("Message-ID", "<illhub.notice."+strconv.FormatInt(x.ID, 10)+"."+reqID+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=UTF-8")
	hdr("Content-Transfer-Encoding", "base64")
	hdr("Content-Language", lang)
	hdr("Auto-Submitted", "auto-generated")
	hdr("X-Illhub-Notice-Id", strconv.FormatInt(x.ID, 10))
	hdr("X-Illhub-Request-Id", reqID)
	hdr("X-Illhub-Kind", unsafeID.ReplaceAllString(x.Kind, ""))
	b.WriteString("\r\n")
	text := strings.ReplaceAll(x.Body, "\r\n", "\n") + "\n\n" + footer + "\n"
	text = strings.ReplaceAll(text, "\n", "\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// encodeHeader encodes a header value as RFC 2047 B-encoded UTF-8 words
// when it is not plain printable ASCII. Words carry at most 36 bytes of
// text (60 characters encoded) on lines of their own, so that every header
// line stays within 78 characters.
func encodeHeader(v string) string {
	v = strings.Join(strings.Fields(v), " ") // no CR/LF (header injection), no runs of blanks
	plain := !strings.Contains(v, "=?")
	for i := 0; i < len(v) && plain; i++ {
		plain = v[i] >= 0x20 && v[i] <= 0x7e
	}
	if plain {
		return v
	}
	var words []string
	start := 0
	for i, r := range v {
		if i+utf8.RuneLen(r)-start > 36 {
			words = append(words, bWord(v[start:i]))
			start = i
		}
	}
	words = append(words, bWord(v[start:]))
	return strings.Join(words, "\r\n ")
}

// bWord is one RFC 2047 encoded word (mime.BEncoding would leave an ASCII
// chunk unencoded, which must not stand next to encoded words).
func bWord(s string) string {
	return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}
