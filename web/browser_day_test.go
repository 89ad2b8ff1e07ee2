package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/chromedp/chromedp"
)

// staffSignIn signs a browser in to the console.
func staffSignIn(t *testing.T, ctx context.Context, url, lib, user string) {
	t.Helper()
	run(t, ctx, "staff sign-in "+lib,
		chromedp.Navigate(url+"/staff/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SetValue(chromedp.ID("library"), lib),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), "secret-"+user),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`[data-count]`)),
	)
}

// scanAndDo types barcode into the desk's scan field as a scanner does
// (the code, then Enter), checks that the one action offered is want, and
// clicks it (ticking "damaged" first when asked).
func scanAndDo(t *testing.T, ctx context.Context, url, barcode string, want ill.Action, damaged bool, shotName string) {
	t.Helper()
	var offered []string
	run(t, ctx, "scan "+barcode,
		chromedp.Navigate(url+"/console/desk/scan"),
		chromedp.WaitVisible(chromedp.ID("barcode")),
		chromedp.SendKeys(chromedp.ID("barcode"), " "+barcode+"\r"),
		chromedp.WaitVisible(chromedp.ID("desk-hits")),
		into(&offered, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#desk-hits button[data-action]')].map(b => b.dataset.action)`)),
	)
	if len(offered) != 1 || offered[0] != string(want) {
		t.Fatalf("scanning %s offers %v, want just %s", barcode, offered, want)
	}
	if shotName != "" {
		run(t, ctx, "screenshot", shot(shotName))
	}
	steps := []chromedp.Action[chromedp.Void]{}
	if damaged {
		steps = append(steps, chromedp.Click(chromedp.CSS(`#desk-hits input[name="damaged"]`)))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`#desk-hits button[data-action="`+string(want)+`"]`)),
		chromedp.WaitReady(chromedp.CSS("body")))
	run(t, ctx, string(want), steps...)
}

