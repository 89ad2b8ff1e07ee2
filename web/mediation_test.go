package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// The mediation panel of a manual request: the search tools' links carry
// the encoded title, the centre's member OPAC template is used, the union
// catalogue's fuzzy match can be mediated to (and the request moves on),
// an out-of-scope match has no button; a request nobody mediates within 1
// working day shows on the escalated list and in the report.
func TestMediationPanel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := testenv.Record(t, e.st, "", "无名之书（修订版）", "佚名", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	eng := testenv.Record(t, e.st, "", "无名之书研究", "Smith", testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	if _, err := e.st.DB.Exec(`UPDATE records SET language = 'eng' WHERE id = ?`, eng); err != nil {
		t.Fatal(err)
	}
	e.addStaff("CENTRE", "admin", ill.StaffCentreAdmin)
	e.addStaff("THU", "thu", ill.StaffMember)
	e.addReader("THU", "T1", "123456", false)

	centre := e.browser()
	centre.staffLogin("CENTRE", "admin", "secret-admin")
	mustContain(t, "opac page", centre.get("/console/mediation/opac"), "opac.calis.edu.cn", "opac.nlc.cn", `data-opac="member-PKU"`)
	if p := centre.post("/console/mediation/opac", url.Values{"kind": {"member"}, "code": {"PKU"}, "url": {"javascript:alert(1)//{title}"}}); p.status != http.StatusBadRequest {
		t.Fatalf("a javascript: template was accepted: %d", p.status)
	} else {
		mustContain(t, "invalid template", p, "链接模板无效")
	}
	if p := centre.post("/console/mediation/opac", url.Values{"kind": {"member"}, "code": {"PKU"}, "url": {"https://opac.pku.edu.cn/search?q={title}"}}); p.status != http.StatusSeeOther {
		t.Fatalf("saving PKU's template: %d %s", p.status, p.body)
	}

	reader := e.browser()
	reader.readerLogin("THU", "T1", "123456")
	reader.get("/request/new")
	id := requestIDFrom(t, reader.post("/requests", url.Values{"title": {"无名之书"}, "author": {"佚名"}, "token": {"m1"}}))
	e.waitState(id, ill.NeedsMediation)

	staff := e.browser()
	staff.staffLogin("THU", "thu", "secret-thu")
	if p := staff.get("/console/mediation/opac"); p.status != http.StatusForbidden {
		t.Fatalf("a member opened the template editor: %d", p.status)
	}
	p := staff.get("/console/requests/" + id)
	title := url.QueryEscape("无名之书")
	mustContain(t, "mediation panel", p, `id="mediation"`, "opac.calis.edu.cn", "request="+title, "lookfor="+title,
		"https://opac.pku.edu.cn/search?q="+title, fmt.Sprintf(`data-mediate-record="%d"`, rec), fmt.Sprintf(`data-record="%d"`, eng))
	if strings.Contains(p.body, fmt.Sprintf(`data-mediate-record="%d"`, eng)) {
		t.Fatal("an English record can be mediated to from the panel")
	}

	// Mediate to the fuzzy match: the same intake as any mediate.
	if p := staff.post("/console/requests/"+id+"/mediate", url.Values{"record_id": {fmt.Sprint(rec)}, "token": {"med-1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("mediate: %d %s", p.status, p.body)
	}
	if r := e.waitState(id, ill.Requested); r.Lender != "PKU" || r.RecordID != rec {
		t.Fatalf("mediated request: lender %q record %d", r.Lender, r.RecordID)
	}
	if p := staff.get("/console/requests/" + id); strings.Contains(p.body, `id="mediation"`) {
		t.Fatal("the mediation panel stays after mediation")
	}

	// A second manual request nobody mediates: due by the end of Tuesday
	// 2026-03-03; on Thursday it is escalated.
	reader.get("/request/new")
	late := requestIDFrom(t, reader.post("/requests", url.Values{"title": {"另一本没人处理的书"}, "token": {"m2"}}))
	e.waitState(late, ill.NeedsMediation)
	if p := centre.get("/console/escalated"); strings.Contains(p.body, late) {
		t.Fatal("escalated before its deadline")
	}
	e.clock.Advance(48 * time.Hour)
	centre, staff = e.browser(), e.browser() // the sessions of Monday have expired
	centre.staffLogin("CENTRE", "admin", "secret-admin")
	staff.staffLogin("THU", "thu", "secret-thu")
	mustContain(t, "escalated list", centre.get("/console/escalated"), `data-id="`+late+`"`, `data-count="escalated">1<`)
	mustContain(t, "console link", centre.get("/console"), `href="/console/escalated"`)
	mustContain(t, "escalated panel", staff.get("/console/requests/"+late), `id="mediation-escalated"`)
	if p := staff.get("/console/escalated"); !strings.Contains(p.body, late) {
		t.Fatal("THU does not see its own escalated request")
	}

	code, out := e.apiCall("GET", "/v1/reports/escalated-mediations?from=2026-03-01&to=2026-03-31", ill.CentreCode, nil)
	rows, _ := out["rows"].([]any)
	if code != http.StatusOK || len(rows) != 1 {
		t.Fatalf("report: %d %v", code, out)
	}
	row := rows[0].(map[string]any)
	if row["library"] != "THU" || row["held"] != float64(2) || row["escalated"] != float64(1) || row["escalated_waiting"] != float64(1) {
		t.Fatalf("report row %v: want THU held 2, escalated 1, waiting 1", row)
	}
}

// A record the policy refuses is marked on the portal before the reader
// asks: a foreign-language book on its record page (the explanation, the
// request button disabled) and in the search results; a lendable Chinese
// book is not.
func TestScopeMarks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ok := testenv.Record(t, e.st, "", "范围测试图书", "王五", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	eng := testenv.Record(t, e.st, "", "范围测试英文书", "Smith", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	if _, err := e.st.DB.Exec(`UPDATE records SET language = 'eng' WHERE id = ?`, eng); err != nil {
		t.Fatal(err)
	}
	nolender := testenv.Record(t, e.st, "", "范围测试孤本", "赵六", testenv.Holding{Library: "PKU", Available: 1, Lendable: false})
	e.addReader("THU", "T1", "123456", false)
	b := e.browser()
	b.readerLogin("THU", "T1", "123456")

	p := b.get(fmt.Sprintf("/records/%d", eng))
	mustContain(t, "english record", p, `id="scope-mark"`, `data-reason="not_eligible"`, "英文", "仅互借中文普通图书")
	if !regexpButtonDisabled(p.body) {
		t.Fatalf("the request button of an English book is enabled:\n%s", p.body)
	}
	p = b.get(fmt.Sprintf("/records/%d", ok))
	if strings.Contains(p.body, `id="scope-mark"`) || regexpButtonDisabled(p.body) {
		t.Fatal("a lendable Chinese book is marked")
	}
	mustContain(t, "no lender", b.get(fmt.Sprintf("/records/%d", nolender)), `data-reason="not_held"`)

	p = b.get("/search?q=" + url.QueryEscape("范围测试"))
	mustContain(t, "search marks", p, `data-reason="not_eligible"`, `data-reason="not_held"`, "不在互借范围")
	if n := strings.Count(p.body, `class="badge scope-mark"`); n != 2 {
		t.Fatalf("search marks %d records, want 2", n)
	}
	// The submit refuses with the reason the mark gave.
	id := requestIDFrom(t, b.post("/requests", url.Values{"record_id": {fmt.Sprint(eng)}, "token": {"s1"}}))
	if r := e.waitState(id, ill.Rejected); r.Reason != ill.ReasonNotEligible {
		t.Fatalf("submit refused with %q", r.Reason)
	}
	id = requestIDFrom(t, b.post("/requests", url.Values{"record_id": {fmt.Sprint(nolender)}, "token": {"s2"}}))
	if r := e.waitState(id, ill.Unfilled); r.Reason != ill.ReasonNotHeld {
		t.Fatalf("no-lender submit ended with %q", r.Reason)
	}
}

func regexpButtonDisabled(body string) bool {
	i := strings.Index(body, `id="ill-request"`)
	if i < 0 {
		return false
	}
	end := strings.Index(body[i:], ">")
	return strings.Contains(body[i:i+end], "disabled")
}
