package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/pdf/pdftest"
	"github.com/xuri/excelize/v2"
)

// upload posts a multipart form (fields and a file part "file") with the
// browser's cookies and, unless fields name one, its CSRF token.
func (b *browser) upload(path string, fields map[string]string, name string, file []byte) page {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf"]; !ok {
		_ = mw.WriteField("csrf", b.csrf)
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.e.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(raw)}
}

var downloadRE = regexp.MustCompile(`/download/[A-Za-z0-9_.-]+`)

func mustLack(t *testing.T, what string, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(p.body, s) {
			t.Fatalf("%s: page (status %d) has %q", what, p.status, s)
		}
	}
}

// A copy request through the portal and the console on the real
// services: the reader's category set at registration and on the desk;
// the centre's subsidy and the supplier's price set in the console (and
// refused to who may not); a book part over a third of the book refused
// in the form; the request routed to the holding library, on its upload
// queue only (and the centre's); the supplier's upload through the
// request page's form making it DELIVERED; the reader's downloads with
// the link; the fee on the statement page, its CSV and its XLSX, for the
// supplier, the borrower and the centre, not for another member.
func TestCopyPagesEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	code, out := e.apiCall("POST", "/v1/readers", "THU", map[string]any{"id": "2023001", "name": "张三",
		"email": "zhang@example.edu.cn", "pin": "123456", "category": "undergraduate"})
	if code != 200 || out["category"] != "undergraduate" {
		t.Fatalf("POST /v1/readers with a category: %d %v", code, out)
	}
	if code, out := e.apiCall("POST", "/v1/readers", "THU", map[string]any{"id": "2023002", "pin": "123456",
		"category": "professor"}); code != 400 {
		t.Fatalf("unknown category: %d %v", code, out)
	}
	e.addStaff("THU", "wang", ill.StaffMember)
	e.addStaff("PKU", "li", ill.StaffMember)
	e.addStaff("PKU", "boss", ill.StaffLibraryAdmin)
	e.addStaff("RUC", "zhao", ill.StaffMember)
	e.addStaff(ill.CentreCode, "admin", ill.StaffCentreAdmin)
	thu, pku, boss, ruc, centre := e.browser(), e.browser(), e.browser(), e.browser(), e.browser()
	thu.staffLogin("THU", "wang", "secret-wang")
	pku.staffLogin("PKU", "li", "secret-li")
	boss.staffLogin("PKU", "boss", "secret-boss")
	ruc.staffLogin("RUC", "zhao", "secret-zhao")
	centre.staffLogin(ill.CentreCode, "admin", "secret-admin")

	// The desk changes the reader's category (a re-registration without
	// one keeps it).
	p := thu.get("/console/readers/2023001")
	mustContain(t, "desk reader", p, `id="category-form"`, `<dd id="reader-category">本科生</dd>`)
	if p := thu.post("/console/readers/2023001/category", url.Values{"category": {"postgraduate"}}); p.status != http.StatusSeeOther {
		t.Fatalf("set category: %d %s", p.status, p.body)
	}
	if p := thu.post("/console/readers/2023001/category", url.Values{"category": {"professor"}}); p.status != http.StatusBadRequest {
		t.Fatalf("bad category: %d", p.status)
	}
	if code, out := e.apiCall("POST", "/v1/readers", "THU", map[string]any{"id": "2023001", "name": "张三", "pin": "123456"}); code != 200 || out["category"] != "postgraduate" {
		t.Fatalf("re-registration without a category: %d %v", code, out)
	}
	mustContain(t, "desk reader after", thu.get("/console/readers/2023001"), `<dd id="reader-category">研究生</dd>`)

	// Prices and subsidies: the centre's subsidy, the supplier admin's
	// price; a member's staff may do neither.
	p = centre.get("/console/fees/copies")
	mustContain(t, "centre's copy fees", p, `id="subsidies"`, `data-subsidy-form="postgraduate"`, "研究生")
	if p := centre.post("/console/fees/copies/subsidy", url.Values{"category": {"postgraduate"}, "kind": {"share"}, "value": {"50"}}); p.status != http.StatusSeeOther {
		t.Fatalf("subsidy: %d %s", p.status, p.body)
	}
	if p := centre.post("/console/fees/copies/subsidy", url.Values{"category": {"faculty"}, "kind": {"share"}, "value": {"150"}}); p.status != http.StatusBadRequest {
		t.Fatalf("a share over 100%%: %d", p.status)
	}
	if p := thu.post("/console/fees/copies/subsidy", url.Values{"category": {"other"}, "kind": {"share"}, "value": {"100"}}); p.status != http.StatusForbidden {
		t.Fatalf("a member's subsidy: %d", p.status)
	}
	p = pku.get("/console/fees/copies")
	mustContain(t, "librarian's copy fees", p, `id="copy-price-current"`, `data-subsidy="postgraduate">50%`)
	mustLack(t, "librarian's copy fees", p, `id="copy-price-form"`, `data-subsidy-form=`)
	if p := pku.post("/console/fees/copies/price", url.Values{"library": {"PKU"}, "unit": {"page"}, "price": {"0.30"}}); p.status != http.StatusForbidden {
		t.Fatalf("a librarian's price: %d", p.status)
	}
	if p := boss.post("/console/fees/copies/price", url.Values{"library": {"THU"}, "unit": {"page"}, "price": {"0.30"}}); p.status != http.StatusForbidden {
		t.Fatalf("another library's price: %d", p.status)
	}
	if p := boss.post("/console/fees/copies/price", url.Values{"library": {"PKU"}, "unit": {"page"}, "price": {"11"}}); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, `value="11"`) {
		t.Fatalf("a price over the bound: %d", p.status)
	}
	if p := boss.post("/console/fees/copies/price", url.Values{"library": {"PKU"}, "unit": {"page"}, "price": {"0.30"}}); p.status != http.StatusSeeOther {
		t.Fatalf("price: %d %s", p.status, p.body)
	}
	mustContain(t, "price history", boss.get("/console/fees/copies"), `id="copy-price-history"`, "PKU/boss", "0.30", "按页")
	mustContain(t, "subsidy history", centre.get("/console/fees/copies?library=PKU"), `id="subsidy-history"`, "CENTRE/admin", "50%",
		`id="copy-price-form"`)

	// The reader's form: a part over a third of the book is refused with
	// what was typed; a valid part is routed to PKU.
	rd := e.browser()
	rd.readerLogin("THU", "2023001", "123456")
	p = rd.get("/request/copy")
	mustContain(t, "copy form", p, `id="copy-article-form"`, `id="copy-book-form"`, `name="rush"`, `href="/downloads"`)
	form := url.Values{"kind": {"book"}, "title": {"数据库系统概论"}, "isbn": {"9787040406641"}, "chapter": {"第1章 绪论"},
		"pages": {"1-4"}, "book_pages": {"9"}, "token": {"copy-1"}}
	p = rd.post("/requests/copy", form)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a part over a third: %d %s", p.status, p.body)
	}
	mustContain(t, "too large", p, "三分之一", `value="第1章 绪论"`, `value="1-4"`)
	form.Set("pages", "1-3")
	p = rd.post("/requests/copy", form)
	id := requestIDFrom(t, p)
	req := e.waitState(id, ill.Requested)
	if req.Lender != "PKU" || !req.ServiceType.IsCopy() || req.Citation.Chapter != "第1章 绪论" {
		t.Fatalf("copy request %+v", req)
	}
	mustContain(t, "reader's request", rd.get("/history/"+id), `id="copy-citation"`, "第1章 绪论", "1-3")

	// The upload queue: the supplier's and the centre's, not the
	// borrower's; copies only (a loan asked of PKU is not on it).
	code, out = e.apiCall("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "loan-1",
		"patron": map[string]any{"id": "2023005", "name": "李四"}, "record_id": strconv.FormatInt(rec, 10)})
	if code != http.StatusAccepted {
		t.Fatalf("loan: %d %v", code, out)
	}
	loan := out["request_id"].(string)
	e.waitState(loan, ill.Requested)
	mustContain(t, "PKU to answer", pku.get("/console/queue/to_answer"), `data-id="`+loan+`"`)
	p = pku.get("/console/copies")
	mustContain(t, "PKU queue", p, `id="copy-queue"`, `data-id="`+id+`"`)
	mustLack(t, "PKU queue", p, `data-id="`+loan+`"`)
	mustContain(t, "centre queue", centre.get("/console/copies"), `data-id="`+id+`"`)
	mustLack(t, "THU queue", thu.get("/console/copies"), `data-id="`+id+`"`)
	mustContain(t, "console link", pku.get("/console"), `href="/console/copies"`)

	// The request page: the upload form for the supplier only.
	mustContain(t, "PKU request page", pku.get("/console/requests/"+id), `id="copy-upload"`, `enctype="multipart/form-data"`, "第1章 绪论")
	p = thu.get("/console/requests/" + id)
	mustContain(t, "THU request page", p, `id="copy-citation"`, `id="copy-no-file"`)
	mustLack(t, "THU request page", p, `id="copy-upload"`)
	mustLack(t, "RUC request page", ruc.get("/console/requests/"+id), `id="copy-citation"`)

	// Uploads: without a session nothing is read; the borrower and a
	// file that is no PDF are refused; the supplier's PDF delivers.
	anon := e.browser()
	if p := anon.upload("/console/requests/"+id+"/file", map[string]string{"csrf": "x"}, "a.pdf", pdftest.Pages(3)); p.status != http.StatusUnauthorized {
		t.Fatalf("upload without a session: %d", p.status)
	}
	if p := thu.upload("/console/requests/"+id+"/file", nil, "a.pdf", pdftest.Pages(3)); p.status != http.StatusForbidden {
		t.Fatalf("the borrower's upload: %d %s", p.status, p.body)
	}
	if p := pku.upload("/console/requests/"+id+"/file", map[string]string{"csrf": "wrong"}, "a.pdf", pdftest.Pages(3)); p.status != http.StatusForbidden {
		t.Fatalf("upload without the CSRF token: %d", p.status)
	}
	// a body beyond a form's 64 KiB is read on the upload route only
	big := append([]byte("GIF89a"), bytes.Repeat([]byte{0}, 100<<10)...)
	if p := pku.upload("/console/requests/"+id+"/file", nil, "a.gif", big); p.status != http.StatusUnsupportedMediaType {
		t.Fatalf("a 100 KiB GIF: %d %s", p.status, p.body)
	}
	if p := boss.upload("/console/fees/copies/price", map[string]string{"library": "PKU", "unit": "page", "price": "0.30"}, "a.gif", big); p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 100 KiB form elsewhere: %d", p.status)
	}
	p = pku.upload("/console/requests/"+id+"/file", nil, "chapter1.pdf", pdftest.Pages(3))
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "msg=copy.uploaded") {
		t.Fatalf("upload: %d %q %s", p.status, p.location, p.body)
	}
	e.waitState(id, ill.Delivered)
	p = pku.get("/console/requests/" + id)
	mustContain(t, "delivered request page", p, `id="copy-files"`, "PKU/li", `data-file-state="stored"`, "0 / 5")
	mustLack(t, "delivered request page", p, `id="copy-upload"`)
	mustContain(t, "borrower sees the file", thu.get("/console/requests/"+id), `id="copy-files"`)
	mustLack(t, "queue after delivery", pku.get("/console/copies"), `data-id="`+id+`"`)

	// The reader's downloads: the link, 5 downloads left; the link works.
	p = rd.get("/downloads")
	mustContain(t, "downloads", p, `data-request="`+id+`"`, `data-left="5"`, `href="/download/`)
	link := downloadRE.FindString(p.body)
	res, err := http.Get(e.url + link)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !ill.LooksLikePDF(pdf) {
		t.Fatalf("download %s: %d", link, res.StatusCode)
	}
	mustContain(t, "downloads after one", rd.get("/downloads"), `data-left="4"`)
	mustContain(t, "no downloads of another reader", func() page {
		e.addReader("THU", "2023009", "123456", false)
		o := e.browser()
		o.readerLogin("THU", "2023009", "123456")
		return o.get("/downloads")
	}(), `id="no-downloads"`)
	// a reader registered without a category is shown (and kept) as other
	mustContain(t, "reader without a category", thu.get("/console/readers/2023009"), `<dd id="reader-category">其他读者</dd>`,
		`<option value="other" selected>`)

	// The fee: 3 pages at 0.30 元, half subsidised for a postgraduate.
	fees, err := e.st.CopyFeeList(context.Background(), ill.CopyFeeQuery{RequestID: id})
	if err != nil || len(fees) != 1 || fees[0].ChargeFen != 90 || fees[0].SubsidyFen != 45 || fees[0].Category != ill.CategoryPostgraduate {
		t.Fatalf("fee %+v %v", fees, err)
	}
	month := ill.MonthOf(ill.DateOf(fees[0].CreatedAt))

	// The statement: on the page and in the files of the supplier, the
	// borrower and the centre; not in another member's.
	stURL := "/console/violations/statement?month=" + month
	mustContain(t, "PKU statement", pku.get(stURL), `id="statement-copies"`, `data-copy-fee="`+id+`"`, "0.90", "0.45", "研究生")
	for _, b := range []*browser{pku, thu} {
		p := b.get(stURL + "&format=csv")
		if p.status != http.StatusOK || !strings.HasPrefix(p.body, "\uFEFF") {
			t.Fatalf("CSV: %d %q", p.status, p.body[:min(len(p.body), 40)])
		}
		mustContain(t, "CSV", p, "文献传递费用", id, "数据库系统概论", "0.90", "0.45", "文献传递费用合计（1 笔）")
	}
	mustContain(t, "centre CSV", centre.get(stURL+"&library=PKU&format=csv"), id)
	mustLack(t, "RUC CSV", ruc.get(stURL+"&format=csv"), id, "文献传递费用")
	mustLack(t, "RUC statement", ruc.get(stURL), `data-copy-fee="`)
	if p := ruc.get(stURL + "&library=PKU"); strings.Contains(p.body, id) {
		t.Fatal("a member reads another library's statement by naming it")
	}
	p = pku.get(stURL + "&format=xlsx&lang=en")
	f, err := excelize.OpenReader(strings.NewReader(p.body))
	if err != nil {
		t.Fatalf("XLSX: %v", err)
	}
	rows, err := f.GetRows("statement")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if len(r) >= 12 && r[1] == id && r[9] == "0.90" && r[10] == "0.45" && r[11] == "0.45" {
			found = true
		}
	}
	if !found {
		t.Fatalf("XLSX has no copy fee row for %s: %v", id, rows)
	}
}

