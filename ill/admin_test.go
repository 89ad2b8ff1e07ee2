package ill

import (
	"errors"
	"strings"
	"testing"
)

func TestLibraryPatchValidate(t *testing.T) {
	s := func(v string) *string { return &v }
	n := func(v int) *int { return &v }
	for _, c := range []struct {
		name  string
		p     LibraryPatch
		field string // "" valid
	}{
		{"empty", LibraryPatch{}, ""},
		{"names", LibraryPatch{NameZH: s("清华大学图书馆"), NameEN: s("Tsinghua")}, ""},
		{"blank chinese name", LibraryPatch{NameZH: s("  ")}, "name_zh"},
		{"long name", LibraryPatch{NameZH: s(strings.Repeat("馆", 129))}, "name_zh"},
		{"loan 0", LibraryPatch{LoanMonths: n(0)}, "loan_months"},
		{"loan 7", LibraryPatch{LoanMonths: n(7)}, "loan_months"},
		{"loan 1", LibraryPatch{LoanMonths: n(1)}, ""},
		{"recall 0", LibraryPatch{RecallDays: n(0)}, "recall_days"},
		{"recall 61", LibraryPatch{RecallDays: n(61)}, "recall_days"},
		{"locale fr", LibraryPatch{Locale: s("fr")}, "locale"},
		{"contact mail", LibraryPatch{ContactEmail: s("ill@lib.example.cn")}, ""},
		{"contact mail with name", LibraryPatch{ContactEmail: s("馆际互借 <ill@lib.example.cn>")}, "contact_email"},
		{"contact mail cleared", LibraryPatch{ContactEmail: s("")}, ""},
		{"notice mail bad", LibraryPatch{Email: s("nope")}, "email"},
		{"phone long", LibraryPatch{ContactPhone: s(strings.Repeat("1", 65))}, "contact_phone"},
		{"webhook ftp", LibraryPatch{WebhookURL: s("ftp://x.example")}, "webhook_url"},
		{"webhook https", LibraryPatch{WebhookURL: s("https://x.example/hook")}, ""},
	} {
		err := c.p.Validate()
		var e *Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (err == nil || !errors.As(err, &e) || e.Field != c.field):
			t.Errorf("%s: %v, want a %s error", c.name, err, c.field)
		}
	}
}

func TestLibraryPatchApplyKeepsTheRest(t *testing.T) {
	off, phone := false, "010-1"
	l := Library{Code: "X", NameZH: "馆", Lending: true, FinePerDayFen: 50, CourierCutoff: "11:00", ContactEmail: "a@b.cn"}
	got := LibraryPatch{Lending: &off, ContactPhone: &phone}.Apply(l)
	want := l
	want.Lending, want.ContactPhone = false, "010-1"
	if got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
	if f := (LibraryPatch{Lending: &off, ContactPhone: &phone}).Fields(); strings.Join(f, ",") != "lending,contact_phone" {
		t.Fatalf("fields %v", f)
	}
	if !(LibraryPatch{}).Empty() || (LibraryPatch{Lending: &off}).Empty() {
		t.Fatal("Empty")
	}
}
