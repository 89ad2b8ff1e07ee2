package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// chromiumPath finds Debian's chromium (ILL_CHROMIUM overrides). Without
// one the browser test is skipped, unless ILL_REQUIRE_BROWSER=1 (CI),
// where it fails.
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("ILL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ILL_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium found and ILL_REQUIRE_BROWSER=1: apt-get install chromium (scripts/test.sh does)")
	}
	t.Skip("no chromium on this machine (apt-get install chromium); set ILL_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// newBrowser starts a headless chromium with its own profile (cookies).
func newBrowser(t *testing.T, exe string, w, h int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(w, h), chromedp.Flag("lang", "zh-CN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil { // starts the browser (no timeout on this first run)
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel3 := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// shot saves a full-page PNG under docs/screenshots.
func shot(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		dir := filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	}
}

// into runs a into *dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// waitState reloads the request page until its state label is want (the
// consumers apply a submit or action asynchronously).
func waitState(t *testing.T, ctx context.Context, want ill.State) {
	t.Helper()
	var text string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		run(t, ctx, "read the state", chromedp.WaitVisible(chromedp.ID("state")), into(&text, chromedp.Text(chromedp.ID("state"))))
		if text == want.Label("zh") {
			return
		}
		run(t, ctx, "reload", chromedp.Reload())
	}
	t.Fatalf("state %q, want %q", text, want.Label("zh"))
}

// run runs steps in the browser tab, failing the test on error.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// TestBrowser drives Debian's chromium through the whole flow: a reader
// signs in, searches a Chinese title, requests it, sees it in the history
// and cancels; requests again; the lender's staff sees it in "to answer"
// and accepts; a report page renders its chart and its XLSX holds the same
// numbers. Screenshots of the main pages go to docs/screenshots/.
func TestBrowser(t *testing.T) {
	t.Parallel()
	exe := chromiumPath(t)
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "9787040406641", "数据库系统概论", "王珊",
		testenv.Holding{Library: "PKU", Available: 2, Lendable: true}, testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	testenv.Record(t, e.st, "9787111544937", "深入理解计算机系统", "布莱恩特", testenv.Holding{Library: "BNU", Available: 1, Lendable: true})
	e.addReader("THU", "THU2024001", "123456", false)
	e.addStaff("PKU", "staff", "staff")
	e.addStaff("THU", "staff", "staff")

	// Reader, on a desktop window.
	b := newBrowser(t, exe, 1280, 900)
	var text string
	run(t, b, "reader sign-in",
		chromedp.Navigate(e.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("card")),
		shot("01-reader-login"),
		chromedp.SetValue(chromedp.ID("library"), "THU"),
		chromedp.SendKeys(chromedp.ID("card"), "THU2024001"),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("q")),
	)
	run(t, b, "search a Chinese title",
		chromedp.SendKeys(chromedp.ID("q"), "数据库"),
		chromedp.Click(chromedp.ID("search-button")),
		chromedp.WaitVisible(chromedp.ID("results")),
		into(&text, chromedp.Text(chromedp.CSS(`#results tbody`))),
		shot("02-search-results"),
	)
	if !strings.Contains(text, "数据库系统概论") {
		t.Fatalf("results: %q", text)
	}
	run(t, b, "record details",
		chromedp.Click(chromedp.CSS(`#results tbody a`)),
		chromedp.WaitVisible(chromedp.ID("holdings")),
		into(&text, chromedp.Text(chromedp.ID("holdings"))),
		shot("03-record-holdings"),
	)
	if !strings.Contains(text, "TP311.13/12") || !strings.Contains(text, "PKU") {
		t.Fatalf("holdings: %q", text)
	}
	run(t, b, "request (馆际互借)",
		chromedp.Click(chromedp.ID("ill-request")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")), // the request page after the redirect
	)
	waitState(t, b, ill.Requested)
	run(t, b, "screenshot", shot("04-request-submitted"))
	run(t, b, "history",
		chromedp.Navigate(e.url+"/history"),
		chromedp.WaitVisible(chromedp.ID("history")),
		into(&text, chromedp.Text(chromedp.CSS(`#history tbody`))),
		shot("05-history"),
	)
	if !strings.Contains(text, "数据库系统概论") || !strings.Contains(text, ill.Requested.Label("zh")) {
		t.Fatalf("history: %q", text)
	}
	run(t, b, "cancel",
		chromedp.Click(chromedp.CSS(`#history tbody a`)),
		chromedp.WaitVisible(chromedp.ID("cancel-request")),
		chromedp.Click(chromedp.ID("cancel-request")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")), // only after the redirect
	)
	waitState(t, b, ill.Cancelled)
	// Request again, for the lender to answer.
	run(t, b, "request again",
		chromedp.Navigate(fmt.Sprintf("%s/records/%d", e.url, rec)),
		chromedp.WaitVisible(chromedp.ID("ill-request")),
		chromedp.Click(chromedp.ID("ill-request")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	waitState(t, b, ill.Requested)
	run(t, b, "english",
		chromedp.Navigate(e.url+"/history?lang=en"),
		chromedp.WaitVisible(chromedp.ID("history")),
		shot("06-history-english"),
	)
	reqs, _, err := e.st.ListRequests(context.Background(), mysqlFilter("THU", "THU2024001"))
	if err != nil || len(reqs) != 2 {
		t.Fatalf("requests: %v %v", reqs, err)
	}
	id := reqs[0].ID // the one not cancelled (both were submitted at the same test-clock instant)
	if reqs[0].State == ill.Cancelled {
		id = reqs[1].ID
	}

	// The reader's search page on a phone.
	m := newBrowser(t, exe, 390, 844)
	run(t, m, "phone",
		chromedp.Navigate(e.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("card")),
		chromedp.SetValue(chromedp.ID("library"), "THU"),
		chromedp.SendKeys(chromedp.ID("card"), "THU2024001"),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.Navigate(e.url+"/search?q="+"数据库"),
		chromedp.WaitVisible(chromedp.ID("results")),
		shot("07-search-phone"),
	)

	// The lender's staff accepts from "to answer".
	s := newBrowser(t, exe, 1280, 900)
	run(t, s, "staff sign-in",
		chromedp.Navigate(e.url+"/staff/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SetValue(chromedp.ID("library"), "PKU"),
		chromedp.SendKeys(chromedp.ID("username"), "staff"),
		chromedp.SendKeys(chromedp.ID("password"), "secret-staff"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="to_answer"]`)),
		into(&text, chromedp.Text(chromedp.CSS(`[data-count="to_answer"]`))),
		shot("08-console-to-answer"),
	)
	if text != "1" {
		t.Fatalf("to answer count %q", text)
	}
	run(t, s, "accept",
		chromedp.Click(chromedp.CSS(`table[data-queue="to_answer"] tr[data-id="`+id+`"] button[data-action="respond-will_supply"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="to_ship"]`)),
	)
	e.waitState(id, ill.WillSupply)
	run(t, s, "request timeline",
		chromedp.Navigate(e.url+"/console/requests/"+id),
		chromedp.WaitVisible(chromedp.ID("timeline")),
		shot("09-console-request"),
	)

	// The borrower's staff reads the summary report.
	r := newBrowser(t, exe, 1280, 900)
	var bars int
	var borrowed string
	run(t, r, "report",
		chromedp.Navigate(e.url+"/staff/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SetValue(chromedp.ID("library"), "THU"),
		chromedp.SendKeys(chromedp.ID("username"), "staff"),
		chromedp.SendKeys(chromedp.ID("password"), "secret-staff"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="to_answer"]`)),
		chromedp.Navigate(e.url+"/console/reports?report=summary"),
		chromedp.WaitVisible(chromedp.CSS(`#chart svg`)),
		into(&bars, chromedp.Evaluate[int](`document.querySelectorAll('#chart svg rect.bar').length`)),
		into(&borrowed, chromedp.Text(chromedp.CSS(`#report-table td[data-key="borrowed"]`))),
		shot("10-report-summary"),
	)
	if bars == 0 || borrowed != "2" {
		t.Fatalf("report: %d bars, borrowed %q", bars, borrowed)
	}
	// Its XLSX, downloaded with the browser's session cookie (HttpOnly:
	// read through the DevTools protocol).
	href := get(t, r, "download link", chromedp.AttributeValue(chromedp.ID("download-xlsx"), "href")).Value
	cookies := get(t, r, "cookies", func(ctx context.Context, tg *chromedp.Target) (*network.GetCookiesResult, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{e.url}})
		return &res, err
	}).Cookies
	req, _ := http.NewRequest("GET", e.url+href, nil)
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	wb, err := excelize.OpenReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("xlsx (status %d): %v", res.StatusCode, err)
	}
	rows, err := wb.GetRows("summary")
	// name, code, figures…; the consortium's totals row last
	if err != nil || len(rows) != 3 || rows[1][1] != "THU" || rows[1][2] != borrowed {
		t.Fatalf("xlsx rows %v (%v), page borrowed %q", rows, err, borrowed)
	}
}
