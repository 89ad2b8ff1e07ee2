// Package rabbitmq is illhub's messaging adapter for RabbitMQ (AMQP 0-9-1,
// github.com/rabbitmq/amqp091-go).
//
// Topology: one durable topic exchange for commands; one quorum queue per
// consumer pool with x-delivery-limit and a dead-letter exchange; one
// dead-letter quorum queue that ops read and replay with `illctl dlq`.
// Quorum queues work on a single node and on a cluster alike.
//
// Publishing and consuming use separate connections. Channels are never
// shared between goroutines: the publisher keeps a pool of confirm-mode
// channels handed to one caller at a time, and each consumer worker owns
// its channel.
package rabbitmq

import (
	"fmt"

	"github.com/balis/illhub/ill"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Queue names (without prefix) of the consumer pools.
const (
	QueueRequests = "ill.requests" // submits and actions: routing and the state table
	QueueHoldings = "ill.holdings" // holdings batches
	QueueNotices  = "ill.notices"  // notice delivery
	QueueCourier  = "ill.courier"  // shipment dispatch to courier runs
	QueueISO      = "ill.iso"      // outbound ISO 18626 messages to member systems
	QueueNCIP     = "ill.ncip"     // NCIP calls to members' local library systems
	QueueDead     = "ill.dead"     // dead letters
)

// Topology names every exchange and queue, optionally under a prefix (tests
// and side-by-side installations use one prefix each).
type Topology struct {
	Prefix        string
	DeliveryLimit int // attempts before a message is dead-lettered
}

// Exchange is the topic exchange all messages are published to.
func (t Topology) Exchange() string { return t.Prefix + "ill.commands" }

// DeadExchange receives messages a queue dead-letters.
func (t Topology) DeadExchange() string { return t.Prefix + "ill.dlx" }

// Queue returns the prefixed name of a queue.
func (t Topology) Queue(name string) string { return t.Prefix + name }

// bindings maps each pool's queue to the routing keys it takes.
var bindings = map[string][]string{
	QueueRequests: {ill.MsgSubmit, ill.MsgAction},
	QueueHoldings: {ill.MsgHoldings},
	QueueNotices:  {ill.MsgNotice},
	QueueCourier:  {ill.MsgShipment, ill.MsgCourierScan, ill.MsgReturnCheck}, // scans and return checks
	QueueISO:      {ill.MsgISO},
	QueueNCIP:     {ill.MsgNCIP},
}

// Declare creates the topology (idempotent). Called by every process on
// every (re)connect, so the broker can be wiped and restarted.
func (t Topology) Declare(ch *amqp.Channel) error {
	if err := ch.ExchangeDeclare(t.Exchange(), "topic", true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange: %w", err)
	}
	if err := ch.ExchangeDeclare(t.DeadExchange(), "fanout", true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare dead-letter exchange: %w", err)
	}
	if _, err := ch.QueueDeclare(t.Queue(QueueDead), true, false, false, false,
		amqp.Table{"x-queue-type": "quorum"}); err != nil {
		return fmt.Errorf("declare dead-letter queue: %w", err)
	}
	if err := ch.QueueBind(t.Queue(QueueDead), "", t.DeadExchange(), false, nil); err != nil {
		return err
	}
	limit := t.DeliveryLimit
	if limit < 1 {
		limit = 5
	}
	for q, keys := range bindings {
		args := amqp.Table{
			"x-queue-type":           "quorum",
			"x-delivery-limit":       int32(limit),
			"x-dead-letter-exchange": t.DeadExchange(),
		}
		if _, err := ch.QueueDeclare(t.Queue(q), true, false, false, false, args); err != nil {
			return fmt.Errorf("declare queue %s: %w", q, err)
		}
		for _, k := range keys {
			if err := ch.QueueBind(t.Queue(q), k, t.Exchange(), false, nil); err != nil {
				return fmt.Errorf("bind %s to %s: %w", q, k, err)
			}
		}
	}
	return nil
}

// Delete removes the topology (tests).
func (t Topology) Delete(ch *amqp.Channel) {
	for q := range bindings {
		_, _ = ch.QueueDelete(t.Queue(q), false, false, false)
	}
	_, _ = ch.QueueDelete(t.Queue(QueueDead), false, false, false)
	_ = ch.ExchangeDelete(t.Exchange(), false, false)
	_ = ch.ExchangeDelete(t.DeadExchange(), false, false)
}
