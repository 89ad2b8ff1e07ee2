package ill

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// OpenURL is the citation an OpenURL link carries: an OpenURL 1.0 KEV
// context object (ANSI/NISO Z39.88-2004, url_ver=Z39.88-2004, rft.* keys,
// book and journal formats) or an OpenURL 0.1 link (title=, isbn=, sid=),
// as discovery layers and OPACs send them. ParseOpenURL reads one; every
// field is trimmed, free of control characters, valid UTF-8 and cut to the
// width the request stores.
type OpenURL struct {
	// Version is "1.0" (Z39.88-2004 KEV) or "0.1".
	Version string
	// Format is the referent's metadata format: "book", "journal" or
	// another rft_val_fmt's last segment ("dissertation", ...); "" when the
	// link names none (0.1 links: derived from genre).
	Format string
	// Genre is rft.genre (0.1: genre): book, bookitem, article, journal, ...
	Genre string
	// Title is the book's title (rft.btitle, or rft.title of a book).
	Title string
	// JournalTitle is the journal's (rft.jtitle, rft.title of a journal,
	// rft.stitle).
	JournalTitle string
	// ArticleTitle is an article's or a chapter's (rft.atitle).
	ArticleTitle string
	// Author is the first author (rft.au, else rft.aulast with rft.aufirst,
	// else rft.aucorp).
	Author    string
	ISBN      string
	ISSN      string
	Publisher string
	// Date is rft.date as given; Year its year (0 when it has none).
	Date   string
	Year   int
	Volume string
	Issue  string
	Pages  string
	// DOI is the article's DOI from rft_id=info:doi/... (0.1: id=doi:...),
	// as given ("" when absent).
	DOI string
	// Source is who sent the link: rfr_id (1.0) or sid (0.1), cleaned by
	// NormalizeSource ("" when absent).
	Source string
}

// Field widths of what a parsed OpenURL keeps (the requests table's).
const (
	openURLTitleMax = 400
	openURLTextMax  = 200
	openURLCodeMax  = 20
	openURLShortMax = 40
	openURLDOIMax   = 200
	// SourceMax is the width of a request's source.
	SourceMax = 200
)

// KEVVersion is the url_ver of an OpenURL 1.0 KEV link.
const KEVVersion = "Z39.88-2004"

