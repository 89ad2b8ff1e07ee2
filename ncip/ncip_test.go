package ncip_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/ncip"
	"github.com/balis/illhub/ncip/ncipmock"
	"github.com/balis/illhub/ncip/ncipxsd"
)

var loan = ncip.Loan{RequestID: "ILL-0123456789abcdef", PatronID: "THU2024001", Borrower: "THU", ItemBarcode: "PKU0012345",
	Title: "数据库系统概论 <&>", Author: "王珊", DueAt: time.Date(2026, 4, 2, 15, 59, 59, 0, time.UTC)}

var party = ncip.Party{FromAgency: "BALIS", ToAgency: "THU-ILS"}

// TestBuildValid: every message the hub writes is valid NCIP 2.02 and
// reads back the same.
func TestBuildValid(t *testing.T) {
	cases := []struct {
		svc  ill.NCIPService
		side ill.Role
		want string // a fragment the document must contain
	}{
		{ill.NCIPLookupUser, ill.RoleBorrower, "<UserIdentifierValue>THU2024001</UserIdentifierValue>"},
		{ill.NCIPAcceptItem, ill.RoleBorrower, "<RequestedActionType>Hold For Pickup</RequestedActionType>"},
		{ill.NCIPCheckOutItem, ill.RoleBorrower, "<DesiredDateDue>2026-04-02T23:59:59+08:00</DesiredDateDue>"},
		{ill.NCIPCheckOutItem, ill.RoleLender, "<UserIdentifierValue>THU</UserIdentifierValue>"},
		{ill.NCIPCheckInItem, ill.RoleBorrower, "<ItemIdentifierValue>PKU0012345</ItemIdentifierValue>"},
		{ill.NCIPCheckInItem, ill.RoleLender, "<ItemIdentifierValue>PKU0012345</ItemIdentifierValue>"},
	}
	for _, c := range cases {
		t.Run(string(c.svc)+"/"+string(c.side), func(t *testing.T) {
			m, err := ncip.Build(c.svc, c.side, party, loan)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := ncip.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			ncipxsd.Validate(t, doc)
			if !strings.Contains(string(doc), c.want) {
				t.Fatalf("want %s in\n%s", c.want, doc)
			}
			back, err := ncip.Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			if back.Service() != string(c.svc) {
				t.Fatalf("read back %s", back.Service())
			}
			back.XMLName, back.Version = m.XMLName, m.Version
			if !reflect.DeepEqual(back, m) {
				t.Fatalf("round trip differs:\n%#v\n%#v", back, m)
			}
			// And the double's response to it is valid too.
			resp, err := ncip.Marshal(ncipmock.Answer(m, map[string]string{"THU2024001": "Overdue Items"}, nil))
			if err != nil {
				t.Fatal(err)
			}
			ncipxsd.Validate(t, resp)
		})
	}
	if _, err := ncip.Build(ill.NCIPAcceptItem, ill.RoleLender, party, loan); err == nil {
		t.Fatal("AcceptItem at the lender is not in the mapping")
	}
	noItem := loan
	noItem.ItemBarcode = ""
	if _, err := ncip.Build(ill.NCIPCheckInItem, ill.RoleLender, party, noItem); err == nil {
		t.Fatal("CheckInItem without a barcode must be refused")
	}
}

// TestSchemaRejects: the XSD check can fail (a test that cannot fail
// proves nothing): a bare version attribute and a wrong element order.
func TestSchemaRejects(t *testing.T) {
	m, _ := ncip.Build(ill.NCIPCheckInItem, ill.RoleBorrower, party, loan)
	doc, _ := ncip.Marshal(m)
	bare := strings.Replace(string(doc), "ns1:version=", "version=", 1)
	if ncipxsd.Check([]byte(bare)) == nil {
		t.Fatal("an unqualified version attribute must fail the XSD")
	}
	swapped := `<?xml version="1.0"?><NCIPMessage xmlns="http://www.niso.org/2008/ncip" xmlns:n="http://www.niso.org/2008/ncip" n:version="x"><CheckOutItem><ItemId><ItemIdentifierValue>1</ItemIdentifierValue></ItemId><UserId><UserIdentifierValue>2</UserIdentifierValue></UserId></CheckOutItem></NCIPMessage>`
	if ncipxsd.Check([]byte(swapped)) == nil {
		t.Fatal("ItemId before UserId must fail the XSD")
	}
}

