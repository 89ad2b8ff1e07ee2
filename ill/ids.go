package ill

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// RequestID is the hub's id for the request a borrower submits with its own
// client_request_id. It is derived, not random, so that a client retrying
// a submit (even after a 503 whose message did reach the broker) always
// gets the same request id and the consumers dedupe the repeat.
func RequestID(borrower, clientRequestID string) string {
	sum := sha256.Sum256([]byte(borrower + "\x00" + clientRequestID))
	return "ILL-" + strings.ToUpper(hex.EncodeToString(sum[:8]))
}

// SubmitMessageID is the message id of a submit: one per request, so every
// redelivery and every retried publish dedupes in the inbox.
func SubmitMessageID(requestID string) string { return "submit:" + requestID }

// DerivedMessageID gives a stable message id for a caller-supplied
// idempotency key, scoped to the caller.
func DerivedMessageID(scope, key string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	return "idem:" + hex.EncodeToString(sum[:16])
}

// NewMessageID returns a random message id.
func NewMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
