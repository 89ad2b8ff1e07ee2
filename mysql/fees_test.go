package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// Setting fee rules writes those four columns only and records one history
// row per changed field; the same rules again change and record nothing;
// an unknown library is not_found.
func TestSetFeeRules(t *testing.T) {
	_, st := testenv.DB(t, "fees")
	ctx := context.Background()
	st.UseDirectory(time.Minute) // the store's own edit must be seen at once
	if err := st.AddLibrary(ctx, ill.Library{Code: "PKU", NameZH: "北京大学", NameEN: "Peking University", Lending: true,
		LoanMonths: 2, FinePerDayFen: 10, Email: "ill@pku.example", WebhookURL: "https://pku.example/hook"}); err != nil {
		t.Fatal(err)
	}
	before, err := st.Library(ctx, "PKU")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)
	rules := ill.FeeRules{FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: before.LossFeeFen, CourierCutoff: "15:30"}
	ch, err := st.SetFeeRules(ctx, "PKU", rules, "PKU/li", at)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 3 || ch[0].Field != ill.FeeFinePerDay || ch[0].Old != "10" || ch[0].New != "50" ||
		ch[2].Field != ill.FeeCourierCutoff || ch[2].Old != "14:00" || ch[2].New != "15:30" {
		t.Fatalf("changes %+v", ch)
	}
	after, err := st.Library(ctx, "PKU")
	if err != nil {
		t.Fatal(err)
	}
	if after.FeeRules() != rules {
		t.Errorf("rules after: %+v, want %+v", after.FeeRules(), rules)
	}
	want := *before
	want.FinePerDayFen, want.DamageFeeFen, want.CourierCutoff = rules.FinePerDayFen, rules.DamageFeeFen, rules.CourierCutoff
	if *after != want {
		t.Errorf("other fields changed:\n%+v\nwant\n%+v", *after, want)
	}
	if ch, err := st.SetFeeRules(ctx, "PKU", rules, "PKU/li", at.Add(time.Hour)); err != nil || len(ch) != 0 {
		t.Errorf("same rules again: %+v %v", ch, err)
	}
	next := rules
	next.LossFeeFen = 10000
	if _, err := st.SetFeeRules(ctx, "PKU", next, "CENTRE/admin", at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	h, err := st.FeeHistory(ctx, "PKU", 10)
	if err != nil || len(h) != 4 {
		t.Fatalf("history %+v %v", h, err)
	}
	if h[0].Field != ill.FeeLoss || h[0].By != "CENTRE/admin" || h[0].Old != "0" || h[0].New != "10000" || !h[0].At.Equal(at.Add(2*time.Hour)) {
		t.Errorf("newest change %+v", h[0])
	}
	if h[3].By != "PKU/li" || h[3].Library != "PKU" {
		t.Errorf("oldest change %+v", h[3])
	}
	if h, _ := st.FeeHistory(ctx, "THU", 10); len(h) != 0 {
		t.Errorf("THU's history %+v", h)
	}
	if _, err := st.SetFeeRules(ctx, "NOPE", rules, "CENTRE/admin", at); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Errorf("unknown library: %v", err)
	}
}
