package mysql

// Named locks for work that must not run twice at once across processes
// but holds no row to lock: a lease row (leases.go), so that they hold on
// a Galera cluster too (GET_LOCK is local to one node).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"
)

// namedLockTTL bounds how long a lock outlives a holder that died without
// releasing it; the work under a named lock (posts to one member, each
// bounded by its client's timeout) ends well before.
const namedLockTTL = 2 * time.Minute

// NamedLock takes the lock called name, waiting at most wait for another
// holder to release it (or for its lease to expire). release frees it.
// The lock is a lease (TakeLease), scoped to this database.
func (s *Store) NamedLock(ctx context.Context, name string, wait time.Duration) (release func(), err error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	holder := hex.EncodeToString(b[:])
	deadline := time.Now().Add(wait)
	for {
		ok, err := s.TakeLease(ctx, "lock:"+name, holder, namedLockTTL)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("mysql: lock " + name + " is busy")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.ReleaseLease(rctx, "lock:"+name, holder) // on failure the lease expires
	}, nil
}
