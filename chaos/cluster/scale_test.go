package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/balis/illhub/internal/loadtest"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
	amqp "github.com/rabbitmq/amqp091-go"
)

// scaleRow is one measured configuration.
type scaleRow struct {
	setup       string
	consumers   int
	res         *loadtest.Result
	deliveries  float64
	cpuTicks    int64 // every process of the system under test
	driverTicks int64 // the load driver (this test process), not included above
	load        string
}

func (r scaleRow) markdown() string {
	cpu := float64(r.cpuTicks) / clockTicks
	perDelivery := 0.0
	if r.deliveries > 0 {
		perDelivery = cpu / r.deliveries * 1000
	}
	return fmt.Sprintf("| %s | %d | %d | %.1f | %.0f (%.1f) | %.0f | %.1f s | **%.2f ms** | %.1f s | %s |",
		r.setup, r.consumers, r.res.Completed, r.res.LifecyclesPerSecond(), r.deliveries,
		r.deliveries/max(1, float64(r.res.Completed)), r.deliveries/r.res.Elapsed.Seconds(), cpu, perDelivery,
		float64(r.driverTicks)/clockTicks, r.load)
}

// TestClusterScale measures, in one run, full lifecycles per second and CPU
// per delivery with 1, 2 and 3 consumers processes, first on the cluster of
// scripts/cluster.sh (CPU of every RabbitMQ and Galera node, HAProxy and
// the hub's seven processes), then on the single-node services (the shared
// MariaDB and RabbitMQ with a fresh database and queue prefix, two
// producers and the consumers processes built from this tree). Each
// configuration drives ILL_CLUSTER_SCALE_N lifecycles (default 1,000) with
// 48 concurrent clients after a warm-up of 48.
func TestClusterScale(t *testing.T) {
	if os.Getenv("ILL_CLUSTER_SCALE") == "" {
		t.Skip("ILL_CLUSTER_SCALE not set")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("ILL_CLUSTER_SCALE_N")); err == nil && v > 0 {
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
	began := time.Now()
	var rows []scaleRow

	// The cluster: consumers1..k running, the others stopped.
	fixedParts := []string{"rabbit1", "rabbit2", "rabbit3", "galera1", "galera2", "galera3", "haproxy",
		"producer1", "producer2", "scheduler1", "scheduler2"}
	defer func() { // leave the cluster as it was found
		for _, c := range []string{"consumers2", "consumers3"} {
			if _, err := sh(ctx, "start", c); err != nil {
				t.Error(err)
			}
		}
	}()
	for k := 1; k <= 3; k++ {
		var metrics []string
		for i := 1; i <= 3; i++ {
			name := fmt.Sprintf("consumers%d", i)
			verb := "start"
			if i > k {
				verb = "stop"
			}
			if _, err := sh(ctx, verb, name); err != nil {
				t.Fatal(err)
			}
			if i <= k {
				metrics = append(metrics, fmt.Sprintf("127.0.0.1:%d", 19100+i))
			}
		}
		var pids []int
		for _, name := range fixedParts {
			pid, err := pidOf(ctx, name)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pids = append(pids, pid)
		}
		for i := 1; i <= k; i++ {
			pid, err := pidOf(ctx, fmt.Sprintf("consumers%d", i))
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, pid)
		}
		rows = append(rows, measure(ctx, t, "cluster (3 RabbitMQ, 3 Galera + HAProxy, 2 producers, 2 schedulers)", k,
			newClients(producers), pairs, n, pids, metrics))
	}

	// The single node: the shared services, a fresh database and prefix.
	single := newSingleNode(ctx, t)
	for k := 1; k <= 3; k++ {
		single.consumers(t, k)
		rows = append(rows, measure(ctx, t, "single node (shared MariaDB + RabbitMQ, 2 producers)", k,
			newClients(single.producers), single.pairs, n, single.pids(t), single.metrics()))
	}

	fmt.Printf("\ncluster scale-out, %s UTC, %d lifecycles per configuration, concurrency 48; %s\n\n",
		began.UTC().Format("2006-01-02 15:04"), n, loadtest.Machine())
	fmt.Println("| setup | consumers processes | lifecycles | lifecycles/s | deliveries (per lifecycle) | deliveries/s | CPU, all processes | CPU per delivery | load driver CPU | load average (1, 5, 15 min) after |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Println(r.markdown())
	}
}

