// Package intake is the ISO 18626 intake (SPEC 5.2, docs/iso18626.md):
// POST /iso18626 from member systems. It authenticates the sending agency,
// translates each message to the hub's terms (a request to a submit, a
// requesting or supplying agency message to an action on the request it
// names) and hands it to the use cases of package app, answering with the
// ISO 18626 confirmation. The producer mounts it on the JSON API's server
// (httpapi.Server.ISO18626), which answers its transport-level errors.
package intake

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/throttle"
	"github.com/balis/illhub/iso18626"
	"golang.org/x/time/rate"
)

// Intake receives ISO 18626 messages. Construct with New.
type Intake struct {
	app   *app.Service
	clock ill.Clock
	log   *slog.Logger
	cfg   Config
	// limiters: authenticated member → *rate.Limiter (Config.RateLimit).
	limiters sync.Map
	// fails counts failed authentications per client address: 10 are free
	// within 10 minutes (a member's misconfigured system shows up in the
	// log well before), then the address is refused for 1 minute,
	// doubling to 15. Bounded at 50,000 addresses.
	fails *throttle.Lockout
}

// Config is the intake's configuration.
type Config struct {
	// MaxBody bounds a message (ILL_MAX_BODY_BYTES, default 1 MiB).
	MaxBody int64
	// RateLimit (messages/s) and RateBurst limit each authenticated
	// member, as the JSON API limits each key; 0 = none.
	RateLimit float64
	RateBurst int
	// HubSymbol is the hub's own ISO 18626 agency id (ILL_HUB_SYMBOL,
	// default BALIS): a request addressed to it is routed by the hub.
	HubSymbol string
}

// New builds the intake over the use cases a. clock is the time messages
// are received at; log gets one line per message.
func New(a *app.Service, clock ill.Clock, log *slog.Logger, c Config) *Intake {
	if clock == nil {
		clock = ill.SystemClock{}
	}
	if c.MaxBody == 0 {
		c.MaxBody = 1 << 20
	}
	if c.HubSymbol == "" {
		c.HubSymbol = "BALIS"
	}
	return &Intake{app: a, clock: clock, log: log, cfg: c,
		fails: throttle.NewLockout(10, 10*time.Minute, time.Minute, 15*time.Minute, 50000)}
}

// requestID is the id of the HTTP request being answered (its answer's
// X-Request-Id), for the log.
func requestID(w http.ResponseWriter) string { return w.Header().Get("X-Request-Id") }

// problem is an ERROR confirmation's error data.
func problem(t iso18626.ErrorType, format string, args ...any) *iso18626.Problem {
	return &iso18626.Problem{Type: t, Value: fmt.Sprintf(format, args...)}
}

