package loadtest

// The ISO 18626 brokering phase: a member library's own system posts
// ISO 18626 requests to the hub (POST /iso18626, addressed to the hub's
// symbol), the hub routes each to the one member holding the book and
// forwards it to that member's ISO 18626 endpoint, which the tool runs
// (Supplier). Measured: the intake's OK confirmations per second
// (accepted/s), the requests reaching the supplier per second
// (forwarded/s) and each request's time from its POST to its arrival at
// the supplier.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/iso18626"
)

// Supplier is a member's ISO 18626 system run by the tool: it answers
// every message with an OK confirmation and records when each request
// arrived, by its patron id (the hub forwards the requester's patron id).
type Supplier struct {
	srv *http.Server
	url string

	mu      sync.Mutex
	arrived map[string]time.Time
	waiters map[string]chan struct{}
	other   atomic.Int64 // messages other than requests (to either endpoint)
}

// StartSupplier listens on a free local port. Its endpoints are
// URL()+"/supplier" (the supplying member) and URL()+"/requester" (the
// requesting member's own system, which the hub informs too).
func StartSupplier() (*Supplier, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Supplier{url: "http://" + ln.Addr().String(), arrived: map[string]time.Time{}, waiters: map[string]chan struct{}{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the server's base address.
func (s *Supplier) URL() string { return s.url }

// Close stops the server.
func (s *Supplier) Close() error { return s.srv.Close() }

func (s *Supplier) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	m, p := iso18626.Parse(body)
	if p == nil && m.Request != nil && m.Request.PatronInfo != nil && r.URL.Path == "/supplier" {
		s.mu.Lock()
		id := m.Request.PatronInfo.PatronID
		if _, dup := s.arrived[id]; !dup {
			s.arrived[id] = at
			if ch := s.waiters[id]; ch != nil {
				close(ch)
				delete(s.waiters, id)
			}
		}
		s.mu.Unlock()
	} else {
		s.other.Add(1)
	}
	if p != nil {
		m = nil
	}
	out, err := iso18626.Marshal(iso18626.Confirm(m, nil, at, time.Now()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(out)
}

// arrival returns when the request of patron arrived (ok=false: not yet).
func (s *Supplier) arrival(patron string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.arrived[patron]
	return at, ok
}

// wait returns a channel closed when patron's request has arrived.
func (s *Supplier) wait(patron string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if _, ok := s.arrived[patron]; ok {
		close(ch)
		return ch
	}
	if w := s.waiters[patron]; w != nil {
		return w
	}
	s.waiters[patron] = ch
	return ch
}

// ISOOptions configure an ISO 18626 brokering phase.
type ISOOptions struct {
	HubURL    string // the producer, e.g. http://127.0.0.1:8080 (posts go to /iso18626)
	HubSymbol string // the hub's agency id, the requests' supplyingAgencyId
	// Requester is the requesting member's symbol and Secret its
	// securityCode; ISBNs are books only the supplier holds.
	Requester, Secret string
	ISBNs             []string
	Supplier          *Supplier
	N, C              int     // requests; clients (closed loop)
	Rate              float64 // > 0: requests posted per second instead (open loop)
	// Timeout bounds the wait for the forwarded requests after the last
	// post (default 30 s).
	Timeout time.Duration
	RunID   string
	Client  *http.Client
}

// ISOResult is what an ISO 18626 phase measured.
type ISOResult struct {
	N, C      int
	Rate      float64
	Accepted  int             // posts answered 200 with an OK confirmation
	Forwarded int             // accepted requests that reached the supplier
	Failed    int             // posts not accepted (transport error, non-200, ERROR confirmation)
	Retries   int             // 429/503 answers retried
	Posting   time.Duration   // first post until the last answer
	Elapsed   time.Duration   // first post until the last arrival at the supplier
	Accept    []time.Duration // post until the confirmation
	Forward   []time.Duration // post until the supplier received the request
	Errors    []string
}

// AcceptedPerSecond is the intake's OK confirmations per second.
func (r *ISOResult) AcceptedPerSecond() float64 {
	if r.Posting <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Posting.Seconds()
}

// ForwardedPerSecond is the requests reaching the supplier per second,
// from the first post to the last arrival.
func (r *ISOResult) ForwardedPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Forwarded) / r.Elapsed.Seconds()
}

// RunISO runs one phase. It returns an error only when it cannot run.
func RunISO(ctx context.Context, o ISOOptions) (*ISOResult, error) {
	if o.N <= 0 || o.C <= 0 || len(o.ISBNs) == 0 || o.HubURL == "" || o.Supplier == nil || o.Requester == "" {
		return nil, errors.New("loadtest: N, C, ISBNs, HubURL, Supplier and Requester are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.RunID == "" {
		o.RunID = fmt.Sprintf("%x", time.Now().UnixNano())
	}
	if o.HubSymbol == "" {
		o.HubSymbol = "BALIS"
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 4 * o.C, IdleConnTimeout: 90 * time.Second}}
	}
	res := &ISOResult{N: o.N, C: o.C, Rate: o.Rate}
	var mu sync.Mutex
	type sent struct {
		patron string
		at     time.Time
	}
	var accepted []sent
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 18626))
	one := func(i int) {
		mu.Lock()
		isbn := o.ISBNs[rng.IntN(len(o.ISBNs))]
		mu.Unlock()
		patron := fmt.Sprintf("I%s-%d", o.RunID, i)
		start := time.Now()
		retries, err := o.post(ctx, fmt.Sprintf("iso-%s-%d", o.RunID, i), patron, isbn)
		took := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		res.Retries += retries
		if err != nil {
			res.Failed++
			if len(res.Errors) < 10 {
				res.Errors = append(res.Errors, err.Error())
			}
			return
		}
		res.Accepted++
		res.Accept = append(res.Accept, took)
		accepted = append(accepted, sent{patron, start})
	}
	start := time.Now()
	drive(ctx, o.N, o.C, o.Rate, one)
	res.Posting = time.Since(start)
	deadline := time.After(o.Timeout)
	var last time.Time
