package app

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
)

// Mediation (seed §三, R14) and scope (seed §四.1): what the borrowing
// library's staff use to identify a lender for a manual request (the
// secondary search tools' links with the request's title, ISBN and author
// filled in, and the union catalogue's fuzzy matches), the centre's search
// URL templates, the requests escalated to the centre because nobody
// mediated them within 1 working day, and the scope marks the portal
// shows before a reader asks.

// mediationConfig is what the mediation and scope use cases need besides
// the store.
type mediationConfig struct {
	elig ill.Eligibility
	cal  ill.CalendarSource
}

func newMediationConfig(c Config) mediationConfig {
	m := mediationConfig{elig: c.Eligibility, cal: c.Calendar}
	if len(m.elig.Languages) == 0 || len(m.elig.Materials) == 0 {
		m.elig = ill.DefaultEligibility
	}
	return m
}

// Eligibility is R2's policy the scope marks are judged by.
func (s *Service) Eligibility() ill.Eligibility { return s.med.elig }

// RecordScope is the scope verdict of a request for rec by p's library
// (the reader's library: the borrower), from rec's holdings hs: what the
// submit would refuse it with (ill.Eligibility.Scope), or nothing.
func (s *Service) RecordScope(ctx context.Context, p ill.Principal, rec *ill.Record, hs []ill.HoldingView) (ill.ScopeCheck, error) {
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		return ill.ScopeCheck{}, err
	}
	lends := map[string]bool{}
	for _, l := range libs {
		lends[l.Code] = l.Lending
	}
	f := ill.HoldingScope(*rec, hs, borrowerOf(p), func(code string) bool { return lends[code] })
	return s.med.elig.Scope(f), nil
}

// borrowerOf is the library a request by p would be borrowed by ("" for
// the centre, which borrows nothing: no own copy is then judged).
func borrowerOf(p ill.Principal) string {
	if p.Centre {
		return ""
	}
	return p.Library
}

// SearchScope is the scope verdict of each of hits for a request by p's
// library (only the refused ones are in the map): one read of the
// records' routing facts for the whole page.
func (s *Service) SearchScope(ctx context.Context, p ill.Principal, hits []ill.SearchHit) (map[int64]ill.ScopeCheck, error) {
	return s.scopeOf(ctx, borrowerOf(p), hits)
}

func (s *Service) scopeOf(ctx context.Context, borrower string, hits []ill.SearchHit) (map[int64]ill.ScopeCheck, error) {
	out := map[int64]ill.ScopeCheck{}
	if len(hits) == 0 {
		return out, nil
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	routing, err := s.store.RoutingHoldings(ctx, ids, borrower)
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		rr := routing[h.ID]
		c := s.med.elig.Scope(ill.ScopeFacts{Language: h.Language, Material: h.Material, HoldingsKnown: true,
			HeldLocally: rr.HeldLocally, Lenders: ill.LenderCount(rr.Candidates, borrower)})
		if c.Refused() {
			out[h.ID] = c
		}
	}
	return out, nil
}

// MediationLink is a secondary search tool's or a member OPAC's search
// link for one request.
type MediationLink struct {
	Key            string // the tool's key, or the member's code
	NameZH, NameEN string
	URL            string
	Member         bool
}

// MediationMatch is a union catalogue record that may be the request's,
// with the scope verdict a mediation to it would meet.
type MediationMatch struct {
	ill.SearchHit
	Scope ill.ScopeCheck
}

// MediationAids is what the mediation panel shows.
type MediationAids struct {
	Links   []MediationLink
	Matches []MediationMatch
	// Deadline is when the request must be mediated by (respond_by);
	// Escalated is set once it passed (the centre's escalated queue).
	Deadline  time.Time
	Escalated bool
}

// MaxMediationMatches bounds the fuzzy matches the panel lists.
const MaxMediationMatches = 8

// MediationAids gives req's mediation aids when it waits in
// NEEDS_MEDIATION and p is its borrower or the centre (those who mediate,
// SPEC §3); nil otherwise. req is a request p has read (Request).
func (s *Service) MediationAids(ctx context.Context, p ill.Principal, req *ill.Request) (*MediationAids, error) {
	if req.State != ill.NeedsMediation || !(p.Centre || p.Library == req.Borrower) {
		return nil, nil
	}
	a := &MediationAids{Deadline: req.RespondBy, Escalated: !req.RespondBy.IsZero() && s.clock.Now().After(req.RespondBy)}
	links, err := s.opacLinks(ctx, ill.OPACValues{Title: req.Title, ISBN: req.ISBN, Author: req.Author})
	if err != nil {
		return nil, err
	}
	a.Links = links
	seen := map[int64]bool{}
	var hits []ill.SearchHit
	for _, q := range ill.RelaxedQueries(ill.Citation{Title: req.Title, Author: req.Author, ISBN: req.ISBN,
		Publisher: req.Publisher, Year: req.Year}, MaxMediationMatches) {
		res, err := s.store.SearchFull(ctx, q)
		if err != nil {
			if ill.ErrorCode(err) == ill.CodeBadRequest {
				continue // a query the search refuses: try the next
			}
			return nil, err
		}
		for _, h := range res.Hits {
			if !seen[h.ID] && len(hits) < MaxMediationMatches {
				seen[h.ID] = true
				hits = append(hits, h)
			}
		}
		if len(hits) >= MaxMediationMatches {
			break
		}
	}
	scopes, err := s.scopeOf(ctx, req.Borrower, hits)
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		a.Matches = append(a.Matches, MediationMatch{SearchHit: h, Scope: scopes[h.ID]})
	}
	return a, nil
}

