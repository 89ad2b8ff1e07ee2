// Package consumers holds what the consumers' pools share: reading a
// delivery's envelope and applying a message once, in one transaction with
// the inbox. The pools live by capability in the packages below it:
//
//   - requests: submits and actions through the state table, the
//     scheduler's deadlines, and the carrier that applies a transition and
//     hands it to the subscribers registered at wiring time;
//   - notices: the subscriber that writes notices, the pool that delivers
//     them (e-mail, webhook);
//   - courier: the subscriber that creates shipments and return checks, the
//     pool that puts shipments on runs, applies scans and settles returns;
//   - isoout: the subscriber that writes ISO 18626 messages to member
//     systems, the pool that delivers them (iso18626/client);
//   - holdings: the pool that applies libraries' holdings batches.
//
// requests imports none of the others: a follow-on effect of a transition
// is a requests.Subscriber, registered by package service.
//
// Every handler is idempotent (the inbox, or a row's own status) and safe
// to run concurrently in any number of processes; the consumer acks only
// after the handler's transaction committed (see rabbitmq.Consumer).
package consumers

import (
	"context"
	"encoding/json"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// CalendarSource yields the current national calendar.
type CalendarSource interface {
	Get(ctx context.Context) (*ill.Calendar, error)
}

// Decode reads a delivery's envelope. Undecodable input can never succeed
// and is dead-lettered (bad_request).
func Decode(d rabbitmq.Delivery) (ill.Message, error) {
	var m ill.Message
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return m, ill.Errorf(ill.CodeBadRequest, "undecodable message: %v", err)
	}
	if m.ID == "" || m.Type == "" || m.At.IsZero() {
		return m, ill.Errorf(ill.CodeBadRequest, "message lacks id, type or at")
	}
	return m, nil
}

// Once applies m with fn in one transaction of st that first records m in
// the inbox under handler: a message seen before (a redelivery, a
// duplicate) commits nothing and returns nil, so it is acked without
// effect.
func Once(ctx context.Context, st *mysql.Store, handler string, m ill.Message, fn func(*mysql.Tx) error) error {
	return st.InTx(ctx, func(tx *mysql.Tx) error {
		first, err := tx.MarkProcessed(ctx, handler, m.ID, m.At)
		if err != nil || !first {
			return err
		}
		return fn(tx)
	})
}
