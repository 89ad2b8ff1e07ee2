// Package throttle holds the producer's in-memory abuse limits: token
// buckets per client address or account, and sign-in lockouts with a
// progressive delay. Every table is bounded (a fixed number of entries,
// least recently used evicted first) and its entries expire, so a flood of
// distinct keys costs a fixed amount of memory.
//
// Keys must be canonical (ill.IdentityKey for accounts, ClientAddr for
// addresses): the caller canonicalises once at the boundary, the tables
// never see two spellings of one identity.
//
// The tables are per process. With several producers behind a load
// balancer each keeps its own counts, so the effective limits are
// multiplied by the number of producers (docs/operations.md).
package throttle

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"
)

// Limiter is a bounded set of token buckets, one per key.
type Limiter struct {
	mu      sync.Mutex
	buckets *expirable.LRU[string, *rate.Limiter]
	limit   rate.Limit
	burst   int
}

// NewLimiter allows burst events at once and perSecond events per second
// after that, per key, for at most size keys; a key unused for ttl is
// forgotten (ttl must exceed burst/perSecond, the time a bucket takes to
// refill, or forgetting it would reset a limit early).
func NewLimiter(perSecond float64, burst, size int, ttl time.Duration) *Limiter {
	return &Limiter{buckets: expirable.NewLRU[string, *rate.Limiter](size, nil, ttl),
		limit: rate.Limit(perSecond), burst: max(burst, 1)}
}

// Allow takes one token from key's bucket at now. When the bucket is empty
// it takes nothing and returns how long until a token is available.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets.Add(key, b)
	}
	l.mu.Unlock()
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len is the number of keys held (tests, metrics).
func (l *Limiter) Len() int { return l.buckets.Len() }

// Lockout counts failures per key and refuses a key, for a delay that
// doubles with every further failure, once it has failed Free times within
// Window: Base after the Free-th failure, then 2×Base, 4×Base … up to Max.
// A success (Reset) clears the key. Because the delay is bounded by Max
// and counted from the last failure, a stranger can slow an account down
// but not lock it out for longer than Max after they stop.
type Lockout struct {
	Free   int           // failures allowed before the first delay
	Window time.Duration // failures older than this are forgotten
	Base   time.Duration // first delay
	Max    time.Duration // longest delay

	mu      sync.Mutex
	entries *expirable.LRU[string, *lockEntry]
}

type lockEntry struct {
	fails int
	last  time.Time
}

// NewLockout builds a Lockout holding at most size keys.
func NewLockout(free int, window, base, maxDelay time.Duration, size int) *Lockout {
	return &Lockout{Free: free, Window: window, Base: base, Max: maxDelay,
		entries: expirable.NewLRU[string, *lockEntry](size, nil, window+maxDelay)}
}

// Locked reports whether key is refused at now and for how much longer.
func (l *Lockout) Locked(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries.Peek(key)
	if !ok {
		return false, 0
	}
	if now.Sub(e.last) >= l.Window+l.Max {
		l.entries.Remove(key)
		return false, 0
	}
	if e.fails < l.Free {
		return false, 0
	}
	until := e.last.Add(l.delay(e.fails))
	if now.Before(until) {
		return true, until.Sub(now)
	}
	return false, 0
}

func (l *Lockout) delay(fails int) time.Duration {
	d := l.Base
	for i := l.Free; i < fails && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

// Fail records a failure of key at now.
func (l *Lockout) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries.Get(key)
	if !ok || now.Sub(e.last) >= l.Window+l.Max {
		e = &lockEntry{}
	}
	e.fails++
	e.last = now
	l.entries.Add(key, e)
}

// Reset forgets key (a successful sign-in).
func (l *Lockout) Reset(key string) {
	l.mu.Lock()
	l.entries.Remove(key)
	l.mu.Unlock()
}

// ResetPrefix forgets every key that starts with prefix (a library's
// staff unlocking one of its readers, whatever address the failures came
// from).
func (l *Lockout) ResetPrefix(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, k := range l.entries.Keys() {
		if strings.HasPrefix(k, prefix) {
			l.entries.Remove(k)
			n++
		}
	}
	return n
}

// Len is the number of keys held.
func (l *Lockout) Len() int { return l.entries.Len() }

// ClientAddr is the key for the client's address: the connection's IP (an
// IPv6 client by its /64, which one host typically controls whole). A
// proxy's X-Forwarded-For is not trusted here: a deployment behind a proxy
// limits per address at the proxy (docs/operations.md).
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
