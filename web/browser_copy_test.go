package web_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/pdf/pdftest"
	"github.com/chromedp/chromedp"
)

// TestBrowserCopy walks a copy request (文献传递) in Debian's chromium: a
// THU reader fills the portal's article form for a journal only PKU
// holds; PKU's librarian finds it on the copies to deliver
// (/console/copies), opens it and uploads a PDF, which delivers it; the
// reader sees it under 我的下载 with a download link that serves the PDF.
// Screenshots go to docs/screenshots/ (16–18).
func TestBrowserCopy(t *testing.T) {
	t.Parallel()
	exe := chromiumPath(t)
	e := newEnv(t)
	e.addReader("THU", "THU2024011", "123456", true)
	e.addStaff("PKU", "copy", ill.StaffMember)
	// PKU holds the journal 图书情报工作 (ISSN 0252-3116), every year.
	if code, out := e.apiCall("POST", "/v1/holdings", "PKU", map[string]any{"upserts": []map[string]any{{
		"local_id": "J-PKU-0252", "title": "图书情报工作", "material": "journal", "issn": "0252-3116", "coverage": "",
		"copies": 1, "available": 1}}}); code != http.StatusAccepted {
		t.Fatalf("serial holdings: %d %v", code, out)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		_ = e.st.DB.Get(&n, `SELECT COUNT(*) FROM holdings WHERE issn = '0252-3116' AND library_code = 'PKU'`)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the serial holding was not stored")
		}
	}
	pdfPath := filepath.Join(t.TempDir(), "guanjihujie-yanjiu.pdf")
	if err := os.WriteFile(pdfPath, pdftest.Pages(3), 0o644); err != nil {
		t.Fatal(err)
	}
	const articleTitle = "高校图书馆馆际互借服务质量评价研究"

	// The reader fills the article form.
	rd := newBrowser(t, exe, 1280, 900)
	var text, loc string
	run(t, rd, "reader sign-in",
		chromedp.Navigate(e.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("card")),
		chromedp.SetValue(chromedp.ID("library"), "THU"),
		chromedp.SendKeys(chromedp.ID("card"), "THU2024011"),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("q")),
	)
	run(t, rd, "copy form",
		chromedp.Click(chromedp.CSS(`a[href="/request/copy"]`)),
		chromedp.WaitVisible(chromedp.ID("copy-article-form")),
		chromedp.SendKeys(chromedp.ID("ca-journal"), "图书情报工作"),
		chromedp.SendKeys(chromedp.ID("ca-issn"), "0252-3116"),
		chromedp.SendKeys(chromedp.ID("ca-year"), "2016"),
		chromedp.SendKeys(chromedp.ID("ca-volume"), "60"),
		chromedp.SendKeys(chromedp.ID("ca-issue"), "3"),
		chromedp.SendKeys(chromedp.ID("ca-pages"), "5-9"),
		chromedp.SendKeys(chromedp.ID("ca-title"), articleTitle),
		chromedp.SendKeys(chromedp.ID("ca-authors"), "王小明; 李华"),
		chromedp.SendKeys(chromedp.ID("ca-note"), "撰写学位论文需要，谢谢。"),
		into(&text, chromedp.Text(chromedp.CSS("h1"))),
		shot("16-portal-copy-form"),
	)
	if text != "文献传递" {
		t.Fatalf("copy form heading %q", text)
	}
	run(t, rd, "submit the copy request",
		chromedp.Click(chromedp.ID("copy-article-submit")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")), // the request page after the redirect
		into(&loc, chromedp.Location()),
	)
	m := regexp.MustCompile(`/history/([^?#]+)`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after submitting: %s", loc)
	}
	id := m[1]
	waitState(t, rd, ill.Requested)
	run(t, rd, "citation", into(&text, chromedp.Text(chromedp.ID("copy-citation"))))
	if !strings.Contains(text, articleTitle) || !strings.Contains(text, "0252-3116") || !strings.Contains(text, "5-9") {
		t.Fatalf("the reader's request shows %q", text)
	}
	if r := e.waitState(id, ill.Requested); r.Lender != "PKU" || !r.ServiceType.IsCopy() || r.Citation.ArticleTitle != articleTitle {
		t.Fatalf("copy request %+v", r)
	}

	// PKU's librarian: the copies to deliver, the request, the upload.
	pku := newBrowser(t, exe, 1280, 900)
	staffSignIn(t, pku, e.url, "PKU", "copy")
	var count, flash string
	run(t, pku, "copies to deliver",
		chromedp.Navigate(e.url+"/console/copies"),
		chromedp.WaitVisible(chromedp.ID("copy-queue")),
		into(&count, chromedp.Text(chromedp.CSS(`[data-count="to_deliver"]`))),
		into(&text, chromedp.Text(chromedp.CSS(`#copy-queue tr[data-id="`+id+`"]`))),
	)
	if count != "1" || !strings.Contains(text, articleTitle) || !strings.Contains(text, "THU图书馆") ||
		!strings.Contains(text, ill.Requested.Label("zh")) {
		t.Fatalf("copies to deliver: count %q, row %q", count, text)
	}
	run(t, pku, "open and upload",
		chromedp.Click(chromedp.CSS(`#copy-queue tr[data-id="`+id+`"] a.button`)),
		chromedp.WaitVisible(chromedp.ID("copy-upload")),
		chromedp.SetUploadFiles(chromedp.ID("copy-file"), []string{pdfPath}),
		chromedp.Click(chromedp.ID("copy-upload-submit")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
		into(&flash, chromedp.Text(chromedp.CSS("p.flash"))),
		chromedp.WaitVisible(chromedp.ID("copy-files")),
		into(&text, chromedp.Text(chromedp.ID("copy-files"))),
	)
	if !strings.Contains(flash, "文件已上传") || !strings.Contains(text, "PKU/copy") || !strings.Contains(text, "0 / 5") {
		t.Fatalf("after the upload: flash %q, files %q", flash, text)
	}
	e.waitState(id, ill.Delivered)
	waitState(t, pku, ill.Delivered)
	var stored int
	run(t, pku, "the delivered request",
		chromedp.WaitVisible(chromedp.ID("copy-files")),
		into(&stored, chromedp.Evaluate[int](`document.querySelectorAll('#copy-files [data-file-state="stored"]').length`)),
		shot("17-console-copy-upload"),
	)
	if stored != 1 {
		t.Fatalf("%d stored files on the request page, want 1", stored)
	}
	run(t, pku, "the queue after delivery",
		chromedp.Navigate(e.url+"/console/copies"),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="to_deliver"]`)),
		into(&count, chromedp.Text(chromedp.CSS(`[data-count="to_deliver"]`))),
	)
	if count != "0" {
		t.Fatalf("copies to deliver after the upload: %q", count)
	}

	// The reader's downloads: the copy, 5 downloads left, the link.
	var left string
	var link chromedp.AttributeResult
	run(t, rd, "downloads",
		chromedp.Navigate(e.url+"/history"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/downloads"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/downloads"]`)),
		chromedp.WaitVisible(chromedp.ID("downloads")),
		into(&text, chromedp.Text(chromedp.CSS(`#downloads tr[data-request="`+id+`"]`))),
		into(&left, chromedp.Text(chromedp.CSS(`#downloads tr[data-request="`+id+`"] [data-left]`))),
		into(&link, chromedp.AttributeValue(chromedp.CSS(`a[data-download="`+id+`"]`), "href")),
		shot("18-portal-downloads"),
	)
	var h1 string
	run(t, rd, "heading", into(&h1, chromedp.Text(chromedp.CSS("h1"))))
	href := link.Value
	if h1 != "我的下载" || !strings.Contains(text, articleTitle) || left != "5" || !strings.HasPrefix(href, "/download/") {
		t.Fatalf("downloads: heading %q, row %q, left %q, link %q", h1, text, left, href)
	}
	res, err := http.Get(e.url + href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !ill.LooksLikePDF(body) {
		t.Fatalf("download %s: %d %q", href, res.StatusCode, body[:min(len(body), 40)])
	}
}
