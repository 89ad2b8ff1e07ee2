package ill

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Copy requests (文献传递): a reader asks for a journal article or a part
// of a book, and a member library delivers a scan electronically. They
// share the request engine with loans — intake, rota, timers, ISO 18626 —
// and differ in the rows of Table they may take (Rule.Service), in their
// deadlines (CopyTerms: respond and deliver in working days of the lender)
// and in their per-reader limit (CopyTerms.Limit instead of R3's 3).

// ServiceType is what a request asks for: a loan of a returnable item, or
// a copy delivered electronically. The values are part of the API
// (service_type); "" is read as ServiceLoan everywhere.
type ServiceType string

const (
	ServiceLoan ServiceType = "loan"
	ServiceCopy ServiceType = "copy"
)

// ParseServiceType reads an API service_type: "" is a loan (the default).
func ParseServiceType(s string) (ServiceType, error) {
	switch ServiceType(s) {
	case "", ServiceLoan:
		return ServiceLoan, nil
	case ServiceCopy:
		return ServiceCopy, nil
	}
	return "", FieldError("service_type", "service_type must be loan or copy, not %q", s)
}

// OrLoan is s with the default applied: "" is a loan.
func (s ServiceType) OrLoan() ServiceType {
	if s == "" {
		return ServiceLoan
	}
	return s
}

// IsCopy reports whether s is a copy request.
func (s ServiceType) IsCopy() bool { return s == ServiceCopy }

// CopyKind is what a copy request's citation describes.
type CopyKind string

const (
	CopyArticle  CopyKind = "article"   // a journal article: journal_title, issn, doi …
	CopyBookPart CopyKind = "book_part" // a chapter or pages of a book: isbn, title, chapter, pages
)

// CopyKind is an article when any article field is given (journal title,
// ISSN, article title or DOI), else a part of a book.
func (c Citation) CopyKind() CopyKind {
	if c.JournalTitle != "" || c.ISSN != "" || c.ArticleTitle != "" || c.DOI != "" {
		return CopyArticle
	}
	return CopyBookPart
}

// HasCopyFields reports whether any field only copy requests take is set.
func (c Citation) HasCopyFields() bool { return c.CopyFields() != Citation{} }

// CopyFields is c with only the copy request's own fields (journal_title,
// issn, volume, issue, pages, article_title, authors, doi, chapter,
// book_pages): the fields Request.Citation keeps. Title, author, ISBN,
// publisher and year are the request's own columns.
func (c Citation) CopyFields() Citation {
	return Citation{JournalTitle: c.JournalTitle, ISSN: c.ISSN, Volume: c.Volume, Issue: c.Issue, Pages: c.Pages,
		ArticleTitle: c.ArticleTitle, Authors: c.Authors, DOI: c.DOI, Chapter: c.Chapter, BookPages: c.BookPages}
}

// DisplayTitle is the title lists and notices show for a copy: the
// article's title (or its journal's) for an article, the book's title
// for a book part.
func (c Citation) DisplayTitle() string {
	switch {
	case c.CopyKind() == CopyBookPart:
		return c.Title
	case c.ArticleTitle != "":
		return c.ArticleTitle
	}
	return c.JournalTitle
}

// MaxCopyShare is the largest part of a book one copy request may ask for
// (copyright practice for 文献传递): a third of its pages.
const MaxCopyShare = 3

// ValidateCopy checks and normalises the citation of a copy request
// (bad_request naming the item field, or copy_too_large): lengths; ISSN
// and DOI in their canonical forms; pages that parse (ParsePages) and are
// rewritten normalised; an article needs its journal (title, ISSN or DOI);
// a book part needs a book (a record, a title or an ISBN) and a part
// (pages or a chapter), and when the book's page count is known
// (book_pages) at most a third of it (MaxCopyShare). hasRecord says the
// submit names a catalogue record (a book part of it).
func ValidateCopy(c *Citation, hasRecord bool) error {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"item.journal_title", c.JournalTitle, 400}, {"item.article_title", c.ArticleTitle, 400},
		{"item.authors", c.Authors, 400}, {"item.volume", c.Volume, 32}, {"item.issue", c.Issue, 32},
		{"item.pages", c.Pages, 64}, {"item.chapter", c.Chapter, 200}, {"item.doi", c.DOI, 200},
		{"item.issn", c.ISSN, 20}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return FieldError(f.name, "%s is longer than %d characters", f.name, f.max)
		}
	}
	if c.ISSN != "" {
		n, ok := NormalizeISSN(c.ISSN)
		if !ok {
			return FieldError("item.issn", "%q is not a valid ISSN (NNNN-NNNC with its check digit)", c.ISSN)
		}
		c.ISSN = n
	}
	if c.DOI != "" {
		n, ok := NormalizeDOI(c.DOI)
		if !ok {
			return FieldError("item.doi", "%q is not a DOI (10.prefix/suffix)", c.DOI)
		}
		c.DOI = n
	}
	if c.BookPages < 0 || c.BookPages > MaxPage {
		return FieldError("item.book_pages", "book_pages must be between 1 and %d", MaxPage)
	}
	var pages Pages
	if strings.TrimSpace(c.Pages) != "" {
		p, err := ParsePages(c.Pages)
		if err != nil {
			return FieldError("item.pages", "%v", err)
		}
		pages, c.Pages = p, p.String()
	}
	if c.CopyKind() == CopyArticle {
		if c.JournalTitle == "" && c.ISSN == "" && c.DOI == "" {
			return FieldError("item.journal_title", "an article needs its journal: journal_title, issn or doi")
		}
		return nil
	}
	if !hasRecord && strings.TrimSpace(c.Title) == "" && strings.TrimSpace(c.ISBN) == "" {
		return FieldError("item.title", "a book part needs its book: record_id, title or isbn")
	}
	if pages == nil && strings.TrimSpace(c.Chapter) == "" {
		return FieldError("item.pages", "a book part needs pages or a chapter (a copy is never the whole book)")
	}
	if c.BookPages > 0 && pages != nil && pages.Count()*MaxCopyShare > c.BookPages {
		return &Error{Code: CodeCopyTooLarge, Field: "item.pages", Message: fmt.Sprintf(
			"pages %s are %d of the book's %d pages: a copy may be at most one third of a book (复制篇幅不得超过全书三分之一)",
			c.Pages, pages.Count(), c.BookPages)}
	}
	return nil
}

