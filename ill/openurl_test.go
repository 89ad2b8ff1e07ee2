package ill

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestParseOpenURL(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("红楼梦")
	for _, tc := range []struct {
		name, q string
		want    OpenURL
		article bool
		err     bool
	}{
		{name: "primo book", q: "url_ver=Z39.88-2004&url_ctx_fmt=info:ofi/fmt:kev:mtx:ctx&rfr_id=info:sid/primo.exlibrisgroup.com" +
			"&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=book&rft.btitle=%E7%BA%A2%E6%A5%BC%E6%A2%A6&rft.au=%E6%9B%B9%E9%9B%AA%E8%8A%B9" +
			"&rft.isbn=978-7-02-000220-7&rft.pub=%E4%BA%BA%E6%B0%91%E6%96%87%E5%AD%A6%E5%87%BA%E7%89%88%E7%A4%BE&rft.date=1996",
			want: OpenURL{Version: "1.0", Format: "book", Genre: "book", Title: "红楼梦", Author: "曹雪芹", ISBN: "978-7-02-000220-7",
				Publisher: "人民文学出版社", Date: "1996", Year: 1996, Source: "info:sid/primo.exlibrisgroup.com"}},
		{name: "title instead of btitle, aulast+aufirst Han", q: "url_ver=Z39.88-2004&rft.title=%E5%9B%B4%E5%9F%8E&rft.aulast=%E9%92%B1&rft.aufirst=%E9%94%BA%E4%B9%A6&rft.date=2017-05",
			want: OpenURL{Version: "1.0", Title: "围城", Author: "钱锺书", Date: "2017-05", Year: 2017}},
		{name: "latin aulast", q: "url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.btitle=Dune&rft.aulast=Herbert&rft.aufirst=Frank",
			want: OpenURL{Version: "1.0", Format: "book", Title: "Dune", Author: "Herbert, Frank"}},
		{name: "journal article", q: "url_ver=Z39.88-2004&rfr_id=info:sid/summon.serialssolutions.com&rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article" +
			"&rft.atitle=On+things&rft.jtitle=Nature&rft.issn=0028-0836&rft.volume=5&rft.issue=2&rft.spage=10&rft.epage=20&rft.date=May+2019",
			want: OpenURL{Version: "1.0", Format: "journal", Genre: "article", JournalTitle: "Nature", ArticleTitle: "On things", ISSN: "0028-0836",
				Volume: "5", Issue: "2", Pages: "10-20", Date: "May 2019", Year: 2019, Source: "info:sid/summon.serialssolutions.com"}, article: true},
		{name: "0.1 link", q: "sid=Libsys:OPAC&genre=book&title=%E6%B4%BB%E7%9D%80&isbn=7506365437&aulast=%E4%BD%99%E5%8D%8E&date=2012",
			want: OpenURL{Version: "0.1", Format: "book", Genre: "book", Title: "活着", Author: "余华", ISBN: "7506365437", Date: "2012", Year: 2012, Source: "Libsys:OPAC"}},
		{name: "0.1 article", q: "genre=article&title=J&atitle=A&issn=1234-5678",
			want: OpenURL{Version: "0.1", Format: "journal", Genre: "article", JournalTitle: "J", ArticleTitle: "A", ISSN: "1234-5678"}, article: true},
		{name: "GBK bytes", q: "title=" + url.QueryEscape(gbk) + "&sid=x", want: OpenURL{Version: "0.1", Title: "红楼梦", Source: "x"}},
		{name: "isbn in rft_id", q: "url_ver=Z39.88-2004&rft_id=urn:ISBN:9787020002207&rft.btitle=x",
			want: OpenURL{Version: "1.0", Title: "x", ISBN: "9787020002207"}},
		{name: "controls and spaces", q: "url_ver=Z39.88-2004&rft.btitle=%20a%0A%0Db%09%E2%80%8Bc%20&rfr_id=%00evil%1b",
			want: OpenURL{Version: "1.0", Title: "a b c", Source: "evil"}},
		{name: "case-insensitive keys", q: "URL_VER=Z39.88-2004&RFT.BTITLE=T&RFT.ISBN=1", want: OpenURL{Version: "1.0", Title: "T", ISBN: "1"}},
		{name: "nothing to prefill", q: "url_ver=Z39.88-2004&rft.au=x", err: true},
		{name: "empty", q: "", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOpenURL(tc.q)
			if tc.err {
				if ErrorCode(err) != CodeBadRequest {
					t.Fatalf("err = %v, want bad_request", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			if got.IsArticle() != tc.article {
				t.Fatalf("IsArticle = %v", got.IsArticle())
			}
		})
	}
}

func TestOpenURLCitationAndNote(t *testing.T) {
	o, _ := ParseOpenURL("url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.atitle=A&rft.jtitle=J&rft.issn=1&rft.volume=2&rft.pages=3-4&rft.isbn=9")
	if c := o.Citation(); c.Title != "J" || c.ISBN != "" {
		t.Fatalf("article citation %+v", c)
	}
	if n := o.ArticleNote(); !strings.Contains(n, "A") || !strings.Contains(n, "ISSN 1") || !strings.Contains(n, "2") || !strings.Contains(n, "3-4") {
		t.Fatalf("note %q", n)
	}
	b, _ := ParseOpenURL("url_ver=Z39.88-2004&rft.btitle=B&rft.isbn=9787020002207&rft.date=2001")
	if c := b.Citation(); c.Title != "B" || c.ISBN != "9787020002207" || c.Year != 2001 {
		t.Fatalf("book citation %+v", c)
	}
	if b.ArticleNote() != "" {
		t.Fatalf("book note %q", b.ArticleNote())
	}
}

// TestOpenURLCopy: articles and book parts are copies, with the copy
// citation the copy form is prefilled with (the DOI from rft_id or, in a
// 0.1 link, id); a book is no copy; a DOI alone is enough to prefill.
func TestOpenURLCopy(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    string
		copy bool
		want Citation
	}{
		{"article", "url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article&rft.jtitle=J&rft.atitle=A" +
			"&rft.issn=0028-0836&rft.volume=5&rft.issue=2&rft.spage=10&rft.epage=20&rft.date=2019-05&rft.aulast=Smith&rft.aufirst=Jo" +
			"&rft_id=urn:ISBN:1&rft_id=info:doi/10.1038/nature123", true,
			Citation{JournalTitle: "J", ArticleTitle: "A", ISSN: "0028-0836", Volume: "5", Issue: "2", Pages: "10-20", Year: 2019,
				Authors: "Smith, Jo", DOI: "10.1038/nature123"}},
		{"book part", "url_ver=Z39.88-2004&rft.genre=bookitem&rft.btitle=B&rft.atitle=Ch%203&rft.isbn=9787020002207&rft.pages=30-52&rft.au=W",
			true, Citation{Title: "B", Author: "W", ISBN: "9787020002207", Chapter: "Ch 3", Pages: "30-52"}},
		{"0.1 article with a DOI", "genre=article&title=J&atitle=A&id=doi:10.1/x", true,
			Citation{JournalTitle: "J", ArticleTitle: "A", DOI: "10.1/x"}},
		{"a DOI only", "url_ver=Z39.88-2004&rft.genre=article&rft_id=info:doi/10.1/y", true, Citation{DOI: "10.1/y"}},
		{"book", "url_ver=Z39.88-2004&rft.genre=book&rft.btitle=B&rft.atitle=Ch", false,
			Citation{Title: "B", Chapter: "Ch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseOpenURL(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if o.IsCopy() != tc.copy || o.CopyCitation() != tc.want {
				t.Fatalf("IsCopy %v, CopyCitation %+v", o.IsCopy(), o.CopyCitation())
			}
			back, err := ParseOpenURL(o.KEV())
			if err != nil || back.CopyCitation() != o.CopyCitation() || back.IsCopy() != o.IsCopy() {
				t.Fatalf("KEV %q reads back as %+v (%v)", o.KEV(), back, err)
			}
		})
	}
}

