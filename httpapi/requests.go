package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// publish sends a message and waits for the broker's confirm, bounded by
// PublishTimeout so a hung broker becomes a 503, never a hung request.
func (s *Server) publish(ctx context.Context, m ill.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.PublishTimeout)
	defer cancel()
	start := time.Now()
	err = s.Pub.Publish(ctx, m.Type, m.ID, body)
	s.pubTime.WithLabelValues(m.Type).Observe(time.Since(start).Seconds())
	result := "ok"
	if err != nil {
		result = "error"
		s.Log.Warn("publish failed", "routing_key", m.Type, "message_id", m.ID, "err", err)
	}
	s.pubs.WithLabelValues(m.Type, result).Inc()
	return err
}

func checkLen(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return ill.FieldError(field, "%s is required", field)
	}
	if utf8.RuneCountInString(v) > max {
		return ill.FieldError(field, "%s is longer than %d characters", field, max)
	}
	return nil
}

// validateSubmit checks a submit body field by field.
func validateSubmit(b *ill.SubmitBody) error {
	checks := []error{
		checkLen("client_request_id", b.ClientRequestID, 100, true),
		checkLen("patron.id", b.Patron.ID, 64, true),
		checkLen("patron.name", b.Patron.Name, 128, false),
		checkLen("patron.email", b.Patron.Email, 160, false),
		checkLen("note", b.Note, 2000, false),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if b.Patron.Email != "" {
		if _, err := mail.ParseAddress(b.Patron.Email); err != nil {
			return ill.FieldError("patron.email", "not a valid e-mail address")
		}
	}
	switch {
	case b.RecordID != "" && b.Item != nil:
		return ill.FieldError("record_id", "give either record_id or item, not both")
	case b.RecordID == "" && b.Item == nil:
		return ill.FieldError("record_id", "record_id or item (a manual citation) is required")
	case b.RecordID != "":
		if n, err := strconv.ParseInt(b.RecordID, 10, 64); err != nil || n <= 0 {
			return ill.FieldError("record_id", "record_id must be a catalogue record id (digits)")
		}
	default:
		if err := checkLen("item.title", b.Item.Title, 400, true); err != nil {
			return err
		}
		for _, c := range []struct {
			f, v string
			n    int
		}{{"item.author", b.Item.Author, 200}, {"item.isbn", b.Item.ISBN, 20}, {"item.publisher", b.Item.Publisher, 200}} {
			if err := checkLen(c.f, c.v, c.n, false); err != nil {
				return err
			}
		}
		if b.Item.Year < 0 || b.Item.Year > 2100 {
			return ill.FieldError("item.year", "year out of range")
		}
	}
	return nil
}

// submit: POST /v1/requests. Idempotent on (caller, client_request_id): a
// repeat of a processed submit answers 200 with the same request id and
// publishes nothing; a repeat before processing publishes the same message
// id again, which the consumers dedupe.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if p.Centre {
		return ill.Errorf(ill.CodeForbidden, "requests are submitted by a member library's key, not a centre key")
	}
	var b ill.SubmitBody
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	b.Lenders = nil // ISO 18626 requests only (issue 6)
	if err := validateSubmit(&b); err != nil {
		return err
	}
	if id, st, err := s.Store.RequestIDByClientID(r.Context(), p.Library, b.ClientRequestID); err != nil {
		return err
	} else if id != "" {
		w.Header().Set("Location", "/v1/requests/"+id)
		writeJSON(w, http.StatusOK, map[string]any{"request_id": id, "state": st, "duplicate": true})
		return nil
	}
	id := ill.RequestID(p.Library, b.ClientRequestID)
	body, _ := json.Marshal(b)
	m := ill.Message{ID: ill.SubmitMessageID(id), Type: ill.MsgSubmit, Actor: p.Library, RequestID: id,
		At: s.Clock.Now().UTC(), Body: body}
	if err := s.publish(r.Context(), m); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/requests/"+id)
	writeJSON(w, http.StatusAccepted, map[string]any{"request_id": id, "state": ill.Submitted})
	return nil
}

