package app_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
)

// TestOpenURLLanding: a book link lands on its union record (by ISBN,
// then by title and author), an unmatched book and a journal article on
// the prefilled manual form, and the link's rfr_id is kept as the source.
func TestOpenURLLanding(t *testing.T) {
	st := &memstore.Store{}
	st.PutRecord(ill.Record{ID: 7, ISBN13: "9787020002207", Title: "红楼梦", Author: "曹雪芹", Publisher: "人民文学出版社", Year: 1996},
		ill.HoldingView{Library: "PKU", Available: 1})
	st.PutRecord(ill.Record{ID: 8, Title: "围城", Author: "钱锺书 著", Publisher: "人民文学出版社", Year: 1991})
	st.PutRecord(ill.Record{ID: 9, Title: "活着", Author: "余华", Year: 2012})
	st.PutRecord(ill.Record{ID: 10, Title: "活着", Author: "余华", Year: 1998}) // two editions
	svc := app.New(app.Config{Store: st, Publisher: &memstore.Publisher{}, Clock: fixedClock{}})
	p := ill.Principal{Library: "THU"}
	kev := func(kv ...string) string {
		v := url.Values{"url_ver": {"Z39.88-2004"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	for _, tc := range []struct {
		name      string
		q         string
		record    int64
		by        string
		article   bool
		itemTitle string
		source    string
	}{
		{"isbn-10 of a record", kev("rft.isbn", "7-02-000220-X", "rft.btitle", "别的书", "rfr_id", "info:sid/primo.exlibrisgroup.com"), 7, "isbn", false, "", "info:sid/primo.exlibrisgroup.com"},
		{"isbn unknown, title and author", kev("rft.isbn", "9780000000002", "rft.btitle", "围城", "rft.au", "钱锺书"), 8, "search", false, "", ""},
		{"two editions: manual form", "title=%E6%B4%BB%E7%9D%80&au=%E4%BD%99%E5%8D%8E&sid=Libsys:OPAC", 0, "", false, "活着", "Libsys:OPAC"},
		{"not in the catalogue", kev("rft.btitle", "没有这本书", "rft.au", "某人"), 0, "", false, "没有这本书", ""},
		{"journal article", kev("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal", "rft.atitle", "红楼梦研究", "rft.jtitle", "文学评论", "rft.issn", "0511-4683"), 0, "", true, "文学评论", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := svc.OpenURL(context.Background(), p, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if l.RecordID != tc.record || l.MatchedBy != tc.by || l.Article != tc.article || l.Source != tc.source {
				t.Fatalf("landing %+v", l)
			}
			if tc.record == 0 && l.Item.Title != tc.itemTitle {
				t.Fatalf("prefill %+v", l.Item)
			}
			if tc.article && l.Note == "" {
				t.Fatal("an article's title belongs in the note")
			}
			// an article lands on the copy form with its copy citation
			if l.Copy != tc.article || (tc.article && (l.CopyItem.JournalTitle != "文学评论" || l.CopyItem.ArticleTitle != "红楼梦研究" ||
				l.CopyItem.ISSN != "0511-4683")) {
				t.Fatalf("copy landing %v %+v", l.Copy, l.CopyItem)
			}
		})
	}
	// a part of a book is a copy even when its ISBN is a record's: no
	// record page, the copy form with the chapter
	l, err := svc.OpenURL(context.Background(), p, kev("rft.genre", "bookitem", "rft.isbn", "7-02-000220-X", "rft.btitle", "别的书",
		"rft.atitle", "第三回", "rft.pages", "40-52"))
	if err != nil || !l.Copy || l.RecordID != 0 || l.CopyItem.Chapter != "第三回" || l.CopyItem.Pages != "40-52" || l.CopyItem.ISBN != "7-02-000220-X" {
		t.Fatalf("book part landing %+v %v", l, err)
	}
	if _, err := svc.OpenURL(context.Background(), p, "url_ver=Z39.88-2004&rft.au=x"); ill.ErrorCode(err) != ill.CodeBadRequest {
		t.Fatalf("empty link: %v", err)
	}
}

// TestSubmitSource: the source travels with the submit, cleaned and cut
// to ill.SourceMax (a label for reports is never a reason to refuse).
func TestSubmitSource(t *testing.T) {
	b := ill.SubmitBody{ClientRequestID: "c1", Patron: ill.Patron{ID: "R1"}, RecordID: "7", Source: " info:sid/x\n "}
	if err := app.ValidateSubmit(&b); err != nil || b.Source != "info:sid/x" {
		t.Fatalf("source %q, %v", b.Source, err)
	}
	long := make([]byte, ill.SourceMax+1)
	for i := range long {
		long[i] = 's'
	}
	b.Source = string(long)
	if err := app.ValidateSubmit(&b); err != nil || len(b.Source) != ill.SourceMax {
		t.Fatalf("long source cut to %d: %v", len(b.Source), err)
	}
}
