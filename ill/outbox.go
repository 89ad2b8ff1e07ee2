package ill

// OutboxRow is a follow-on message written to the outbox in the transaction
// that caused it, waiting to be relayed to the broker.
type OutboxRow struct {
	ID         int64  // outbox row id: what the relay reports as sent
	MessageID  string // the message's deterministic id (Message.ID)
	RoutingKey string // the message type (Message.Type)
	Body       []byte // the message as JSON
}