// TestParseLenient reads a response with another prefix and unknown
// elements, and a LookupUserResponse's standing.
func TestParseLenient(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<x:NCIPMessage xmlns:x="http://www.niso.org/2008/ncip" x:version="2.02"><x:LookupUserResponse>
<x:UserId><x:UserIdentifierValue>R1</x:UserIdentifierValue></x:UserId>
<x:UserFiscalAccount><x:AccountBalance><x:CurrencyCode>CNY</x:CurrencyCode><x:MonetaryValue>-250</x:MonetaryValue></x:AccountBalance></x:UserFiscalAccount>
<x:UserOptionalFields><x:NameInformation>ignored</x:NameInformation>
<x:UserPrivilege><x:AgencyId>A</x:AgencyId><x:AgencyUserPrivilegeType>Borrower</x:AgencyUserPrivilegeType><x:UserPrivilegeStatus><x:UserPrivilegeStatusType>Expired</x:UserPrivilegeStatusType></x:UserPrivilegeStatus></x:UserPrivilege>
<x:BlockOrTrap><x:AgencyId>A</x:AgencyId><x:BlockOrTrapType>Fines</x:BlockOrTrapType></x:BlockOrTrap>
</x:UserOptionalFields></x:LookupUserResponse></x:NCIPMessage>`
	m, err := ncip.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := ncip.StandingOf(m.LookupUserResponse)
	if !s.Known || !s.Stops() || !s.Owes() || s.Balance != -250 {
		t.Fatalf("standing: %+v", s)
	}
	if got := s.Summary(); got != "BLOCKED (Fines); NOT ACTIVE (Borrower: Expired); balance CNY -2.50 (owes)" {
		t.Fatalf("summary: %q", got)
	}
	ok := ncip.StandingOf(ncipmock.Answer(&ncip.Message{LookupUser: &ncip.LookupUser{UserID: ncip.UserID{Value: "R2"}}}, nil, nil).LookupUserResponse)
	if ok.Stops() || ok.Summary() != "active, no blocks; balance CNY 100.00" {
		t.Fatalf("active reader: %+v %q", ok, ok.Summary())
	}
	unk := ncip.StandingOf(ncipmock.Answer(&ncip.Message{LookupUser: &ncip.LookupUser{UserID: ncip.UserID{Value: "R3"}}}, nil, map[string]bool{"R3": true}).LookupUserResponse)
	if !unk.Stops() || !strings.HasPrefix(unk.Summary(), "reader not known to the ILS: Unknown User") {
		t.Fatalf("unknown reader: %q", unk.Summary())
	}
	for _, bad := range []string{"", "not xml", "<NCIPMessage/>", "<Other><LookupUser/></Other>",
		`<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><LookupUser><UserId><UserIdentifierValue>1</UserIdentifierValue></UserId>`} {
		if _, err := ncip.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) must fail", bad)
		}
	}
}

func TestMarshalOneService(t *testing.T) {
	if _, err := ncip.Marshal(&ncip.Message{}); err == nil {
		t.Fatal("an empty message must be refused")
	}
	if _, err := ncip.Marshal(&ncip.Message{CheckInItem: &ncip.CheckInItem{}, AcceptItem: &ncip.AcceptItem{}}); err == nil {
		t.Fatal("two services must be refused")
	}
}

// TestClient: success, a definitive Problem, a temporary one, HTTP errors
// and a mismatched response.
func TestClient(t *testing.T) {
	r := ncipmock.New(t)
	r.Unknown("NOBODY")
	c := ncip.Client{}
	send := func(svc ill.NCIPService, l ncip.Loan) (*ncip.Message, error) {
		m, err := ncip.Build(svc, ill.RoleBorrower, party, l)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := ncip.Marshal(m)
		return c.Call(t.Context(), r.URL(), string(svc), doc)
	}
	if m, err := send(ill.NCIPCheckOutItem, loan); err != nil || m.CheckOutItemResponse.DateDue != "2026-04-02T23:59:59+08:00" {
		t.Fatalf("checkout: %v %+v", err, m)
	}
	nobody := loan
	nobody.PatronID = "NOBODY"
	if m, err := send(ill.NCIPLookupUser, nobody); !errors.Is(err, ncip.ErrProblem) || m.LookupUserResponse == nil {
		t.Fatalf("unknown user: want ErrProblem with the response, got %v", err)
	}
	r.FailNext(1)
	if _, err := send(ill.NCIPCheckInItem, loan); err == nil || errors.Is(err, ncip.ErrProblem) {
		t.Fatalf("HTTP 500 must be a retryable error, got %v", err)
	}
	if got := r.Services(); !reflect.DeepEqual(got, []string{"CheckOutItem", "LookupUser"}) {
		t.Fatalf("responder saw %v", got)
	}
	temp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		doc, _ := ncip.Marshal(&ncip.Message{CheckInItemResponse: &ncip.CheckInItemResponse{
			Problem: []ncip.Problem{{Type: ncip.SV("Temporary Processing Failure")}}}})
		_, _ = w.Write(doc)
	}))
	defer temp.Close()
	m, _ := ncip.Build(ill.NCIPCheckInItem, ill.RoleBorrower, party, loan)
	doc, _ := ncip.Marshal(m)
	if _, err := c.Call(t.Context(), temp.URL, "CheckInItem", doc); err == nil || errors.Is(err, ncip.ErrProblem) {
		t.Fatalf("a temporary Problem must be retryable, got %v", err)
	}
	if _, err := c.Call(t.Context(), temp.URL, "CheckOutItem", doc); err == nil {
		t.Fatal("a response to another service must fail")
	}
}

// FuzzParse: the reader never panics, and what it accepts holds one
// service and marshals again.
func FuzzParse(f *testing.F) {
	for _, svc := range []ill.NCIPService{ill.NCIPLookupUser, ill.NCIPAcceptItem, ill.NCIPCheckOutItem, ill.NCIPCheckInItem} {
		m, _ := ncip.Build(svc, ill.RoleBorrower, party, loan)
		doc, _ := ncip.Marshal(m)
		f.Add(doc)
		resp, _ := ncip.Marshal(ncipmock.Answer(m, nil, nil))
		f.Add(resp)
	}
	f.Add([]byte(`<NCIPMessage><Problem><ProblemType>x</ProblemType></Problem></NCIPMessage>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := ncip.Parse(doc)
		if err != nil {
			return
		}
		if m.Service() == "" {
			t.Fatal("accepted a message without a service")
		}
		_ = m.Problems()
		if m.LookupUserResponse != nil {
			_ = ncip.StandingOf(m.LookupUserResponse).Summary()
		}
	})
}
