package mysql

import (
	"sync"
	"time"
)

// reloading holds a value read from the database and reloads it when it is
// older than the caller's TTL; when a reload fails the previous value is
// served (a brief database outage does not take reference data away).
// Safe for concurrent use; loads are serialised.
type reloading[T any] struct {
	mu     sync.Mutex
	v      T
	ok     bool
	loaded time.Time
}

func (r *reloading[T]) get(ttl time.Duration, load func() (T, error)) (T, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ok && time.Since(r.loaded) < ttl {
		return r.v, nil
	}
	v, err := load()
	if err != nil {
		if r.ok {
			return r.v, nil
		}
		return v, err
	}
	r.v, r.ok, r.loaded = v, true, time.Now()
	return v, nil
}

// forget makes the next get load.
func (r *reloading[T]) forget() {
	r.mu.Lock()
	r.ok = false
	r.mu.Unlock()
}