func TestOpenURLWidths(t *testing.T) {
	o, err := ParseOpenURL("rft.btitle=" + strings.Repeat("书", 1000) + "&rfr_id=" + strings.Repeat("s", 1000) + "&rft.isbn=" + strings.Repeat("1", 100))
	if err != nil {
		t.Fatal(err)
	}
	if utf8.RuneCountInString(o.Title) != openURLTitleMax || len(o.Source) != SourceMax || len(o.ISBN) != openURLCodeMax {
		t.Fatalf("widths %d %d %d", utf8.RuneCountInString(o.Title), len(o.Source), len(o.ISBN))
	}
}

// FuzzParseOpenURL: any query string parses without panic into clean,
// bounded fields, and the KEV it writes back reads as the same citation.
func FuzzParseOpenURL(f *testing.F) {
	for _, s := range []string{"url_ver=Z39.88-2004&rft.btitle=%E7%BA%A2&rft.isbn=1", "title=a&sid=b", "genre=article&atitle=x&issn=1",
		"rft.aulast=%E9%92%B1&rft.aufirst=x&rft.title=y", "%zz;title=a", "rft_val_fmt=x:&rft.title=%ff%fe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		o, err := ParseOpenURL(q)
		if err != nil {
			return
		}
		for _, s := range []string{o.Title, o.JournalTitle, o.ArticleTitle, o.Author, o.ISBN, o.ISSN, o.Publisher, o.Date, o.Source, o.Format, o.Genre, o.Pages, o.DOI} {
			if !utf8.ValidString(s) || s != strings.TrimSpace(s) || strings.ContainsAny(s, "\x00\r\n\t") {
				t.Fatalf("unclean field %q in %+v", s, o)
			}
			if utf8.RuneCountInString(s) > openURLTitleMax {
				t.Fatalf("field too long: %q", s)
			}
		}
		back, err := ParseOpenURL(o.KEV())
		if err != nil {
			t.Fatalf("KEV %q does not parse: %v", o.KEV(), err)
		}
		if back.Citation() != o.Citation() || back.ArticleNote() != o.ArticleNote() || back.Source != o.Source || back.IsArticle() != o.IsArticle() ||
			back.CopyCitation() != o.CopyCitation() {
			t.Fatalf("round trip:\n %+v\n %+v", o, back)
		}
	})
}
