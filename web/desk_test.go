package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// consoleRequestID is the request a desk submit redirected to.
func consoleRequestID(t *testing.T, p page) string {
	t.Helper()
	m := regexp.MustCompile(`^/console/requests/([^?]+)`).FindStringSubmatch(p.location)
	if m == nil {
		t.Fatalf("answer %d, redirect %q is not a console request page: %s", p.status, p.location, p.body)
	}
	return m[1]
}

// Staff enter requests for one of their readers: search, pick, submit;
// the request is the reader's, a new card is registered with what the
// desk typed, a manual form goes to mediation, and a fourth active
// request is refused in words.
func TestDeskSubmitsForAReader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addReader("THU", "T1", "123456", false)
	e.addStaff("THU", "thu", "staff")
	thu := e.browser()
	thu.staffLogin("THU", "thu", "secret-thu")
	var recs []int64
	for i := 0; i < 4; i++ {
		recs = append(recs, testenv.Record(t, e.st, "", fmt.Sprintf("服务台图书%d", i), "作者", testenv.Holding{Library: "PKU", Available: 1, Lendable: true}))
	}
	p := thu.get("/console/desk?card=t1&q=" + url.QueryEscape("服务台图书0"))
	mustContain(t, "desk with reader", p, "读者T1", "0 / 3", `data-record="`+fmt.Sprint(recs[0])+`"`)
	p = thu.post("/console/desk/requests", url.Values{"card": {"T1"}, "record_id": {fmt.Sprint(recs[0])}, "token": {"d0"}})
	id := consoleRequestID(t, p)
	r := e.waitState(id, ill.Requested)
	if r.PatronID != "T1" || r.Borrower != "THU" {
		t.Fatalf("desk request is %s's %s", r.Borrower, r.PatronID)
	}
	mustContain(t, "console request page", thu.get(p.location), "已为读者提交申请", "T1")
	// The same form sent twice is one request.
	if again := thu.post("/console/desk/requests", url.Values{"card": {"T1"}, "record_id": {fmt.Sprint(recs[0])}, "token": {"d0"}}); consoleRequestID(t, again) != id {
		t.Fatalf("a repeated form made another request: %s", again.location)
	}
	for i := 1; i < 3; i++ {
		e.waitState(consoleRequestID(t, thu.post("/console/desk/requests", url.Values{"card": {"T1"},
			"record_id": {fmt.Sprint(recs[i])}, "token": {fmt.Sprint("d", i)}})), ill.Requested)
	}
	mustContain(t, "at the limit", thu.get("/console/desk?card=T1"), "3 / 3", `id="desk-at-limit"`)
	p = thu.post("/console/desk/requests", url.Values{"card": {"T1"}, "record_id": {fmt.Sprint(recs[3])}, "token": {"d3"}})
	mustContain(t, "fourth refused", p, `id="refusal"`, "已达 3 册上限")

	// A new card: registered with the name, e-mail and deposit typed.
	p = thu.post("/console/desk/requests", url.Values{"card": {"N1"}, "name": {"新读者"}, "email": {"n1@example.edu.cn"},
		"title": {"一本目录里没有的书"}, "author": {"佚名"}, "token": {"m1"}})
	e.waitState(consoleRequestID(t, p), ill.NeedsMediation)
	if rd, err := e.st.Reader(context.Background(), "THU", "N1"); err != nil || rd.Name != "新读者" || rd.Email != "n1@example.edu.cn" {
		t.Fatalf("new reader: %+v %v", rd, err)
	}
	// Refused in words: a manual form without title; a card with a space.
	mustContain(t, "no title", thu.post("/console/desk/requests", url.Values{"card": {"T1"}, "author": {"佚名"}, "token": {"m2"}}), "题名")
	if p := thu.post("/console/desk/requests", url.Values{"card": {"T 1"}, "record_id": {"1"}, "token": {"m3"}}); p.status != http.StatusBadRequest {
		t.Fatalf("bad card: %d", p.status)
	}
	// The centre submits for no reader.
	e.addStaff("CENTRE", "admin", "centre_admin")
	admin := e.browser()
	admin.staffLogin("CENTRE", "admin", "secret-admin")
	if p := admin.post("/console/desk/requests", url.Values{"card": {"T1"}, "record_id": {fmt.Sprint(recs[3])}, "token": {"c"}}); p.status != http.StatusForbidden {
		t.Fatalf("centre desk submit: %d", p.status)
	}
}

