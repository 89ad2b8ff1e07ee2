// Package client delivers ISO 18626 messages to member systems over HTTP:
// one POST of the XML document per message, whose answer must be the
// member's confirmation. The hub's ISO delivery pool (package consumers/isoout) uses
// it; it keeps no state besides its HTTP client, so one Client serves every
// delivery of a process and reuses its connections (keep-alive).
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/balis/illhub/iso18626"
)

// DefaultTimeout bounds one post when the Client has no HTTP client of its
// own: connecting, sending and reading the confirmation.
const DefaultTimeout = 10 * time.Second

// maxAnswer bounds how much of a member's answer is read.
const maxAnswer = 1 << 20

// ErrRefused marks a member's refusal: an HTTP error status, an answer
// that is not an ISO 18626 confirmation, or an ERROR confirmation. Other
// errors are the transport's (unreachable endpoint, timeout).
var ErrRefused = errors.New("iso18626")

// defaultHTTP is shared by every Client without an HTTP client of its own,
// so their connections are reused.
var defaultHTTP = NewHTTP(DefaultTimeout, 0)

// NewHTTP returns an HTTP client for posting to member endpoints: timeout
// bounds one post (connecting, sending, reading the answer; 0:
// DefaultTimeout), and its transport keeps up to perHost idle connections
// per member endpoint (0: 16) alive for 90 s, so concurrent deliveries to
// one member reuse their connections instead of opening one per message
// (net/http's default keeps only 2 idle per host, and the rest are closed
// after every post). Proxies are taken from the environment, as
// http.DefaultTransport does.
func NewHTTP(timeout time.Duration, perHost int) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if perHost <= 0 {
		perHost = 16
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = perHost
	t.MaxIdleConns = max(t.MaxIdleConns, 4*perHost)
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Timeout: timeout, Transport: t}
}

// Client posts ISO 18626 messages to member endpoints.
type Client struct {
	// HTTP sends the posts; it sets the timeout (nil: a shared client with
	// DefaultTimeout). Its transport's connections are kept alive.
	HTTP *http.Client
}

// Send posts doc, an ISO 18626 message, to endpoint and returns the
// member's confirmation when its status is OK. Otherwise the error says
// what went wrong and wraps ErrRefused when the member answered (the
// confirmation is returned too when there was one). Safe for concurrent
// use.
func (c Client) Send(ctx context.Context, endpoint string, doc []byte) (*iso18626.Confirmation, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("%w: the member has no ISO 18626 endpoint", ErrRefused)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%w: HTTP %d from %s", ErrRefused, res.StatusCode, endpoint)
	}
	m, prob := iso18626.Parse(body)
	if prob != nil || m.Confirmation() == nil {
		return nil, fmt.Errorf("%w: the answer is not an ISO 18626 confirmation", ErrRefused)
	}
	conf := m.Confirmation()
	if conf.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
		if e := conf.ErrorData; e != nil {
			return conf, fmt.Errorf("%w: ERROR confirmation: %s: %s", ErrRefused, e.ErrorType, e.ErrorValue)
		}
		return conf, fmt.Errorf("%w: ERROR confirmation", ErrRefused)
	}
	return conf, nil
}
