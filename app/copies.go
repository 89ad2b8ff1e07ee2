package app

import (
	"context"
	"encoding/json"

	"github.com/balis/illhub/ill"
)

// CloseDelivery ends a delivered copy request as the hub (the system
// action close_delivery, docs/copies.md): why is ill.CloseDownloaded (the
// reader used up the downloads) or ill.CloseExpired (the link expired and
// the file was removed). It publishes the message, returning after the
// broker's confirm; the requests consumer applies it through the state
// table, which refuses it (on the timeline) unless the request is a copy
// in DELIVERED. The message id is derived from the request and why, so a
// repeat (a second download at the limit, the expiry job run twice)
// publishes the same message, which the consumer applies once.
//
// It is the hub's own action, not a library's: callers are the download
// and expiry use cases, never a client's request.
func (s *Service) CloseDelivery(ctx context.Context, requestID string, why ill.Variant) error {
	b := ill.ActionBody{Reason: ill.Reason(why)}
	if _, err := b.Variant(ill.ActCloseDelivery); err != nil {
		return err
	}
	body, _ := json.Marshal(b)
	m := ill.Message{ID: ill.DerivedMessageID("close_delivery/"+requestID, string(why)), Type: ill.MsgAction,
		Actor: ill.SystemActor, RequestID: requestID, Action: ill.ActCloseDelivery, At: s.clock.Now().UTC(), Body: body}
	return s.publish(ctx, m)
}