// The deposit a library requires (R7) is set by its staff on the reader
// page, with an audit row; a desk request is refused before and accepted
// after. Other libraries' staff cannot see or set it.
func TestDeskDeposit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "", "押金测试书", "作者", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	e.addReader("BFSU", "F1", "123456", false)
	e.addStaff("BFSU", "bf", "staff")
	e.addStaff("PKU", "pku", "staff")
	bf, pku := e.browser(), e.browser()
	bf.staffLogin("BFSU", "bf", "secret-bf")
	pku.staffLogin("PKU", "pku", "secret-pku")

	p := bf.post("/console/desk/requests", url.Values{"card": {"F1"}, "record_id": {fmt.Sprint(rec)}, "token": {"a"}})
	mustContain(t, "deposit refusal", p, `id="refusal"`, "押金")

	mustContain(t, "reader page", bf.get("/console/readers/F1"), "读者F1", "未交押金", "尚无在控制台的变更记录", "0 / 3", "已拒绝")
	if p := pku.get("/console/readers/F1"); p.status != http.StatusNotFound {
		t.Fatalf("another library's staff opens the reader: %d", p.status)
	}
	if p := pku.post("/console/readers/F1/deposit", url.Values{"paid": {"1"}}); p.status != http.StatusNotFound {
		t.Fatalf("another library's staff sets the deposit: %d", p.status)
	}
	bf.get("/console/readers/F1")
	p = bf.post("/console/readers/F1/deposit", url.Values{"paid": {"1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("set deposit: %d %s", p.status, p.body)
	}
	mustContain(t, "after the change", bf.get(p.location), "押金状态已更新", `id="deposit">已交押金`, "最近由 bf 于")
	changes, err := e.st.DepositChanges(context.Background(), "BFSU", "F1", 10)
	if err != nil || len(changes) != 1 || !changes[0].Paid || changes[0].By != "bf" {
		t.Fatalf("audit rows %+v %v", changes, err)
	}
	p = bf.post("/console/desk/requests", url.Values{"card": {"F1"}, "record_id": {fmt.Sprint(rec)}, "token": {"b"}})
	e.waitState(consoleRequestID(t, p), ill.Requested)
}

// The barcode desk finds a SHIPPED request at the borrower and offers
// receive, then checkout; the lender has nothing to do meanwhile, a
// stranger finds nothing. The notices sent are listed on the console
// request page (each library its own) and in the reader's 我的消息, which
// another reader does not see.
func TestDeskBarcodeAndNotices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "", "条码测试书", "作者", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	e.addReader("THU", "T1", "123456", false)
	e.addReader("THU", "T2", "222222", false)
	for _, s := range [][2]string{{"THU", "thu"}, {"PKU", "pku"}, {"RUC", "ruc"}} {
		e.addStaff(s[0], s[1], "staff")
	}
	thu, pku, ruc := e.browser(), e.browser(), e.browser()
	thu.staffLogin("THU", "thu", "secret-thu")
	pku.staffLogin("PKU", "pku", "secret-pku")
	ruc.staffLogin("RUC", "ruc", "secret-ruc")
	reader := e.browser()
	reader.readerLogin("THU", "T1", "123456")
	id := requestIDFrom(t, reader.post("/requests", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {"a"}}))
	e.waitState(id, ill.Requested)
	pku.post("/console/requests/"+id+"/respond", url.Values{"variant": {"will_supply"}, "token": {"w"}})
	e.waitState(id, ill.WillSupply)
	pku.post("/console/requests/"+id+"/ship", url.Values{"item_barcode": {"PKU0099"}, "token": {"s"}})
	e.waitState(id, ill.Shipped)

	scan := "/console/desk/scan?barcode=" + url.QueryEscape(" PKU0099\r\n")
	p := thu.get(scan)
	mustContain(t, "borrower scan", p, `autofocus`, id, `data-action="receive"`)
	if strings.Contains(p.body, `data-action="checkout"`) {
		t.Fatal("checkout offered before receive")
	}
	mustContain(t, "lender scan", pku.get(scan), id, "本馆当前无需对此申请操作")
	mustContain(t, "stranger scan", ruc.get(scan), `id="desk-none"`)
	mustContain(t, "unknown barcode", thu.get("/console/desk/scan?barcode=NOPE"), `id="desk-none"`, "NOPE")

	thu.get(scan)
	p = thu.post("/console/desk/scan/"+id+"/receive", url.Values{"barcode": {"PKU0099"}, "token": {"r1"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/desk/scan?barcode=PKU0099") {
		t.Fatalf("receive: %d %q %s", p.status, p.location, p.body)
	}
	e.waitState(id, ill.Received)
	mustContain(t, "after receive", thu.get(p.location), `data-action="checkout"`, "操作已提交")
	// The desk's POST is refused to those it is not for.
	if p := ruc.post("/console/desk/scan/"+id+"/checkout", url.Values{"barcode": {"PKU0099"}, "token": {"x"}}); p.status != http.StatusForbidden {
		t.Fatalf("stranger checkout: %d", p.status)
	}
	thu.get(scan)
	thu.post("/console/desk/scan/"+id+"/checkout", url.Values{"barcode": {"PKU0099"}, "token": {"c1"}})
	e.waitState(id, ill.OnLoan)
	mustContain(t, "on loan", thu.get(scan), `data-action="return"`, `name="damaged"`)

	// Notices: the borrower's page lists the arrival notice to its
	// reader; the lender's its new-request notice, not the reader's.
	p = thu.get("/console/requests/" + id)
	mustContain(t, "borrower notices", p, `id="notices"`, `data-kind="arrived"`, "读者 T1")
	if strings.Contains(p.body, `data-kind="new_request"`) {
		t.Fatal("the borrower sees the lender's notice")
	}
	p = pku.get("/console/requests/" + id)
	mustContain(t, "lender notices", p, `data-kind="new_request"`)
	if strings.Contains(p.body, `data-kind="arrived"`) {
		t.Fatal("the lender sees the reader's notice")
	}
	// The reader's 我的消息 and request page.
	p = reader.get("/messages")
	mustContain(t, "my messages", p, "我的消息", "文献到馆通知", `href="/history/`+id+`"`)
	mustContain(t, "reader request page", reader.get("/history/"+id), `id="request-messages"`, "文献到馆通知")
	other := e.browser()
	other.readerLogin("THU", "T2", "222222")
	if p := other.get("/messages"); strings.Contains(p.body, id) || !strings.Contains(p.body, "您还没有收到消息") {
		t.Fatalf("another reader's messages: %s", p.body)
	}
	if p := thu.get("/messages"); p.status != http.StatusSeeOther {
		t.Fatalf("staff opens 我的消息: %d", p.status)
	}
}
