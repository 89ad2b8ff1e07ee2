package cluster

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/loadtest"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// fault is one component killed with SIGKILL during the load and started
// again after down.
type fault struct {
	phase string                                    // label of the client counts while it is down
	pick  func(ctx context.Context) (string, error) // the cluster.sh name to kill, chosen when due
	down  time.Duration
}

// TestClusterChaos: N full lifecycles (ILL_CLUSTER_CHAOS_N, default 5,000)
// through both producers while, one after the other, the RabbitMQ node
// leading ill.requests, the Galera node HAProxy writes to, producer1,
// consumers1 and the scheduler that ran the last tick are killed with
// SIGKILL and started again. Then every lifecycle must have completed (or
// ended unrouted), each request's events must show every step exactly
// once, every queue must be empty with nothing dead-lettered, every
// scheduler job tick of the run must have run once, and the clients must
// have seen no 5xx but 503 with Retry-After, and no hang.
func TestClusterChaos(t *testing.T) {
	if os.Getenv("ILL_CLUSTER_CHAOS") == "" {
		t.Skip("ILL_CLUSTER_CHAOS not set")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("ILL_CLUSTER_CHAOS_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	requireCluster(t)
	env := clusterEnv(t)
	db := openDB(t, env["ILL_MYSQL_DSN"])
	pairs, err := loadtest.DemoPairs(ctx, db, true)
	if err != nil {
		t.Fatal(err)
	}
	// The schedulers again, with every-minute ticks (schedEnv).
	for _, s := range []string{"scheduler1", "scheduler2"} {
		if _, err := sh(ctx, "stop", s); err != nil {
			t.Fatal(err)
		}
		if _, err := sh(ctx, "start", s); err != nil {
			t.Fatal(err)
		}
	}
	runID := strconv.FormatInt(time.Now().Unix(), 36)
	rowsBefore := tableRows(ctx, t, db)
	deadBefore := deadLetters(t, env["ILL_AMQP_URL"])
	began := time.Now()
	t.Logf("%s: %d lifecycles (run %s), concurrency 48, through producer1 and producer2; load average %s",
		began.UTC().Format(time.RFC3339), n, runID, loadAverage())

	faults := []fault{
		{"rabbitmq leader of ill.requests down", func(ctx context.Context) (string, error) {
			return sh(ctx, "which-leader", rabbitmq.QueueRequests)
		}, 40 * time.Second},
		{"galera writer down", func(ctx context.Context) (string, error) { return sh(ctx, "which-writer") }, 40 * time.Second},
		{"producer1 down", fixed("producer1"), 15 * time.Second},
		{"consumers1 down", fixed("consumers1"), 15 * time.Second},
		{"active scheduler down", func(ctx context.Context) (string, error) { return activeScheduler(ctx, db) }, 75 * time.Second},
	}
	cl := newClients(producers)
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	chaosDone := make(chan error, 1)
	var dbDown [2]time.Time // the Galera writer's outage, until its node synced again
	go func() { chaosDone <- runFaults(loadCtx, t, cl, faults, &dbDown) }()
	res, err := runLoad(loadCtx, cl, pairs, n, 48, runID)
	loadTook := time.Since(began)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := <-chaosDone; err != nil {
		t.Fatalf("faults: %v", err)
	}
	t.Logf("load done in %v: %d completed, %d not routed, %d failed (%.1f lifecycles/s); load average %s",
		loadTook.Round(time.Second), res.Completed, res.NotRouted, res.Failed, res.LifecyclesPerSecond(), loadAverage())
	for _, e := range res.Errors {
		t.Errorf("lifecycle failed: %s", e)
	}

	settleTook := settle(ctx, t, db)
	var report strings.Builder
	fmt.Fprintf(&report, "cluster chaos %s (UTC), run %s: %d lifecycles, concurrency 48; load %v, then settled in %v\n",
		began.UTC().Format("2006-01-02 15:04"), runID, n, loadTook.Round(time.Second), settleTook.Round(time.Second))
	checkRequests(ctx, t, db, runID, res, &report)
	checkQueues(ctx, t, env["ILL_AMQP_URL"], deadBefore, &report)
	checkTicks(ctx, t, db, began, dbDown, &report)
	rowsPerLifecycle(tableRows(ctx, t, db), rowsBefore, n, &report)
	table, bad5xx, hangs, noRetry, resent, applied, longest := cl.counts()
	fmt.Fprintf(&report, "client answers by phase (status×count):\n%s", table)
	fmt.Fprintf(&report, "  5xx other than 503: %d; 503 without Retry-After: %d; hangs (no answer within %v): %d; "+
		"requests sent again at the other producer after a refused or broken connection: %d; "+
		"the longest a request was answered 503 before it got through: %v; calls sent again that found their first "+
		"attempt applied (200 to a submit, 409 to an action; taken as done): %d\n",
		bad5xx, noRetry, hangAfter, hangs, resent, longest.Round(time.Second), applied)
	if bad5xx > 0 || noRetry > 0 || hangs > 0 {
		t.Errorf("clients saw %d 5xx other than 503, %d 503s without Retry-After, %d hangs", bad5xx, noRetry, hangs)
	}
	fmt.Fprintf(&report, "machine: %s; load average at the end %s\n", loadtest.Machine(), loadAverage())
	fmt.Print(report.String())
	if f := os.Getenv("ILL_CLUSTER_REPORT"); f != "" {
		_ = os.WriteFile(f, []byte(report.String()), 0o644)
	}
}

func fixed(name string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return name, nil }
}

// activeScheduler is the scheduler that ran the latest tick (job_runs),
// matched by the process id that ends its runner name (host/pid,
// sched.DefaultRunnerID); scheduler1 when neither matches.
func activeScheduler(ctx context.Context, st *mysql.Store) (string, error) {
	var runner string
	if err := st.DB.GetContext(ctx, &runner, `SELECT runner FROM job_runs ORDER BY tick DESC, started_at DESC LIMIT 1`); err != nil {
		return "", fmt.Errorf("job_runs: %w", err)
	}
	for _, s := range []string{"scheduler1", "scheduler2"} {
		if pid, err := pidOf(ctx, s); err == nil && strings.HasSuffix(runner, "/"+strconv.Itoa(pid)) {
			return s, nil
		}
	}
	return "scheduler1", nil
}

// runFaults waits 30 s into the load, then kills each fault's component,
// waits its down time and starts it again (cluster.sh start waits until it
// is back: a RabbitMQ node started, a Galera node synced, a program
// healthy), with 20 s of steady load between faults.
func runFaults(ctx context.Context, t *testing.T, cl *clients, faults []fault, dbDown *[2]time.Time) error {
	sleep := func(d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	if err := sleep(30 * time.Second); err != nil {
		return fmt.Errorf("the load ended before the first fault: raise ILL_CLUSTER_CHAOS_N")
	}
	for _, f := range faults {
		name, err := f.pick(ctx)
		if err != nil {
			return err
		}
		if _, err := sh(ctx, "kill", name); err != nil {
			return err
		}
		killed := time.Now()
		cl.setPhase(f.phase)
		t.Logf("%s: killed %s (%s); load average %s", killed.UTC().Format("15:04:05"), name, f.phase, loadAverage())
		if err := sleep(f.down); err != nil {
			return fmt.Errorf("the load ended while %s was down: raise ILL_CLUSTER_CHAOS_N", name)
		}
		cl.setPhase("restarting " + name)
		if _, err := sh(context.WithoutCancel(ctx), "start", name); err != nil {
			return err
		}
		cl.setPhase("steady")
		if strings.HasPrefix(name, "galera") {
			*dbDown = [2]time.Time{killed, time.Now()}
		}
		t.Logf("%s: %s back after %v", time.Now().UTC().Format("15:04:05"), name, time.Since(killed).Round(time.Second))
		if err := sleep(20 * time.Second); err != nil {
			return fmt.Errorf("the load ended right after %s came back: raise ILL_CLUSTER_CHAOS_N", name)
		}
	}
	return nil
}

// settle waits until every ill.* queue is empty (nothing ready, nothing
// unacked) and no outbox row is unpublished: everything the run caused has
// been delivered, or dead-lettered.
func settle(ctx context.Context, t *testing.T, st *mysql.Store) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		var unpublished int
		_ = st.DB.GetContext(ctx, &unpublished, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`)
		qs, err := queueCounts(ctx, "rabbit1", "")
		busy := 0
		for name, c := range qs {
			if name != rabbitmq.QueueDead {
				busy += c[0] + c[1]
			}
		}
		if err == nil && unpublished == 0 && busy == 0 {
			return time.Since(start)
		}
		if time.Since(start) > 5*time.Minute {
			t.Fatalf("not settled after 5 minutes: %d outbox rows unpublished, queues %v (%v)", unpublished, qs, err)
		}
		time.Sleep(time.Second)
	}
}

// marks is n comma-separated placeholders, for an IN list.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// anys is ss as query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// lifecycleActions are the actions of a lifecycle's events: the submit, the
// routing decision and the load tool's steps.
var lifecycleActions = func() []string {
	s := []string{"route"}
	for _, st := range loadtest.Lifecycle {
		s = append(s, st.Name)
	}
	return s
}()

// lifecycleStates are the states a completed lifecycle passes through,
// each entered by exactly one event.
var lifecycleStates = func() []string {
	var s []string
	for _, st := range loadtest.Lifecycle {
		s = append(s, string(st.Want))
	}
	return s
}()

// checkRequests: the run's requests ended as the load tool saw them, and
// every (request, lifecycle action) and every entered lifecycle state has
// exactly one event. (Other events, e.g. one per ISO 18626 message, may
// repeat by design.)
func checkRequests(ctx context.Context, t *testing.T, st *mysql.Store, runID string, res *loadtest.Result, report *strings.Builder) {
	t.Helper()
	like := "load-" + runID + "-%"
	var states []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := st.DB.SelectContext(ctx, &states, `SELECT state, COUNT(*) AS n FROM requests
		WHERE client_request_id LIKE ? GROUP BY state ORDER BY n DESC`, like); err != nil {
		t.Fatal(err)
	}
	total, completed, unrouted := 0, 0, 0
	var parts []string
	for _, s := range states {
		total += s.N
		parts = append(parts, fmt.Sprintf("%s %d", s.State, s.N))
		switch ill.State(s.State) {
		case ill.Completed:
			completed = s.N
		case ill.Unfilled, ill.Rejected:
			unrouted += s.N
		}
	}
	fmt.Fprintf(report, "requests of the run: %d (%s); the load tool saw %d completed, %d not routed, %d failed\n",
		total, strings.Join(parts, ", "), res.Completed, res.NotRouted, res.Failed)
	if total != res.N || completed != res.Completed || unrouted != res.NotRouted || res.Failed > 0 {
		t.Errorf("requests: %d in the database (%d COMPLETED, %d unrouted), want %d (%d, %d) and no failure",
			total, completed, unrouted, res.N, res.Completed, res.NotRouted)
	}
	var dupActions, events int
	q, args := `SELECT COUNT(*) FROM (SELECT e.request_id, e.action FROM events e
		JOIN requests r ON r.id = e.request_id WHERE r.client_request_id LIKE ? AND e.action IN (`+marks(len(lifecycleActions))+`)
		GROUP BY e.request_id, e.action HAVING COUNT(*) <> 1) x`, append([]any{like}, anys(lifecycleActions)...)
	if err := st.DB.GetContext(ctx, &dupActions, q, args...); err != nil {
		t.Fatal(err)
	}
	_ = st.DB.GetContext(ctx, &events, `SELECT COUNT(*) FROM events e JOIN requests r ON r.id = e.request_id
		WHERE r.client_request_id LIKE ?`, like)
	q, args = `SELECT COUNT(*) FROM (SELECT e.request_id, e.to_state, COUNT(*) AS n FROM events e
		JOIN requests r ON r.id = e.request_id WHERE r.client_request_id LIKE ? AND r.state = 'COMPLETED'
		AND e.from_state <> e.to_state AND e.to_state IN (`+marks(len(lifecycleStates))+`) GROUP BY e.request_id, e.to_state) x WHERE n = 1`,
		append([]any{like}, anys(lifecycleStates)...)
	var once int
	if err := st.DB.GetContext(ctx, &once, q, args...); err != nil {
		t.Fatal(err)
	}
	want := completed * len(lifecycleStates)
	var notices, pending int
	_ = st.DB.GetContext(ctx, &notices, `SELECT COUNT(*) FROM notices n JOIN requests r ON r.id = n.request_id
		WHERE r.client_request_id LIKE ?`, like)
	_ = st.DB.GetContext(ctx, &pending, `SELECT COUNT(*) FROM notices n JOIN requests r ON r.id = n.request_id
		WHERE r.client_request_id LIKE ? AND n.status = 'pending'`, like)
	fmt.Fprintf(report, "notices of the run's requests: %d, still pending after the queues drained: %d\n", notices, pending)
	if pending > 0 {
		t.Errorf("%d notices still pending: their delivery message was lost or dead-lettered", pending)
	}
	fmt.Fprintf(report, "events: %d for the run's requests; (request, lifecycle action) pairs with more than one event: %d; "+
		"entries into the %d lifecycle states by exactly one event: %d of %d\n",
		events, dupActions, len(lifecycleStates), once, want)
	if dupActions > 0 || once != want {
		t.Errorf("events: %d (request, action) pairs not applied exactly once; %d of %d state entries exactly once",
			dupActions, once, want)
	}
}

// deadLetters lists the dead-letter queue (through the first broker of the
// list), without taking anything out of it.
func deadLetters(t *testing.T, amqpURLs string) []rabbitmq.DeadLetter {
	t.Helper()
	url, _, _ := strings.Cut(amqpURLs, ",")
	dead, err := rabbitmq.DLQ{URL: url, Topo: rabbitmq.Topology{DeliveryLimit: 5}}.List(100000)
	if err != nil {
		t.Fatalf("dead letters: %v", err)
	}
	return dead
}

// checkQueues: every ill.* queue but ill.dead empty on every node's view,
// and no new dead letter since the run began (each new one is listed with
// its reason; older ones, from earlier runs or drills, are only counted).
func checkQueues(ctx context.Context, t *testing.T, amqpURLs string, before []rabbitmq.DeadLetter, report *strings.Builder) {
	t.Helper()
	for _, node := range []string{"rabbit1", "rabbit2", "rabbit3"} {
		qs, err := queueCounts(ctx, node, "")
		if err != nil {
			t.Errorf("%s: %v", node, err)
			continue
		}
		var parts []string
		for name, c := range qs {
			// The dead letters are checked below, by message id: the
			// queue may hold older ones, of earlier runs.
			if c[0]+c[1] > 0 && name != rabbitmq.QueueDead {
				parts = append(parts, fmt.Sprintf("%s ready %d unacked %d", name, c[0], c[1]))
			}
		}
		if node == "rabbit1" {
			fmt.Fprintf(report, "queues (rabbitmqctl list_queues on each node): %d ill.* queues, messages left: %s\n",
				len(qs), strings.Join(append(parts, "none")[:max(1, len(parts))], "; "))
		}
		if len(parts) > 0 {
			t.Errorf("%s: messages left: %s", node, strings.Join(parts, "; "))
		}
	}
	old := map[string]bool{}
	for _, d := range before {
		old[d.MessageID] = true
	}
	var fresh []rabbitmq.DeadLetter
	for _, d := range deadLetters(t, amqpURLs) {
		if !old[d.MessageID] {
			fresh = append(fresh, d)
		}
	}
	fmt.Fprintf(report, "dead letters: %d new during the run (%d from before it)\n", len(fresh), len(before))
	for _, d := range fresh {
		fmt.Fprintf(report, "  %s %s from %s: reason %q, count %d\n", d.MessageID, d.RoutingKey, d.Queue, d.Reason, d.Count)
	}
	if len(fresh) > 0 {
		t.Errorf("%d new dead letters (listed above)", len(fresh))
	}
}

// checkTicks: every minute tick of the every-minute jobs since the run
// began ran exactly once (job_runs has one row per (job, tick), its
// primary key) although a scheduler was killed; a tick may be missing only
// while the Galera writer was down (neither scheduler can take a lease
// without a database). How the ticks fell to each runner is printed.
func checkTicks(ctx context.Context, t *testing.T, st *mysql.Store, began time.Time, dbDown [2]time.Time, report *strings.Builder) {
	t.Helper()
	var runs []struct {
		Job      string     `db:"job"`
		Tick     time.Time  `db:"tick"`
		Runner   string     `db:"runner"`
		Finished *time.Time `db:"finished_at"`
	}
	// Ticks after the schedulers were restarted with every-minute specs,
	// and at least a minute old (a run in progress is not counted).
	from := began.Truncate(time.Minute).Add(time.Minute)
	to := time.Now().Add(-time.Minute).Truncate(time.Minute)
	if err := st.DB.SelectContext(ctx, &runs, `SELECT job, tick, runner, finished_at FROM job_runs
		WHERE tick >= ? AND tick <= ? ORDER BY job, tick`, from.UTC(), to.UTC()); err != nil {
		t.Errorf("job_runs: %v", err)
		return
	}
	ran := map[string]map[int64]int{} // job → tick (Unix) → rows
	byRunner := map[string]int{}
	unfinished := 0
	for _, r := range runs {
		if ran[r.Job] == nil {
			ran[r.Job] = map[int64]int{}
		}
		ran[r.Job][r.Tick.Unix()]++
		byRunner[r.Runner]++
		if r.Finished == nil {
			unfinished++
		}
	}
	var jobs []string
	excused := 0
	for _, e := range schedEnv {
		name, _, _ := strings.Cut(strings.TrimPrefix(e, "ILL_SCHED_"), "=")
		job := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		missing, twice := 0, 0
		for tick := from; !tick.After(to); tick = tick.Add(time.Minute) {
			switch k := ran[job][tick.Unix()]; {
			case k > 1:
				twice++
			case k == 0 && !tick.Before(dbDown[0].Truncate(time.Minute)) && !tick.After(dbDown[1]):
				excused++
			case k == 0:
				missing++
			}
		}
		jobs = append(jobs, fmt.Sprintf("%s %d", job, len(ran[job])))
		if missing > 0 || twice > 0 {
			t.Errorf("job %s: %d minute ticks %s..%s not run, %d run more than once", job, missing,
				from.UTC().Format("15:04"), to.UTC().Format("15:04"), twice)
		}
	}
	var runners []string
	for r, k := range byRunner {
		runners = append(runners, fmt.Sprintf("%s %d", r, k))
	}
	fmt.Fprintf(report, "scheduler ticks %s..%s UTC (%d minutes, %d jobs every minute): ticks run per job: %s; by runner: %s; "+
		"unfinished (runner killed mid-run): %d; not run while the database writer was down: %d\n",
		from.UTC().Format("15:04"), to.UTC().Format("15:04"), int(to.Sub(from)/time.Minute)+1, len(schedEnv),
		strings.Join(jobs, ", "), strings.Join(runners, ", "), unfinished, excused)
}

// growingTables are the tables a lifecycle writes to (the catalogue and
// the calendar, which it only reads, are left out).
var growingTables = []string{"requests", "rota", "events", "inbox", "outbox", "notices", "shipments",
	"return_checks", "courier_scans", "audit_log", "iso18626_messages", "job_runs", "leases"}

// tableRows counts the rows of growingTables.
func tableRows(ctx context.Context, t *testing.T, st *mysql.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tb := range growingTables {
		var k int
		if err := st.DB.GetContext(ctx, &k, "SELECT COUNT(*) FROM "+tb); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		out[tb] = k
	}
	return out
}

// rowsPerLifecycle prints how many rows each table gained per lifecycle of
// the run (the basis of docs/scaling.md's storage figures; the scheduler's
// rows are per tick, not per lifecycle, and are left out of the sum).
func rowsPerLifecycle(after, before map[string]int, n int, report *strings.Builder) {
	var parts []string
	sum := 0.0
	for _, tb := range growingTables {
		d := float64(after[tb]-before[tb]) / float64(n)
		if d == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", tb, d))
		if tb != "job_runs" && tb != "leases" {
			sum += d
		}
	}
	fmt.Fprintf(report, "rows written per lifecycle: %s; %.1f in all (before the inbox and outbox purges)\n",
		strings.Join(parts, ", "), sum)
}
