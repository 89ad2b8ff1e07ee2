package ill_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

func ptr[T any](v T) *T { return &v }

func TestActionBodyVariant(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		action ill.Action
		body   ill.ActionBody
		want   ill.Variant
		field  string // "" = valid
	}{
		// respond
		{ill.ActRespond, ill.ActionBody{Decision: "will_supply"}, "will_supply", ""},
		{ill.ActRespond, ill.ActionBody{Decision: "will_supply", Reason: "not_held"}, "will_supply", ""},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "not_held"}, "unfilled", ""},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "not_on_shelf"}, "unfilled", ""},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "non_circulating"}, "unfilled", ""},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "not_available_for_ill"}, "unfilled", ""},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "policy_problem"}, "unfilled", ""},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "poor_condition"}, "unfilled", ""},
		{ill.ActRespond, ill.ActionBody{}, "", "decision"},
		{ill.ActRespond, ill.ActionBody{Reason: "not_held"}, "", "decision"},
		{ill.ActRespond, ill.ActionBody{Decision: "yes"}, "", "decision"},
		{ill.ActRespond, ill.ActionBody{Decision: "WILL_SUPPLY"}, "", "decision"},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled"}, "", "reason"},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "no_response"}, "", "reason"}, // scheduler-only
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "not_shipped"}, "", "reason"},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "over_limit"}, "", "reason"},
		{ill.ActRespond, ill.ActionBody{Decision: "unfilled", Reason: "bored"}, "", "reason"},
		{ill.ActRespond, ill.ActionBody{Decision: "will_supply", Note: long(2001)}, "", "note"},
		// ship
		{ill.ActShip, ill.ActionBody{ItemBarcode: "31010200012345"}, "", ""},
		{ill.ActShip, ill.ActionBody{ItemBarcode: long(64)}, "", ""},
		{ill.ActShip, ill.ActionBody{}, "", "item_barcode"},
		{ill.ActShip, ill.ActionBody{ItemBarcode: long(65)}, "", "item_barcode"},
		// return, checkin
		{ill.ActReturn, ill.ActionBody{Condition: "good"}, "", ""},
		{ill.ActReturn, ill.ActionBody{Condition: "damaged", Note: "water damage"}, "", ""},
		{ill.ActReturn, ill.ActionBody{}, "", "condition"},
		{ill.ActReturn, ill.ActionBody{Condition: "lost"}, "", "condition"},
		{ill.ActCheckin, ill.ActionBody{Condition: "good"}, "", ""},
		{ill.ActCheckin, ill.ActionBody{Condition: "damaged"}, "", ""},
		{ill.ActCheckin, ill.ActionBody{}, "", "condition"},
		{ill.ActCheckin, ill.ActionBody{Condition: "Good"}, "", "condition"},
		// cancel
		{ill.ActCancel, ill.ActionBody{By: "reader"}, "reader", ""},
		{ill.ActCancel, ill.ActionBody{By: "staff", Note: "duplicate"}, "staff", ""},
		{ill.ActCancel, ill.ActionBody{}, "", "by"},
		{ill.ActCancel, ill.ActionBody{By: "lender"}, "", "by"},
		{ill.ActCancel, ill.ActionBody{By: "reader", Note: long(2001)}, "", "note"},
		// cancel_response
		{ill.ActCancelResponse, ill.ActionBody{Accept: ptr(true)}, "yes", ""},
		{ill.ActCancelResponse, ill.ActionBody{Accept: ptr(false)}, "no", ""},
		{ill.ActCancelResponse, ill.ActionBody{}, "", "accept"},
		{ill.ActCancelResponse, ill.ActionBody{Accept: ptr(true), Note: long(2001)}, "", "note"},
		// mediate
		{ill.ActMediate, ill.ActionBody{RecordID: "42"}, "", ""},
		{ill.ActMediate, ill.ActionBody{Lenders: []string{"THU", "PKU"}}, "", ""},
		{ill.ActMediate, ill.ActionBody{}, "", "record_id"},
		{ill.ActMediate, ill.ActionBody{RecordID: "42", Lenders: []string{"THU"}}, "", "record_id"},
		{ill.ActMediate, ill.ActionBody{Lenders: []string{}}, "", "record_id"},
		// bodies with only a note
		{ill.ActReceive, ill.ActionBody{}, "", ""},
		{ill.ActCheckout, ill.ActionBody{Note: "ok"}, "", ""},
		{ill.ActRecall, ill.ActionBody{Note: "needed for course reserve"}, "", ""},
		{ill.ActRenew, ill.ActionBody{}, "", ""},
		{ill.ActShipReturn, ill.ActionBody{}, "", ""},
		{ill.ActReportLost, ill.ActionBody{Note: long(2000)}, "", ""},
		{ill.ActReportLost, ill.ActionBody{Note: long(2001)}, "", "note"},
		{ill.ActRecall, ill.ActionBody{Note: strings.Repeat("书", 666)}, "", ""},     // 1998 bytes
		{ill.ActRecall, ill.ActionBody{Note: strings.Repeat("书", 667)}, "", "note"}, // 2001 bytes: the limit is in bytes
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s %+v", c.action, c.body)
		if len(name) > 120 {
			name = name[:120]
		}
		v, err := c.body.Variant(c.action)
		if c.field == "" {
			if err != nil || v != c.want {
				t.Errorf("%s: %q %v, want %q", name, v, err, c.want)
			}
			continue
		}
		var e *ill.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want a bad_request on %s", name, err, c.field)
			continue
		}
		if e.Code != ill.CodeBadRequest || e.Field != c.field {
			t.Errorf("%s: code %s field %q, want bad_request field %q", name, e.Code, e.Field, c.field)
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: message %q does not name %s", name, err, c.field)
		}
		if v != "" {
			t.Errorf("%s: variant %q returned with an error", name, v)
		}
	}
}