// ParseOpenURL reads the query string of an OpenURL link (without the
// "?"). Keys are matched case-insensitively; a repeated key's first
// non-empty value counts. Values that are not UTF-8 are read as GB 18030,
// the encoding older Chinese OPACs (汇文 and others) percent-encode in.
// Errors (bad_request): the link carries neither a title nor an ISBN or
// ISSN, so nothing can be prefilled from it.
func ParseOpenURL(rawQuery string) (OpenURL, error) {
	// ParseQuery keeps what it could read when one pair is malformed (a
	// ";" separator, a bad escape): a link is taken for what it carries.
	vals, _ := url.ParseQuery(rawQuery)
	kv := make(map[string]string, len(vals))
	for k, vs := range vals {
		k = strings.ToLower(strings.TrimSpace(k))
		if _, seen := kv[k]; seen && kv[k] != "" {
			continue
		}
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				kv[k] = v
				break
			}
		}
	}
	get := func(width int, keys ...string) string {
		for _, k := range keys {
			if v := cleanKEV(kv[k], width); v != "" {
				return v
			}
		}
		return ""
	}
	var o OpenURL
	kev := strings.EqualFold(kv["url_ver"], KEVVersion) || kv["rft_val_fmt"] != ""
	if !kev {
		for k := range kv {
			if strings.HasPrefix(k, "rft.") {
				kev = true
				break
			}
		}
	}
	if kev {
		o.Version = "1.0"
		if f := kv["rft_val_fmt"]; f != "" {
			o.Format = cleanKEV(strings.ToLower(f[strings.LastIndexByte(f, ':')+1:]), openURLShortMax)
		}
		o.Genre = strings.ToLower(get(openURLShortMax, "rft.genre"))
		if o.Format == "" {
			o.Format = formatOfGenre(o.Genre)
		}
		o.ArticleTitle = get(openURLTitleMax, "rft.atitle")
		if o.Format == "journal" {
			o.JournalTitle = get(openURLTitleMax, "rft.jtitle", "rft.title", "rft.stitle")
		} else {
			o.Title = get(openURLTitleMax, "rft.btitle", "rft.title")
		}
		o.Author = get(openURLTextMax, "rft.au")
		if o.Author == "" {
			o.Author = joinName(get(openURLTextMax, "rft.aulast"), get(openURLTextMax, "rft.aufirst", "rft.auinit"))
		}
		if o.Author == "" {
			o.Author = get(openURLTextMax, "rft.aucorp")
		}
		o.ISBN = get(openURLCodeMax, "rft.isbn")
		o.ISSN = get(openURLCodeMax, "rft.issn", "rft.eissn")
		o.Publisher = get(openURLTextMax, "rft.pub", "rft.publisher")
		o.Date = get(openURLShortMax, "rft.date")
		o.Volume = get(openURLShortMax, "rft.volume")
		o.Issue = get(openURLShortMax, "rft.issue")
		o.Pages = get(openURLShortMax, "rft.pages")
		if o.Pages == "" {
			o.Pages = pageRange(get(openURLShortMax, "rft.spage"), get(openURLShortMax, "rft.epage"))
		}
		o.Source = NormalizeSource(kv["rfr_id"])
		// rft_id may carry the ISBN (urn:ISBN:...) when no rft.isbn does,
		// and an article's DOI (info:doi/...).
		for _, id := range vals["rft_id"] {
			if o.ISBN == "" {
				if v, ok := cutPrefixFold(strings.TrimSpace(id), "urn:isbn:"); ok {
					o.ISBN = cleanKEV(v, openURLCodeMax)
				}
			}
			if o.DOI == "" {
				if v, ok := cutPrefixFold(strings.TrimSpace(id), "info:doi/"); ok {
					o.DOI = cleanKEV(v, openURLDOIMax)
				}
			}
		}
	} else {
		o.Version = "0.1"
		o.Genre = strings.ToLower(get(openURLShortMax, "genre"))
		o.Format = formatOfGenre(o.Genre)
		o.ArticleTitle = get(openURLTitleMax, "atitle")
		if o.Format == "journal" {
			o.JournalTitle = get(openURLTitleMax, "title", "jtitle", "stitle")
		} else {
			o.Title = get(openURLTitleMax, "title", "btitle")
		}
		o.Author = get(openURLTextMax, "au", "author")
		if o.Author == "" {
			o.Author = joinName(get(openURLTextMax, "aulast"), get(openURLTextMax, "aufirst", "auinit"))
		}
		o.ISBN = get(openURLCodeMax, "isbn")
		o.ISSN = get(openURLCodeMax, "issn", "eissn")
		o.Publisher = get(openURLTextMax, "pub", "publisher")
		o.Date = get(openURLShortMax, "date")
		o.Volume = get(openURLShortMax, "volume")
		o.Issue = get(openURLShortMax, "issue")
		o.Pages = get(openURLShortMax, "pages")
		if o.Pages == "" {
			o.Pages = pageRange(get(openURLShortMax, "spage"), get(openURLShortMax, "epage"))
		}
		o.Source = NormalizeSource(kv["sid"])
		if v, ok := cutPrefixFold(kv["id"], "doi:"); ok {
			o.DOI = cleanKEV(v, openURLDOIMax)
		}
	}
	o.Year = yearOf(o.Date)
	if o.Title == "" && o.JournalTitle == "" && o.ArticleTitle == "" && o.ISBN == "" && o.ISSN == "" && o.DOI == "" {
		return o, FieldError("rft.btitle", "the OpenURL link carries no title, ISBN, ISSN or DOI")
	}
	return o, nil
}

// IsArticle reports whether the link asks for a journal article: a copy
// request, which the hub does not take yet (the reader gets the manual
// form with the journal's title).
func (o OpenURL) IsArticle() bool {
	return o.Format == "journal" || o.Genre == "article" || (o.Title == "" && o.JournalTitle != "")
}

// IsCopy reports whether the link asks for a copy rather than a loan: a
// journal article, or a part of a book (genre bookitem or chapter).
func (o OpenURL) IsCopy() bool {
	return o.IsArticle() || o.Genre == "bookitem" || o.Genre == "chapter"
}

// CopyCitation is what the link gives for a copy request: an article's
// journal, ISSN, volume, issue, pages, title, authors, year and DOI, or a
// book part's book (title, author, ISBN, publisher, year) with the chapter
// (rft.atitle) and pages. ValidateCopy judges it at the submit.
func (o OpenURL) CopyCitation() Citation {
	if o.IsArticle() {
		return Citation{JournalTitle: o.JournalTitle, ISSN: o.ISSN, Year: o.Year, Volume: o.Volume, Issue: o.Issue,
			Pages: o.Pages, ArticleTitle: o.ArticleTitle, Authors: o.Author, DOI: o.DOI}
	}
	return Citation{Title: o.Title, Author: o.Author, ISBN: o.ISBN, Publisher: o.Publisher, Year: o.Year,
		Chapter: o.ArticleTitle, Pages: o.Pages}
}

// Citation is what the link gives for a loan request: for an article the
// journal's title (the article is in ArticleNote).
func (o OpenURL) Citation() Citation {
	c := Citation{Title: o.Title, Author: o.Author, ISBN: o.ISBN, Publisher: o.Publisher, Year: o.Year}
	if o.IsArticle() {
		c.Title = o.JournalTitle
		if c.Title == "" {
			c.Title = o.ArticleTitle
		}
		c.ISBN = ""
	}
	return c
}

