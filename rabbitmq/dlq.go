package rabbitmq

import (
	"context"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
	amqp "github.com/rabbitmq/amqp091-go"
)

// DeadLetter is a message in the dead-letter queue (the domain's
// ill.DeadMessage: the console shows them through ill.DeadLetterQueue).
type DeadLetter = ill.DeadMessage

func deathInfo(d amqp.Delivery) (queue, reason string, count int64) {
	deaths, _ := d.Headers["x-death"].([]any)
	if len(deaths) == 0 {
		return "", "", 0
	}
	first, _ := deaths[0].(amqp.Table)
	queue, _ = first["queue"].(string)
	reason, _ = first["reason"].(string)
	count, _ = first["count"].(int64)
	if r, ok := d.Headers["x-first-death-reason"].(string); ok {
		reason = r
	}
	return
}

// DLQ reads and replays the dead-letter queue (illctl dlq); the centre's
// admin page lists it as an ill.DeadLetterQueue.
type DLQ struct {
	URL  string // one AMQP URL or a comma-separated list (Dial)
	Topo Topology
}

var _ ill.DeadLetterQueue = DLQ{}

func (q DLQ) open() (*amqp.Connection, *amqp.Channel, error) {
	conn, err := Dial(q.URL, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second),
		Properties: amqp.Table{"connection_name": "illctl-dlq"}})
	if err != nil {
		return nil, nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if err := q.Topo.Declare(ch); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, ch, nil
}

// List returns up to limit dead letters, oldest first, without removing
// them: each is got and then returned to the queue when the connection
// closes unacked.
func (q DLQ) List(limit int) ([]DeadLetter, error) {
	conn, ch, err := q.open()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var out []DeadLetter
	for len(out) < limit {
		d, ok, err := ch.Get(q.Topo.Queue(QueueDead), false)
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		queue, reason, count := deathInfo(d)
		out = append(out, DeadLetter{MessageID: d.MessageId, RoutingKey: d.RoutingKey, Queue: queue,
			Reason: reason, Count: count, Body: d.Body})
	}
	return out, nil // unacked gets are requeued when the channel closes
}

// Replay republishes up to limit dead letters (all when messageID is "",
// else only that one) to the command exchange with their original routing
// key, each confirmed before its dead copy is acked. Consumers dedupe
// replays of messages that did take effect.
func (q DLQ) Replay(ctx context.Context, messageID string, limit int) (int, error) {
	conn, ch, err := q.open()
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := ch.Confirm(false); err != nil {
		return 0, err
	}
	n := 0
	var skipped []amqp.Delivery
	defer func() {
		for _, d := range skipped {
			_ = d.Nack(false, true)
		}
	}()
	for n < limit {
		d, ok, err := ch.Get(q.Topo.Queue(QueueDead), false)
		if err != nil {
			return n, err
		}
		if !ok {
			break
		}
		if messageID != "" && d.MessageId != messageID {
			skipped = append(skipped, d)
			continue
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, q.Topo.Exchange(), d.RoutingKey, false, false,
			amqp.Publishing{ContentType: d.ContentType, DeliveryMode: amqp.Persistent, MessageId: d.MessageId,
				Timestamp: d.Timestamp, Type: d.Type, Body: d.Body})
		if err != nil {
			return n, err
		}
		if ok, err := dc.WaitContext(ctx); err != nil || !ok {
			return n, fmt.Errorf("replay of %s not confirmed: %v", d.MessageId, err)
		}
		if err := d.Ack(false); err != nil {
			return n, err
		}
		n++
		if messageID != "" {
			break
		}
	}
	return n, nil
}
