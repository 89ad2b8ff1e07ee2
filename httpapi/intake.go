package httpapi

// The intake as functions: the JSON handlers and the web portal/console
// (package web) call these, so every submit and action goes through the
// same validation, state-table check and confirmed publish.

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/balis/illhub/ill"
)

// SubmitResult is the outcome of an accepted submit.
type SubmitResult struct {
	RequestID string
	State     ill.State
	// Duplicate: the client_request_id was seen before and processed;
	// nothing was published.
	Duplicate bool
}

// SubmitFor submits b on behalf of member library p (the borrower). It
// validates the body, answers a repeat of a processed client_request_id
// with the existing request, and otherwise publishes the submit message,
// returning after the broker's confirm. Errors are *ill.Error with stable
// codes (forbidden for centre principals, bad_request, unavailable).
func (s *Server) SubmitFor(ctx context.Context, p ill.Principal, b ill.SubmitBody) (SubmitResult, error) {
	if p.Centre {
		return SubmitResult{}, ill.Errorf(ill.CodeForbidden, "requests are submitted by a member library's key, not a centre key")
	}
	if err := validateSubmit(&b); err != nil {
		return SubmitResult{}, err
	}
	if id, st, err := s.Store.RequestIDByClientID(ctx, p.Library, b.ClientRequestID); err != nil {
		return SubmitResult{}, err
	} else if id != "" {
		return SubmitResult{RequestID: id, State: st, Duplicate: true}, nil
	}
	id := ill.RequestID(p.Library, b.ClientRequestID)
	body, _ := json.Marshal(b)
	m := ill.Message{ID: ill.SubmitMessageID(id), Type: ill.MsgSubmit, Actor: p.Library, RequestID: id,
		At: s.Clock.Now().UTC(), Body: body}
	if err := s.publish(ctx, m); err != nil {
		return SubmitResult{}, err
	}
	return SubmitResult{RequestID: id, State: ill.Submitted}, nil
}

// RequestFor loads request id (with its rota and timeline when full;
// otherwise as much as an action's check needs, mysql.RequestForAction) if
// principal p may read it; forbidden otherwise.
func (s *Server) RequestFor(ctx context.Context, p ill.Principal, id string, full bool) (*ill.Request, error) {
	var req *ill.Request
	var err error
	if full {
		req, err = s.Store.GetRequest(ctx, id)
	} else {
		req, err = s.Store.RequestForAction(ctx, id, p.Library, p.Centre)
	}
	if err != nil {
		return nil, err
	}
	if !req.VisibleTo(p.Library, p.Centre) {
		return nil, ill.Errorf(ill.CodeForbidden, "request %s is not yours: only its borrower, the lenders it was sent to and the centre may see it", id)
	}
	return req, nil
}

// ActResult is the outcome of an accepted action.
type ActResult struct {
	RequestID    string
	Action       ill.Action
	CurrentState ill.State // the state the action was accepted in
	MessageID    string
}

// ActFor takes action on request id as principal p. The state table is
// consulted here (forbidden / invalid_transition / renewal_not_allowed /
// cancel_window_passed at once) and again, authoritatively, by the
// consumer under the request's row lock. A non-empty idempotencyKey makes
// retries of the same action publish the same message id. check, when not
// nil, runs on the loaded request before the state table (the portal uses
// it to let a reader act on their own requests only).
func (s *Server) ActFor(ctx context.Context, p ill.Principal, id string, action ill.Action, b ill.ActionBody,
	idempotencyKey string, check func(*ill.Request) error) (ActResult, error) {
	if !ill.IsAPIAction(action) {
		return ActResult{}, ill.Errorf(ill.CodeNotFound, "no such action %q; actions are %v", action, ill.APIActions)
	}
	req, err := s.RequestFor(ctx, p, id, false)
	if err != nil {
		return ActResult{}, err
	}
	if check != nil {
		if err := check(req); err != nil {
			return ActResult{}, err
		}
	}
	variant, err := b.Variant(action)
	if err != nil {
		return ActResult{}, err
	}
	now := s.Clock.Now().UTC()
	if _, err := ill.Allow(ill.Attempt{Action: action, Variant: variant, From: req.State,
		Roles: req.RolesOf(p.Library, p.Centre), At: now, SubmittedAt: req.SubmittedAt}); err != nil {
		return ActResult{}, err
	}
	// The courier barcode check reads the principal from an *http.Request.
	hr, err := http.NewRequestWithContext(context.WithValue(ctx, ctxPrincipal{}, p), http.MethodPost, "/", nil)
	if err != nil {
		return ActResult{}, err
	}
	if err := s.checkReturnBarcode(hr, req, action, b); err != nil {
		return ActResult{}, err
	}
	if action == ill.ActMediate && b.RecordID != "" {
		if n, err := strconv.ParseInt(b.RecordID, 10, 64); err != nil || n <= 0 {
			return ActResult{}, ill.FieldError("record_id", "record_id must be a catalogue record id (digits)")
		}
	}
	msgID := ill.NewMessageID()
	if idempotencyKey != "" {
		msgID = ill.DerivedMessageID(p.Library+"/"+id+"/"+string(action), idempotencyKey)
	}
	body, _ := json.Marshal(b)
	m := ill.Message{ID: msgID, Type: ill.MsgAction, Actor: p.Library, IsCentre: p.Centre, RequestID: id,
		Action: action, At: now, Body: body}
	if err := s.publish(ctx, m); err != nil {
		return ActResult{}, err
	}
	return ActResult{RequestID: id, Action: action, CurrentState: req.State, MessageID: msgID}, nil
}

// StatusFor is the HTTP status of an error code (for the web pages).
func StatusFor(c ill.Code) int { return statusFor(c) }

// isAPIPath reports whether path belongs to the JSON API (/v1/..., any
// /vN/...): unknown ones there are answered with the JSON 404, everything
// else outside the API's routes is the web UI's.
func isAPIPath(path string) bool {
	return len(path) > 2 && path[0] == '/' && path[1] == 'v' && path[2] >= '0' && path[2] <= '9'
}
