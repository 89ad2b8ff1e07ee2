package ncip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultTimeout bounds one call when the Client has no HTTP client of its
// own.
const DefaultTimeout = 10 * time.Second

var defaultHTTP = &http.Client{Timeout: DefaultTimeout}

// ErrProblem marks a definitive answer: the ILS answered the call with
// NCIP Problems (an unknown user, an item it cannot check out, …).
// Sending the same call again would get the same answer, so the hub does
// not retry it. Every other error (unreachable, timeout, an HTTP error, an
// answer that is not the expected NCIP response, a "Temporary Processing
// Failure" Problem) is worth retrying.
var ErrProblem = errors.New("ncip problem")

// Client posts NCIP messages to ILS endpoints (one POST of the XML per
// call, the response in the answer's body). Safe for concurrent use.
type Client struct {
	HTTP *http.Client // nil: a shared client with DefaultTimeout
}

// Call posts doc, whose service is service (LookupUser, …), and returns
// the response message when it is service's response without Problems.
// With Problems the response is returned too, with an error wrapping
// ErrProblem unless the Problem is temporary.
func (c Client) Call(ctx context.Context, endpoint, service string, doc []byte) (*Message, error) {
	if endpoint == "" {
		return nil, errors.New("ncip: no endpoint")
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
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxDoc+1))
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("ncip: HTTP %d from the ILS", res.StatusCode)
	}
	m, err := Parse(body)
	if err != nil {
		return nil, err
	}
	if got := m.Service(); got != service+"Response" && got != "Problem" {
		return m, fmt.Errorf("ncip: the ILS answered %s to %s", got, service)
	}
	if ps := m.Problems(); len(ps) > 0 {
		var texts []string
		temporary := false
		for _, p := range ps {
			texts = append(texts, p.String())
			temporary = temporary || strings.Contains(strings.ToLower(p.Type.Value), "temporary")
		}
		if temporary {
			return m, fmt.Errorf("ncip: temporary problem: %s", strings.Join(texts, "; "))
		}
		return m, fmt.Errorf("%w: %s", ErrProblem, strings.Join(texts, "; "))
	}
	return m, nil
}
