package iso18626_test

import (
	"fmt"

	"github.com/balis/illhub/iso18626"
)

// How a supplier's ISO 18626 message maps onto the hub's state table: the
// action (and variant) it becomes, and for requesting-agency actions the
// second step the hub takes for an ISO member (ISO 18626 has one step where
// the hub's table has two).
func ExampleSupplierInbound() {
	for _, m := range []iso18626.SupplyingAgencyMessage{
		{MessageInfo: iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonRequestResponse}, StatusInfo: iso18626.StatusInfo{Status: iso18626.StatusWillSupply}},
		{MessageInfo: iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonStatusChange}, StatusInfo: iso18626.StatusInfo{Status: iso18626.StatusLoaned}},
		{MessageInfo: iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonRequestResponse}, StatusInfo: iso18626.StatusInfo{Status: iso18626.StatusUnfilled}},
		{MessageInfo: iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonStatusChange}, StatusInfo: iso18626.StatusInfo{Status: iso18626.StatusLoanCompleted}},
	} {
		in, _ := iso18626.SupplierInbound(&m)
		fmt.Printf("%s/%s → %s\n", m.MessageInfo.ReasonForMessage, m.StatusInfo.Status, step(in))
	}
	for _, a := range []iso18626.Action{iso18626.ActionReceived, iso18626.ActionShippedReturn, iso18626.ActionCancel} {
		fmt.Printf("%s → %s\n", a, step(iso18626.FromAction[a]))
	}
	// Output:
	// RequestResponse/WillSupply → respond (will_supply)
	// StatusChange/Loaned → supply_ship
	// RequestResponse/Unfilled → respond (unfilled)
	// StatusChange/LoanCompleted → checkin
	// Received → receive, then checkout
	// ShippedReturn → return, then ship_return
	// Cancel → cancel (staff)
}

func step(in iso18626.Inbound) string {
	s := string(in.Action)
	if in.Variant != "" {
		s += " (" + string(in.Variant) + ")"
	}
	if in.Then != "" {
		s += ", then " + string(in.Then)
	}
	return s
}
