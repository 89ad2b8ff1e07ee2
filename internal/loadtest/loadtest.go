// Package loadtest drives full interlibrary-loan lifecycles through the
// public HTTP API and measures them (cmd/illbench), and measures the raw
// ceilings of the broker and the database on the same machine, so the
// end-to-end result can be stated as a ratio.
//
// One lifecycle is the whole life of a request, each step an API call
// followed by waiting until the consumers applied it, seen through the
// public API: one watcher polls GET /v1/requests?ids=… (the centre's key)
// for all requests in flight at once (watch.go):
//
//	submit → REQUESTED → respond → WILL_SUPPLY → ship → SHIPPED → receive →
//	RECEIVED → checkout → ON_LOAN → return → RETURNED → ship_return →
//	RETURN_SHIPPED → checkin → COMPLETED
//
// A step's latency runs from sending the POST to the first poll that shows
// the new state: it includes the publisher confirm, the queue, the
// consumer's transaction and up to one polling interval (Options.Poll)
// and the batched GET itself.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Step is one API action of the lifecycle and the state it leads to.
type Step struct {
	Name   string // "submit" or the action
	Caller string // "borrower" or "lender"
	Body   map[string]any
	Want   ill.State
}

// Lifecycle is the sequence every driven request goes through.
var Lifecycle = []Step{
	{"submit", "borrower", nil, ill.Requested},
	{"respond", "lender", map[string]any{"decision": "will_supply"}, ill.WillSupply},
	{"ship", "lender", map[string]any{"item_barcode": "31000012345"}, ill.Shipped}, // a barcode per lifecycle in Run
	{"receive", "borrower", nil, ill.Received},
	{"checkout", "borrower", nil, ill.OnLoan},
	{"return", "borrower", map[string]any{"condition": "good"}, ill.Returned},
	{"ship_return", "borrower", nil, ill.ReturnShipped},
	{"checkin", "lender", map[string]any{"condition": "good"}, ill.Completed},
}

// Pair is a unit of work: a borrowing library and a catalogue record it
// does not hold but another member lends.
type Pair struct {
	Borrower string
	RecordID int64
}

// Options configure a run.
type Options struct {
	BaseURL string // the producer, e.g. http://127.0.0.1:8080
	// Key returns the API key of a library (default ill.DemoKey).
	Key   func(library string) string
	Pairs []Pair // work items, chosen at random
	N     int    // lifecycles
	C     int    // concurrent lifecycles (closed loop)
	// Rate, when > 0, starts lifecycles at this many per second instead
	// (open loop, at most 4×C in flight): latency at a given load.
	Rate float64
	// Poll is how long after a look that did not find its state a
	// request is looked at again (default 5 ms closed loop, 2 ms open
	// loop); its first look comes after a share of its step's recent
	// median "applied" latency (firstPoll), so that most requests are read
	// once or twice per step. Looks due together share one batched GET
	// (watcher).
	Poll time.Duration
	// StepTimeout fails a lifecycle whose state does not appear in time
	// (default 60 s).
	StepTimeout time.Duration
	RunID       string // makes client_request_ids unique (default: the start time)
	Client      *http.Client
}

// StepResult is what one step measured.
type StepResult struct {
	Name     string
	Want     ill.State
	Done     int
	Accept   []time.Duration // POST until 202 (publisher confirm)
	Applied  []time.Duration // POST until the state is visible
	Retries  int             // 429/503 answers retried
	Failures int
	Polls    int // batched GETs that included the request while waiting for the state

	recent []time.Duration // the last applied latencies (ring), for the first-poll delay
}

// firstPoll is how long to wait before the first poll: share (in tenths)
// of the median of the step's last 64 applied latencies (0 until 8 are
// known). Caller holds the run's mutex.
//
// The delay feeds back into what it is computed from: a request is never
// seen before its first poll, so a measured latency is at least share ×
// the recent median, plus the GET itself and, in closed-loop runs, the
// wait for the next batched GET (δ). When the true latency is below the
// fixed point δ / (1 − share), the median settles there instead: 10 δ at 9
// tenths, about 3 δ at 7. Closed-loop runs (latency in the hundreds of ms,
// δ up to Options.Poll) use 9 tenths, which reads most requests once; the
// open-loop phases, whose reads are made when a request is due (δ is the
// GET, 1–2 ms here, so the fixed point stays below one pass through the
// pipeline), use 7.
func (sr *StepResult) firstPoll(share int) time.Duration {
	if len(sr.recent) < 8 {
		return 0
	}
	s := slices.Clone(sr.recent)
	slices.Sort(s)
	return s[len(s)/2] * time.Duration(share) / 10
}

