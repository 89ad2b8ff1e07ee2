package app

import (
	"context"
	"strings"

	"github.com/balis/illhub/ill"
)

// OpenURLLanding is where an OpenURL link lands a signed-in reader
// (GET /openurl): the record page of the one union record the link
// matches, or the manual request form prefilled with what the link gives.
type OpenURLLanding struct {
	// Link is the parsed link.
	Link ill.OpenURL
	// RecordID is the matched union record; 0: the manual form.
	RecordID int64
	// MatchedBy says how the record was found: "isbn", "title" (the
	// catalogue's citation match on title and author) or "search" (the
	// one search hit for the title and author); "" when none was.
	MatchedBy string
	// Item and Note prefill the manual form (RecordID 0): the book, or for
	// a journal article the journal's title with the article in Note.
	Item ill.Citation
	Note string
	// Article: the link asks for a journal article.
	Article bool
	// Copy: the link asks for a copy (an article, or a part of a book:
	// ill.OpenURL.IsCopy); it lands on the copy request form prefilled
	// with CopyItem, never on a record.
	Copy     bool
	CopyItem ill.Citation
	// Source is the link's rfr_id or sid (ill.NormalizeSource), to be
	// carried into the submit as its source.
	Source string
}

// OpenURL reads an OpenURL 1.0 KEV (or 0.1) link's query string and finds
// where it lands a reader of p's library: a book is matched to the union
// catalogue by ISBN, then by title and author (the catalogue's citation
// match, then a search whose only hit is taken); a book with no single
// match lands on the manual form; a journal article or a part of a book
// (genre bookitem) on the copy request form. Errors: bad_request
// when the link carries no title, ISBN or ISSN; unavailable.
func (s *Service) OpenURL(ctx context.Context, p ill.Principal, rawQuery string) (OpenURLLanding, error) {
	o, err := ill.ParseOpenURL(rawQuery)
	if err != nil {
		return OpenURLLanding{}, err
	}
	l := OpenURLLanding{Link: o, Item: o.Citation(), Note: o.ArticleNote(), Article: o.IsArticle(), Source: o.Source,
		Copy: o.IsCopy()}
	if l.Copy {
		l.CopyItem = o.CopyCitation()
		return l, nil
	}
	if _, ok := ill.NormalizeISBN(o.ISBN); ok {
		id, err := s.store.MatchCitation(ctx, ill.Citation{ISBN: o.ISBN})
		if err != nil {
			return OpenURLLanding{}, err
		}
		if id != 0 {
			l.RecordID, l.MatchedBy = id, "isbn"
			return l, nil
		}
	}
	if o.Title == "" {
		return l, nil
	}
	// Discovery layers write publishers and dates their own way: match on
	// title and author only; several editions are no match (the reader
	// chooses on the form, or staff in mediation).
	id, err := s.store.MatchCitation(ctx, ill.Citation{Title: o.Title, Author: o.Author})
	if err != nil {
		return OpenURLLanding{}, err
	}
	if id != 0 {
		l.RecordID, l.MatchedBy = id, "title"
		return l, nil
	}
	q := strings.TrimSpace(o.Title + " " + ill.FirstAuthor(o.Author))
	res, err := s.store.SearchFull(ctx, ill.SearchQuery{Q: q, Page: 1, PerPage: 2})
	if err != nil {
		if ill.ErrorCode(err) == ill.CodeBadRequest { // words the search cannot take: no match
			return l, nil
		}
		return OpenURLLanding{}, err
	}
	if res.Total == 1 && len(res.Hits) == 1 && !res.TotalCapped {
		l.RecordID, l.MatchedBy = res.Hits[0].Record.ID, "search"
	}
	return l, nil
}