// loadVisible loads a request (with its timeline when full) that the
// caller may read; 403 otherwise.
func (s *Server) loadVisible(r *http.Request, id string, full bool) (*ill.Request, error) {
	p := principalOf(r)
	load := s.Store.RequestForAccess
	if full {
		load = s.Store.GetRequest
	}
	req, err := load(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !req.VisibleTo(p.Library, p.Centre) {
		return nil, ill.Errorf(ill.CodeForbidden, "request %s is not yours: only its borrower, the lenders it was sent to and the centre may see it", id)
	}
	return req, nil
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := s.loadVisible(r, r.PathValue("id"), true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOf(req, true))
	return nil
}

// act: POST /v1/requests/{id}/{action}. The state table is consulted here
// (403/409 at once) and again, authoritatively, by the consumer under the
// request's row lock. An Idempotency-Key header makes retries of the same
// action harmless (same message id).
func (s *Server) act(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	id, action := r.PathValue("id"), ill.Action(r.PathValue("action"))
	if !ill.IsAPIAction(action) {
		return ill.Errorf(ill.CodeNotFound, "no such action %q; actions are %v", action, ill.APIActions)
	}
	var b ill.ActionBody
	if err := s.decodeJSON(w, r, &b, true); err != nil {
		return err
	}
	req, err := s.loadVisible(r, id, false)
	if err != nil {
		return err
	}
	variant, err := b.Variant(action)
	if err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	if _, err := ill.Decide(ill.Attempt{Action: action, Variant: variant, From: req.State,
		Roles: req.RolesOf(p.Library, p.Centre), At: now, SubmittedAt: req.SubmittedAt}); err != nil {
		return err
	}
	if err := s.checkReturnBarcode(r, req, action, b); err != nil { // issue 5
		return err
	}
	if action == ill.ActMediate && b.RecordID != "" {
		if n, err := strconv.ParseInt(b.RecordID, 10, 64); err != nil || n <= 0 {
			return ill.FieldError("record_id", "record_id must be a catalogue record id (digits)")
		}
	}
	msgID := ill.NewMessageID()
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		msgID = ill.DerivedMessageID(p.Library+"/"+id+"/"+string(action), k)
	}
	body, _ := json.Marshal(b)
	actor := p.Library
	m := ill.Message{ID: msgID, Type: ill.MsgAction, Actor: actor, IsCentre: p.Centre, RequestID: id,
		Action: action, At: now, Body: body}
	if err := s.publish(r.Context(), m); err != nil {
		return err
	}
	// current_state is the state the action was accepted in; it is applied
	// asynchronously (GET the request to see the result).
	writeJSON(w, http.StatusAccepted, map[string]any{"request_id": id, "action": action, "current_state": req.State, "message_id": msgID})
	return nil
}

func pageParams(r *http.Request) (page, perPage int, err error) {
	page, perPage = 1, 20
	if v := r.URL.Query().Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > 100000 {
			return 0, 0, ill.FieldError("page", "page must be a positive number")
		}
	}
	if v := r.URL.Query().Get("per_page"); v != "" {
		if perPage, err = strconv.Atoi(v); err != nil || perPage < 1 || perPage > 100 {
			return 0, 0, ill.FieldError("per_page", "per_page must be between 1 and 100")
		}
	}
	return page, perPage, nil
}