// Every valid body's variant is one Decide knows for that action.
func TestActionBodyVariantsAreKnownToDecide(t *testing.T) {
	bodies := map[ill.Action]ill.ActionBody{
		ill.ActMediate: {RecordID: "1"}, ill.ActRespond: {Decision: "will_supply"}, ill.ActShip: {ItemBarcode: "b"},
		ill.ActReturn: {Condition: "good"}, ill.ActCheckin: {Condition: "good"}, ill.ActCancel: {By: "staff"},
		ill.ActCancelResponse: {Accept: ptr(false)}, ill.ActDeliver: {FileID: "F1"},
	}
	for _, a := range ill.APIActions {
		v, err := bodies[a].Variant(a)
		if err != nil {
			t.Errorf("%s: %v", a, err)
			continue
		}
		found := false
		for _, w := range ill.Variants(a) {
			found = found || w == v
		}
		if !found {
			t.Errorf("%s: body variant %q not in Variants %q", a, v, ill.Variants(a))
		}
	}
}

func TestActionBodyJSON(t *testing.T) {
	var b ill.ActionBody
	in := `{"decision":"unfilled","reason":"not_on_shelf","note":"在修补"}`
	if err := json.Unmarshal([]byte(in), &b); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Variant(ill.ActRespond); err != nil || v != "unfilled" || b.Note != "在修补" {
		t.Errorf("%+v → %q %v", b, v, err)
	}
	var c ill.ActionBody
	if err := json.Unmarshal([]byte(`{"accept":false}`), &c); err != nil || c.Accept == nil || *c.Accept {
		t.Fatalf("accept:false decoded as %+v %v", c, err)
	}
	if v, _ := c.Variant(ill.ActCancelResponse); v != "no" {
		t.Errorf("accept:false → %q, want no", v)
	}
	out, _ := json.Marshal(ill.ActionBody{By: "reader"})
	if string(out) != `{"by":"reader"}` {
		t.Errorf("marshal = %s (empty fields should be omitted)", out)
	}
}

