package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted on purpose
	}
	for _, c := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one", ms(7), 50, 7 * time.Millisecond},
		{"median of four (nearest rank)", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
	} {
		if got := Percentile(c.in, c.p); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRatio(t *testing.T) {
	rp := &Report{Main: &Result{Elapsed: 10 * time.Second, Completed: 100}, Deliveries: 1200,
		DB: Ceiling{N: 2400, Elapsed: 10 * time.Second}}
	if got := rp.DeliveriesPerSecond(); got != 120 {
		t.Fatalf("deliveries/s %v", got)
	}
	if got := rp.Ratio(); got != 0.5 {
		t.Fatalf("ratio %v, want 120/240", got)
	}
	if got := (&Report{Main: &Result{}}).Ratio(); got != 0 {
		t.Fatalf("ratio without a ceiling %v", got)
	}
}

func TestFirstPoll(t *testing.T) {
	sr := &StepResult{}
	for i := 1; i <= 7; i++ {
		sr.observe(time.Duration(i) * 10 * time.Millisecond)
		sr.Done++
	}
	if got := sr.firstPoll(9); got != 0 {
		t.Errorf("7 known: first poll after %v, want 0", got)
	}
	sr.observe(80 * time.Millisecond) // 10 … 80 ms: median (upper) 50 ms
	sr.Done++
	for share, want := range map[int]time.Duration{9: 45 * time.Millisecond, 5: 25 * time.Millisecond} {
		if got := sr.firstPoll(share); got != want {
			t.Errorf("share %d: first poll after %v, want %v", share, got, want)
		}
	}
}

func TestParseStat(t *testing.T) {
	for _, c := range []struct {
		name        string
		line        string
		ppid, ticks int64
		ok          bool
	}{
		{"plain", "42 (mariadbd) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 30 0", 1, 325, true},
		{"spaces and parentheses in the command", "7 (my (odd) prog) R 3 7 7 0 -1 0 0 0 0 0 10 5 0 0", 3, 15, true},
		{"truncated", "7 (x) R 3 7", 0, 0, false},
		{"no command", "garbage", 0, 0, false},
	} {
		ppid, ticks, ok := parseStat(c.line)
		if ppid != c.ppid || ticks != c.ticks || ok != c.ok {
			t.Errorf("%s: %d %d %v, want %d %d %v", c.name, ppid, ticks, ok, c.ppid, c.ticks, c.ok)
		}
	}
	if CPUTicks([]int{os.Getpid()}, false) < 0 {
		t.Error("own CPU ticks negative")
	}
	if len(PIDsNamed("no-such-process-name")) != 0 {
		t.Error("found a process that does not exist")
	}
}

// The host's load over a phase: busy, idle (with iowait) and stolen time
// as shares of all the machine's CPU time between two /proc/stat lines.
func TestHostLoadFromProcStat(t *testing.T) {
	for _, c := range []struct {
		name string
		line string
		want HostCPU
		ok   bool
	}{
		//            user nice system idle iowait irq softirq steal guest guest_nice
		{"linux", "cpu  600 10 300 900 50 5 35 100 0 0", HostCPU{Busy: 950, Idle: 950, Steal: 100}, true},
		{"a core's line", "cpu0 600 10 300 900 50 5 35 100 0 0", HostCPU{}, false},
		{"too few fields", "cpu  600 10 300 900", HostCPU{}, false},
		{"not a number", "cpu  600 x 300 900 50 5 35 100", HostCPU{}, false},
	} {
		got, ok := parseHostCPU(c.line)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
	before := HostCPU{Busy: 1000, Idle: 3000, Steal: 10}
	after := HostCPU{Busy: 1700, Idle: 3250, Steal: 60}
	if got, want := after.Since(before), (HostLoad{Busy: 0.7, Idle: 0.25, Steal: 0.05}); got != want {
		t.Errorf("Since: %+v, want %+v", got, want)
	}
	if got := after.Since(after); got != (HostLoad{}) || got.String() != "not read" {
		t.Errorf("no time counted: %+v %q, want zero, not read", got, got)
	}
	if got, ok := ReadHostCPU(); ok && got.Busy+got.Idle+got.Steal <= 0 {
		t.Errorf("this machine's /proc/stat: %+v", got)
	}
}

// The watcher reads a request only once it is due, reads requests due
// together in one GET, and looks again Poll after a read that did not
// show the state waited for.
func TestWatcherReadsWhenDue(t *testing.T) {
	var mu sync.Mutex
	type read struct {
		at  time.Time
		ids []string
	}
	var reads []read
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids := strings.Split(r.URL.Query().Get("ids"), ",")
		mu.Lock()
		reads = append(reads, read{time.Now(), ids})
		var out []string
		for _, id := range ids {
			calls[id]++
			st := "REQUESTED"
			if id == "late" && calls[id] < 3 { // seen on the third look
				st = "SUBMITTED"
			}
			out = append(out, fmt.Sprintf(`{"request_id":%q,"state":%q}`, id, st))
		}
		mu.Unlock()
		fmt.Fprintf(w, `{"results":[%s]}`, strings.Join(out, ","))
	}))
	defer srv.Close()
	o := Options{BaseURL: srv.URL, Rate: 10, Poll: 10 * time.Millisecond}
	o.defaults()
	w := newWatcher(&o)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.run(ctx)

	due := time.Now().Add(50 * time.Millisecond)
	done := func(st ill.State) bool { return st == ill.Requested }
	got := make(chan seen, 3)
	for _, id := range []string{"a", "b", "late"} {
		go func() { got <- w.wait(ctx, id, due, due.Add(5*time.Second), done) }()
	}
	for range 3 {
		if s := <-got; s.Err != nil || s.State != ill.Requested {
			t.Fatalf("wait: %+v", s)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reads) != 3 {
		t.Fatalf("%d reads %v, want 3: one for the three due together, two more for the late one", len(reads), reads)
	}
	if len(reads[0].ids) != 3 || reads[0].at.Before(due) {
		t.Errorf("first read %v at %v: want all three, not before they were due (%v)", reads[0].ids, reads[0].at, due)
	}
	for i := 1; i < 3; i++ {
		if len(reads[i].ids) != 1 || reads[i].ids[0] != "late" || reads[i].at.Sub(reads[i-1].at) < o.Poll/2 {
			t.Errorf("read %d: %v %v after the one before, want the late one alone, about Poll later", i, reads[i].ids, reads[i].at.Sub(reads[i-1].at))
		}
	}
}
