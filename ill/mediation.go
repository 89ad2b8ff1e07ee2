package ill

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Mediation (seed §三, R14): a manual request the union catalogue did not
// match waits in NEEDS_MEDIATION until the borrowing library's staff
// identify a lender with the secondary search tools (the CALIS union
// catalogue, the National Library's and Shanghai Library's OPACs, each
// member's OPAC) or the union catalogue's own fuzzy matches. One not
// mediated within 1 working day is escalated to the centre.

// OPAC template kinds: a secondary search tool, or a member library's own
// OPAC (Code is then the library code).
const (
	OPACTool   = "tool"
	OPACMember = "member"
)

// OPACTemplate is the search URL of a secondary search tool or a member's
// OPAC, with placeholders {title}, {isbn} and {author} that FillOPAC
// replaces by the request's values, URL-encoded.
type OPACTemplate struct {
	Kind      string // OPACTool or OPACMember
	Code      string // the tool's key (DefaultSearchTools) or the library code
	URL       string
	UpdatedBy string
	UpdatedAt time.Time
}

// SearchTool is a secondary search tool offered on the mediation panel.
type SearchTool struct {
	Key            string
	NameZH, NameEN string
	// URL is the default template; the centre may replace it (stored in
	// opac_templates), since the tools' sites change their search URLs.
	URL string
}

// DefaultSearchTools are the seed's secondary search tools (§三) with
// search URLs as their sites take them today (editable by the centre):
// the CALIS union catalogue's simple query (CQL any-field search), the
// National Library's Aleph OPAC (find-b, all words, NLC01) and Shanghai
// Library's VuFind catalogue.
var DefaultSearchTools = []SearchTool{
	{Key: "calis", NameZH: "CALIS 联合目录", NameEN: "CALIS union catalogue",
		URL: "http://opac.calis.edu.cn/opac/doSimpleQuery.do?actionType=doSimpleQuery&pageno=1&pagingType=0&query=(cql.anywhere%3D%22{title}%22)"},
	{Key: "nlc", NameZH: "国家图书馆 OPAC", NameEN: "National Library of China OPAC",
		URL: "http://opac.nlc.cn/F?func=find-b&find_code=WRD&request={title}&local_base=NLC01"},
	{Key: "shl", NameZH: "上海图书馆 OPAC", NameEN: "Shanghai Library OPAC",
		URL: "https://vufind.library.sh.cn/Search/Results?searchtype=vague&type=AllFields&lookfor={title}"},
}

// SearchToolByKey finds a default search tool.
func SearchToolByKey(key string) (SearchTool, bool) {
	for _, t := range DefaultSearchTools {
		if t.Key == key {
			return t, true
		}
	}
	return SearchTool{}, false
}

// MaxOPACTemplate bounds a template's length (opac_templates.url_template).
const MaxOPACTemplate = 1000

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// opacPlaceholders are the placeholders a template may use.
var opacPlaceholders = map[string]bool{"{title}": true, "{isbn}": true, "{author}": true}

// ValidateOPACTemplate returns why tmpl cannot be a search URL template
// ("" if it can): an absolute http or https URL with a host, printable
// ASCII without spaces, at most MaxOPACTemplate characters, using only
// the known placeholders, and those only after the host (a request's
// title can never choose where the link goes).
func ValidateOPACTemplate(tmpl string) string {
	switch {
	case tmpl == "":
		return "the template is empty"
	case len(tmpl) > MaxOPACTemplate:
		return "the template is longer than 1000 characters"
	}
	for i := 0; i < len(tmpl); i++ {
		if c := tmpl[i]; c <= ' ' || c >= 0x7f {
			return "the template must be printable ASCII without spaces (percent-encode other characters)"
		}
	}
	for _, p := range placeholderRE.FindAllString(tmpl, -1) {
		if !opacPlaceholders[p] {
			return "unknown placeholder " + p + " (known: {title}, {isbn}, {author})"
		}
	}
	if strings.ContainsAny(placeholderRE.ReplaceAllString(tmpl, ""), "{}") {
		return "unbalanced { or } in the template"
	}
	u, err := url.Parse(placeholderRE.ReplaceAllString(tmpl, "x"))
	if err != nil {
		return "not a URL: " + err.Error()
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "the URL must start with http:// or https://"
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return "the URL must name a host (and no user)"
	}
	scheme := strings.Index(tmpl, "//")
	rest := tmpl[scheme+2:]
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	if strings.Contains(rest[:hostEnd], "{") {
		return "placeholders may only stand after the host"
	}
	return ""
}

// OPACValues are what FillOPAC puts into a template.
type OPACValues struct {
	Title, ISBN, Author string
}