// opacLinks fills every search tool's template (the centre's, else the
// default) and every member's OPAC template with v.
func (s *Service) opacLinks(ctx context.Context, v ill.OPACValues) ([]MediationLink, error) {
	stored, err := s.store.OPACTemplates(ctx)
	if err != nil {
		return nil, err
	}
	custom := map[[2]string]string{}
	for _, t := range stored {
		custom[[2]string{t.Kind, t.Code}] = t.URL
	}
	var out []MediationLink
	for _, t := range ill.DefaultSearchTools {
		tmpl := t.URL
		if c, ok := custom[[2]string{ill.OPACTool, t.Key}]; ok {
			tmpl = c
		}
		if u := ill.FillOPAC(tmpl, v); u != "" {
			out = append(out, MediationLink{Key: t.Key, NameZH: t.NameZH, NameEN: t.NameEN, URL: u})
		}
	}
	names, err := s.store.LibraryNames(ctx)
	if err != nil {
		return nil, err
	}
	var members []MediationLink
	for _, t := range stored {
		if t.Kind != ill.OPACMember {
			continue
		}
		n, ok := names[t.Code]
		if !ok {
			continue // no longer a member
		}
		if u := ill.FillOPAC(t.URL, v); u != "" {
			members = append(members, MediationLink{Key: t.Code, NameZH: n[0], NameEN: n[1], URL: u, Member: true})
		}
	}
	slices.SortFunc(members, func(a, b MediationLink) int { return strings.Compare(a.Key, b.Key) })
	return append(out, members...), nil
}

// OPACEntry is one editable search URL template as the centre sees it:
// every search tool (its default, and the centre's replacement if any)
// and every member library (its OPAC template, "" when none).
type OPACEntry struct {
	Kind, Code     string
	NameZH, NameEN string
	URL            string // in force ("" for a member without one)
	Default        string // the tool's default ("" for members)
	Custom         bool   // URL is the centre's (stored)
	UpdatedBy      string
	UpdatedAt      time.Time
}

func opacCentreOnly(p ill.Principal) error {
	if !p.Centre {
		return ill.Errorf(ill.CodeForbidden, "only the centre edits the search URL templates")
	}
	return nil
}

// OPACTemplates lists the search URL templates (the centre only).
func (s *Service) OPACTemplates(ctx context.Context, p ill.Principal) ([]OPACEntry, error) {
	if err := opacCentreOnly(p); err != nil {
		return nil, err
	}
	stored, err := s.store.OPACTemplates(ctx)
	if err != nil {
		return nil, err
	}
	byKey := map[[2]string]ill.OPACTemplate{}
	for _, t := range stored {
		byKey[[2]string{t.Kind, t.Code}] = t
	}
	var out []OPACEntry
	for _, t := range ill.DefaultSearchTools {
		e := OPACEntry{Kind: ill.OPACTool, Code: t.Key, NameZH: t.NameZH, NameEN: t.NameEN, URL: t.URL, Default: t.URL}
		if c, ok := byKey[[2]string{ill.OPACTool, t.Key}]; ok {
			e.URL, e.Custom, e.UpdatedBy, e.UpdatedAt = c.URL, true, c.UpdatedBy, c.UpdatedAt
		}
		out = append(out, e)
	}
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range libs {
		e := OPACEntry{Kind: ill.OPACMember, Code: l.Code, NameZH: l.NameZH, NameEN: l.NameEN}
		if c, ok := byKey[[2]string{ill.OPACMember, l.Code}]; ok {
			e.URL, e.Custom, e.UpdatedBy, e.UpdatedAt = c.URL, true, c.UpdatedBy, c.UpdatedAt
		}
		out = append(out, e)
	}
	return out, nil
}

// SetOPACTemplate stores the search URL template of a search tool (kind
// ill.OPACTool, code its key) or a member's OPAC (ill.OPACMember, the
// library code), by staff member by (the centre only). An empty URL
// restores a tool's default or removes a member's link. Errors:
// forbidden, bad_request (field "url": ill.ValidateOPACTemplate's reason;
// "code": an unknown tool), not_found (not a member).
func (s *Service) SetOPACTemplate(ctx context.Context, p ill.Principal, kind, code, rawURL, by string) error {
	if err := opacCentreOnly(p); err != nil {
		return err
	}
	t := ill.OPACTemplate{Kind: kind, Code: strings.TrimSpace(code), URL: strings.TrimSpace(rawURL), UpdatedBy: by,
		UpdatedAt: s.clock.Now().UTC()}
	switch kind {
	case ill.OPACTool:
		if _, ok := ill.SearchToolByKey(t.Code); !ok {
			return ill.FieldError("code", "no search tool %q", t.Code)
		}
	case ill.OPACMember:
		c, err := ill.CanonicalCode("code", t.Code)
		if err != nil {
			return err
		}
		l, err := s.store.Library(ctx, c)
		if err != nil {
			return err
		}
		t.Code = l.Code
	default:
		return ill.FieldError("kind", "kind must be tool or member")
	}
	if t.URL != "" {
		if why := ill.ValidateOPACTemplate(t.URL); why != "" {
			return ill.FieldError("url", "%s", why)
		}
	}
	return s.store.PutOPACTemplate(ctx, t)
}