// ArticleNote is the part of the citation a loan request has no field for
// (the article or chapter, ISSN, volume, issue, pages), one line for the
// request's note; "" when there is none.
func (o OpenURL) ArticleNote() string {
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	if o.IsArticle() {
		add("篇名 article: ", o.ArticleTitle)
	} else {
		add("章节 chapter: ", o.ArticleTitle)
	}
	if o.IsArticle() {
		add("ISSN ", o.ISSN)
	}
	add("卷 vol. ", o.Volume)
	add("期 no. ", o.Issue)
	add("页 pp. ", o.Pages)
	return strings.Join(parts, "; ")
}

// KEV writes o back as an OpenURL 1.0 KEV query string (the fields
// ParseOpenURL reads; ParseOpenURL(o.KEV()) gives o back). The portal's
// sign-in carries it as the page to return to.
func (o OpenURL) KEV() string {
	v := url.Values{}
	v.Set("url_ver", KEVVersion)
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	format := o.Format
	if format == "" {
		format = "book"
	}
	v.Set("rft_val_fmt", "info:ofi/fmt:kev:mtx:"+format)
	set("rft.genre", o.Genre)
	if format == "journal" {
		set("rft.jtitle", o.JournalTitle)
	} else {
		set("rft.btitle", o.Title)
	}
	set("rft.atitle", o.ArticleTitle)
	set("rft.au", o.Author)
	set("rft.isbn", o.ISBN)
	set("rft.issn", o.ISSN)
	set("rft.pub", o.Publisher)
	set("rft.date", o.Date)
	set("rft.volume", o.Volume)
	set("rft.issue", o.Issue)
	set("rft.pages", o.Pages)
	if o.DOI != "" {
		v.Set("rft_id", "info:doi/"+o.DOI)
	}
	set("rfr_id", o.Source)
	return v.Encode()
}

// NormalizeSource cleans a request's source (an OpenURL rfr_id or sid,
// such as "info:sid/primo.exlibrisgroup.com" or "CNKI:CNKI"): trimmed,
// without control characters, at most SourceMax characters. Reports group
// requests by it as given.
func NormalizeSource(s string) string {
	return cleanKEV(s, SourceMax)
}

// cleanKEV makes a link's value safe to keep: valid UTF-8 (GB 18030 when
// the bytes are not UTF-8), control and format characters as spaces,
// spaces collapsed, trimmed, at most width characters.
func cleanKEV(s string, width int) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) {
		if d, err := simplifiedchinese.GB18030.NewDecoder().String(s); err == nil && utf8.ValidString(d) {
			s = d
		} else {
			s = strings.ToValidUTF8(s, "")
		}
	}
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || r == utf8.RuneError {
			space = b.Len() > 0
			continue
		}
		if n >= width {
			break
		}
		if space {
			if n+1 >= width {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// formatOfGenre is the metadata format a genre belongs to (0.1 links and
// 1.0 links without rft_val_fmt).
func formatOfGenre(genre string) string {
	switch genre {
	case "article", "journal", "issue", "preprint", "proceeding", "conference":
		return "journal"
	case "":
		return ""
	}
	return "book"
}

// joinName joins a last and a first name: without a space when the last
// name is written in Han characters (王 + 小明 = 王小明), else "last, first".
func joinName(last, first string) string {
	switch {
	case last == "":
		return first
	case first == "":
		return last
	}
	if r, _ := utf8.DecodeRuneInString(last); unicode.Is(unicode.Han, r) {
		return cleanKEV(last+first, openURLTextMax)
	}
	return cleanKEV(last+", "+first, openURLTextMax)
}

func pageRange(start, end string) string {
	switch {
	case start == "":
		return ""
	case end == "":
		return start
	}
	return cleanKEV(start+"-"+end, openURLShortMax)
}

// yearOf is the first run of four digits of a date (2019, 2019-05-01,
// "May 2019"); 0 when there is none or it is not a plausible year.
func yearOf(date string) int {
	for i := 0; i+4 <= len(date); i++ {
		if !isDigits(date[i:i+4]) || (i > 0 && isDigits(date[i-1:i])) {
			continue
		}
		if y, _ := strconv.Atoi(date[i : i+4]); y >= 1000 && y <= 2999 {
			return y
		}
	}
	return 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// SourceCount is how many requests one source sent in a period, and how
// many of them were filled (reached WILL_SUPPLY or later).
type SourceCount struct {
	Source   string // "" for requests that named none
	Requests int
	Filled   int
}

// RequestSources counts requests by where they came from (the sources
// report).
type RequestSources interface {
	// SourceCounts counts the requests submitted in [from, to) per source,
	// of borrowing library ("" = every library), most requests first,
	// then by source.
	SourceCounts(ctx context.Context, from, to time.Time, library string) ([]SourceCount, error)
}