// MaxPage is the highest page number a page list may name.
const MaxPage = 100000

// PageRange is pages From to To, inclusive (From == To: one page).
type PageRange struct{ From, To int }

// Pages is a page list in normal form: ranges sorted, not overlapping,
// not adjacent (ParsePages merges "1-3,4" into "1-4").
type Pages []PageRange

// ParsePages reads a page list as readers and citations write it: "12-34",
// "5", "1-3,7-9"; spaces are ignored, "–", "—", "～", "~" separate a range
// and "，", ";" list items as "," does; a leading "p.", "pp." or "页" is
// dropped. Every page is from 1 to MaxPage and a range does not run
// backwards. The result is normalised (sorted, merged).
func ParsePages(s string) (Pages, error) {
	s = strings.TrimSpace(s)
	for _, pre := range []string{"pp.", "p.", "pp", "页"} {
		if len(s) > len(pre) && strings.EqualFold(s[:len(pre)], pre) {
			s = s[len(pre):]
			break
		}
	}
	s = strings.NewReplacer("–", "-", "—", "-", "－", "-", "‐", "-", "~", "-", "～", "-", "，", ",", ";", ",", "；", ",").Replace(s)
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, fmt.Errorf("no pages given")
	}
	var out Pages
	for _, item := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		from, err := pageNumber(lo)
		if err != nil {
			return nil, err
		}
		to := from
		if isRange {
			if to, err = pageNumber(hi); err != nil {
				return nil, err
			}
			if to < from {
				return nil, fmt.Errorf("pages %s run backwards", item)
			}
		}
		out = append(out, PageRange{from, to})
	}
	slices.SortFunc(out, func(a, b PageRange) int { return a.From - b.From })
	merged := out[:1]
	for _, r := range out[1:] {
		last := &merged[len(merged)-1]
		if r.From <= last.To+1 {
			last.To = max(last.To, r.To)
			continue
		}
		merged = append(merged, r)
	}
	return merged, nil
}

func pageNumber(s string) (int, error) {
	if s == "" || len(s) > 6 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a page number", s)
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > MaxPage {
		return 0, fmt.Errorf("page %d is out of range (1–%d)", n, MaxPage)
	}
	return n, nil
}

// Count is the number of pages in p.
func (p Pages) Count() int {
	n := 0
	for _, r := range p {
		n += r.To - r.From + 1
	}
	return n
}

// String writes p in normal form: "1-3,7-9", "5".
func (p Pages) String() string {
	parts := make([]string, len(p))
	for i, r := range p {
		parts[i] = strconv.Itoa(r.From)
		if r.To != r.From {
			parts[i] += "-" + strconv.Itoa(r.To)
		}
	}
	return strings.Join(parts, ",")
}

// YearRange is a run of a serial a library holds: From to To inclusive;
// To 0 means "to date" (an open run, "2015-").
type YearRange struct{ From, To int }

// Coverage is a serial holding's runs of years (holdings batch field
// coverage, e.g. "1998-2010,2015-"). An empty Coverage says nothing about
// the years: the holding covers them all.
type Coverage []YearRange

// ParseCoverage reads "1998-2010,2015-", "2001", "" (every year); years
// are 1600–2100 and a run does not run backwards.
func ParseCoverage(s string) (Coverage, error) {
	s = strings.Join(strings.Fields(strings.NewReplacer("–", "-", "—", "-", "，", ",", ";", ",", "；", ",").Replace(s)), "")
	if s == "" {
		return nil, nil
	}
	var out Coverage
	for _, item := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		from, err := coverageYear(lo)
		if err != nil {
			return nil, err
		}
		to := from
		if isRange {
			to = 0
			if hi != "" {
				if to, err = coverageYear(hi); err != nil {
					return nil, err
				}
				if to < from {
					return nil, fmt.Errorf("coverage %s runs backwards", item)
				}
			}
		}
		out = append(out, YearRange{from, to})
	}
	return out, nil
}

