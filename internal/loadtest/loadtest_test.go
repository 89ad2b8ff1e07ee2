package loadtest

import (
	"os"
	"testing"
	"time"
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
