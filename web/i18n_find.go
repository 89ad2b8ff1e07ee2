package web

// Translations of the console's search, batch actions, the borrower's
// queues and the notes between libraries (find.go, notes.go).
func init() {
	addMessages(map[string][2]string{
		"queue.with_lender": {"在出借馆处理中", "With a lender"},
		"queue.finished":    {"已结束", "Finished"},

		"find.title":           {"申请查询", "Find a request"},
		"find.nav":             {"查询", "Find"},
		"find.box":             {"申请号 / 读者证号 / 条码号 / 题名", "Request no. / card / barcode / title"},
		"find.placeholder":     {"如 ILL-1DA0…、读者证号、条码号、题名、ISBN", "e.g. ILL-1DA0…, card number, barcode, title, ISBN"},
		"find.go":              {"查询", "Search"},
		"find.other_library":   {"对方馆", "Other library"},
		"find.any_library":     {"全部图书馆", "Any library"},
		"find.total":           {"共 {n} 条申请", "{n} requests"},
		"find.none":            {"没有符合条件的申请。", "No request matches."},
		"find.choose":          {"选择", "Select"},
		"find.batch_do":        {"对所选申请批量操作", "Apply to the selected requests"},
		"find.batch_hint":      {"勾选要处理的申请后点击下方按钮，每条申请分别处理并报告结果。", "Tick the requests, then press the button: each request is handled on its own and you see what happened to each."},
		"find.batch_ship_hint": {"勾选要寄出的申请，并在每一行填写该册的条码号。", "Tick the requests to ship and enter each item's barcode on its row."},
		"find.batch_title":     {"批量操作结果", "Batch result"},
		"find.batch_summary":   {"{m} 条申请中已提交 {n} 条。", "{n} of {m} requests queued."},
		"find.batch_later":     {"已提交的操作稍后生效，队列会随之更新。", "Queued actions take effect in a moment; the queues update then."},
		"find.outcome":         {"结果", "Outcome"},
		"find.queued":          {"已提交", "Queued"},
		"find.refused":         {"未执行：", "Refused:"},
		"field.text":           {"内容", "text"},
		"field.barcode":        {"条码号", "barcode"},
		"field.id":             {"申请", "requests"},

		"notes.title":        {"馆际留言", "Notes between libraries"},
		"notes.none":         {"还没有留言。", "No notes yet."},
		"notes.write":        {"给对方馆留言", "Write a note"},
		"notes.to":           {"发给", "to"},
		"notes.both":         {"借入馆和出借馆", "both libraries"},
		"notes.centre":       {"BALIS 管理中心", "BALIS centre"},
		"notes.via_api":      {"馆系统接口", "library system"},
		"notes.hint":         {"最多 {n} 字；对方馆馆员打开此申请即可看到。", "Up to {n} characters; the other library's staff see it on this request."},
		"notes.send":         {"发送留言", "Send note"},
		"notes.added":        {"留言已发送。", "Note sent."},
		"notes.unread_n":     {"{n} 条未读留言", "{n} unread notes"},
		"notes.unread_title": {"未读留言", "Unread notes"},
	})
}
