package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// pager is the paging of a list page. More means Total is a lower bound
// (a catalogue search stopped counting, ill.SearchResults.TotalCapped):
// the page shows "N+" and offers the next page while pages come back full.
type pager struct {
	Page, Pages, Total int
	More               bool
	Prev, Next         string // URLs, "" when none
}

func newPager(r *http.Request, page, perPage, total int, more bool) pager {
	pages := max(1, (total+perPage-1)/perPage)
	if more {
		pages = max(pages, page+1)
	}
	pg := pager{Page: page, Pages: pages, Total: total, More: more}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Del("msg")
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		pg.Prev = link(page - 1)
	}
	if page < pages {
		pg.Next = link(page + 1)
	}
	return pg
}

func pageOf(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

type searchData struct {
	Q, ISBN, Library string
	YearFrom, YearTo string
	Available        bool
	Searched         bool
	Hits             []ill.SearchHit
	Scopes           map[int64]ill.ScopeCheck // refused hits' scope marks (mediation.go)
	Pager            pager
	Libraries        []ill.Library
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	d := searchData{Q: strings.TrimSpace(q.Get("q")), ISBN: strings.TrimSpace(q.Get("isbn")), Library: q.Get("library"),
		Available: q.Get("available") == "1" || q.Get("available") == "true",
		YearFrom:  strings.TrimSpace(q.Get("year_from")), YearTo: strings.TrimSpace(q.Get("year_to"))}
	libs, err := h.cfg.App.Libraries(r.Context())
	if err != nil {
		return err
	}
	d.Libraries = libs
	p.Title = p.T("nav_search")
	if d.Q != "" || d.ISBN != "" {
		d.Searched = true
		const per = 20
		page := pageOf(r)
		sq := ill.SearchQuery{Q: d.Q, ISBN: d.ISBN, Library: d.Library, Available: d.Available, Page: page, PerPage: per}
		for _, y := range []struct {
			field, v string
			dst      *int
		}{{"year_from", d.YearFrom, &sq.YearFrom}, {"year_to", d.YearTo, &sq.YearTo}} {
			if y.v == "" {
				continue
			}
			n, err := strconv.Atoi(y.v)
			if err != nil || n < 0 || n > 2100 {
				p.Status = http.StatusBadRequest
				_, p.Error = ErrorText(p.Lang, ill.FieldError(y.field, "bad year"))
				return h.render(w, p, "search", d)
			}
			*y.dst = n
		}
		res, err := h.cfg.App.Search(r.Context(), sq)
		if err != nil {
			if ill.ErrorCode(err) == ill.CodeBadRequest {
				_, p.Error = ErrorText(p.Lang, err)
				p.Status = http.StatusBadRequest
				return h.render(w, p, "search", d)
			}
			return err
		}
		// A capped total may be short of the matches: keep offering the
		// next page while this one is full.
		d.Hits, d.Pager = res.Hits, newPager(r, page, per, res.Total, res.TotalCapped && len(res.Hits) == per)
		if d.Scopes, err = h.searchScopes(r, p, d.Hits); err != nil {
			return err
		}
	}
	return h.render(w, p, "search", d)
}

type recordData struct {
	Record    *ill.Record
	Holdings  []ill.HoldingView
	Available int
	HeldHere  bool
	Token     string
	// Scope is what a request for the record would be refused with
	// (mediation.go: the mark and the disabled button).
	Scope ill.ScopeCheck
	// Source is who sent the reader here (?source=, an OpenURL link's
	// rfr_id: openurl.go), carried into the submit.
	Source string
}

func (h *Handler) record(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	rec, hs, err := h.cfg.App.Record(r.Context(), id)
	if err != nil {
		return err
	}
	d := recordData{Record: rec, Holdings: hs, Token: randomToken()[:16], Source: ill.NormalizeSource(r.URL.Query().Get("source"))}
	for _, x := range hs {
		d.Available += x.Available
		if x.Library == p.Sess.Library && x.Available > 0 {
			d.HeldHere = true
		}
	}
	if d.Scope, err = h.recordScope(r, p, rec, hs); err != nil {
		return err
	}
	p.Title = rec.Title
	return h.render(w, p, "record", d)
}

type manualData struct {
	Item  ill.Citation
	Note  string
	Token string
	// Source is who sent the reader (an OpenURL link: openurl.go).
	Source string
}

func (h *Handler) manualForm(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Title = p.T("nav_manual")
	return h.render(w, p, "manual", manualData{Token: randomToken()[:16]})
}

// submit is the reader's request: from a record's 馆际互借 button
// (record_id) or the manual form (a citation). It goes through the API's
// use case (app.Submit) as the reader's library, then waits briefly for
// the consumers' decision so the reader sees it (or the refusal) at once.
//
// Each reader has a small submit budget (Limits.IntakeBurst at once, then
// IntakePerMinute): a reader never needs more, and a script holding a
// session cannot flood the intake; over it the answer is 429 with
// Retry-After.
func (h *Handler) submit(w http.ResponseWriter, r *http.Request, p *Page) error {
	if ok, wait := h.guard.submitAllowed(p.Sess.Library, p.Sess.Subject, h.cfg.Clock.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
		return errIntakeLimited
	}
	rd, err := h.cfg.App.Reader(r.Context(), p.Sess.Library, p.Sess.Subject)
	if err != nil {
		return err
	}
	token := r.PostFormValue("token")
	if token == "" || len(token) > 40 {
		token = randomToken()[:16]
	}
	b := ill.SubmitBody{ClientRequestID: "web-" + p.Sess.Subject + "-" + token, Patron: rd.Patron(),
		Note: strings.TrimSpace(r.PostFormValue("note")), Source: r.PostFormValue("source")}
	if rid := strings.TrimSpace(r.PostFormValue("record_id")); rid != "" {
		b.RecordID = rid
	} else {
		year := 0
		if y := strings.TrimSpace(r.PostFormValue("year")); y != "" {
			if year, err = strconv.Atoi(y); err != nil {
				year = -1
			}
		}
		b.Item = &ill.Citation{Title: strings.TrimSpace(r.PostFormValue("title")), Author: strings.TrimSpace(r.PostFormValue("author")),
			ISBN: strings.TrimSpace(r.PostFormValue("isbn")), Publisher: strings.TrimSpace(r.PostFormValue("publisher")), Year: year}
	}
	pr := principal(p.Sess)
	res, err := h.cfg.App.Submit(r.Context(), pr, b)
	if err != nil {
		if b.Item != nil && ill.ErrorCode(err) == ill.CodeBadRequest {
			p.Status = http.StatusBadRequest
			_, p.Error = ErrorText(p.Lang, err)
			p.Title = p.T("nav_manual")
			return h.render(w, p, "manual", manualData{Item: *b.Item, Note: b.Note, Token: token, Source: b.Source})
		}
		return err
	}
	if err := h.waitDecided(r, pr, res.RequestID); err != nil {
		return err
	}
	http.Redirect(w, r, "/history/"+res.RequestID+"?msg=submitted", http.StatusSeeOther)
	return nil
}

type historyData struct {
	State    string
	From, To string
	Q        string
	States   []ill.State
	Requests []*ill.Request
	Pager    pager
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	d := historyData{State: strings.ToUpper(q.Get("state")), From: q.Get("from"), To: q.Get("to"), Q: strings.TrimSpace(q.Get("q")),
		States: ill.States}
	p.Title = p.T("history")
	const per = 10
	page := pageOf(r)
	f := ill.ListFilter{PatronID: p.Sess.Subject, State: ill.State(d.State), Q: d.Q, Page: page, PerPage: per}
	bad := func(field string) error {
		p.Status = http.StatusBadRequest
		_, p.Error = ErrorText(p.Lang, ill.FieldError(field, "bad %s", field))
		return h.render(w, p, "history", d)
	}
	if f.State != "" && !f.State.Valid() {
		return bad("state")
	}
	for _, x := range []struct {
		name, v string
		dst     **ill.Date
	}{{"from", d.From, &f.From}, {"to", d.To, &f.To}} {
		if x.v == "" {
			continue
		}
		day, err := ill.ParseDate(x.v)
		if err != nil {
			return bad(x.name)
		}
		*x.dst = &day
	}
	reqs, total, err := h.cfg.App.List(r.Context(), principal(p.Sess), f)
	if err != nil {
		return err
	}
	d.Requests, d.Pager = reqs, newPager(r, page, per, total, false)
	return h.render(w, p, "history", d)
}

var errIntakeLimited = &webError{http.StatusTooManyRequests, "intake_limited"}

// ownRequest refuses a reader access to another reader's request (the
// library may see it; the reader may not). Card numbers are compared as
// the database compares them (ill.IdentityKey): the library's system may
// have sent the reader's card in another case.
func ownRequest(s *ill.Session) func(*ill.Request) error {
	return func(req *ill.Request) error {
		if req.Borrower != s.Library || ill.IdentityKey(req.PatronID) != ill.IdentityKey(s.Subject) {
			return ill.Errorf(ill.CodeForbidden, "not your request")
		}
		return nil
	}
}

type readerRequestData struct {
	Req         *ill.Request
	CanCancel   bool
	CancelUntil time.Time
	Token       string
	// Notices are the notices about the request sent to the reader.
	Notices []ill.StoredNotice
}

func (h *Handler) readerRequest(w http.ResponseWriter, r *http.Request, p *Page) error {
	req, err := h.cfg.App.Request(r.Context(), principal(p.Sess), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := ownRequest(p.Sess)(req); err != nil {
		return err
	}
	d := readerRequestData{Req: req, CancelUntil: req.SubmittedAt.Add(ill.ReaderCancelWindow), Token: randomToken()[:16]}
	_, err = ill.Allow(ill.Attempt{Action: ill.ActCancel, Variant: "reader", From: req.State,
		Roles: req.RolesOf(p.Sess.Library, false), At: h.cfg.Clock.Now(), SubmittedAt: req.SubmittedAt, Service: req.ServiceType})
	d.CanCancel = err == nil
	if d.Notices, err = h.readerRequestNotices(r, p, req.ID); err != nil {
		return err
	}
	if p.Flash == "submitted" { // the heading says what became of the request
		switch req.State {
		case ill.Rejected:
			p.Flash = "submitted_rejected"
		case ill.Unfilled:
			p.Flash = "submitted_unfilled"
		case ill.NeedsMediation:
			p.Flash = "submitted_mediation"
		}
	}
	p.Title = req.Title
	return h.render(w, p, "request", d)
}

func (h *Handler) readerCancel(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, pr := r.PathValue("id"), principal(p.Sess)
	before := h.snapshot(r, pr, id)
	_, err := h.cfg.App.Act(r.Context(), pr, id, ill.ActCancel,
		ill.ActionBody{By: "reader", Note: strings.TrimSpace(r.PostFormValue("note"))}, r.PostFormValue("token"), ownRequest(p.Sess))
	if err != nil {
		return err
	}
	h.waitChange(r, pr, before, 2*time.Second)
	http.Redirect(w, r, "/history/"+id+"?msg=cancelled_msg", http.StatusSeeOther)
	return nil
}

// progress is where a request stood before an action.
type progress struct {
	id      string
	state   ill.State
	updated time.Time
}

// snapshot reads where request id stands before an action of pr (nil when
// unreadable).
func (h *Handler) snapshot(r *http.Request, pr ill.Principal, id string) *progress {
	st, at, err := h.cfg.App.Progress(r.Context(), pr, id)
	if err != nil {
		return nil
	}
	return &progress{id: id, state: st, updated: at}
}

// waitDecided waits, at most SubmitWait, for the consumers to route or
// refuse submitted request id (the page then shows their decision); the
// request is still SUBMITTED when they are slower.
func (h *Handler) waitDecided(r *http.Request, pr ill.Principal, id string) error {
	deadline := time.Now().Add(h.cfg.SubmitWait)
	for time.Now().Before(deadline) {
		st, _, err := h.cfg.App.Progress(r.Context(), pr, id)
		if err == nil && st != ill.Submitted {
			return nil
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// waitChange waits (bounded) until the request has changed since before,
// so the page after an action usually shows its effect.
func (h *Handler) waitChange(r *http.Request, pr ill.Principal, before *progress, d time.Duration) {
	if before == nil {
		return
	}
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		st, at, err := h.cfg.App.Progress(r.Context(), pr, before.id)
		if err != nil || !at.Equal(before.updated) || st != before.state {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