// Receive takes POST /iso18626: one ISO 18626 v1.2 message in, its
// confirmation out in the same HTTP response (200 with messageStatus OK
// or ERROR). OK is answered only after RabbitMQ confirmed the hub message
// the ISO message became; when the broker or the database is down the
// answer is 503 with Retry-After (no confirmation: the member retries, and
// the retry is deduplicated by a message id derived from the message), and
// 429 with Retry-After above ILL_RATE_LIMIT messages per second from one
// member.
//
// Senders authenticate before anything else happens (docs/iso18626.md):
// only the message's header is read (iso18626.ReadHeader), the sending
// agency (requestingAgencyId of a request or requestingAgencyMessage,
// supplyingAgencyId of a supplyingAgencyMessage) must be a member
// registered with an ISO 18626 endpoint, and its secret must arrive in
// header/requestingAgencyAuthentication/securityCode (the standard's
// field) or as HTTP Basic credentials (user: the agency's symbol). A
// member without a secret is accepted only when registered as reached
// over a closed network. A sender that fails gets 401 with an ERROR
// confirmation; nothing of its message is parsed beyond the header or
// stored, and an address that keeps failing gets 429.
//
// The status and the confirmation are returned for the caller to write;
// an error is a transport-level failure (broker or database unavailable,
// rate limited), for the caller to answer with its own error shape.
// Retry-After may have been set on w. Request ids in the log are the
// answer's X-Request-Id, set before the intake runs.
func (in *Intake) Receive(w http.ResponseWriter, r *http.Request) (int, []byte, error) {
	received := in.clock.Now()
	addr := throttle.ClientAddr(r)
	if locked, wait := in.fails.Locked(addr, received); locked {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		in.log.Warn("iso18626: refused: too many failed authentications from this address", "addr", addr, "request_id", requestID(w))
		return in.refuse(nil, http.StatusTooManyRequests, problem(iso18626.ErrUnrecognisedDataValue,
			"too many messages that failed authentication from this address; retry later"), received)
	}
	if r.ContentLength > in.cfg.MaxBody {
		return in.unauthenticated(w, addr, nil, http.StatusRequestEntityTooLarge,
			problem(iso18626.ErrBadlyFormedMessage, "message is larger than %d bytes", in.cfg.MaxBody), received)
	}
	body := http.MaxBytesReader(w, r.Body, in.cfg.MaxBody)
	env, prefix, p := iso18626.ReadHeader(body)
	var mbe *http.MaxBytesError
	if p != nil {
		// Answered like any badly formed message (200 with an ERROR
		// confirmation, as peers expect), but nothing is stored and the
		// address is charged with a failure.
		return in.unauthenticated(w, addr, nil, http.StatusOK, p, received)
	}
	sender, p, err := in.authenticate(r.Context(), r, env)
	if err != nil {
		return 0, nil, err
	}
	if p != nil {
		return in.unauthenticated(w, addr, env, http.StatusUnauthorized, p, received)
	}
	if in.cfg.RateLimit > 0 { // the per-key rate limit of the JSON API, per authenticated member
		l, _ := in.limiters.LoadOrStore("iso18626:"+sender.Code, rate.NewLimiter(rate.Limit(in.cfg.RateLimit), max(in.cfg.RateBurst, 1)))
		if res := l.(*rate.Limiter).Reserve(); res.Delay() > 0 {
			res.Cancel()
			return 0, nil, ill.Errorf(ill.CodeRateLimited, "more than %.0f ISO 18626 messages per second from %s; retry later", in.cfg.RateLimit, sender.Code)
		}
	}
	// Authenticated: read and parse the whole message.
	status := http.StatusOK
	var m *iso18626.Message
	rest, err := io.ReadAll(body)
	full := append(prefix, rest...)
	switch {
	case errors.As(err, &mbe):
		status, p = http.StatusRequestEntityTooLarge, problem(iso18626.ErrBadlyFormedMessage, "message is larger than %d bytes", in.cfg.MaxBody)
		m = env.Message()
	case err != nil:
		status, p = http.StatusBadRequest, problem(iso18626.ErrBadlyFormedMessage, "message could not be read: %v", err)
		m = env.Message()
	default:
		m, p = iso18626.Parse(full)
	}
	got := &accepted{library: sender.Code}
	if p == nil {
		got, p, err = in.accept(r.Context(), m, sender, received)
		if err != nil {
			return 0, nil, err
		}
	}
	out, err := iso18626.Marshal(iso18626.Confirm(m, p, received, in.clock.Now()))
	if err != nil {
		return 0, nil, err
	}
	in.record(r, m, got, p, full, received)
	return status, out, nil
}

// unauthenticated answers a message whose sender could not be
// authenticated (or whose header could not be read): an ERROR
// confirmation, counted against the client's address, logged without its
// body and not stored.
func (in *Intake) unauthenticated(w http.ResponseWriter, addr string, env *iso18626.Envelope, status int, p *iso18626.Problem, received time.Time) (int, []byte, error) {
	in.fails.Fail(addr, received)
	kind, agency := "unreadable", ""
	var m *iso18626.Message
	if env != nil {
		kind, agency, m = env.Kind, truncateRunes(env.Sender().Value, 32), env.Message()
	}
	in.log.Warn("iso18626 in: refused before authentication", "addr", addr, "kind", kind, "agency", agency,
		"status", status, "error", string(p.Type)+": "+p.Value, "request_id", requestID(w))
	return in.refuse(m, status, p, received)
}

