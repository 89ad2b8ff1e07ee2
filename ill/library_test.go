package ill_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestLibraryWithDefaults(t *testing.T) {
	set := ill.Library{Code: "PKU", ISOSymbol: "ISIL:PKU", LoanMonths: 2, RecallDays: 3, Locale: "en", CourierCutoff: "11:30"}
	for _, c := range []struct {
		name string
		in   ill.Library
		want ill.Library
	}{
		{"nothing set", ill.Library{Code: "THU"},
			ill.Library{Code: "THU", ISOSymbol: "THU", LoanMonths: 1, RecallDays: 7, Locale: "zh", CourierCutoff: "14:00"}},
		{"everything set is kept", set, set},
		{"only the symbol set", ill.Library{Code: "RUC", ISOSymbol: "RENDA"},
			ill.Library{Code: "RUC", ISOSymbol: "RENDA", LoanMonths: 1, RecallDays: 7, Locale: "zh", CourierCutoff: "14:00"}},
	} {
		if got := c.in.WithDefaults(); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// The JSON form is the API's (GET /v1/libraries): the ILL desk's public
// contacts, but no private contact point (notice e-mail, webhook, ISO
// 18626 endpoint), secret or hash leaves the hub.
func TestLibraryJSONHidesContactsAndSecrets(t *testing.T) {
	l := ill.Library{Code: "THU", NameZH: "清华", NameEN: "Tsinghua", ISOSymbol: "THU", Lending: true, LoanMonths: 1,
		RecallDays: 7, Locale: "zh", Email: "ill@thu", WebhookURL: "https://thu/h", WebhookSecret: "whs",
		ISOEndpoint: "https://thu/iso", CourierCutoff: "14:00", CourierDays: "mon", ISOSecretHash: "abc",
		ISOClosedNetwork: true, CreatedAt: time.Unix(1, 0), ContactPhone: "010-62782137",
		CopyRespondDays: 1, CopyDeliverDays: 3, CopyLimit: 10}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"THU","name_zh":"清华","name_en":"Tsinghua","iso18626_symbol":"THU","lending":true,` +
		`"deposit_required":false,"loan_months":1,"recall_days":7,"fine_per_day_fen":0,"damage_fee_fen":0,` +
		`"loss_fee_fen":0,"locale":"zh","contact_phone":"010-62782137","contact_email":"","contact_address":"","courier_cutoff":"14:00","courier_days":"mon",` +
		`"copy_respond_days":1,"copy_deliver_days":3,"copy_limit":10}`
	if string(b) != want {
		t.Fatalf("JSON %s\nwant %s", b, want)
	}
}

func TestLibraryISOMember(t *testing.T) {
	var none *ill.Library
	if m := none.ISOMember(); m != nil || m.Speaks() {
		t.Fatalf("nil library: %+v", m)
	}
	l := &ill.Library{Code: "THU", ISOSymbol: "ISIL:THU", ISOEndpoint: "https://thu/iso", ISOSecretHash: "h", ISOClosedNetwork: true}
	want := ill.ISOMember{Code: "THU", Symbol: "ISIL:THU", Endpoint: "https://thu/iso", SecretHash: "h", ClosedNetwork: true}
	if m := l.ISOMember(); m == nil || *m != want {
		t.Fatalf("ISOMember %+v, want %+v", m, want)
	}
}

func TestISOMemberSpeaks(t *testing.T) {
	for _, c := range []struct {
		m    *ill.ISOMember
		want bool
	}{
		{nil, false},
		{&ill.ISOMember{Code: "THU"}, false},
		{&ill.ISOMember{Code: "THU", SecretHash: "h", ClosedNetwork: true}, false},
		{&ill.ISOMember{Code: "THU", Endpoint: "https://thu/iso"}, true},
	} {
		if got := c.m.Speaks(); got != c.want {
			t.Errorf("%+v: Speaks %v, want %v", c.m, got, c.want)
		}
	}
}

func TestKeyGrantKind(t *testing.T) {
	for _, c := range []struct {
		owner           string
		courier, centre bool
	}{
		{"THU", false, false},
		{ill.CentreCode, false, true},
		{ill.CourierOwner, true, false},
	} {
		g := ill.KeyGrant{Owner: c.owner, Key: "k"}
		if g.Courier() != c.courier || g.Centre() != c.centre {
			t.Errorf("%s: courier %v centre %v, want %v %v", c.owner, g.Courier(), g.Centre(), c.courier, c.centre)
		}
	}
}

// The stored values of the enums are part of the database (audit_log.action,
// iso18626_messages.status) and of illctl's output: they never change.
func TestStoredEnumValues(t *testing.T) {
	for _, c := range [][2]string{
		{string(ill.AuditKeyIssue), "key.issue"}, {string(ill.AuditKeyRevoke), "key.revoke"},
		{string(ill.AuditKeyRotate), "key.rotate"}, {string(ill.AuditDemoSeed), "demo.seed"},
		{string(ill.ISOPending), "pending"}, {string(ill.ISOSent), "sent"}, {string(ill.ISOFailed), "failed"},
		{string(ill.ISOInOK), "OK"}, {string(ill.ISOInError), "ERROR"},
		{ill.CourierOwner, "COURIER"},
	} {
		if c[0] != c[1] {
			t.Errorf("%q, want %q", c[0], c[1])
		}
	}
}