func TestEligibility(t *testing.T) {
	e := ill.DefaultEligibility
	cases := []struct {
		lang, mat string
		want      bool
	}{
		{"chi", "book", true},
		{"CHI", "Book", true},
		{"", "", true}, // a manual citation that does not say
		{"chi", "", true},
		{"", "book", true},
		{"eng", "book", false},
		{"jpn", "book", false},
		{"chi", "journal", false},
		{"chi", "thesis", false},
		{"chi", "rare", false},
		{"chi", "reference", false},
		{"eng", "journal", false},
		{"", "thesis", false},
		{"zh", "book", false}, // MARC codes only
	}
	for _, c := range cases {
		if got := e.Eligible(c.lang, c.mat); got != c.want {
			t.Errorf("Eligible(%q, %q) = %v, want %v", c.lang, c.mat, got, c.want)
		}
	}

	p, err := ill.ParseEligibility([]byte(`{"languages":["chi","eng"],"materials":["book","thesis"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Eligible("eng", "thesis") || !p.Eligible("chi", "book") || p.Eligible("jpn", "book") || p.Eligible("chi", "journal") {
		t.Errorf("parsed policy %+v applied wrongly", p)
	}
	for name, bad := range map[string]string{
		"no languages":    `{"materials":["book"]}`,
		"no materials":    `{"languages":["chi"]}`,
		"empty lists":     `{"languages":[],"materials":[]}`,
		"empty object":    `{}`,
		"bad json":        `{"languages":`,
		"wrong type":      `{"languages":"chi","materials":["book"]}`,
		"not even object": `[]`,
	} {
		if _, err := ill.ParseEligibility([]byte(bad)); err == nil {
			t.Errorf("ParseEligibility(%s): accepted %s", name, bad)
		} else if !strings.HasPrefix(err.Error(), "policy file") {
			t.Errorf("ParseEligibility(%s): error %q", name, err)
		}
	}
	if ill.MaxActiveRequests != 3 {
		t.Errorf("MaxActiveRequests = %d, R3 says 3", ill.MaxActiveRequests)
	}
}

func TestErrorsAndDisposition(t *testing.T) {
	if ill.ErrorCode(nil) != "" {
		t.Error("ErrorCode(nil)")
	}
	if ill.ErrorCode(io.EOF) != ill.CodeInternal {
		t.Error("foreign error should be internal")
	}
	wrapped := fmt.Errorf("handler: %w", ill.Errorf(ill.CodeNotFound, "no request %d", 7))
	if ill.ErrorCode(wrapped) != ill.CodeNotFound {
		t.Error("wrapped code lost")
	}
	fe := ill.FieldError("reason", "bad %s", "x")
	if fe.Error() != "bad_request: bad x (field reason)" {
		t.Errorf("FieldError.Error() = %q", fe.Error())
	}
	if e := ill.Errorf(ill.CodeConflict, "dup"); e.Error() != "conflict: dup" {
		t.Errorf("Error() = %q", e.Error())
	}
	for _, c := range []struct {
		err  error
		want ill.Disposition
	}{
		{nil, ill.Ack},
		{ill.Errorf(ill.CodeBadRequest, ""), ill.DeadLetter},
		{ill.Errorf(ill.CodeNotFound, ""), ill.DeadLetter},
		{ill.Errorf(ill.CodeForbidden, ""), ill.DeadLetter},
		{ill.Errorf(ill.CodeUnauthorized, ""), ill.DeadLetter},
		{ill.Errorf(ill.CodeTooLarge, ""), ill.DeadLetter},
		{ill.Errorf(ill.CodeConflict, ""), ill.DeadLetter},
		{ill.Errorf(ill.CodeTransient, ""), ill.Requeue},
		{ill.Errorf(ill.CodeUnavailable, ""), ill.Requeue},
		{ill.Errorf(ill.CodeInternal, ""), ill.Requeue},
		{io.ErrUnexpectedEOF, ill.Requeue},
		{fmt.Errorf("tx: %w", ill.Errorf(ill.CodeTransient, "deadlock")), ill.Requeue},
	} {
		if got := ill.DispositionFor(c.err); got != c.want {
			t.Errorf("DispositionFor(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	for r := range ill.LenderUnfilledReasons {
		if r == ill.ReasonNoResponse || r == ill.ReasonNotShipped {
			t.Errorf("%s is the scheduler's, not a lender's, reason", r)
		}
	}
	if len(ill.LenderUnfilledReasons) != 6 {
		t.Errorf("SPEC 5.1 lists 6 lender unfilled reasons, got %d", len(ill.LenderUnfilledReasons))
	}
}

func TestRequestRolesAndVisibility(t *testing.T) {
	r := &ill.Request{Borrower: "THU", Lender: "PKU", Rota: []ill.RotaEntry{
		{Library: "RUC", Outcome: ill.OutcomeUnfilled},
		{Library: "PKU", Outcome: ill.OutcomeAsked},
		{Library: "BNU", Outcome: ill.OutcomePending},
		{Library: "BIT", Outcome: ill.OutcomeSkipped},
	}}
	for _, c := range []struct {
		code    string
		centre  bool
		roles   []ill.Role
		visible bool
	}{
		{"THU", false, []ill.Role{ill.RoleBorrower}, true},
		{"PKU", false, []ill.Role{ill.RoleLender}, true},
		{"RUC", false, nil, true}, // asked before: may read, holds no role
		{"BNU", false, nil, false},
		{"BIT", false, nil, false},
		{"BUAA", false, nil, false},
		{"CENTRE", true, []ill.Role{ill.RoleCentre}, true},
		{"THU", true, []ill.Role{ill.RoleBorrower, ill.RoleCentre}, true},
	} {
		got := r.RolesOf(c.code, c.centre)
		if fmt.Sprint(got) != fmt.Sprint(c.roles) {
			t.Errorf("RolesOf(%s, %v) = %v, want %v", c.code, c.centre, got, c.roles)
		}
		if v := r.VisibleTo(c.code, c.centre); v != c.visible {
			t.Errorf("VisibleTo(%s, %v) = %v, want %v", c.code, c.centre, v, c.visible)
		}
	}
	// No current lender: the empty code is nobody's.
	r2 := &ill.Request{Borrower: "THU"}
	if roles := r2.RolesOf("", false); len(roles) != 0 {
		t.Errorf("RolesOf(\"\") on a lender-less request = %v", roles)
	}
	if ill.HashKey("demo-key-THU") == ill.HashKey("demo-key-PKU") || len(ill.HashKey("x")) != 64 {
		t.Error("HashKey")
	}
	if ill.DemoKey("THU") != "demo-key-THU" {
		t.Error("DemoKey")
	}
}

func FuzzActionBody(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"decision":"will_supply"}`, `{"decision":"unfilled","reason":"not_held"}`,
		`{"decision":"unfilled","reason":42}`, `{"by":"reader"}`, `{"accept":true}`, `{"accept":null}`,
		`{"item_barcode":"123"}`, `{"condition":"good"}`, `{"record_id":"1","lenders":["THU"]}`,
		`{"lenders":[]}`, `{"note":"` + strings.Repeat("长", 700) + `"}`, `null`, `[]`, `"x"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b ill.ActionBody
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		for _, a := range ill.APIActions {
			v, err := b.Variant(a)
			if err != nil {
				var e *ill.Error
				if !errors.As(err, &e) || e.Code != ill.CodeBadRequest || e.Field == "" {
					t.Fatalf("Variant(%s) on %s: %v (%T), want a bad_request naming a field", a, data, err, err)
				}
				continue
			}
			// A valid body yields a variant Decide understands.
			known := false
			for _, w := range ill.Variants(a) {
				known = known || w == v
			}
			if !known {
				t.Fatalf("Variant(%s) on %s = %q, not one of %q", a, data, v, ill.Variants(a))
			}
		}
	})
}
