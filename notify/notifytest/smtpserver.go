// Package notifytest has test doubles for package notify: a small SMTP
// server on 127.0.0.1 that records the messages it accepts, a self-signed
// certificate for its TLS modes, and a decoder for the received messages.
// For tests only.
package notifytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	From     string   // MAIL FROM address
	To       []string // RCPT TO addresses
	Data     []byte   // the message as received (dot-unstuffed)
	TLS      bool     // the session was encrypted (STARTTLS or implicit TLS)
	AuthUser string   // AUTH PLAIN user, if any
	AuthPass string
}

// SMTPServer is a minimal SMTP server: EHLO/HELO, STARTTLS, AUTH PLAIN,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type SMTPServer struct {
	Addr string // 127.0.0.1:port
	// Cert is the server's self-signed certificate (for the client's
	// RootCAs) when the server speaks TLS.
	Cert *x509.Certificate

	ln       net.Listener
	tlsCfg   *tls.Config
	implicit bool

	mu       sync.Mutex
	msgs     []Message
	failData []int // reply codes for the next DATA ends (then 250)
	arrived  chan struct{}
	wg       sync.WaitGroup
}

// Mode of NewSMTPServer.
const (
	PlainText = "none"     // no TLS offered
	StartTLS  = "starttls" // STARTTLS offered
	Implicit  = "tls"      // TLS from the first byte
)

// NewSMTPServer starts a server on 127.0.0.1:0 in mode (PlainText,
// StartTLS, Implicit) and stops it when the test ends.
func NewSMTPServer(t testing.TB, mode string) *SMTPServer {
	t.Helper()
	s := &SMTPServer{arrived: make(chan struct{}, 1024)}
	if mode == StartTLS || mode == Implicit {
		cert, leaf := SelfSigned(t)
		s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.Cert = leaf
		s.implicit = mode == Implicit
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, s.tlsCfg)
	}
	s.ln, s.Addr = ln, ln.Addr().String()
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// RootCAs is a pool with the server certificate (nil without TLS).
func (s *SMTPServer) RootCAs() *x509.CertPool {
	if s.Cert == nil {
		return nil
	}
	p := x509.NewCertPool()
	p.AddCert(s.Cert)
	return p
}

// FailData makes the next len(codes) DATA ends answer with these codes
// (e.g. 451 for a transient failure, 554 for a permanent one).
func (s *SMTPServer) FailData(codes ...int) {
	s.mu.Lock()
	s.failData = append(s.failData, codes...)
	s.mu.Unlock()
}

// Messages returns the accepted messages so far.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until a message accepted so far or later satisfies match,
// and returns it; it fails the test after timeout.
func (s *SMTPServer) WaitFor(t testing.TB, timeout time.Duration, match func(Message) bool) Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, m := range s.Messages() {
			if match(m) {
				return m
			}
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("notifytest: no matching message within %s; got %d messages", timeout, len(s.Messages()))
			return Message{}
		}
	}
}

func (s *SMTPServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			s.session(c)
		}()
	}
}

func (s *SMTPServer) session(c net.Conn) {
	tp := textproto.NewConn(c)
	_, encrypted := c.(*tls.Conn)
	reply := func(code int, lines ...string) {
		for i, l := range lines {
			sep := " "
			if i < len(lines)-1 {
				sep = "-"
			}
			_ = tp.PrintfLine("%d%s%s", code, sep, l)
		}
	}
	reply(220, "notifytest ESMTP ready")
	var m Message
	var user, pass string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"notifytest", "8BITMIME", "AUTH PLAIN"}
			if s.tlsCfg != nil && !encrypted {
				ext = append(ext, "STARTTLS")
			}
			reply(250, ext...)
		case "HELO":
			reply(250, "notifytest")
		case "STARTTLS":
			if s.tlsCfg == nil || encrypted {
				reply(502, "not available")
				continue
			}
			reply(220, "go ahead")
			tc := tls.Server(c, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, encrypted = tc, true
			tp = textproto.NewConn(tc)
			m, user, pass = Message{}, "", ""
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				reply(504, "unsupported mechanism")
				continue
			}
			if ir == "" {
				reply(334, "")
				if ir, err = tp.ReadLine(); err != nil {
					return
				}
			}
			raw, err := base64.StdEncoding.DecodeString(ir)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 {
				reply(501, "bad AUTH PLAIN")
				continue
			}
			user, pass = parts[1], parts[2]
			reply(235, "authenticated")
		case "MAIL":
			m = Message{From: addrArg(arg), TLS: encrypted, AuthUser: user, AuthPass: pass}
			reply(250, "ok")
		case "RCPT":
			m.To = append(m.To, addrArg(arg))
			reply(250, "ok")
		case "DATA":
			if m.From == "" || len(m.To) == 0 {
				reply(503, "need MAIL and RCPT")
				continue
			}
			reply(354, "end with <CRLF>.<CRLF>")
			data, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			m.Data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")) // DotReader yields \n line ends
			s.mu.Lock()
			code := 250
			if len(s.failData) > 0 {
				code, s.failData = s.failData[0], s.failData[1:]
			}
			if code == 250 {
				s.msgs = append(s.msgs, m)
			}
			s.mu.Unlock()
			if code == 250 {
				select {
				case s.arrived <- struct{}{}:
				default:
				}
				reply(250, "queued")
			} else {
				reply(code, "simulated failure")
			}
			m = Message{TLS: encrypted, AuthUser: user, AuthPass: pass}
		case "RSET":
			m = Message{TLS: encrypted, AuthUser: user, AuthPass: pass}
			reply(250, "ok")
		case "NOOP":
			reply(250, "ok")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, "command not implemented")
		}
	}
}

// addrArg extracts the address of "FROM:<a@b> BODY=8BITMIME".
func addrArg(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

// SelfSigned makes a certificate for 127.0.0.1 and localhost.
func SelfSigned(t testing.TB) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "notifytest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// Decoded is a received message with its subject and text body decoded.
type Decoded struct {
	Header  mail.Header
	Subject string
	Body    string
}

// Decode parses a received message: RFC 2047 subject, base64 or
// quoted-printable or plain body.
func Decode(raw []byte) (Decoded, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Decoded{}, err
	}
	var d Decoded
	d.Header = msg.Header
	if d.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return d, fmt.Errorf("subject: %w", err)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return d, err
	}
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "base64":
		clean := strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' {
				return -1
			}
			return r
		}, string(body))
		b, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			return d, fmt.Errorf("body: %w", err)
		}
		body = b
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return d, fmt.Errorf("body: %w", err)
		}
		body = b
	}
	d.Body = string(body)
	return d, nil
}
