// Package cluster holds the multi-node drills against the local
// cluster of scripts/cluster.sh (3 RabbitMQ nodes, 3 Galera nodes behind
// HAProxy, 2 producers, 3 consumers processes, 2 schedulers):
//
//   - TestClusterChaos (`make cluster-chaos`, ILL_CLUSTER_CHAOS=1): 5,000
//     full lifecycles through both producers while the RabbitMQ node leading
//     ill.requests, the Galera node HAProxy writes to, a producer, a
//     consumers process and the active scheduler are killed with SIGKILL and
//     started again; then the exactly-once, queue, scheduler-tick and
//     client-status checks.
//   - TestClusterScale (`make cluster-scale`, ILL_CLUSTER_SCALE=1):
//     lifecycles per second and CPU per delivery with 1, 2 and 3 consumers
//     processes on the cluster and on the single-node services.
//
// They drive the cluster from outside, as its operators would: HTTP to the
// producers, `scripts/cluster.sh` for kills and restarts, SQL through
// HAProxy and rabbitmqctl for the checks. They take many minutes and the
// whole machine, so they run only when asked.
package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balis/illhub/internal/loadtest"
	"github.com/balis/illhub/mysql"
	_ "github.com/go-sql-driver/mysql" // the checks' SQL through HAProxy
)

