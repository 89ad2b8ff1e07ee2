package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/balis/illhub/ill"
)

// Publisher is an in-memory broker (ill.Publisher): it keeps every
// message published, or refuses them all while failing. The zero value
// confirms everything.
type Publisher struct {
	mu       sync.Mutex
	fail     error
	messages []ill.Message
}

// Fail makes Publish and Ready answer err from now on (nil: confirm
// again); a broker that is down is ill.Errorf(ill.CodeUnavailable, ...).
func (p *Publisher) Fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = err
}

// Publish implements ill.Publisher: the body must be an ill.Message whose
// type and id are routingKey and messageID.
func (p *Publisher) Publish(ctx context.Context, routingKey, messageID string, body []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	if err := ctx.Err(); err != nil {
		return ill.Errorf(ill.CodeUnavailable, "publish abandoned: %v", err)
	}
	var m ill.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	if m.Type != routingKey || m.ID != messageID {
		return ill.Errorf(ill.CodeInternal, "message %s (%s) published as %s (%s)", m.ID, m.Type, messageID, routingKey)
	}
	p.messages = append(p.messages, m)
	return nil
}

// Ready implements ill.Publisher.
func (p *Publisher) Ready() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fail
}

// Messages returns the messages published so far, in order.
func (p *Publisher) Messages() []ill.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.messages)
}
