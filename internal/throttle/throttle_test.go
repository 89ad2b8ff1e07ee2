package throttle

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

func TestLockoutProgressiveDelay(t *testing.T) {
	l := NewLockout(5, 15*time.Minute, time.Minute, 15*time.Minute, 100)
	now := t0
	for i := 0; i < 4; i++ {
		l.Fail("k", now)
		if locked, _ := l.Locked("k", now); locked {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	l.Fail("k", now) // 5th
	for _, step := range []struct {
		after  time.Duration
		locked bool
	}{{0, true}, {59 * time.Second, true}, {time.Minute, false}} {
		if locked, _ := l.Locked("k", now.Add(step.after)); locked != step.locked {
			t.Fatalf("after 5 failures, %v later: locked=%v, want %v", step.after, locked, step.locked)
		}
	}
	// Each further failure doubles the delay: 2, 4, 8, then capped at 15 minutes.
	for i, want := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute} {
		now = now.Add(time.Hour / 10)
		l.Fail("k", now)
		locked, left := l.Locked("k", now)
		if !locked || left != want {
			t.Fatalf("failure %d: locked=%v for %v, want %v", 6+i, locked, left, want)
		}
	}
	// After the cap the account is free again Max after the last failure.
	if locked, _ := l.Locked("k", now.Add(15*time.Minute)); locked {
		t.Fatal("still locked 15 minutes after the last failure")
	}
	// A success forgets everything.
	l.Reset("k")
	l.Fail("k", now)
	if locked, _ := l.Locked("k", now); locked {
		t.Fatal("locked after one failure following a reset")
	}
}

func TestLockoutOldFailuresForgotten(t *testing.T) {
	l := NewLockout(5, 15*time.Minute, time.Minute, 15*time.Minute, 100)
	for i := 0; i < 4; i++ {
		l.Fail("k", t0)
	}
	later := t0.Add(31 * time.Minute)
	l.Fail("k", later)
	if locked, _ := l.Locked("k", later); locked {
		t.Fatal("failures older than the window still counted")
	}
}

func TestResetPrefix(t *testing.T) {
	l := NewLockout(1, time.Hour, time.Minute, time.Hour, 100)
	l.Fail("reader/BUCT/X|1.2.3.4", t0)
	l.Fail("reader/BUCT/X|5.6.7.8", t0)
	l.Fail("reader/BUCT/Y|1.2.3.4", t0)
	if n := l.ResetPrefix("reader/BUCT/X|"); n != 2 {
		t.Fatalf("reset %d keys, want 2", n)
	}
	if locked, _ := l.Locked("reader/BUCT/Y|1.2.3.4", t0); !locked {
		t.Fatal("another reader was unlocked too")
	}
}

// The tables never hold more than their size, whatever the keys.
func TestBounded(t *testing.T) {
	l := NewLockout(5, time.Hour, time.Minute, time.Hour, 1000)
	lim := NewLimiter(1, 5, 1000, time.Hour)
	for i := 0; i < 20000; i++ {
		k := fmt.Sprintf("reader/BUCT/%030d", i)
		l.Fail(k, t0)
		lim.Allow(k, t0)
	}
	if l.Len() > 1000 || lim.Len() > 1000 {
		t.Fatalf("lockout holds %d keys, limiter %d; both capped at 1000", l.Len(), lim.Len())
	}
}

func TestLimiter(t *testing.T) {
	lim := NewLimiter(1, 3, 10, time.Hour)
	for i := 0; i < 3; i++ {
		if ok, _ := lim.Allow("a", t0); !ok {
			t.Fatalf("event %d of the burst refused", i+1)
		}
	}
	ok, wait := lim.Allow("a", t0)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th event at once: ok=%v wait=%v; want refused, wait ≤ 1 s", ok, wait)
	}
	if ok, _ := lim.Allow("b", t0); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := lim.Allow("a", t0.Add(time.Second)); !ok {
		t.Fatal("no token a second later")
	}
}

func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:5555":             "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:1":   "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"not-an-address":             "not-an-address",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = in
		if got := ClientAddr(r); got != want {
			t.Errorf("ClientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