// listRequests: GET /v1/requests (R13 history query).
func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	q := r.URL.Query()
	page, perPage, err := pageParams(r)
	if err != nil {
		return err
	}
	f := mysql.ListFilter{Caller: p.Library, Centre: p.Centre, PatronID: q.Get("patron_id"),
		State: ill.State(strings.ToUpper(q.Get("state"))), Q: q.Get("q"), Page: page, PerPage: perPage}
	if f.State != "" && !f.State.Valid() {
		return ill.FieldError("state", "unknown state %q", q.Get("state"))
	}
	for _, d := range []struct {
		name string
		dst  **ill.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(d.name); v != "" {
			day, err := ill.ParseDate(v)
			if err != nil {
				return ill.FieldError(d.name, "%s must be a date YYYY-MM-DD (Asia/Shanghai)", d.name)
			}
			*d.dst = &day
		}
	}
	reqs, total, err := s.Store.ListRequests(r.Context(), f)
	if err != nil {
		return err
	}
	results := make([]requestView, len(reqs))
	for i, rq := range reqs {
		results[i] = viewOf(rq, false)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "page": page, "per_page": perPage, "results": results})
	return nil
}

// requestView is the JSON shape of a request (SPEC 5.1).
type requestView struct {
	RequestID       string      `json:"request_id"`
	ClientRequestID string      `json:"client_request_id"`
	State           ill.State   `json:"state"`
	StateLabel      stateLabel  `json:"state_label"`
	Reason          *string     `json:"reason"`
	Borrower        string      `json:"borrower"`
	Lender          *string     `json:"lender"`
	PatronID        string      `json:"patron_id"`
	RecordID        *string     `json:"record_id"`
	Title           string      `json:"title"`
	Author          string      `json:"author"`
	ISBN            string      `json:"isbn"`
	ItemBarcode     string      `json:"item_barcode,omitempty"`
	Rota            []rotaView  `json:"rota"`
	SubmittedAt     string      `json:"submitted_at"`
	RespondBy       *string     `json:"respond_by"`
	ShipBy          *string     `json:"ship_by"`
	DueAt           *string     `json:"due_at"`
	Provisional     bool        `json:"deadlines_provisional"`
	Events          []eventView `json:"events,omitempty"`
}

type stateLabel struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

type rotaView struct {
	Library string      `json:"library"`
	Rank    int         `json:"rank"`
	Outcome ill.Outcome `json:"outcome"`
	Reasons []string    `json:"reasons"`
}

type eventView struct {
	At     string     `json:"at"`
	Actor  string     `json:"actor"`
	Action ill.Action `json:"action"`
	From   ill.State  `json:"from"`
	To     ill.State  `json:"to"`
	Note   string     `json:"note"`
}

// rfc3339 formats a time with the +08:00 offset librarians read.
func rfc3339(t time.Time) string { return t.In(ill.Shanghai).Format(time.RFC3339) }

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func viewOf(r *ill.Request, withEvents bool) requestView {
	v := requestView{RequestID: r.ID, ClientRequestID: r.ClientRequestID, State: r.State,
		StateLabel: stateLabel{ZH: r.State.Label("zh"), EN: r.State.Label("en")},
		Reason:     optStr(string(r.Reason)), Borrower: r.Borrower, Lender: optStr(r.Lender), PatronID: r.PatronID,
		Title: r.Title, Author: r.Author, ISBN: r.ISBN, ItemBarcode: r.ItemBarcode, SubmittedAt: rfc3339(r.SubmittedAt),
		RespondBy: optTime(r.RespondBy), ShipBy: optTime(r.ShipBy), DueAt: optTime(r.DueAt), Provisional: r.Provisional,
		Rota: []rotaView{}}
	if r.RecordID != 0 {
		v.RecordID = optStr(strconv.FormatInt(r.RecordID, 10))
	}
	for _, e := range r.Rota {
		reasons := e.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		v.Rota = append(v.Rota, rotaView{Library: e.Library, Rank: e.Rank, Outcome: e.Outcome, Reasons: reasons})
	}
	if withEvents {
		v.Events = []eventView{}
		for _, e := range r.Events {
			v.Events = append(v.Events, eventView{At: rfc3339(e.At), Actor: e.Actor, Action: e.Action,
				From: e.From, To: e.To, Note: e.Note})
		}
	}
	return v
}