// An OpenURL link for an article or a part of a book lands on the copy
// request form, prefilled (the DOI from rft_id); one with nothing to
// prefill still lands on the manual form.
func TestCopyOpenURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addReader("THU", "T001", "123456", false)
	b := e.browser()
	b.readerLogin("THU", "T001", "123456")
	q := url.Values{"url_ver": {"Z39.88-2004"}, "rft_val_fmt": {"info:ofi/fmt:kev:mtx:journal"}, "rft.genre": {"article"},
		"rft.jtitle": {"图书情报工作"}, "rft.issn": {"0252-3116"}, "rft.atitle": {"馆际互借研究"}, "rft.volume": {"60"},
		"rft.issue": {"3"}, "rft.spage": {"5"}, "rft.epage": {"9"}, "rft.date": {"2016"}, "rft.aulast": {"王"}, "rft.aufirst": {"小明"},
		"rft_id": {"info:doi/10.13266/j.issn.0252-3116.2016.03.001"}, "rfr_id": {"info:sid/cnki.net"}}
	p := b.get("/openurl?" + q.Encode())
	mustContain(t, "article link", p, `id="copy-article-form"`, `value="图书情报工作"`, `value="0252-3116"`, `value="馆际互借研究"`,
		`value="60"`, `value="3"`, `value="5-9"`, `value="2016"`, `value="王小明"`, `value="10.13266/j.issn.0252-3116.2016.03.001"`,
		`name="source" value="info:sid/cnki.net"`, "文献传递申请单")
	// submitted as it was prefilled: an article with an ISSN no member
	// holds is routed by the serial holdings (none here: unfilled)
	form := url.Values{"kind": {"article"}, "journal_title": {"图书情报工作"}, "issn": {"0252-3116"}, "article_title": {"馆际互借研究"},
		"volume": {"60"}, "issue": {"3"}, "pages": {"5-9"}, "year": {"2016"}, "doi": {"10.13266/j.issn.0252-3116.2016.03.001"},
		"source": {"info:sid/cnki.net"}, "rush": {"1"}, "token": {"art-1"}}
	id := requestIDFrom(t, b.post("/requests/copy", form))
	r, err := e.st.GetRequest(context.Background(), id)
	if err != nil || !r.Rush || r.Citation.DOI != "10.13266/j.issn.0252-3116.2016.03.001" || r.Source != "info:sid/cnki.net" || r.Year != 2016 {
		t.Fatalf("article request %+v %v", r, err)
	}
	// a bad ISSN is shown in the form with what was typed
	form.Set("issn", "1234-5678")
	form.Set("token", "art-2")
	p = b.post("/requests/copy", form)
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad ISSN: %d", p.status)
	}
	mustContain(t, "bad ISSN", p, `value="1234-5678"`, "ISSN")

	q = url.Values{"url_ver": {"Z39.88-2004"}, "rft.genre": {"bookitem"}, "rft.btitle": {"数据库系统概论"}, "rft.atitle": {"第2章 关系数据库"},
		"rft.isbn": {"9787040406641"}, "rft.pages": {"30-52"}, "rft.au": {"王珊"}}
	p = b.get("/openurl?" + q.Encode())
	mustContain(t, "bookitem link", p, `id="copy-book-form"`, `value="数据库系统概论"`, `value="第2章 关系数据库"`, `value="30-52"`,
		`value="9787040406641"`)
	mustContain(t, "bookitem link: the article form empty", p, `id="ca-journal" name="journal_title" value=""`)

	// a book (no part) is still a loan
	p = b.get("/openurl?" + url.Values{"url_ver": {"Z39.88-2004"}, "rft.genre": {"book"}, "rft.btitle": {"没有的书"}}.Encode())
	mustContain(t, "book link", p, `action="/requests"`)
	mustLack(t, "book link", p, `id="copy-article-form"`)
}
