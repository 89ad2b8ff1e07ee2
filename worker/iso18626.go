package worker

// issue 6: ISO 18626 (docs/iso18626.md).

import (
	"strings"

	"github.com/balis/illhub/ill"
)

// actISO is the timeline action of ISO 18626 messages that change no state.
const actISO ill.Action = "iso18626"

// isoInform applies an incoming ISO 18626 message that changes no state
// (StatusRequest, Notification, a lender's RequestReceived ...): it is
// recorded on the request's timeline.
func (t *txn) isoInform() error {
	iso := t.m.ISO
	n := "ISO 18626 " + iso.Kind + " " + iso.What
	if strings.TrimSpace(iso.Note) != "" {
		n += ": " + iso.Note
	}
	return t.event(actISO, t.r.State, t.r.State, n)
}
