package web

// Labels of what ISO 18626 members add to a request's life cycle: a lender
// whose system could not be reached (rota outcome, timeline), a lender's
// Loaned without WillSupply first, an Unfilled without a reason.
func init() {
	addMessages(map[string][2]string{
		"outcome.unreachable":      {"系统无法送达", "System unreachable"},
		"reason.unspecified":       {"出借馆未说明原因。", "The lender gave no reason."},
		"event.supply_ship":        {"同意出借并寄出", "Agreed to lend and shipped"},
		"event.lender_unreachable": {"出借馆系统无法送达，转下一馆", "Lender's system unreachable; next lender asked"},
	})
}