func TestMain(m *testing.M) {
	if os.Getenv("ILL_CLUSTER_CHAOS") == "" && os.Getenv("ILL_CLUSTER_SCALE") == "" {
		fmt.Println("cluster drills skipped: they need `scripts/cluster.sh up` and the whole machine; " +
			"run `make cluster-chaos` (ILL_CLUSTER_CHAOS=1) or `make cluster-scale` (ILL_CLUSTER_SCALE=1)")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// repo is the module root, from this package's directory.
const repo = "../.."

// schedEnv makes the schedulers' deadline and courier jobs tick every
// minute (their defaults are every 5–15 minutes or daily), so that a run of
// a quarter of an hour has enough ticks to count. Ticks are wall-clock
// minutes, the same for both schedulers: that is what their per-tick leases
// are keyed by.
var schedEnv = []string{
	"ILL_SCHED_RESPOND_DEADLINE=* * * * *", "ILL_SCHED_SHIP_DEADLINE=* * * * *",
	"ILL_SCHED_RECALL_EXPIRY=* * * * *", "ILL_SCHED_COURIER_CUTOFF=* * * * *",
	"ILL_SCHED_COURIER_EXCEPTIONS=* * * * *", "ILL_SCHED_OVERDUE=* * * * *",
}

// sh runs scripts/cluster.sh with args (and schedEnv, which every program
// it starts inherits) and returns its standard output.
func sh(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(repo, "scripts/cluster.sh")}, args...)...)
	cmd.Env = append(os.Environ(), schedEnv...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("cluster.sh %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// clusterEnv reads `cluster.sh env` (ILL_MYSQL_DSN, ILL_AMQP_URL, ...).
func clusterEnv(t *testing.T) map[string]string {
	t.Helper()
	out, err := sh(context.Background(), "env")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	if env["ILL_MYSQL_DSN"] == "" || env["ILL_AMQP_URL"] == "" {
		t.Fatalf("cluster.sh env: %q", out)
	}
	return env
}

// requireCluster fails unless every component of the cluster is up.
func requireCluster(t *testing.T) {
	t.Helper()
	if out, err := sh(context.Background(), "status"); err != nil {
		t.Fatalf("the cluster is not (fully) up; `scripts/cluster.sh up` first:\n%s\n%v", out, err)
	}
}

// producers are the cluster's two producers' base URLs (scripts/cluster.sh).
var producers = []string{"127.0.0.1:18081", "127.0.0.1:18082"}

// clients is the HTTP transport of the load: round robin over the
// producers, and on a refused or broken connection (a producer killed) the
// same request again at the next one, as a member system behind a load
// balancer would see it. Requests are idempotent (client_request_id,
// Idempotency-Key), so a request that may have reached a dead producer is
// safe to send again. A 503 with Retry-After is retried here too, after
// Retry-After (at most 1 s), for up to patience: a member system keeps
// trying while the hub says it is unavailable, and the load tool, which
// would give up after 20 tries, sees the answer it finally got. It counts
// every answer by status and phase, 503s without Retry-After, hangs (no
// answer headers within hangAfter) and the longest a request was refused.
//
// A call sent again after a 503 or a broken connection may find that its
// first attempt took effect after all (the producer could not tell: the
// publisher confirm was lost with the broker node or the connection). The
// API then answers as to a repeat: 200 with the existing request for a
// submit, 409 invalid_transition for an action, whose message id (from
// the Idempotency-Key) the consumers applied once. A member system reads
// that as done, and so does this client: it hands the load tool a 202 and
// counts the case (alreadyApplied); the exactly-once checks afterwards
// show whether the action was indeed applied, and once.
type clients struct {
	targets []string
	next    atomic.Uint64
	rt      *http.Transport
	phase   atomic.Value // string: what is down now

	mu             sync.Mutex
	status         map[string]map[int]int // phase → status → answers
	noRetryAfter   int
	hangs          map[string]int
	resent         int           // requests sent again at the other producer
	longest503     time.Duration // the longest one request was answered 503 before it got through
	alreadyApplied int           // answers to a re-sent call that found its first attempt applied
}

// patience is how long a request is retried on 503 with Retry-After.
const patience = 3 * time.Minute

// hangAfter: the producer's publish timeout is 4 s and a database call
// fails within seconds; an answer slower than this is a hang.
const hangAfter = 10 * time.Second

func newClients(targets []string) *clients {
	c := &clients{targets: targets, status: map[string]map[int]int{}, hangs: map[string]int{},
		rt: &http.Transport{ResponseHeaderTimeout: hangAfter, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second,
			DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}}
	c.phase.Store("steady")
	return c
}

func (c *clients) setPhase(p string) { c.phase.Store(p) }

func (c *clients) RoundTrip(req *http.Request) (*http.Response, error) {
	began := time.Now()
	for again := false; ; again = true {
		res, resent, err := c.send(req)
		if err == nil && (again || resent) && req.Method == http.MethodPost {
			res = c.repeated(req, res)
		}
		if err != nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
			time.Since(began) > patience {
			return res, err
		}
		wait := time.Second
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = min(time.Duration(s)*time.Second, time.Second)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(wait):
		}
		c.mu.Lock()
		c.longest503 = max(c.longest503, time.Since(began))
		c.mu.Unlock()
	}
}

// repeated turns the API's answer to a repeat of a call whose first
// attempt took effect (200 for a submit, 409 invalid_transition for an
// action) into the 202 the first attempt would have had.
func (c *clients) repeated(req *http.Request, res *http.Response) *http.Response {
	submit := req.URL.Path == "/v1/requests"
	if !(submit && res.StatusCode == http.StatusOK) && !(!submit && res.StatusCode == http.StatusConflict) {
		return res
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var e struct {
		RequestID string `json:"request_id"`
		Error     struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if !submit {
		if e.Error.Code != "invalid_transition" {
			res.Body = io.NopCloser(bytes.NewReader(body))
			return res
		}
		// POST /v1/requests/{id}/{action}
		e.RequestID = strings.Split(strings.TrimPrefix(req.URL.Path, "/v1/requests/"), "/")[0]
	}
	c.mu.Lock()
	c.alreadyApplied++
	c.mu.Unlock()
	out, _ := json.Marshal(map[string]string{"request_id": e.RequestID})
	res.StatusCode, res.Status = http.StatusAccepted, "202 Accepted"
	res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(out)), int64(len(out))
	res.Header.Del("Content-Length")
	return res
}

// send sends req to one producer after the other until one answers; resent
// reports that it was sent more than once (a connection refused or broken).
func (c *clients) send(req *http.Request) (res *http.Response, resent bool, err error) {
	start := c.next.Add(1)
	var last error
	for attempt := 0; attempt < 60; attempt++ {
		if attempt > 0 && attempt%len(c.targets) == 0 {
			select { // every producer refused: wait for a restart
			case <-req.Context().Done():
				return nil, true, req.Context().Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
		r := req.Clone(req.Context())
		r.URL.Host = c.targets[(int(start)+attempt)%len(c.targets)]
		r.Host = r.URL.Host
		if req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				return nil, attempt > 0, err
			}
			r.Body = b
		}
		res, err := c.rt.RoundTrip(r)
		phase := c.phase.Load().(string)
		c.mu.Lock()
		if err == nil {
			if c.status[phase] == nil {
				c.status[phase] = map[int]int{}
			}
			c.status[phase][res.StatusCode]++
			if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
				c.noRetryAfter++
			}
		} else {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && strings.Contains(err.Error(), "awaiting response headers") {
				c.hangs[phase]++
			}
			if attempt == 0 {
				c.resent++
			}
		}
		c.mu.Unlock()
		if err == nil {
			return res, attempt > 0, nil
		}
		if req.Context().Err() != nil {
			return nil, attempt > 0, err
		}
		last = err
	}
	return nil, true, fmt.Errorf("no producer answered: %w", last)
}

// counts returns the answers by phase and status, and the totals of 5xx
// other than 503, of hangs and of 503s without Retry-After.
func (c *clients) counts() (table string, bad5xx, hangs, noRetry, resent, alreadyApplied int, longest503 time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	phases := make([]string, 0, len(c.status))
	for p := range c.status {
		phases = append(phases, p)
	}
	for p := range c.hangs {
		if c.status[p] == nil {
			phases = append(phases, p)
		}
	}
	slices.Sort(phases)
	for _, p := range phases {
		codes := make([]int, 0, len(c.status[p]))
		for code := range c.status[p] {
			codes = append(codes, code)
			if code >= 500 && code != http.StatusServiceUnavailable {
				bad5xx += c.status[p][code]
			}
		}
		slices.Sort(codes)
		fmt.Fprintf(&b, "  %-34s", p)
		for _, code := range codes {
			fmt.Fprintf(&b, " %d×%d", code, c.status[p][code])
		}
		if c.hangs[p] > 0 {
			fmt.Fprintf(&b, " hung×%d", c.hangs[p])
		}
		b.WriteString("\n")
		hangs += c.hangs[p]
	}
	return b.String(), bad5xx, hangs, c.noRetryAfter, c.resent, c.alreadyApplied, c.longest503
}

// openDB opens the cluster's database (through HAProxy) for the checks.
func openDB(t *testing.T, dsn string) *mysql.Store {
	t.Helper()
	st, err := mysql.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// queueCounts returns ready + unacknowledged messages per ill.* queue, as
// rabbitmqctl on node reports them.
func queueCounts(ctx context.Context, node, prefix string) (map[string][2]int, error) {
	out, err := sh(ctx, "ctl", node, "list_queues", "name", "messages_ready", "messages_unacknowledged", "--formatter", "json")
	if err != nil {
		return nil, err
	}
	var qs []struct {
		Name    string `json:"name"`
		Ready   int    `json:"messages_ready"`
		Unacked int    `json:"messages_unacknowledged"`
	}
	i := strings.Index(out, "[")
	if i < 0 {
		return nil, fmt.Errorf("list_queues: %s", out)
	}
	if err := json.Unmarshal([]byte(out[i:]), &qs); err != nil {
		return nil, fmt.Errorf("list_queues: %v: %s", err, out)
	}
	m := map[string][2]int{}
	for _, q := range qs {
		if strings.HasPrefix(q.Name, prefix+"ill.") {
			m[q.Name] = [2]int{q.Ready, q.Unacked}
		}
	}
	return m, nil
}

// cpuTicks sums utime + stime (clock ticks) of the processes whose ids are
// given and of all their descendants.
func cpuTicks(roots []int) int64 { return loadtest.CPUTicks(roots, true) }

// ownTicks is utime + stime of this process alone (the load driver; the
// single-node hub processes it starts are its children).
func ownTicks() int64 { return loadtest.CPUTicks([]int{os.Getpid()}, false) }

// clockTicks is the unit of cpuTicks and ownTicks.
const clockTicks = loadtest.ClockTicks

// acked sums illhub_deliveries_total{outcome="ack"} over the consumers
// processes' /metrics endpoints (host:port each).
func acked(ctx context.Context, endpoints []string) (float64, error) {
	total := 0.0
	for _, ep := range endpoints {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ep+"/metrics", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if strings.HasPrefix(l, "illhub_deliveries_total{") && strings.Contains(l, `outcome="ack"`) {
				if v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64); err == nil {
					total += v
				}
			}
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return total, nil
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// pidOf returns the process id scripts/cluster.sh recorded for name.
func pidOf(ctx context.Context, name string) (int, error) {
	out, err := sh(ctx, "pid", name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out)
}

// runLoad drives n lifecycles with concurrency c through the clients.
func runLoad(ctx context.Context, cl *clients, pairs []loadtest.Pair, n, c int, runID string) (*loadtest.Result, error) {
	return loadtest.Run(ctx, loadtest.Options{BaseURL: "http://" + cl.targets[0], Pairs: pairs, N: n, C: c,
		Poll: 25 * time.Millisecond, StepTimeout: 3 * time.Minute, RunID: runID, Client: &http.Client{Transport: cl}})
}