// EscalatedMediations lists at most limit requests waiting in
// NEEDS_MEDIATION past their 1-working-day mediation deadline, with the
// total: every library's for the centre (its escalated queue), a member's
// own as borrower.
func (s *Service) EscalatedMediations(ctx context.Context, p ill.Principal, limit int) ([]*ill.Request, int, error) {
	return s.store.EscalatedMediations(ctx, scope(p), s.clock.Now(), limit)
}

// EscalationCount is one library's mediation figures over a period: the
// manual requests held for mediation, how many of them were (or are)
// escalated, and how many of those still wait.
type EscalationCount struct {
	Library   string
	Held      int
	Escalated int
	Waiting   int
}

// EscalationCounts counts, per borrowing library, the requests held for
// mediation in [from, to] (Asia/Shanghai days) and those not mediated
// within 1 working day of the library's calendar (ill.MediationDeadline),
// judged now: library "" every library's. Libraries without mediation
// are left out.
func (s *Service) EscalationCounts(ctx context.Context, library string, from, to ill.Date) ([]EscalationCount, error) {
	spells, err := s.store.MediationSpells(ctx, library, from.Start(), to.AddDays(1).Start())
	if err != nil {
		return nil, err
	}
	var cal *ill.Calendar
	if s.med.cal != nil {
		if cal, err = s.med.cal.Get(ctx); err != nil {
			return nil, err
		}
	} else {
		cal = ill.NewCalendar()
	}
	closures := map[string][]ill.DateRange{}
	if len(spells) > 0 {
		byLib, err := s.store.ClosuresByLibrary(ctx)
		if err != nil {
			return nil, err
		}
		for lib, cs := range byLib {
			for _, c := range cs {
				closures[lib] = append(closures[lib], c.Range)
			}
		}
	}
	now := s.clock.Now()
	by := map[string]*EscalationCount{}
	for _, sp := range spells {
		c := by[sp.Borrower]
		if c == nil {
			c = &EscalationCount{Library: sp.Borrower}
			by[sp.Borrower] = c
		}
		c.Held++
		if sp.Escalated(ill.MediationDeadline(cal.ScheduleFor(closures[sp.Borrower]), sp.HeldAt), now) {
			c.Escalated++
			if sp.LeftAt.IsZero() {
				c.Waiting++
			}
		}
	}
	out := make([]EscalationCount, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Library < out[j].Library })
	return out, nil
}

// MediationReportName is the report of escalated mediations per library
// (GET /v1/reports/escalated-mediations, JSON, CSV or XLSX, through
// Service.Report like the other reports).
const MediationReportName = "escalated-mediations"

// mediationReport builds MediationReportName for q (ReportQuery's period
// and library, checked like reports.Service.Build checks them).
func (s *Service) mediationReport(ctx context.Context, q reports.Query) (*reports.Report, error) {
	if q.To.Before(q.From) {
		return nil, ill.FieldError("to", "to is before from")
	}
	if q.From.AddDays(reports.MaxDays).Before(q.To) {
		return nil, ill.FieldError("from", "a report covers at most %d days", reports.MaxDays)
	}
	if q.Library != "" {
		l, err := s.store.Library(ctx, q.Library)
		if err != nil {
			return nil, err
		}
		q.Library = l.Code
	}
	counts, err := s.EscalationCounts(ctx, q.Library, q.From, q.To)
	if err != nil {
		return nil, err
	}
	rep := &reports.Report{Name: MediationReportName, From: q.From, To: q.To, Library: q.Library,
		Columns: []reports.Column{
			{Key: "library", ZH: "借入馆", EN: "Borrowing library", Kind: reports.Text},
			{Key: "held", ZH: "待人工处理申请", EN: "Held for mediation", Kind: reports.Int},
			{Key: "escalated", ZH: "超时转中心", EN: "Escalated (not mediated in 1 working day)", Kind: reports.Int},
			{Key: "escalated_waiting", ZH: "超时仍待处理", EN: "Escalated, still waiting", Kind: reports.Int},
			{Key: "escalated_share", ZH: "超时比例", EN: "Share escalated", Kind: reports.Pct},
		}}
	for _, c := range counts {
		var share any
		if c.Held > 0 {
			share = float64(c.Escalated) / float64(c.Held)
		}
		rep.Rows = append(rep.Rows, []any{c.Library, c.Held, c.Escalated, c.Waiting, share})
	}
	return rep, nil
}