func (sr *StepResult) observe(d time.Duration) {
	if len(sr.recent) < 64 {
		sr.recent = append(sr.recent, d)
		return
	}
	sr.recent[sr.Done%64] = d
}

// Result of a run.
type Result struct {
	N, C      int
	Rate      float64
	Elapsed   time.Duration
	Completed int // lifecycles that reached COMPLETED
	// NotRouted counts submits that ended UNFILLED/REJECTED (not an
	// error: the router found no lender); they are not continued.
	NotRouted int
	Failed    int
	Polls     int      // batched GETs the watcher made
	Host      HostLoad // the machine's CPU over the phase (zero: not read)
	Errors    []string // the first few failures
	Steps     []*StepResult
}

// defaults fills in the options left zero.
func (o *Options) defaults() {
	if o.Key == nil {
		o.Key = ill.DemoKey
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Millisecond
		if o.Rate > 0 {
			o.Poll = 2 * time.Millisecond
		}
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = 60 * time.Second
	}
	if o.RunID == "" {
		o.RunID = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 4 * max(o.C, 1), IdleConnTimeout: 90 * time.Second}}
	}
}

// PollOnce makes one batched read of the states of ids (at most
// ill.MaxListIDs), as the watcher of a run does: what the load tool's own
// observation costs the server, for reports that count the server's work.
func PollOnce(ctx context.Context, o Options, ids []string) error {
	o.defaults()
	w := newWatcher(&o)
	status, body, _, err := o.call(ctx, "GET", w.pollPath(ids), ill.CentreCode, "", nil)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET /v1/requests?ids=: status %d %s", status, body.raw)
	}
	return err
}

// Run drives the lifecycles and returns the measurements. It returns an
// error only when it cannot run at all; failed lifecycles are counted.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.N <= 0 || o.C <= 0 || len(o.Pairs) == 0 || o.BaseURL == "" {
		return nil, errors.New("loadtest: N, C, Pairs and BaseURL are required")
	}
	o.defaults()
	res := &Result{N: o.N, C: o.C, Rate: o.Rate}
	for _, s := range Lifecycle {
		res.Steps = append(res.Steps, &StepResult{Name: s.Name, Want: s.Want})
	}
	var mu sync.Mutex
	w := newWatcher(&o)
	wctx, stopWatch := context.WithCancel(ctx)
	watching := make(chan struct{})
	go func() { defer close(watching); w.run(wctx) }()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	one := func(i int) {
		mu.Lock()
		p := o.Pairs[rng.IntN(len(o.Pairs))]
		mu.Unlock()
		outcome, err := o.lifecycle(ctx, w, i, p, res, &mu)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			res.Failed++
			if len(res.Errors) < 10 {
				res.Errors = append(res.Errors, err.Error())
			}
		case outcome == ill.Completed:
			res.Completed++
		default:
			res.NotRouted++
		}
	}
	host, hostRead := ReadHostCPU()
	start := time.Now()
	drive(ctx, o.N, o.C, o.Rate, one)
	res.Elapsed = time.Since(start)
	if now, ok := ReadHostCPU(); ok && hostRead {
		res.Host = now.Since(host)
	}
	stopWatch()
	<-watching
	res.Polls = int(w.calls.Load())
	return res, ctx.Err()
}

