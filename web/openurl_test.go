package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// TestOpenURLIntake: a discovery layer's OpenURL 1.0 link sends a visitor
// through the reader sign-in and back, lands on the matched record with
// the link's rfr_id as the source, and the request made there keeps it
// (request JSON, sources report). Unmatched books land on the prefilled
// manual form, journal articles on the copy request form.
func TestOpenURLIntake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true})
	e.addReader("THU", "T001", "123456", false)
	b := e.browser()

	link := "/openurl?url_ver=Z39.88-2004&url_ctx_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Actx&ctx_enc=info%3Aofi%2Fenc%3AUTF-8" +
		"&rfr_id=info%3Asid%2Fprimo.exlibrisgroup.com&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Abook&rft.genre=book" +
		"&rft.btitle=" + url.QueryEscape("数据库系统概论（第5版）") + "&rft.au=" + url.QueryEscape("王珊") + "&rft.isbn=978-7-04-040664-1&rft.date=2014"
	p := b.get(link)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login?next=") {
		t.Fatalf("not signed in: %d %q", p.status, p.location)
	}
	next, _ := url.QueryUnescape(strings.TrimPrefix(p.location, "/login?next="))
	if !strings.HasPrefix(next, "/openurl?") || !strings.Contains(next, "rft.isbn=978-7-04-040664-1") {
		t.Fatalf("next %q", next)
	}
	mustContain(t, "login keeps next", b.get(p.location), `name="next" value="`+strings.ReplaceAll(next, "&", "&amp;")+`"`)
	p = b.post("/login", url.Values{"library": {"THU"}, "card": {"T001"}, "pin": {"123456"}, "next": {next}})
	if p.status != http.StatusSeeOther || p.location != next {
		t.Fatalf("sign-in: %d %q, want back to %q", p.status, p.location, next)
	}
	p = b.get(p.location)
	want := fmt.Sprintf("/records/%d?source=%s", rec, url.QueryEscape("info:sid/primo.exlibrisgroup.com"))
	if p.status != http.StatusSeeOther || p.location != want {
		t.Fatalf("matched book: %d %q, want %q", p.status, p.location, want)
	}
	p = b.get(p.location)
	mustContain(t, "record page carries the source", p, `name="source" value="info:sid/primo.exlibrisgroup.com"`, "数据库系统概论")
	p = b.post("/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {"ou1"}, "source": {"info:sid/primo.exlibrisgroup.com"}})
	id := requestIDFrom(t, p)
	r, err := e.st.GetRequest(context.Background(), id)
	if err != nil || r.Source != "info:sid/primo.exlibrisgroup.com" {
		t.Fatalf("stored source: %v %+v", err, r)
	}
	if code, out := e.apiCall("GET", "/v1/requests/"+id, "THU", nil); code != 200 || out["source"] != "info:sid/primo.exlibrisgroup.com" {
		t.Fatalf("request JSON: %d %v", code, out["source"])
	}
	code, out := e.apiCall("GET", "/v1/reports/sources?from=2026-03-01&to=2026-03-31", "THU", nil)
	rows, _ := out["rows"].([]any)
	if code != 200 || len(rows) != 1 || rows[0].(map[string]any)["source"] != "info:sid/primo.exlibrisgroup.com" ||
		rows[0].(map[string]any)["requests"] != float64(1) {
		t.Fatalf("sources report: %d %v", code, out)
	}

	// 0.1-style link of a book the union catalogue lacks: the manual form.
	p = b.get("/openurl?sid=Libsys%3AOPAC&genre=book&title=" + url.QueryEscape("没有的书") + "&aulast=" + url.QueryEscape("某") + "&isbn=9780000000002")
	mustContain(t, "manual form prefilled", p, `value="没有的书"`, `value="某"`, `value="9780000000002"`,
		`name="source" value="Libsys:OPAC"`, "已根据您来源页面的信息填好申请单")
	// A journal article: the copy request form (delivery_test.go has the rest).
	p = b.get("/openurl?url_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Ajournal&rft.genre=article&rft.jtitle=" +
		url.QueryEscape("图书情报工作") + "&rft.atitle=" + url.QueryEscape("馆际互借研究") + "&rft.issn=0252-3116&rft.volume=60&rft.spage=5&rft.epage=9")
	mustContain(t, "article", p, `id="copy-article-form"`, `value="图书情报工作"`, `value="馆际互借研究"`, `value="60"`, `value="5-9"`,
		"文献传递申请单")
	// Nothing to prefill.
	mustContain(t, "empty link", b.get("/openurl?url_ver=Z39.88-2004"), "无法自动填写")
	if p := b.get("/openurl?" + strings.Repeat("rft.btitle=x&", 10)); p.status != http.StatusOK {
		t.Fatalf("repeated keys: %d", p.status)
	}
	_ = ill.KEVVersion
}