// FillOPAC replaces the placeholders of a valid template (see
// ValidateOPACTemplate) by v's values, URL-encoded for where they stand:
// query encoding in the query and fragment, path encoding in the path.
// Values are trimmed and cut to 200 characters. An invalid template gives
// "" (no link is better than a wrong one).
func FillOPAC(tmpl string, v OPACValues) string {
	if ValidateOPACTemplate(tmpl) != "" {
		return ""
	}
	vals := map[string]string{"{title}": clip(v.Title), "{isbn}": clip(v.ISBN), "{author}": clip(v.Author)}
	q := strings.IndexAny(tmpl, "?#")
	var b strings.Builder
	last := 0
	for _, m := range placeholderRE.FindAllStringIndex(tmpl, -1) {
		b.WriteString(tmpl[last:m[0]])
		val := vals[tmpl[m[0]:m[1]]]
		if q >= 0 && m[0] > q {
			b.WriteString(url.QueryEscape(val))
		} else {
			b.WriteString(url.PathEscape(val))
		}
		last = m[1]
	}
	b.WriteString(tmpl[last:])
	return b.String()
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200])
	}
	return s
}

// MainTitle is a title without its subtitle, parallel title or edition
// statement: the text before the first ":", "=", "/", "(", "—" or ";"
// (full-width forms too), trimmed. A title that is all subtitle is kept.
func MainTitle(title string) string {
	cut := strings.IndexFunc(title, func(r rune) bool {
		return strings.ContainsRune(":=/(;：＝／（；—[【", r)
	})
	if cut > 0 {
		if t := strings.TrimSpace(title[:cut]); t != "" {
			return t
		}
	}
	return strings.TrimSpace(title)
}

// RelaxedQueries are the union catalogue searches that look for a
// citation's record more loosely than the submit's exact match (ISBN,
// then the full title/author/publisher/year key): by ISBN; by the main
// title and the first author; by the main title alone; by the main title's
// first four characters with the author. Empty and repeated queries are
// left out; perPage applies to each.
func RelaxedQueries(c Citation, perPage int) []SearchQuery {
	var out []SearchQuery
	seen := map[string]bool{}
	add := func(q SearchQuery) {
		k := q.ISBN + "|" + q.Q
		if (q.Q == "" && q.ISBN == "") || seen[k] {
			return
		}
		seen[k] = true
		q.Page, q.PerPage = 1, perPage
		out = append(out, q)
	}
	if isbn, ok := NormalizeISBN(c.ISBN); ok {
		add(SearchQuery{ISBN: isbn})
	}
	main := Fold(MainTitle(c.Title))
	author := FirstAuthor(c.Author)
	if main != "" && author != "" {
		add(SearchQuery{Q: main + " " + author})
	}
	add(SearchQuery{Q: main})
	if rs := []rune(main); len(rs) > 4 && author != "" {
		add(SearchQuery{Q: string(rs[:4]) + " " + author})
	}
	return out
}

// MediationSpell is one stay of a request in NEEDS_MEDIATION: when it was
// held, when it left (zero: still waiting) and, while it waits, its
// mediation deadline as stored (respond_by).
type MediationSpell struct {
	RequestID string
	Borrower  string
	Title     string
	HeldAt    time.Time
	LeftAt    time.Time
	Deadline  time.Time
}

// MediationDeadline is when a request held at heldAt must be mediated by
// (1 working day of the borrower's schedule), as ActHold sets it.
func MediationDeadline(s Schedule, heldAt time.Time) time.Time {
	d, _ := s.AddWorkingDays(heldAt, 1)
	return d
}

// Escalated reports whether spell was (or is) escalated at now: it was
// not mediated by its deadline, the stored one while it waits, otherwise
// the one its borrower's schedule gives (deadline).
func (m MediationSpell) Escalated(deadline, now time.Time) bool {
	if m.LeftAt.IsZero() {
		if !m.Deadline.IsZero() {
			deadline = m.Deadline
		}
		return now.After(deadline)
	}
	return m.LeftAt.After(deadline)
}

// Mediations is the storage of mediation: the search URL templates the
// centre edits, the escalated requests and the mediation spells the
// reports count, and the routing facts the scope marks of a search page
// read.
type Mediations interface {
	// OPACTemplates lists every stored template (kind, then code).
	OPACTemplates(ctx context.Context) ([]OPACTemplate, error)
	// PutOPACTemplate stores t (replacing the one of its kind and code);
	// an empty URL deletes it. t.URL was validated by the caller.
	PutOPACTemplate(ctx context.Context, t OPACTemplate) error
	// EscalatedMediations lists at most limit requests in
	// NEEDS_MEDIATION whose mediation deadline (respond_by) passed before
	// now, borrowed by library ("": every library's), oldest deadline
	// first, with the total.
	EscalatedMediations(ctx context.Context, library string, now time.Time, limit int) ([]*Request, int, error)
	// MediationSpells lists the stays in NEEDS_MEDIATION that began in
	// [from, to) of requests borrowed by library ("": every library),
	// oldest first.
	MediationSpells(ctx context.Context, library string, from, to time.Time) ([]MediationSpell, error)
	// RoutingHoldings maps each of records to its routing candidates
	// (CandidatesOf: members that lend, copies summed) and whether
	// borrower has an available copy. Records without holdings map to
	// no candidates.
	RoutingHoldings(ctx context.Context, records []int64, borrower string) (map[int64]RecordRouting, error)
}

// RecordRouting is a record's routing facts for one borrower.
type RecordRouting struct {
	Candidates  []Candidate
	HeldLocally bool
}
