package web

// Translations of the reports page: the report names (every one of
// reports.Names: a Chinese page never shows a raw key) and the monthly
// summary's schedule.
func init() {
	addMessages(map[string][2]string{
		"report.lenders":          {"出借馆考核", "Lender evaluation"},
		"report.unfilled-reasons": {"未满足原因分析", "Unfilled reasons"},
		"report.library-balance":  {"各馆借贷平衡", "Borrow/lend balance per library"},
		"report.courier-volume":   {"物流线路运量", "Courier volume per route"},
		"reports.lenders_notes": {"出借馆考核按申请到达出借馆的时间统计：满足率 = 已提供 ÷（已提供 + 未满足）；已提供指寄出（馆际借书）或传递（文献传递）；1个工作日内答复率与3个工作日内寄出率按出借馆的工作日历（含法定节假日、调休及本馆闭馆日）计算；周转（工作日）= 从申请到达出借馆至寄出或传递经过的工作日数（当日为0）；周转（工作小时）= 其间落在出借馆工作日内的小时数（每个工作日按全天24小时计，非工作日不计）。出借馆考核可按服务类型筛选（未满足原因分析统计全部类型）。合计行为全体成员馆。",
			"The lender evaluation counts the requests that reached each lender in the period: fill rate = supplied ÷ (supplied + unfilled), supplied meaning shipped (loans) or delivered (copy requests); answered within 1 working day and shipped within 3 are judged on the lender's working-day calendar (public holidays, adjusted working days and its own closures); turnaround in working days = working days from the request reaching the lender to shipment or delivery (0 = the same day); in working hours = the hours of that time that fall on the lender's working days (a working day counts its whole 24 hours, other days none). The lender evaluation can be limited to one service type (the unfilled reasons count every type). The totals row is the whole consortium."},
		"reports.schedule":         {"月度统计邮件", "Monthly summary e-mail"},
		"reports.schedule_help":    {"开启后，每月在所选工作日向每个成员馆发送上月的本馆统计（出借、借入、借贷平衡），并附控制台报表链接。", "When on, each member library receives its previous month's figures (lending, borrowing, balance) by e-mail on the chosen working day, with a link to the report in the console."},
		"reports.schedule_enabled": {"发送月度统计邮件", "Send the monthly summary"},
		"reports.schedule_day":     {"发送日", "Send on"},
		"reports.schedule_nth":     {"每月第 %d 个工作日", "working day %d of the month"},
		"reports.schedule_url":     {"控制台网址（邮件中的链接）", "Console address (for the link in the e-mail)"},
		"reports.schedule_save":    {"保存设置", "Save settings"},
		"reports.schedule_updated": {"最近修改：", "Last changed by"},
		"field.working_day":        {"发送日", "working day"},
		"field.console_url":        {"控制台网址", "console address"},
	})
}