// refuse is status with an ERROR confirmation of m (nil: unreadable).
func (in *Intake) refuse(m *iso18626.Message, status int, p *iso18626.Problem, received time.Time) (int, []byte, error) {
	out, err := iso18626.Marshal(iso18626.Confirm(m, p, received, in.clock.Now()))
	return status, out, err
}

// authenticate authenticates the envelope's sender. A nil Problem
// means authenticated; the error is for an unavailable database.
func (in *Intake) authenticate(ctx context.Context, r *http.Request, env *iso18626.Envelope) (*ill.ISOMember, *iso18626.Problem, error) {
	at := env.Kind + "/header/requestingAgencyId"
	if env.Kind == "supplyingAgencyMessage" {
		at = env.Kind + "/header/supplyingAgencyId"
	}
	switch env.Kind {
	case "request", "requestingAgencyMessage", "supplyingAgencyMessage":
	default:
		return nil, problem(iso18626.ErrBadlyFormedMessage, "%s: confirmations answer messages in the same HTTP exchange; they are not posted to /iso18626", env.Kind), nil
	}
	symbol, err := ill.CanonicalCode("agencyIdValue", env.Sender().Value)
	if err != nil {
		return nil, problem(iso18626.ErrUnrecognisedDataValue, "%s/agencyIdValue: %q is not a BALIS member symbol", at, truncateRunes(env.Sender().Value, 32)), nil
	}
	mem, err := in.app.ISOMember(ctx, symbol)
	if ill.ErrorCode(err) == ill.CodeNotFound {
		return nil, problem(iso18626.ErrUnrecognisedDataValue, "%s/agencyIdValue: unknown agency %q: not a BALIS member symbol", at, symbol), nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !mem.Speaks() {
		return nil, problem(iso18626.ErrUnrecognisedDataValue, "%s/agencyIdValue: %s is not registered as an ISO 18626 member (no endpoint); it uses the JSON API", at, symbol), nil
	}
	if mem.SecretHash == "" {
		if mem.ClosedNetwork {
			return mem, nil, nil
		}
		return nil, problem(iso18626.ErrUnrecognisedDataValue, "%s: no secret is registered for agency %s, so its messages cannot be authenticated; the centre registers one (illctl library add %s --iso18626-secret ...)", at, symbol, mem.Code), nil
	}
	codes := []string{}
	if a := env.Header.RequestingAgencyAuthentication; a != nil && a.SecurityCode != "" {
		codes = append(codes, a.SecurityCode)
	}
	if user, pass, ok := r.BasicAuth(); ok && strings.EqualFold(user, mem.Symbol) {
		codes = append(codes, pass)
	}
	for _, c := range codes {
		if subtle.ConstantTimeCompare([]byte(ill.HashKey(c)), []byte(mem.SecretHash)) == 1 {
			return mem, nil, nil
		}
	}
	return nil, problem(iso18626.ErrUnrecognisedDataValue, "requestingAgencyAuthentication/securityCode: missing or wrong for agency %s", symbol), nil
}

// accept validates an authenticated message against the hub's state
// and publishes it.
func (in *Intake) accept(ctx context.Context, m *iso18626.Message, sender *ill.ISOMember, at time.Time) (*accepted, *iso18626.Problem, error) {
	switch {
	case m.Request != nil:
		return in.request(ctx, m.Request, sender, at)
	case m.RequestingAgencyMessage != nil:
		return in.ram(ctx, m.RequestingAgencyMessage, sender, at)
	case m.SupplyingAgencyMessage != nil:
		return in.sam(ctx, m.SupplyingAgencyMessage, sender, at)
	}
	return &accepted{library: sender.Code}, problem(iso18626.ErrBadlyFormedMessage, "%s: confirmations answer messages in the same HTTP exchange; they are not posted to /iso18626", m.Kind()), nil
}

// sameSender checks that the parsed message names the agency that
// authenticated with its header (the two are read from the same bytes, so
// they differ only for a message that repeats its header elements).
func sameSender(authed *ill.ISOMember, id iso18626.AgencyID, at string) (*ill.ISOMember, *iso18626.Problem) {
	if symbol, err := ill.CanonicalCode("agencyIdValue", id.Value); err != nil || !strings.EqualFold(symbol, authed.Symbol) {
		return nil, problem(iso18626.ErrUnrecognisedDataValue, "%s/agencyIdValue: %q is not the agency that authenticated (%s)", at, truncateRunes(id.Value, 32), authed.Symbol)
	}
	return authed, nil
}

// accepted is what the intake learned of an accepted message (for the log).
type accepted struct {
	library   string
	requestID string
}

// record keeps an authenticated sender's message and its confirmation
// status in iso18626_messages (best effort: the message itself is already
// safe in the broker). Unauthenticated messages never get here.
func (in *Intake) record(r *http.Request, m *iso18626.Message, got *accepted, p *iso18626.Problem, body []byte, at time.Time) {
	st, summary, kind := ill.ISOInOK, "", "unreadable"
	if m != nil {
		kind = m.Kind()
		summary = summaryOf(m)
	}
	lib := got.library // authenticated: the sender's library code
	last := ""
	if p != nil {
		st, last = ill.ISOInError, string(p.Type)+": "+p.Value
	}
	if len(body) > 1<<20 {
		body = body[:1<<20]
	}
	if len(lib) > 16 {
		lib = lib[:16]
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Second)
	defer cancel()
	if err := in.app.LogISO(ctx, ill.ISOMessage{RequestID: got.requestID, Direction: "in", LibraryCode: lib,
		Kind: kind, Summary: summary, Body: string(body), Status: st, LastError: last, CreatedAt: at}); err != nil {
		in.log.Warn("iso18626: inbound message not logged", "err", err)
	}
	in.log.Info("iso18626 in", "kind", kind, "what", summary, "library", lib, "request_id", got.requestID, "status", st, "error", last)
}

func summaryOf(m *iso18626.Message) string {
	switch {
	case m.SupplyingAgencyMessage != nil:
		return string(m.SupplyingAgencyMessage.MessageInfo.ReasonForMessage) + "/" + string(m.SupplyingAgencyMessage.StatusInfo.Status)
	case m.RequestingAgencyMessage != nil:
		return string(m.RequestingAgencyMessage.Action)
	case m.Request != nil:
		return "request"
	}
	return m.Kind()
}

// find finds the request a message is about: ISO 18626 keys a
// transaction by requestingAgencyId + requestingAgencyRequestId, which is
// the borrower's client_request_id in the hub.
func (in *Intake) find(ctx context.Context, borrower, rid, at string) (*ill.Request, *iso18626.Problem, error) {
	req, err := in.app.RequestByClientID(ctx, borrower, rid)
	if err != nil {
		return nil, nil, err
	}
	if req == nil {
		return nil, problem(iso18626.ErrUnrecognisedDataValue, "%s/requestingAgencyRequestId: request with a given ID not found: %q", at, rid), nil
	}
	return req, nil, nil
}

// request turns a request into a submit (SPEC 5.2): addressed to the
// hub's symbol it is routed; addressed to a member it goes to that member
// first.
func (in *Intake) request(ctx context.Context, req *iso18626.Request, sender *ill.ISOMember, at time.Time) (*accepted, *iso18626.Problem, error) {
	h := req.Header
	got := &accepted{library: sender.Code}
	borrower, p := sameSender(sender, h.RequestingAgencyID, "request/header/requestingAgencyId")
	if p != nil {
		return got, p, nil
	}
	got.library = borrower.Code
	var lenders []string
	if to := h.SupplyingAgencyID.Value; !strings.EqualFold(to, in.cfg.HubSymbol) {
		lm, err := in.app.ISOMember(ctx, to)
		if ill.ErrorCode(err) == ill.CodeNotFound {
			return got, problem(iso18626.ErrUnrecognisedDataValue, "request/header/supplyingAgencyId/agencyIdValue: unknown agency %q: address the hub (%s) or a member", to, in.cfg.HubSymbol), nil
		}
		if err != nil {
			return got, nil, err
		}
		if lm.Code == borrower.Code {
			return got, problem(iso18626.ErrUnrecognisedDataValue, "request/header/supplyingAgencyId/agencyIdValue: %s cannot borrow from itself", to), nil
		}
		lenders = []string{lm.Code}
	}
	si := req.ServiceInfo
	copyReq := si != nil && si.ServiceType == iso18626.ServiceCopy // CopyOrLoan is lent
	pi := req.PatronInfo
	if pi == nil || pi.PatronID == "" {
		return got, problem(iso18626.ErrBadlyFormedMessage, "request/patronInfo/patronId: missing required element (BALIS counts each reader's requests, R3)"), nil
	}
	rid := h.RequestingAgencyRequestID
	if id, st, err := in.app.ClientRequest(ctx, borrower.Code, rid); err != nil {
		return got, nil, err
	} else if id != "" {
		got.requestID = id
		return got, problem(iso18626.ErrUnrecognisedDataValue, "request/header/requestingAgencyRequestId: duplicate request id %q (request %s, %s)", rid, id, st), nil
	}
	patron, err := ill.CanonicalCard("patronId", pi.PatronID)
	if err != nil {
		return got, problem(iso18626.ErrUnrecognisedDataValue, "request/patronInfo/patronId: %s", isoFieldMessage(err)), nil
	}
	b := ill.SubmitBody{ClientRequestID: rid, Lenders: lenders,
		Patron: ill.Patron{ID: patron, Name: personName(pi.Surname, pi.GivenName)}}
	if e := pi.Email(); e != "" {
		if _, err := mail.ParseAddress(e); err == nil {
			b.Patron.Email = e
		}
	}
	if si != nil {
		b.Note = si.Note
	}
	bi := req.BibliographicInfo
	cit := ill.Citation{Title: bi.Title, Author: bi.Author, ISBN: bi.ISBN()}
	if pub := req.PublicationInfo; pub != nil {
		cit.Publisher = pub.Publisher
		if len(pub.PublicationDate) >= 4 {
			cit.Year, _ = strconv.Atoi(pub.PublicationDate[:4])
		}
	}
	if copyReq {
		return in.copyRequest(ctx, got, borrower.Code, b, bi, cit, lenders, at)
	}
	lender := ""
	if len(lenders) == 1 {
		lender = lenders[0]
	}
	record, err := in.app.MatchRecord(ctx, lender, bi.SupplierUniqueRecordID, cit)
	if err != nil {
		return got, nil, err
	}
	if record > 0 {
		b.RecordID = strconv.FormatInt(record, 10)
	} else {
		if cit.Title == "" {
			return got, problem(iso18626.ErrBadlyFormedMessage, "request/bibliographicInfo/title: missing required element (no union record matches supplierUniqueRecordId or the ISBN)"), nil
		}
		b.Item = &cit
	}
	if err := app.ValidateSubmit(&b); err != nil {
		return got, problem(iso18626.ErrUnrecognisedDataValue, "request: %s", isoFieldMessage(err)), nil
	}
	got.requestID = ill.RequestID(borrower.Code, rid)
	return got, nil, in.app.SubmitISO(ctx, borrower.Code, b, at, &ill.ISOContext{Kind: "request", What: "New", Note: b.Note})
}

// copyRequest is a request with serviceType Copy (docs/copies.md): an
// article when bibliographicInfo names an ISSN or a DOI (title is the
// journal's, titleOfComponent the article's), else a part of a book
// (titleOfComponent its chapter), matched to the catalogue like a loan.
// Volume, issue and pagesRequested are the copy's.
func (in *Intake) copyRequest(ctx context.Context, got *accepted, borrower string, b ill.SubmitBody,
	bi iso18626.BibliographicInfo, cit ill.Citation, lenders []string, at time.Time) (*accepted, *iso18626.Problem, error) {
	b.ServiceType = ill.ServiceCopy
	cit.Volume, cit.Issue, cit.Pages = bi.Volume, bi.Issue, bi.PagesRequested
	issn, doi := bi.Identifier("ISSN"), bi.Identifier("DOI")
	if issn != "" || doi != "" {
		cit.JournalTitle, cit.ArticleTitle, cit.Authors = cit.Title, bi.TitleOfComponent, bi.AuthorOfComponent
		cit.ISSN, cit.DOI, cit.Title, cit.ISBN = issn, doi, "", ""
		if cit.Authors == "" {
			cit.Authors = cit.Author
		}
		cit.Author = ""
		b.Item = &cit
	} else {
		cit.Chapter = bi.TitleOfComponent
		lender := ""
		if len(lenders) == 1 {
			lender = lenders[0]
		}
		record, err := in.app.MatchRecord(ctx, lender, bi.SupplierUniqueRecordID, cit)
		if err != nil {
			return got, nil, err
		}
		if record > 0 {
			b.RecordID = strconv.FormatInt(record, 10)
		}
		b.Item = &cit
	}
	if err := app.ValidateSubmit(&b); err != nil {
		return got, problem(iso18626.ErrUnrecognisedDataValue, "request: %s", isoFieldMessage(err)), nil
	}
	got.requestID = ill.RequestID(borrower, b.ClientRequestID)
	return got, nil, in.app.SubmitISO(ctx, borrower, b, at, &ill.ISOContext{Kind: "request", What: "New", Note: b.Note})
}

// personName joins surname and given name: without a space for CJK names
// (李 + 明 = 李明), with one otherwise.
func personName(surname, given string) string {
	if surname == "" || given == "" {
		return strings.TrimSpace(surname + given)
	}
	for _, r := range surname + given {
		if unicode.Is(unicode.Han, r) {
			return surname + given
		}
	}
	return given + " " + surname
}

func isoFieldMessage(err error) string {
	var e *ill.Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return err.Error()
}

// ram takes a requestingAgencyMessage from an ISO borrower.
func (in *Intake) ram(ctx context.Context, ram *iso18626.RequestingAgencyMessage, sender *ill.ISOMember, at time.Time) (*accepted, *iso18626.Problem, error) {
	h := ram.Header
	got := &accepted{library: sender.Code}
	borrower, p := sameSender(sender, h.RequestingAgencyID, "requestingAgencyMessage/header/requestingAgencyId")
	if p != nil {
		return got, p, nil
	}
	got.library = borrower.Code
	req, p, err := in.find(ctx, borrower.Code, h.RequestingAgencyRequestID, "requestingAgencyMessage/header")
	if p != nil || err != nil {
		return got, p, err
	}
	got.requestID = req.ID
	mapped, ok := iso18626.FromAction[ram.Action]
	if !ok {
		return got, problem(iso18626.ErrUnsupportedActionType, "requestingAgencyMessage/action: %s is not supported by BALIS (books go back to their lender)", ram.Action), nil
	}
	b := ill.ActionBody{Note: truncateRunes(ram.Note, 2000)}
	switch mapped.Action {
	case ill.ActCancel:
		b.By = string(mapped.Variant)
	case ill.ActReturn:
		b.Condition = "good"
	}
	// Cancel and Renew are answered by the lender (CancelResponse) or the
	// hub (RenewResponse N, R5) in a later message; other actions that
	// the state does not allow are refused at once, unless the request may
	// just not have caught up yet (iso18626.Ahead).
	if mapped.Action != "" && mapped.Action != ill.ActCancel && mapped.Action != ill.ActRenew {
		if _, err := ill.Allow(ill.Attempt{Action: mapped.Action, Variant: mapped.Variant, From: req.State,
			Roles: req.RolesOf(borrower.Code, false), At: at.UTC(), SubmittedAt: req.SubmittedAt, Service: req.ServiceType}); err != nil &&
			!(ill.ErrorCode(err) == ill.CodeInvalidTransition && iso18626.Ahead(mapped.Action, mapped.Variant, req.State)) {
			return got, problem(iso18626.ErrUnrecognisedDataValue, "requestingAgencyMessage/action: %s is not possible now: %s", ram.Action, isoFieldMessage(err)), nil
		}
	}
	return got, nil, in.app.ActISO(ctx, borrower.Code, req.ID, mapped.Action, b, at, "ram/"+string(ram.Action)+"/"+string(h.Timestamp),
		&ill.ISOContext{Kind: "requestingAgencyMessage", What: string(ram.Action), Note: b.Note, Then: mapped.Then})
}

// sam takes a supplyingAgencyMessage from an ISO lender.
func (in *Intake) sam(ctx context.Context, sam *iso18626.SupplyingAgencyMessage, sender *ill.ISOMember, at time.Time) (*accepted, *iso18626.Problem, error) {
	h := sam.Header
	got := &accepted{library: sender.Code}
	lender, p := sameSender(sender, h.SupplyingAgencyID, "supplyingAgencyMessage/header/supplyingAgencyId")
	if p != nil {
		return got, p, nil
	}
	got.library = lender.Code
	bm, err := in.app.ISOMember(ctx, h.RequestingAgencyID.Value)
	if ill.ErrorCode(err) == ill.CodeNotFound {
		return got, problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/header/requestingAgencyId/agencyIdValue: unknown agency %q", h.RequestingAgencyID.Value), nil
	}
	if err != nil {
		return got, nil, err
	}
	req, p, err := in.find(ctx, bm.Code, h.RequestingAgencyRequestID, "supplyingAgencyMessage/header")
	if p != nil || err != nil {
		return got, p, err
	}
	got.requestID = req.ID
	if !req.VisibleTo(lender.Code, false) {
		return got, problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/header/supplyingAgencyId: %s was never asked to supply this request", h.SupplyingAgencyID.Value), nil
	}
	mapped, ok := iso18626.SupplierInbound(sam)
	if mapped.Action == ill.ActCancelResponse && req.State == ill.Cancelled {
		mapped = iso18626.Inbound{} // the answer to the hub's Cancel of a request cancelled before acceptance
	}
	if mapped.Action == ill.ActRespond && mapped.Variant == "will_supply" && req.Lender == lender.Code &&
		req.State != ill.Requested && !req.State.Terminal() {
		// a WillSupply overtaken by the same lender's Loaned (or repeated):
		// recorded, nothing to do
		mapped = iso18626.Inbound{}
	}
	if !ok {
		return got, problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/statusInfo/status: %s is not supported: BALIS lends returnable books only", sam.StatusInfo.Status), nil
	}
	mi := sam.MessageInfo
	b := ill.ActionBody{Note: truncateRunes(mi.Note, 2000)}
	switch {
	case mapped.Action == ill.ActRespond:
		b.Decision = string(mapped.Variant)
		if mapped.Variant == "unfilled" {
			v := ""
			if mi.ReasonUnfilled != nil {
				v = mi.ReasonUnfilled.Value
			}
			b.Reason = iso18626.UnfilledReasonFrom(v)
			if b.Reason == ill.ReasonUnspecified && strings.TrimSpace(v) != "" {
				b.Note = truncateRunes(strings.TrimSpace("reasonUnfilled "+v+"; "+b.Note), 2000) // kept as sent
			}
		}
	case mapped.Action == ill.ActSupplyShip:
		if d := sam.DeliveryInfo; d != nil {
			if p := electronic(d); p != nil {
				return got, p, nil
			}
		}
		b.ItemBarcode = h.SupplyingAgencyRequestID
		if d := sam.DeliveryInfo; d != nil && d.ItemID != "" {
			b.ItemBarcode = d.ItemID
		}
		if dd := sam.StatusInfo.DueDate; dd != nil {
			// the lender's own due date is taken over (checkout keeps it);
			// an unreadable one is R4's
			if due, err := dd.Parse(); err == nil {
				b.DueAt = &due
			}
		}
		if b.ItemBarcode == "" {
			b.ItemBarcode = "ISO-" + h.RequestingAgencyRequestID
		}
		b.ItemBarcode = truncateRunes(b.ItemBarcode, 64)
	case mapped.Action == ill.ActDeliver:
		// CopyCompleted: the copy is at the URL the supplier sent as
		// itemId; the hub keeps it as the delivered file (ill.CopyFileRef)
		url := ""
		if d := sam.DeliveryInfo; d != nil {
			url = strings.TrimSpace(d.ItemID)
		}
		if low := strings.ToLower(url); !strings.HasPrefix(low, "https://") && !strings.HasPrefix(low, "http://") {
			return got, problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/deliveryInfo/itemId: CopyCompleted needs the copy's URL (sentVia URL), not %q", truncateRunes(url, 64)), nil
		}
		b.FileID = ill.CopyFileRef(url)
	case mapped.Action == ill.ActCheckin:
		b.Condition = "good"
	case mapped.Action == ill.ActCancelResponse:
		yes := mapped.Variant == "yes"
		b.Accept = &yes
	}
	what := string(mi.ReasonForMessage) + "/" + string(sam.StatusInfo.Status)
	if mapped.Action != "" {
		variant, err := b.Variant(mapped.Action)
		if err != nil {
			return got, problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage: %s", isoFieldMessage(err)), nil
		}
		if _, err := ill.Allow(ill.Attempt{Action: mapped.Action, Variant: variant, From: req.State,
			Roles: req.RolesOf(lender.Code, false), At: at.UTC(), SubmittedAt: req.SubmittedAt, Service: req.ServiceType}); err != nil {
			switch {
			case ill.ErrorCode(err) == ill.CodeForbidden:
				return got, problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/header/supplyingAgencyId: %s is no longer the supplier of this request", h.SupplyingAgencyID.Value), nil
			case ill.ErrorCode(err) == ill.CodeInvalidTransition && iso18626.Ahead(mapped.Action, variant, req.State):
				// sent in quick succession: the earlier message may still be queued
			default:
				return got, problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/statusInfo/status: %s is not possible now: %s", what, isoFieldMessage(err)), nil
			}
		}
	}
	return got, nil, in.app.ActISO(ctx, lender.Code, req.ID, mapped.Action, b, at, "sam/"+what+"/"+string(h.Timestamp),
		&ill.ISOContext{Kind: "supplyingAgencyMessage", What: what, Note: b.Note})
}

// electronic refuses a Loaned delivered electronically (sentVia URL,
// Email, FTP…, or an itemId that is a URL): BALIS lends returnable books,
// which travel by courier.
func electronic(d *iso18626.DeliveryInfo) *iso18626.Problem {
	via := ""
	if d.SentVia != nil {
		via = strings.TrimSpace(d.SentVia.Value)
	}
	for _, e := range iso18626.ElectronicDelivery {
		if strings.EqualFold(via, e) {
			return problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/deliveryInfo/sentVia: %s is electronic delivery, "+
				"for copies; BALIS lends returnable books (serviceType Loan): send the book itself (sentVia Mail or Courier) or answer Unfilled", e)
		}
	}
	if id := strings.ToLower(strings.TrimSpace(d.ItemID)); strings.HasPrefix(id, "http://") || strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "ftp://") {
		return problem(iso18626.ErrUnrecognisedDataValue, "supplyingAgencyMessage/deliveryInfo/itemId: %q is a link, not an item: "+
			"BALIS lends returnable books (serviceType Loan): send the book itself with its barcode as itemId, or answer Unfilled", truncateRunes(d.ItemID, 64))
	}
	return nil
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
