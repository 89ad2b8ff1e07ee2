package app_test

import (
	"testing"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
)

// TestRegisterNCIP: centre only, an http(s) URL, agencies kept when not
// given, "" switches NCIP off.
func TestRegisterNCIP(t *testing.T) {
	st := &memstore.Store{}
	st.PutLibrary(ill.Library{Code: "THU", NameZH: "清华大学图书馆", Lending: true})
	s := app.New(app.Config{Store: st, Publisher: &memstore.Publisher{}})
	centre := ill.Principal{Library: ill.CentreCode, Centre: true}
	ctx := t.Context()
	if err := s.RegisterNCIP(ctx, ill.Principal{Library: "THU"}, "x", ill.NCIPRegistration{Code: "THU", Endpoint: "http://ils/ncip"}); ill.ErrorCode(err) != ill.CodeForbidden {
		t.Fatalf("a member may not register: %v", err)
	}
	if err := s.RegisterNCIP(ctx, centre, "ops", ill.NCIPRegistration{Code: "THU", Endpoint: "ftp://ils"}); ill.ErrorCode(err) != ill.CodeBadRequest {
		t.Fatalf("want bad_request for a non-http URL, got %v", err)
	}
	if err := s.RegisterNCIP(ctx, centre, "ops", ill.NCIPRegistration{Code: "NOPE", Endpoint: "http://ils"}); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("want not_found for a non-member, got %v", err)
	}
	if err := s.RegisterNCIP(ctx, centre, "ops", ill.NCIPRegistration{Code: "thu", Endpoint: "https://ils.thu/ncip", ToAgency: "THU-ILS"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterNCIP(ctx, centre, "ops", ill.NCIPRegistration{Code: "THU", Endpoint: "https://ils2.thu/ncip"}); err != nil {
		t.Fatal(err)
	}
	m, err := s.NCIPMember(ctx, centre, "THU")
	if err != nil || !m.Enabled() || m.Endpoint != "https://ils2.thu/ncip" || m.ToAgency != "THU-ILS" {
		t.Fatalf("registration: %+v %v", m, err)
	}
	if err := s.RegisterNCIP(ctx, centre, "ops", ill.NCIPRegistration{Code: "THU"}); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.NCIPMember(ctx, centre, "THU"); m.Enabled() {
		t.Fatalf("an empty endpoint switches NCIP off: %+v", m)
	}
}
