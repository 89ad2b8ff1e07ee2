package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// submit: POST /v1/requests (app.Service.Submit). Idempotent on (caller,
// client_request_id): a repeat of a processed submit answers 200 with the
// same request id and publishes nothing.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if err := app.ForSubmit.Check(p); err != nil {
		return err
	}
	var b ill.SubmitBody
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	b.Lenders = nil // ISO 18626 requests only
	res, err := s.App.Submit(r.Context(), p, b)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/requests/"+res.RequestID)
	if res.Duplicate {
		writeJSON(w, http.StatusOK, map[string]any{"request_id": res.RequestID, "state": res.State, "duplicate": true})
		return nil
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"request_id": res.RequestID, "state": res.State})
	return nil
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := s.App.Request(r.Context(), principalOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOf(req, true))
	return nil
}

// act: POST /v1/requests/{id}/{action} (app.Service.Act). An
// Idempotency-Key header makes retries of the same action harmless (same
// message id).
func (s *Server) act(w http.ResponseWriter, r *http.Request) error {
	action := ill.Action(r.PathValue("action"))
	if !ill.IsAPIAction(action) {
		return ill.Errorf(ill.CodeNotFound, "no such action %q; actions are %v", action, ill.APIActions)
	}
	var b ill.ActionBody
	if err := s.decodeJSON(w, r, &b, true); err != nil {
		return err
	}
	res, err := s.App.Act(r.Context(), principalOf(r), r.PathValue("id"), action, b, r.Header.Get("Idempotency-Key"), nil)
	if err != nil {
		return err
	}
	// current_state is the state the action was accepted in; it is applied
	// asynchronously (GET the request to see the result).
	writeJSON(w, http.StatusAccepted, map[string]any{"request_id": res.RequestID, "action": res.Action,
		"current_state": res.CurrentState, "message_id": res.MessageID})
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

// listRequests: GET /v1/requests (R13 history query): the requests the
// caller is a party to (app.Service.List), filtered as app.ListFilterFrom
// reads the query (the console's search takes the same parameters).
func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	q := r.URL.Query()
	page, perPage, err := pageParams(r)
	if err != nil {
		return err
	}
	f, err := app.ListFilterFrom(q)
	if err != nil {
		return err
	}
	f.Page, f.PerPage = page, perPage
	reqs, total, err := s.App.List(r.Context(), p, f)
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
	RequestID       string     `json:"request_id"`
	ClientRequestID string     `json:"client_request_id"`
	State           ill.State  `json:"state"`
	StateLabel      stateLabel `json:"state_label"`
	Reason          *string    `json:"reason"`
	Borrower        string     `json:"borrower"`
	Lender          *string    `json:"lender"`
	PatronID        string     `json:"patron_id"`
	RecordID        *string    `json:"record_id"`
	Title           string     `json:"title"`
	Author          string     `json:"author"`
	ISBN            string     `json:"isbn"`
	ItemBarcode     string     `json:"item_barcode,omitempty"`
	Rota            []rotaView `json:"rota"`
	SubmittedAt     string     `json:"submitted_at"`
	RespondBy       *string    `json:"respond_by"`
	ShipBy          *string    `json:"ship_by"`
	DueAt           *string    `json:"due_at"`
	Provisional     bool       `json:"deadlines_provisional"`
	Source          string     `json:"source"` // who sent the reader (OpenURL rfr_id / sid), "" when unknown
	// Copy requests (SPEC 5.4): the service type of every request; for a
	// copy its citation (item), rush, deliver_by and the delivered file.
	ServiceType    ill.ServiceType `json:"service_type"`
	Item           *copyItemView   `json:"item,omitempty"`
	Rush           bool            `json:"rush,omitempty"`
	DeliverBy      *string         `json:"deliver_by,omitempty"`
	DeliveryFileID string          `json:"delivery_file_id,omitempty"`
	Events         []eventView     `json:"events,omitempty"`
}

// copyItemView is a copy request's citation as submitted (the fields of
// SubmitBody.item for a copy), each left out when empty.
type copyItemView struct {
	JournalTitle string `json:"journal_title,omitempty"`
	ISSN         string `json:"issn,omitempty"`
	Year         int    `json:"year,omitempty"`
	Volume       string `json:"volume,omitempty"`
	Issue        string `json:"issue,omitempty"`
	Pages        string `json:"pages,omitempty"`
	ArticleTitle string `json:"article_title,omitempty"`
	Authors      string `json:"authors,omitempty"`
	DOI          string `json:"doi,omitempty"`
	ISBN         string `json:"isbn,omitempty"`
	Title        string `json:"title,omitempty"`
	Chapter      string `json:"chapter,omitempty"`
	BookPages    int    `json:"book_pages,omitempty"`
}

// copyItemOf is r's citation for the view; nil for a loan.
func copyItemOf(r *ill.Request) *copyItemView {
	if !r.ServiceType.IsCopy() {
		return nil
	}
	c := r.Citation
	v := &copyItemView{JournalTitle: c.JournalTitle, ISSN: c.ISSN, Year: r.Year, Volume: c.Volume, Issue: c.Issue,
		Pages: c.Pages, ArticleTitle: c.ArticleTitle, Authors: c.Authors, DOI: c.DOI, Chapter: c.Chapter, BookPages: c.BookPages}
	if c.CopyKind() == ill.CopyBookPart {
		v.Title, v.ISBN = r.Title, r.ISBN
	}
	return v
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
	// The reasons for staff, {"zh": [...], "en": [...]}.
	ReasonLabels map[string][]string `json:"reason_labels"`
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
		Source: r.Source, Rota: []rotaView{}, ServiceType: r.ServiceType.OrLoan(), Item: copyItemOf(r), Rush: r.Rush,
		DeliverBy: optTime(r.DeliverBy), DeliveryFileID: r.DeliveryFileID}
	if r.RecordID != 0 {
		v.RecordID = optStr(strconv.FormatInt(r.RecordID, 10))
	}
	for _, e := range r.Rota {
		reasons := e.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		zh, en := ill.ReasonLabels(reasons)
		if zh == nil {
			zh, en = []string{}, []string{}
		}
		v.Rota = append(v.Rota, rotaView{Library: e.Library, Rank: e.Rank, Outcome: e.Outcome, Reasons: reasons,
			ReasonLabels: map[string][]string{"zh": zh, "en": en}})
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
