package mysql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
)

// Tx is one database transaction. Methods on Tx are the repository's
// write-side operations; they must only be called inside InTx's closure.
type Tx struct {
	tx  *txConn
	dir *Directory
}

// InTx runs fn in a transaction and commits when it returns nil. On MySQL
// deadlock (1213), lock wait timeout (1205) or a broken connection it rolls
// back and runs fn again, at most MaxAttempts times, with jittered backoff;
// fn must therefore have no effects outside the transaction. Errors that
// survive the retries are returned wrapped as ill transient errors.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) (err error) {
	if g, ok := ctx.Value(groupKey{}).(*group); ok && g.store == s {
		// Inside Group: join its transaction. No retry here: an error
		// rolls the whole group back and its messages are applied again
		// one by one, each in an InTx of its own.
		if err := fn(&Tx{tx: g.tx, dir: s.dir}); err != nil {
			g.failed = true // even if the caller swallows it: its writes are in the group
			return classify(err)
		}
		return nil
	}
	attempts := s.MaxAttempts
	if attempts < 1 {
		attempts = 1
	}
	defer func() { err = classify(err) }()
	for i := 0; i < attempts; i++ {
		if i > 0 {
			d := time.Duration(10*(1<<i)) * time.Millisecond
			d += time.Duration(time.Now().UnixNano() % int64(d))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		err = s.once(ctx, fn)
		if err == nil || !Retryable(err) {
			return err
		}
	}
	if IsUnavailable(err) {
		return err // classified as unavailable by the deferred classify
	}
	return &ill.Error{Code: ill.CodeTransient, Message: fmt.Sprintf("database busy after %d attempts: %v", attempts, err)}
}

// InTxOnce runs fn in a transaction like InTx, but never runs it twice:
// for a closure with an effect outside the database (a post to a member
// system while it holds the rows that order such posts), where a retry
// would repeat the effect. A deadlock or lock wait timeout is returned as
// a transient error; the caller's redelivery tries again.
func (s *Store) InTxOnce(ctx context.Context, fn func(*Tx) error) (err error) {
	defer func() { err = classify(err) }()
	if err = s.once(ctx, fn); err != nil && Retryable(err) && !IsUnavailable(err) {
		return &ill.Error{Code: ill.CodeTransient, Message: fmt.Sprintf("database busy: %v", err)}
	}
	return err
}

type groupKey struct{}

type group struct {
	store  *Store
	tx     *txConn // shared by the joined closures: queued writes flush in order
	failed bool    // a joined closure failed: the group must not commit
}

// Group runs apply with a context in which every InTx of this store joins
// one transaction, and commits it when apply returns nil; on any error
// nothing is committed. The consumers use it to apply several prefetched
// messages (each with its inbox row, state changes and outbox rows) in one
// transaction (rabbitmq.Consumer.Group): one BEGIN and one durable COMMIT
// for the lot. apply's InTx closures are not retried inside the group (a
// deadlock fails the group; the caller then applies its messages one by
// one). The joined transaction holds every lock taken until the end of
// apply, so groups are kept small.
func (s *Store) Group(ctx context.Context, apply func(ctx context.Context) error) (err error) {
	defer func() { err = classify(err) }()
	return s.transact(ctx, func(c *txConn) error {
		g := &group{store: s, tx: c}
		if err := apply(context.WithValue(ctx, groupKey{}, g)); err != nil {
			return err
		}
		if g.failed {
			return errors.New("mysql: a closure of the group failed")
		}
		return nil
	})
}

func (s *Store) once(ctx context.Context, fn func(*Tx) error) error {
	return s.transact(ctx, func(c *txConn) error { return fn(&Tx{tx: c, dir: s.dir}) })
}

// transact runs body in a transaction of its own connection and commits
// when body returns nil; on an error or a panic it rolls back.
func (s *Store) transact(ctx context.Context, body func(*txConn) error) error {
	c, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			c.rollback()
			panic(p)
		}
	}()
	if err := body(c); err != nil {
		c.rollbackAfter(err)
		return err
	}
	if err := c.commit(ctx); err != nil {
		return err
	}
	if len(c.outbox) > 0 && s.onOutbox != nil {
		s.onOutbox(c.outbox)
	}
	return nil
}