// measure runs a warm-up and then n lifecycles, and the CPU and deliveries
// the system under test spent on them.
func measure(ctx context.Context, t *testing.T, setup string, consumers int, cl *clients, pairs []loadtest.Pair,
	n int, pids []int, metrics []string) scaleRow {
	t.Helper()
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := runLoad(ctx, cl, pairs, 48, 48, runID+"w"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the warm-up's last notices
	ackedBefore, err := acked(ctx, metrics)
	if err != nil {
		t.Fatal(err)
	}
	cpuBefore, selfBefore := cpuTicks(pids), ownTicks()
	res, err := runLoad(ctx, cl, pairs, n, 48, runID)
	if err != nil {
		t.Fatal(err)
	}
	// Deliveries still in flight (the last notices and courier messages)
	// belong to the run: wait until the count stops moving.
	after := ackedBefore
	for i := 0; i < 20; i++ {
		time.Sleep(500 * time.Millisecond)
		a, err := acked(ctx, metrics)
		if err != nil {
			t.Fatal(err)
		}
		if a == after && i > 0 {
			break
		}
		after = a
	}
	row := scaleRow{setup: setup, consumers: consumers, res: res, deliveries: after - ackedBefore,
		cpuTicks: cpuTicks(pids) - cpuBefore, driverTicks: ownTicks() - selfBefore, load: loadAverage()}
	if res.Failed > 0 {
		t.Errorf("%s, %d consumers: %d lifecycles failed, e.g. %v", setup, consumers, res.Failed, res.Errors)
	}
	t.Log(row.markdown())
	return row
}

// singleNode is the hub built from this tree on the shared single-node
// MariaDB and RabbitMQ, with its own database and queue prefix.
type singleNode struct {
	bin, dsn, db, amqpURL, prefix string
	producers                     []string
	pairs                         []loadtest.Pair
	procs                         map[string]*exec.Cmd
}

func newSingleNode(ctx context.Context, t *testing.T) *singleNode {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	s := &singleNode{bin: t.TempDir(), db: "illscale_" + suffix, amqpURL: "amqp://guest:guest@127.0.0.1:5672/",
		prefix: "illscale-" + suffix + ".", producers: []string{"127.0.0.1:28081", "127.0.0.1:28082"},
		procs: map[string]*exec.Cmd{}}
	s.dsn = "root:@tcp(127.0.0.1:3306)/" + s.db
	build := exec.Command("go", "build", "-o", s.bin+"/", "./cmd/producer", "./cmd/consumers", "./cmd/illctl")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		for _, p := range s.procs {
			_ = p.Process.Signal(syscall.SIGTERM)
			_ = p.Wait()
		}
		if st, err := mysql.Open("root:@tcp(127.0.0.1:3306)/"); err == nil {
			_, _ = st.DB.Exec("DROP DATABASE IF EXISTS `" + s.db + "`")
			st.Close()
		}
		if conn, err := amqp.Dial(s.amqpURL); err == nil {
			if ch, err := conn.Channel(); err == nil {
				rabbitmq.Topology{Prefix: s.prefix, DeliveryLimit: 5}.Delete(ch)
			}
			conn.Close()
		}
	})
	for _, args := range [][]string{{"migrate"}, {"seed", "demo"}} {
		cmd := exec.Command(filepath.Join(s.bin, "illctl"), args...)
		cmd.Env = s.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("illctl %v: %v\n%s", args, err, out)
		}
	}
	var err error
	if s.pairs, err = loadtest.DemoPairs(ctx, openDB(t, s.dsn), true); err != nil {
		t.Fatal(err)
	}
	for i, addr := range s.producers {
		s.start(t, fmt.Sprintf("producer%d", i+1), "producer", "ILL_HTTP_ADDR="+addr)
	}
	for _, addr := range s.producers {
		waitHealthy(t, addr)
	}
	return s
}

func (s *singleNode) env() []string {
	return append(os.Environ(), "ILL_MYSQL_DSN="+s.dsn, "ILL_AMQP_URL="+s.amqpURL, "ILL_AMQP_PREFIX="+s.prefix,
		"ILL_DEMO=1", "ILL_LOG_LEVEL=warn")
}

func (s *singleNode) start(t *testing.T, name, program string, extra ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, program))
	cmd.Env = append(s.env(), extra...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.procs[name] = cmd
}

// consumers runs exactly k consumers processes (metrics on 2910i).
func (s *singleNode) consumers(t *testing.T, k int) {
	t.Helper()
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("consumers%d", i)
		p := s.procs[name]
		switch {
		case i <= k && p == nil:
			addr := fmt.Sprintf("127.0.0.1:%d", 29100+i)
			s.start(t, name, "consumers", "ILL_CONSUMERS_METRICS_ADDR="+addr)
			waitHealthy(t, addr)
		case i > k && p != nil:
			_ = p.Process.Signal(syscall.SIGTERM)
			_ = p.Wait()
			delete(s.procs, name)
		}
	}
}

func (s *singleNode) metrics() []string {
	var out []string
	for i := 1; i <= 3; i++ {
		if s.procs[fmt.Sprintf("consumers%d", i)] != nil {
			out = append(out, fmt.Sprintf("127.0.0.1:%d", 29100+i))
		}
	}
	return out
}

// pids: the hub processes, and the shared MariaDB and RabbitMQ servers
// (those whose command line does not name the cluster's directory).
func (s *singleNode) pids(t *testing.T) []int {
	t.Helper()
	var out []int
	for _, p := range s.procs {
		out = append(out, p.Process.Pid)
	}
	clusterDir := os.Getenv("ILL_CLUSTER_DIR")
	if clusterDir == "" {
		clusterDir = "/tmp/illhub-cluster"
	}
	found := map[string]bool{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || strings.Contains(string(b), clusterDir) {
			continue
		}
		exe := filepath.Base(strings.SplitN(string(b), "\x00", 2)[0])
		if exe == "mariadbd" || exe == "mysqld" || exe == "beam.smp" {
			out = append(out, pid)
			found[exe] = true
		}
	}
	if !found["beam.smp"] || !(found["mariadbd"] || found["mysqld"]) {
		t.Fatalf("the shared MariaDB or RabbitMQ server process not found (%v)", found)
	}
	return out
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 120; i++ {
		if res, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%s: not healthy after 60 s", addr)
}
