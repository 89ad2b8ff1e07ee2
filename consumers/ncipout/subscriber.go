// Package ncipout is NCIP 2.0 to the members' local library systems
// (docs/ncip.md). The Subscriber writes the NCIP calls a transition asks
// for (ill.NCIPCallsFor) to ncip_calls and queues them through the outbox
// (ncip.call) in the transaction of the transition, for the members whose
// ILS is registered (illctl library ncip); the Pool delivers them to the
// ILSs, in order per request and member, with retries, and writes the
// outcomes on the request's timeline. Nothing here ever decides or holds
// up a request's state: a failing ILS only leaves lines on the timeline.
package ncipout

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/ncip"
)

// Subscriber writes the NCIP calls of every transition.
type Subscriber struct {
	HubSymbol string // the hub's agency id (ILL_HUB_SYMBOL), the default FromAgencyId
}

// Store is what the subscriber reads and writes through (*mysql.Tx, in the
// transaction of the transition).
type Store interface {
	NCIPMembers(ctx context.Context, codes ...string) (map[string]*ill.NCIPMember, error)
	LockRequest(ctx context.Context, id string) (*ill.Request, error)
	AddNCIPCall(ctx context.Context, c ill.NCIPCall) (int64, error)
	AddEvent(ctx context.Context, requestID, messageID string, e ill.Event) error
	Enqueue(ctx context.Context, m ill.Message) error
}

var _ Store = (*mysql.Tx)(nil)

// Handle writes the NCIP calls cs ask for in tx (Write).
func (s Subscriber) Handle(ctx context.Context, tx *mysql.Tx, cs []requests.Change) error {
	return s.Write(ctx, tx, cs)
}

// Write writes the NCIP calls cs ask for through st. The members'
// registrations are read only for a change that asks for a call (one
// statement for both parties), and a sweep's brief request is read in
// full only when a registered member gets a call.
func (s Subscriber) Write(ctx context.Context, st Store, cs []requests.Change) error {
	for _, c := range cs {
		var specs []ill.NCIPCallSpec
		for _, e := range c.Transition.Events {
			if sc, ok := e.(ill.StateChanged); ok {
				specs = append(specs, ill.NCIPCallsFor(sc.Action, sc.From, sc.To)...)
			}
		}
		if len(specs) == 0 {
			continue
		}
		r := c.Request
		members, err := st.NCIPMembers(ctx, r.Borrower, r.Lender)
		if err != nil {
			return err
		}
		full := !c.Brief
		for _, sp := range specs {
			code := r.Borrower
			if sp.Side == ill.RoleLender {
				code = r.Lender
			}
			m := members[code]
			if !m.Enabled() {
				continue
			}
			if !full {
				if r, err = st.LockRequest(ctx, r.ID); err != nil {
					return err
				}
				full = true
			}
			if err := s.call(ctx, st, c.Cause, r, m, sp); err != nil {
				return err
			}
		}
	}
	return nil
}

// call stores one call and queues its delivery. A call that cannot be
// written (the request lacks what it needs) is noted on the timeline
// instead: it never fails the transition.
func (s Subscriber) call(ctx context.Context, st Store, cause ill.Message, r *ill.Request, m *ill.NCIPMember, sp ill.NCIPCallSpec) error {
	msg, err := ncip.Build(sp.Service, sp.Side, ncip.PartyOf(m, s.HubSymbol), ncip.LoanOf(r))
	var doc []byte
	if err == nil {
		doc, err = ncip.Marshal(msg)
	}
	if err != nil {
		return st.AddEvent(ctx, r.ID, cause.ID, ill.Event{At: cause.At, Actor: ill.SystemActor, Action: ill.ActNCIP,
			From: r.State, To: r.State, Note: "NCIP " + string(sp.Service) + " to " + m.Code + " not sent: " + err.Error()})
	}
	id, err := st.AddNCIPCall(ctx, ill.NCIPCall{RequestID: r.ID, LibraryCode: m.Code, Service: sp.Service,
		Body: string(doc), Status: ill.NCIPPending, CreatedAt: cause.At})
	if err != nil {
		return err
	}
	ref, _ := json.Marshal(map[string]int64{"ncip_call_id": id})
	return st.Enqueue(ctx, ill.Message{ID: "ncip:" + strconv.FormatInt(id, 10), Type: ill.MsgNCIP,
		Actor: ill.SystemActor, RequestID: r.ID, At: cause.At, Body: ref})
}
