package web

// Translations of the copy requests' last pieces (docs/copies.md): the
// reports' service type filter and the libraries' copy settings on the
// fee page.
func init() {
	addMessages(map[string][2]string{
		"reports.service_type": {"服务类型（汇总、每日、出借馆考核）", "Service type (summary, daily, lenders)"},
		"reports.service_all":  {"全部", "All"},
		"reports.service_loan": {"馆际借书", "Loans"},
		"reports.service_copy": {"文献传递", "Copy requests"},

		"copyterms.title":               {"文献传递时限与限额", "Copy request deadlines and limit"},
		"copyterms.help":                {"本馆作为提供馆时答复与传递文献的工作日数（此后新到的申请适用），以及本馆每位读者同时在办的文献传递申请上限。", "Working days this library has to answer and to deliver a copy request as supplier (for requests that arrive after the change), and how many open copy requests each of its readers may have."},
		"copyterms.save":                {"保存文献传递设置", "Save copy settings"},
		"copyterms.saved":               {"文献传递设置已保存。", "Copy settings saved."},
		"copyterms.unchanged":           {"文献传递设置没有变化。", "The copy settings did not change."},
		"money.field.copy_respond_days": {"文献传递答复时限（工作日）", "Copy: working days to answer"},
		"money.field.copy_deliver_days": {"文献传递传递时限（工作日）", "Copy: working days to deliver"},
		"money.field.copy_limit":        {"每位读者文献传递申请上限", "Copy: open requests per reader"},
		"field.copy_respond_days":       {"答复时限", "working days to answer"},
		"field.copy_deliver_days":       {"传递时限", "working days to deliver"},
		"field.copy_limit":              {"申请上限", "open requests per reader"},
	})
}