// TestBrowserLibrarianDay walks a borrowing librarian's day in Debian's
// chromium, every step through the console: THU finds its request by the
// item's barcode and sees it with the lender, exchanges a note with PKU,
// receives the book by scanning it, checks it out, takes it back damaged
// and ships it back; PKU checks it in and settles the damage violation;
// the centre publishes an announcement that a visitor sees on the home
// page. Screenshots go to docs/screenshots/.
func TestBrowserLibrarianDay(t *testing.T) {
	t.Parallel()
	exe := chromiumPath(t)
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "9787302423287", "操作系统概念", "西尔伯沙茨",
		testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	e.addReader("THU", "THU2024007", "123456", true)
	e.addStaff("THU", "desk", ill.StaffMember)
	e.addStaff("PKU", "lend", ill.StaffMember)
	e.addStaff(ill.CentreCode, "admin", ill.StaffCentreAdmin)

	// A reader's request, sent to PKU, accepted and shipped by PKU's system.
	code, out := e.apiCall("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "day-1",
		"patron": map[string]any{"id": "THU2024007"}, "record_id": fmt.Sprint(rec)})
	if code != 202 {
		t.Fatalf("submit: %d %v", code, out)
	}
	id := out["request_id"].(string)
	e.waitState(id, ill.Requested)
	if code, out := e.apiCall("POST", "/v1/requests/"+id+"/respond", "PKU", map[string]any{"decision": "will_supply"}); code != 202 {
		t.Fatalf("respond: %d %v", code, out)
	}
	e.waitState(id, ill.WillSupply)
	const barcode = "31000077001"
	if code, out := e.apiCall("POST", "/v1/requests/"+id+"/ship", "PKU", map[string]any{"item_barcode": barcode}); code != 202 {
		t.Fatalf("ship: %d %v", code, out)
	}
	e.waitState(id, ill.Shipped)

	thu := newBrowser(t, exe, 1280, 900)
	staffSignIn(t, thu, e.url, "THU", "desk")
	var text string
	// Find it by the barcode: the search goes straight to the one request.
	run(t, thu, "search by barcode",
		chromedp.Navigate(e.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="with_lender"]`)),
		into(&text, chromedp.Text(chromedp.CSS(`[data-count="with_lender"]`))),
	)
	if text != "1" {
		t.Fatalf(`"with a lender" counts %q, want 1`, text)
	}
	run(t, thu, "search",
		chromedp.Navigate(e.url+"/console/search?q="+barcode),
		chromedp.WaitVisible(chromedp.ID("state")),
		into(&text, chromedp.Text(chromedp.CSS(`dl.meta`))),
		shot("11-console-found-by-barcode"),
	)
	if !strings.Contains(text, id) || !strings.Contains(text, "PKU图书馆") || !strings.Contains(text, ill.Shipped.Label("zh")) {
		t.Fatalf("found request: %q", text)
	}

	// A note to the lender; PKU sees it unread, reads it and answers.
	run(t, thu, "note",
		chromedp.SendKeys(chromedp.ID("note-text"), "读者急需，请尽快寄出，谢谢。"),
		chromedp.Click(chromedp.ID("note-send")),
		chromedp.WaitVisible(chromedp.CSS(`#notes li[data-note]`)),
	)
	pku := newBrowser(t, exe, 1280, 900)
	staffSignIn(t, pku, e.url, "PKU", "lend")
	run(t, pku, "unread notes",
		chromedp.Navigate(e.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="unread_notes"]`)),
		into(&text, chromedp.Text(chromedp.CSS(`[data-count="unread_notes"]`))),
	)
	if text != "1" {
		t.Fatalf("the lender's console counts %q unread notes, want 1", text)
	}
	run(t, pku, "read and answer",
		chromedp.Navigate(e.url+"/console/requests/"+id),
		chromedp.WaitVisible(chromedp.ID("note-text")),
		into(&text, chromedp.Text(chromedp.ID("notes"))),
		chromedp.SendKeys(chromedp.ID("note-text"), "已于今天寄出，请注意查收。"),
		chromedp.Click(chromedp.ID("note-send")),
		chromedp.WaitVisible(chromedp.CSS(`#notes li[data-note]:nth-of-type(2)`)),
	)
	if !strings.Contains(text, "读者急需") {
		t.Fatalf("the lender does not see the note: %q", text)
	}
	run(t, thu, "the answer",
		chromedp.Navigate(e.url+"/console/requests/"+id),
		chromedp.WaitVisible(chromedp.ID("notes")),
		into(&text, chromedp.Text(chromedp.ID("notes"))),
		shot("12-console-notes"),
	)
	if !strings.Contains(text, "已于今天寄出") {
		t.Fatalf("the borrower does not see the answer: %q", text)
	}

	// The parcel arrives: scan, receive; scan, check out to the reader.
	scanAndDo(t, thu, e.url, barcode, ill.ActReceive, false, "13-desk-scan-receive")
	e.waitState(id, ill.Received)
	scanAndDo(t, thu, e.url, barcode, ill.ActCheckout, false, "")
	e.waitState(id, ill.OnLoan)
	// The reader brings it back damaged; THU ships it back.
	scanAndDo(t, thu, e.url, barcode, ill.ActReturn, true, "")
	e.waitState(id, ill.Returned)
	scanAndDo(t, thu, e.url, barcode, ill.ActShipReturn, false, "")
	e.waitState(id, ill.ReturnShipped)

	// PKU checks it in at its own desk; the return check records the
	// damage, which PKU settles.
	scanAndDo(t, pku, e.url, barcode, ill.ActCheckin, true, "")
	e.waitState(id, ill.Completed)
	var settled string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		var n int
		run(t, pku, "violations",
			chromedp.Navigate(e.url+"/console/violations"),
			chromedp.WaitVisible(chromedp.ID("violation-filters")),
			into(&n, chromedp.Evaluate[int](`document.querySelectorAll('form.settle').length`)),
		)
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no damage violation to settle")
		}
	}
	run(t, pku, "settle",
		chromedp.SetValue(chromedp.CSS(`form.settle select[name="state"]`), "paid"),
		chromedp.SendKeys(chromedp.CSS(`form.settle input[name="note"]`), "读者已按规定赔付"),
		chromedp.Click(chromedp.CSS(`form.settle button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-state="paid"]`)),
		into(&settled, chromedp.Text(chromedp.CSS(`[data-state="paid"]`))),
		shot("14-console-violation-settled"),
	)
	if settled != "已缴纳" {
		t.Fatalf("settled label %q", settled)
	}

	// The centre publishes an announcement; a visitor sees it at /.
	centre := newBrowser(t, exe, 1280, 900)
	staffSignIn(t, centre, e.url, ill.CentreCode, "admin")
	run(t, centre, "announce",
		chromedp.Navigate(e.url+"/console/admin/announcements"),
		chromedp.WaitVisible(chromedp.ID("announcement-form")),
		chromedp.SendKeys(chromedp.ID("a-title-zh"), "寒假期间馆际互借服务安排"),
		chromedp.SendKeys(chromedp.ID("a-body-zh"), "寒假期间物流暂停，请在 1 月 16 日前寄出。"),
		chromedp.SendKeys(chromedp.ID("a-title-en"), "ILL over the winter break"),
		chromedp.SendKeys(chromedp.ID("a-body-en"), "The courier pauses over the break; ship by 16 January."),
		chromedp.Click(chromedp.CSS(`#announcement-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#announcement-list tr[data-id]`)),
	)
	visitor := newBrowser(t, exe, 1280, 900)
	run(t, visitor, "home page",
		chromedp.Navigate(e.url+"/"),
		chromedp.WaitVisible(chromedp.ID("announcements")),
		into(&text, chromedp.Text(chromedp.ID("announcements"))),
		shot("15-home"),
	)
	if !strings.Contains(text, "寒假期间馆际互借服务安排") {
		t.Fatalf("home page announcements: %q", text)
	}
}
