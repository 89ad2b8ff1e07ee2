package ill_test

import (
	"slices"
	"testing"

	"github.com/balis/illhub/ill"
)

// TestNCIPCallsFor is the mapping of docs/ncip.md, transition by
// transition, including the ones that call nothing.
func TestNCIPCallsFor(t *testing.T) {
	b, l := ill.RoleBorrower, ill.RoleLender
	cases := []struct {
		a        ill.Action
		from, to ill.State
		want     []ill.NCIPCallSpec
	}{
		{ill.ActRoute, ill.Submitted, ill.Requested, []ill.NCIPCallSpec{{ill.NCIPLookupUser, b}}},
		{ill.ActHold, ill.Submitted, ill.NeedsMediation, []ill.NCIPCallSpec{{ill.NCIPLookupUser, b}}},
		{ill.ActReject, ill.Submitted, ill.Rejected, nil},
		{ill.ActRoute, ill.Submitted, ill.Unfilled, nil},
		{ill.ActMediate, ill.NeedsMediation, ill.Requested, nil},
		{ill.ActRespond, ill.Requested, ill.WillSupply, nil},
		{ill.ActRespondTimeout, ill.Requested, ill.Requested, nil},
		{ill.ActShip, ill.WillSupply, ill.Shipped, []ill.NCIPCallSpec{{ill.NCIPCheckOutItem, l}}},
		{ill.ActReceive, ill.Shipped, ill.Received, []ill.NCIPCallSpec{{ill.NCIPAcceptItem, b}}},
		{ill.ActCheckout, ill.Received, ill.OnLoan, []ill.NCIPCallSpec{{ill.NCIPCheckOutItem, b}}},
		{ill.ActRecall, ill.OnLoan, ill.Recalled, nil},
		{ill.ActMarkOverdue, ill.OnLoan, ill.Overdue, nil},
		{ill.ActReturn, ill.Overdue, ill.Returned, []ill.NCIPCallSpec{{ill.NCIPCheckInItem, b}}},
		{ill.ActShipReturn, ill.Returned, ill.ReturnShipped, nil},
		{ill.ActShipReturn, ill.Received, ill.ReturnShipped, []ill.NCIPCallSpec{{ill.NCIPCheckInItem, b}}},
		{ill.ActCheckin, ill.ReturnShipped, ill.Completed, []ill.NCIPCallSpec{{ill.NCIPCheckInItem, l}}},
		{ill.ActReportLost, ill.OnLoan, ill.Lost, nil},
		{ill.ActCancel, ill.Requested, ill.Cancelled, nil},
	}
	for _, c := range cases {
		if got := ill.NCIPCallsFor(c.a, c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("%s %s → %s: got %v, want %v", c.a, c.from, c.to, got, c.want)
		}
	}
	var none *ill.NCIPMember
	if none.Enabled() || (&ill.NCIPMember{Code: "THU"}).Enabled() || !(&ill.NCIPMember{Endpoint: "http://x"}).Enabled() {
		t.Fatal("Enabled: only a member with an endpoint")
	}
}
