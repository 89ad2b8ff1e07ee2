package app

// What the ISO 18626 intake (iso18626/intake) needs beyond the JSON API's
// use cases: members are authenticated by their ISO 18626 symbol, requests
// are found by the borrower's own id (ISO 18626 keys a transaction by
// requestingAgencyId + requestingAgencyRequestId), and the hub messages an
// ISO message becomes carry message ids derived from it, so that a
// member's retry of the same message is deduplicated.

import (
	"context"
	"encoding/json"
	"time"

	"github.com/balis/illhub/ill"
)

// ISOMember finds the member whose ISO 18626 symbol is symbol
// (case-insensitive); not_found when none.
func (s *Service) ISOMember(ctx context.Context, symbol string) (*ill.ISOMember, error) {
	return s.store.ISOMemberBySymbol(ctx, symbol)
}

// ClientRequest finds the request borrower submitted as clientID and its
// state; "" when there is none.
func (s *Service) ClientRequest(ctx context.Context, borrower, clientID string) (string, ill.State, error) {
	return s.store.RequestIDByClientID(ctx, borrower, clientID)
}

// RequestByClientID reads, with its rota, the request borrower submitted
// as clientID; nil (and no error) when there is none.
func (s *Service) RequestByClientID(ctx context.Context, borrower, clientID string) (*ill.Request, error) {
	id, _, err := s.store.RequestIDByClientID(ctx, borrower, clientID)
	if err != nil || id == "" {
		return nil, err
	}
	return s.store.RequestForAccess(ctx, id)
}

// MatchRecord finds the union record a request describes: by lender's own
// record id (when both are given), else by citation c (ISBN, then
// title/author/publisher/year); 0 when none matches.
func (s *Service) MatchRecord(ctx context.Context, lender, localID string, c ill.Citation) (int64, error) {
	if lender != "" && localID != "" {
		if id, err := s.store.RecordByLocalID(ctx, lender, localID); err != nil || id != 0 {
			return id, err
		}
	}
	return s.store.MatchCitation(ctx, c)
}

// SubmitISO publishes the submit of borrower's ISO 18626 request b,
// accepted at at, which the intake validated (ValidateSubmit) and found
// new. Its message id derives from the request id, as a JSON submit's
// does. Errors: unavailable.
func (s *Service) SubmitISO(ctx context.Context, borrower string, b ill.SubmitBody, at time.Time, iso *ill.ISOContext) error {
	id := ill.RequestID(borrower, b.ClientRequestID)
	body, _ := json.Marshal(b)
	return s.publish(ctx, ill.Message{ID: ill.SubmitMessageID(id), Type: ill.MsgSubmit, Actor: borrower, RequestID: id,
		At: at.UTC(), Body: body, ISO: iso})
}

// ActISO publishes action (empty: the message only informs) on request
// id by member actor, from an ISO 18626 message accepted at at that key
// identifies (kind, what it says and its timestamp): the message id
// derives from actor, id and key. The intake checked the state table, with
// the latitude ISO 18626 peers need (iso18626.Ahead). Errors: unavailable.
func (s *Service) ActISO(ctx context.Context, actor, id string, action ill.Action, b ill.ActionBody, at time.Time,
	key string, iso *ill.ISOContext) error {
	body, _ := json.Marshal(b)
	return s.publish(ctx, ill.Message{ID: ill.DerivedMessageID("iso/"+actor+"/"+id, key), Type: ill.MsgAction,
		Actor: actor, RequestID: id, Action: action, At: at.UTC(), Body: body, ISO: iso})
}

// LogISO keeps an authenticated member's inbound message and its
// confirmation status (iso18626_messages).
func (s *Service) LogISO(ctx context.Context, m ill.ISOMessage) error {
	return s.store.LogISOMessage(ctx, m)
}
