package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

// The copy settings on the fee page: shown to plain staff, edited by the
// library's admin and the centre only, refused out of bounds with the
// typed values, and kept in the policy history.
func TestCopyTermsSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addStaff("PKU", "li", ill.StaffMember)
	e.addStaff("PKU", "boss", ill.StaffLibraryAdmin)
	e.addStaff(ill.CentreCode, "admin", ill.StaffCentreAdmin)
	ctx := context.Background()
	staff, admin, centre := e.browser(), e.browser(), e.browser()
	staff.staffLogin("PKU", "li", "secret-li")
	admin.staffLogin("PKU", "boss", "secret-boss")
	centre.staffLogin(ill.CentreCode, "admin", "secret-admin")

	p := staff.get("/console/fees")
	mustContain(t, "staff's copy settings", p, `id="copy-terms-current"`)
	if strings.Contains(p.body, `id="copy-terms-form"`) {
		t.Fatal("plain staff get the copy settings form")
	}
	form := url.Values{"copy_respond_days": {"2"}, "copy_deliver_days": {"5"}, "copy_limit": {"4"}}
	if p := staff.post("/console/fees/copy-terms", form); p.status != http.StatusForbidden {
		t.Fatalf("plain staff edit copy settings: %d", p.status)
	}
	bad := url.Values{"copy_respond_days": {"6"}, "copy_deliver_days": {"5"}, "copy_limit": {"4"}}
	if p := admin.post("/console/fees/copy-terms?lang=en", bad); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, `name="copy_respond_days" value="6"`) {
		t.Fatalf("deliver before respond: %d\n%s", p.status, p.body)
	}
	if p := admin.post("/console/fees/copy-terms", url.Values{"copy_respond_days": {"x"}, "copy_deliver_days": {"5"},
		"copy_limit": {"4"}}); p.status != http.StatusBadRequest {
		t.Fatalf("not a number: %d", p.status)
	}
	other := url.Values{"library": {"THU"}}
	for k, v := range form {
		other[k] = v
	}
	if p := admin.post("/console/fees/copy-terms", other); p.status != http.StatusForbidden {
		t.Fatalf("PKU's admin edits THU's copy settings: %d", p.status)
	}
	p = admin.post("/console/fees/copy-terms", form)
	if p.status != http.StatusSeeOther || p.location != "/console/fees?msg=copyterms.saved#copy-terms" {
		t.Fatalf("admin saves: %d %q\n%s", p.status, p.location, p.body)
	}
	l, _ := e.st.Library(ctx, "PKU")
	if got := l.CopyTerms(); got != (ill.CopyTerms{RespondDays: 2, DeliverDays: 5, Limit: 4}) {
		t.Fatalf("PKU's copy settings %+v", got)
	}
	other["library"] = []string{"thu"}
	if p := centre.post("/console/fees/copy-terms", other); p.status != http.StatusSeeOther ||
		p.location != "/console/fees?msg=copyterms.saved&library=THU#copy-terms" {
		t.Fatalf("centre saves THU: %d %q", p.status, p.location)
	}
	p = staff.get("/console/fees?lang=en")
	mustContain(t, "history", p, `data-field="copy_limit"`, "PKU/boss", "Copy: open requests per reader")
	h, err := e.st.FeeHistory(ctx, "PKU", 10)
	if err != nil || len(h) != 3 || h[0].By != "PKU/boss" {
		t.Fatalf("history %+v %v", h, err)
	}

	// The reports page and the console's search take the API's
	// service_type filter.
	mustContain(t, "reports by service type", staff.get("/console/reports?service_type=copy&lang=en"),
		`<option value="copy" selected>Copy requests</option>`, "service_type=copy")
	mustContain(t, "search by service type", staff.get("/console/search?service_type=copy&lang=en"),
		`<option value="copy" selected>Copy requests</option>`)
	if p := staff.get("/console/search?service_type=book"); p.status != http.StatusBadRequest {
		t.Fatalf("service_type=book: %d", p.status)
	}
}