wait:
	for _, s := range accepted {
		select {
		case <-o.Supplier.wait(s.patron):
		case <-deadline:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	for _, s := range accepted {
		at, ok := o.Supplier.arrival(s.patron)
		if !ok {
			if len(res.Errors) < 10 {
				res.Errors = append(res.Errors, fmt.Sprintf("request of patron %s not forwarded to the supplier within %v", s.patron, o.Timeout))
			}
			continue
		}
		res.Forwarded++
		res.Forward = append(res.Forward, at.Sub(s.at))
		if at.After(last) {
			last = at
		}
	}
	res.Elapsed = last.Sub(start)
	return res, ctx.Err()
}

// post sends one ISO 18626 request as the requester, to the hub's symbol;
// 429 and 503 (the intake's back-pressure) are retried after a pause.
func (o *ISOOptions) post(ctx context.Context, rid, patron, isbn string) (int, error) {
	now := time.Now()
	doc, err := iso18626.Marshal(&iso18626.Message{Request: &iso18626.Request{
		Header: iso18626.Header{SupplyingAgencyID: iso18626.Agency(o.HubSymbol), RequestingAgencyID: iso18626.Agency(o.Requester),
			Timestamp: iso18626.Time(now), RequestingAgencyRequestID: rid,
			RequestingAgencyAuthentication: &iso18626.Authentication{SecurityCode: o.Secret}},
		BibliographicInfo: iso18626.BibliographicInfo{BibliographicItemID: []iso18626.BibliographicItemID{
			{Identifier: isbn, Code: iso18626.SchemeValue{Value: "ISBN"}}}},
		ServiceInfo: &iso18626.ServiceInfo{RequestType: iso18626.RequestNew, ServiceType: iso18626.ServiceLoan},
		PatronInfo:  &iso18626.PatronInfo{PatronID: patron, Surname: "负载", GivenName: "测试"}}})
	if err != nil {
		return 0, err
	}
	for retries := 0; ; retries++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.HubURL+"/iso18626", bytes.NewReader(doc))
		if err != nil {
			return retries, err
		}
		req.Header.Set("Content-Type", "application/xml; charset=utf-8")
		res, err := o.Client.Do(req)
		if err != nil {
			return retries, err
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if (res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable) && retries < 20 {
			select {
			case <-ctx.Done():
				return retries, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if res.StatusCode != http.StatusOK {
			return retries, fmt.Errorf("%s: HTTP %d: %.200s", rid, res.StatusCode, body)
		}
		m, p := iso18626.Parse(body)
		if p != nil || m.Confirmation() == nil {
			return retries, fmt.Errorf("%s: the answer is not a confirmation: %.200s", rid, body)
		}
		if c := m.Confirmation(); c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
			why := ""
			if c.ErrorData != nil {
				why = string(c.ErrorData.ErrorType) + ": " + c.ErrorData.ErrorValue
			}
			return retries, fmt.Errorf("%s: ERROR confirmation: %s", rid, why)
		}
		return retries, nil
	}
}

// writeISO writes the report's ISO 18626 brokering section.
func writeISO(w io.Writer, rs []*ISOResult) {
	fmt.Fprintln(w, "## ISO 18626 brokering")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A member system posts ISO 18626 requests to the hub's symbol (POST /iso18626, with its securityCode); the hub "+
		"routes each to the one member holding the book and forwards it to that member's ISO 18626 endpoint, run by the tool. "+
		"accepted: 200 with an OK confirmation; forwarded: the request reached the supplier; request → supplier: from the POST "+
		"to the supplier's receipt.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| phase | requests | accepted | accepted/s | forwarded | forwarded/s | forwarded/s ÷ accepted/s | confirmation p50 / p99 (ms) | request → supplier p50 / p95 / p99 (ms) | retried 429/503 | failed |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		phase := fmt.Sprintf("C=%d (closed loop)", r.C)
		if r.Rate > 0 {
			phase = fmt.Sprintf("%.1f/s (open loop)", r.Rate)
		}
		ratio := 0.0
		if a := r.AcceptedPerSecond(); a > 0 {
			ratio = r.ForwardedPerSecond() / a
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.1f | %d | %.1f | %.2f | %s / %s | %s / %s / %s | %d | %d |\n", phase, r.N, r.Accepted,
			r.AcceptedPerSecond(), r.Forwarded, r.ForwardedPerSecond(), ratio,
			ms(Percentile(r.Accept, 50)), ms(Percentile(r.Accept, 99)),
			ms(Percentile(r.Forward, 50)), ms(Percentile(r.Forward, 95)), ms(Percentile(r.Forward, 99)), r.Retries, r.Failed)
	}
	for _, r := range rs {
		for _, e := range r.Errors {
			fmt.Fprintf(w, "\n- %s", e)
		}
	}
	fmt.Fprintln(w)
}