// lifecycle runs one request through every step; it returns the final
// state (COMPLETED, or UNFILLED/REJECTED when routing found no lender).
func (o *Options) lifecycle(ctx context.Context, w *watcher, i int, p Pair, res *Result, mu *sync.Mutex) (ill.State, error) {
	share := 9 // tenths of the median before the first poll (firstPoll)
	if o.Rate > 0 {
		share = 7
	}
	var id, lender string
	for si, s := range Lifecycle {
		caller := p.Borrower
		if s.Caller == "lender" {
			caller = lender
		}
		start := time.Now()
		var status, retries int
		var body *answer
		var err error
		if s.Name == "submit" {
			status, body, retries, err = o.call(ctx, "POST", "/v1/requests", caller, "", map[string]any{
				"client_request_id": fmt.Sprintf("load-%s-%d", o.RunID, i),
				"patron":            map[string]any{"id": fmt.Sprintf("L%s-%d", o.RunID, i), "name": "负载测试"},
				"record_id":         strconv.FormatInt(p.RecordID, 10)})
			if err == nil && status == http.StatusAccepted {
				id = body.RequestID
			}
		} else {
			b := s.Body
			if s.Name == "ship" {
				// each loan its own item, as on a real shelf: a barcode
				// shared by loans in flight sends their return checks to
				// the staff review list
				b = map[string]any{"item_barcode": fmt.Sprintf("LT%s%d", o.RunID, i)}
			}
			status, body, retries, err = o.call(ctx, "POST", "/v1/requests/"+id+"/"+s.Name, caller,
				fmt.Sprintf("load-%s-%d-%s", o.RunID, i, s.Name), b)
		}
		accepted := time.Since(start)
		sr := res.Steps[si]
		mu.Lock()
		sr.Retries += retries
		mu.Unlock()
		if err == nil && (status != http.StatusAccepted || id == "") {
			err = fmt.Errorf("%s: status %d %s", s.Name, status, body.raw)
		}
		if err != nil {
			mu.Lock()
			sr.Failures++
			mu.Unlock()
			return "", err
		}
		// Wait for the consumers to apply it: first look after 90 % of the
		// step's recent median, then at every batched poll.
		mu.Lock()
		first := sr.firstPoll(share)
		mu.Unlock()
		want, submit := s.Want, s.Name == "submit"
		got := w.wait(ctx, id, start.Add(first), start.Add(o.StepTimeout), func(st ill.State) bool {
			return st == want || (submit && (st == ill.Unfilled || st == ill.Rejected))
		})
		mu.Lock()
		sr.Polls += got.Polls
		mu.Unlock()
		if got.Err != nil {
			mu.Lock()
			sr.Failures++
			mu.Unlock()
			return "", fmt.Errorf("%s %s: %w", id, s.Name, got.Err)
		}
		if got.State != s.Want {
			return got.State, nil // not routed: UNFILLED or REJECTED
		}
		applied := time.Since(start)
		if submit {
			lender = got.Lender
		}
		mu.Lock()
		sr.observe(applied)
		sr.Done++
		sr.Accept = append(sr.Accept, accepted)
		sr.Applied = append(sr.Applied, applied)
		mu.Unlock()
	}
	return ill.Completed, nil
}

// answer is what the tool reads of the API's answers: a submit's or an
// action's request id, a request list's states and lenders.
type answer struct {
	RequestID string `json:"request_id"`
	Results   []struct {
		RequestID string  `json:"request_id"`
		State     string  `json:"state"`
		Lender    *string `json:"lender"`
	} `json:"results"`
	raw []byte
}

// call makes one API call; 429 and 503 are retried (after Retry-After, at
// most 1 s) with the same idempotency key, and counted.
func (o *Options) call(ctx context.Context, method, path, library, idemKey string, body any) (int, *answer, int, error) {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	} else if method == "POST" {
		raw = []byte("{}")
	}
	for retries := 0; ; retries++ {
		req, err := http.NewRequestWithContext(ctx, method, o.BaseURL+path, bytes.NewReader(raw))
		if err != nil {
			return 0, nil, retries, err
		}
		req.Header.Set("Authorization", "Bearer "+o.Key(library))
		if raw != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		res, err := o.Client.Do(req)
		if err != nil {
			return 0, nil, retries, err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if (res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable) && retries < 20 {
			wait := 100 * time.Millisecond
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
				wait = min(time.Duration(s)*time.Second, time.Second)
			}
			select {
			case <-ctx.Done():
				return 0, nil, retries, ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		out := &answer{raw: b}
		if len(b) > 0 {
			if err := json.Unmarshal(b, out); err != nil {
				return res.StatusCode, nil, retries, fmt.Errorf("%s %s: non-JSON answer %d", method, path, res.StatusCode)
			}
		}
		return res.StatusCode, out, retries, nil
	}
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(k, len(s)-1))]
}

// drive runs one(i) for i in [0, n): open loop at rate per second (at
// most 4×c in flight) when rate > 0, else closed loop with c workers. It
// returns when every started one has returned, or ctx ended.
func drive(ctx context.Context, n, c int, rate float64, one func(i int)) {
	var wg sync.WaitGroup
	if rate > 0 {
		sem := make(chan struct{}, 4*c)
		interval := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for i := 0; i < n && ctx.Err() == nil; i++ {
			time.Sleep(time.Until(next))
			next = next.Add(interval)
			sem <- struct{}{}
			wg.Add(1)
			go func(i int) { defer wg.Done(); defer func() { <-sem }(); one(i) }(i)
		}
	} else {
		var next atomic.Int64
		for w := 0; w < c; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					one(i)
				}
			}()
		}
	}
	wg.Wait()
}

// DemoPairs are the demo dataset's work pairs (mysql.Store.DemoWorkPairs;
// withoutISO leaves out the ISO 18626 members).
func DemoPairs(ctx context.Context, st *mysql.Store, withoutISO bool) ([]Pair, error) {
	ps, err := st.DemoWorkPairs(ctx, withoutISO)
	if err != nil {
		return nil, err
	}
	out := make([]Pair, len(ps))
	for i, p := range ps {
		out[i] = Pair(p)
	}
	return out, nil
}