func coverageYear(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1600 || n > 2100 {
		return 0, fmt.Errorf("%q is not a year (1600–2100)", s)
	}
	return n, nil
}

// Contains reports whether the coverage holds year: an empty coverage
// holds every year, and so does any coverage for an unknown year (0).
func (c Coverage) Contains(year int) bool {
	if len(c) == 0 || year == 0 {
		return true
	}
	for _, r := range c {
		if year >= r.From && (r.To == 0 || year <= r.To) {
			return true
		}
	}
	return false
}

// String writes c as ParseCoverage reads it.
func (c Coverage) String() string {
	parts := make([]string, len(c))
	for i, r := range c {
		switch {
		case r.To == 0:
			parts[i] = strconv.Itoa(r.From) + "-"
		case r.To == r.From:
			parts[i] = strconv.Itoa(r.From)
		default:
			parts[i] = strconv.Itoa(r.From) + "-" + strconv.Itoa(r.To)
		}
	}
	return strings.Join(parts, ",")
}

// NormalizeISSN returns an ISSN as "NNNN-NNNC" (check digit X upper case)
// from a form with or without the hyphen, spaces or an "ISSN" prefix, and
// false when it is not one or its check digit is wrong.
func NormalizeISSN(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "ISSN") {
		s = strings.TrimLeft(s[4:], ":： ")
	}
	var d []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r == 'x' || r == 'X':
			d = append(d, 'X')
		case r == '-' || r == ' ' || r == '－':
		default:
			return "", false
		}
	}
	if len(d) != 8 || slices.Contains(d[:7], 'X') {
		return "", false
	}
	sum := 0
	for i := 0; i < 7; i++ {
		sum += int(d[i]-'0') * (8 - i)
	}
	check := (11 - sum%11) % 11
	want := byte('0' + check)
	if check == 10 {
		want = 'X'
	}
	if d[7] != want {
		return "", false
	}
	return string(d[:4]) + "-" + string(d[4:]), true
}

// NormalizeDOI returns a DOI as "10.prefix/suffix" from itself or a
// "doi:" or https://doi.org/ form, and false when it is not a DOI.
func NormalizeDOI(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, pre := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"} {
		if len(s) >= len(pre) && strings.EqualFold(s[:len(pre)], pre) {
			s = strings.TrimSpace(s[len(pre):])
			break
		}
	}
	prefix, suffix, ok := strings.Cut(s, "/")
	if !ok || suffix == "" || !strings.HasPrefix(prefix, "10.") || len(prefix) < 4 ||
		strings.TrimLeft(prefix[3:], "0123456789.") != "" || strings.ContainsAny(s, " \t\r\n") {
		return "", false
	}
	return s, true
}

// CopyTerms are a library's copy service settings: as a lender, the
// working days it has to answer and to deliver a copy request that
// reached it; as a borrower, its readers' limit of open copy requests.
type CopyTerms struct {
	RespondDays int // default 1
	DeliverDays int // default 3
	Limit       int // default 10
}

// DefaultCopyTerms are BALIS's: answer within 1 working day, deliver
// within 3, at most 10 open copy requests per reader.
var DefaultCopyTerms = CopyTerms{RespondDays: 1, DeliverDays: 3, Limit: 10}

// WithDefaults fills the settings a library left unset (0).
func (c CopyTerms) WithDefaults() CopyTerms {
	if c.RespondDays <= 0 {
		c.RespondDays = DefaultCopyTerms.RespondDays
	}
	if c.DeliverDays <= 0 {
		c.DeliverDays = DefaultCopyTerms.DeliverDays
	}
	if c.Limit <= 0 {
		c.Limit = DefaultCopyTerms.Limit
	}
	return c
}

// CopyTerms is l's copy service settings, defaults applied.
func (l Library) CopyTerms() CopyTerms {
	return CopyTerms{RespondDays: l.CopyRespondDays, DeliverDays: l.CopyDeliverDays, Limit: l.CopyLimit}.WithDefaults()
}

// CopyOpenStates are the states in which a copy request counts towards
// its reader's copy limit: from submission until the copy is delivered
// and closed.
func CopyOpenStates() []State {
	return []State{Submitted, NeedsMediation, Requested, WillSupply, CancelPending, Delivered}
}

// CloseDelivery's variants: why a delivered copy is closed.
const (
	CloseDownloaded Variant = "downloaded" // the reader used up the downloads
	CloseExpired    Variant = "expired"    // the link expired and the file was removed
)

// CopyFileRef is the file reference of a copy an ISO 18626 supplier
// delivered by URL (deliveryMethod URL): stored as the request's
// delivery_file_id.
func CopyFileRef(url string) string { return "url:" + url }
