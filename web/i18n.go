package web

import (
	"io/fs"
	"strconv"
)

func assetsGlob(pattern string) ([]string, error) { return fs.Glob(assets, pattern) }

func strconvPct(v float64) string {
	if v < 0 {
		return "—"
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
}

// tr returns the message for key in lang ("zh" or "en"); the key itself
// when the catalogue has no entry.
func tr(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		if onMissing != nil {
			onMissing(key)
		}
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// onMissing, when set (by the tests, before any page is served), is told
// of every key a page asked for that the catalogue lacks.
var onMissing func(key string)

// addMessages adds an area's entries to the catalogue (each area of the
// pages keeps its own in i18n_<area>.go and calls this from init). A key
// defined twice is a programming error, caught at start-up.
func addMessages(m map[string][2]string) {
	for k, v := range m {
		if _, dup := messages[k]; dup {
			panic("web: translation key " + k + " defined twice")
		}
		messages[k] = v
	}
}

// messages is the zh/en catalogue: key → {zh, en}.
var messages = map[string][2]string{
	"site":              {"BALIS 馆际互借", "BALIS Interlibrary Loan"},
	"site_sub":          {"北京地区高校图书馆文献资源保障体系", "Beijing Academic Library & Information System"},
	"skip":              {"跳到正文", "Skip to content"},
	"lang_switch":       {"English", "中文"},
	"reader_login":      {"读者登录", "Reader sign-in"},
	"staff_login":       {"馆员登录", "Staff sign-in"},
	"library":           {"所在图书馆", "Library"},
	"choose_library":    {"请选择图书馆", "Choose your library"},
	"card":              {"读者证号", "Card number"},
	"pin":               {"密码（PIN）", "PIN"},
	"username":          {"用户名", "User name"},
	"password":          {"密码", "Password"},
	"sign_in":           {"登录", "Sign in"},
	"sign_out":          {"退出", "Sign out"},
	"signed_out":        {"您已安全退出。", "You have signed out."},
	"bad_login":         {"图书馆、证号或密码不正确。", "Library, card number or PIN is not correct."},
	"bad_staff_login":   {"图书馆、用户名或密码不正确。", "Library, user name or password is not correct."},
	"staff_link":        {"馆员请由此登录", "Library staff sign in here"},
	"reader_link":       {"读者登录", "Reader sign-in"},
	"nav_search":        {"联合检索", "Union search"},
	"nav_manual":        {"手工填写申请单", "Manual request"},
	"nav_history":       {"申请单查询", "My requests"},
	"nav_console":       {"工作台", "Work queues"},
	"nav_reports":       {"统计报表", "Reports"},
	"nav_admin":         {"中心管理", "Centre admin"},
	"search":            {"检索", "Search"},
	"search_q":          {"题名 / 著者", "Title / author"},
	"search_isbn":       {"ISBN", "ISBN"},
	"search_library":    {"收藏馆", "Held by"},
	"any_library":       {"全部成员馆", "Any member library"},
	"available_only":    {"仅显示可借", "Available copies only"},
	"results":           {"检索结果", "Results"},
	"n_results":         {"共 {n} 条", "{n} results"},
	"no_results":        {"没有找到符合条件的文献。可以手工填写申请单。", "Nothing found. You can fill in a manual request."},
	"title":             {"题名", "Title"},
	"author":            {"著者", "Author"},
	"publisher":         {"出版社", "Publisher"},
	"year":              {"出版年", "Year"},
	"isbn":              {"ISBN", "ISBN"},
	"clc":               {"中图分类号", "CLC class"},
	"holdings":          {"收藏馆数", "Holdings"},
	"available":         {"可借复本", "Available"},
	"details":           {"详细信息", "Details"},
	"holding_libraries": {"各成员馆馆藏", "Holdings at member libraries"},
	"call_number":       {"索书号", "Call number"},
	"copies":            {"复本", "Copies"},
	"lendable":          {"可馆际互借", "Lendable"},
	"yes":               {"是", "Yes"},
	"no":                {"否", "No"},
	"on_shelf":          {"在架", "On shelf"},
	"not_on_shelf":      {"已借出", "Checked out"},
	"ill_button":        {"馆际互借", "Request (ILL)"},
	"note":              {"备注", "Note"},
	"held_here":         {"本馆有可借复本，请直接到本馆借阅。", "Your own library has a copy on the shelf: borrow it there."},
	"manual_intro":      {"在联合目录中找不到所需文献时，请填写以下申请单，馆际互借员将在 1 个工作日内为您查找出借馆。", "If the union catalogue does not have the book, fill in this form; ILL staff will find a lender within 1 working day."},
	"submit":            {"提交申请", "Submit request"},
	"submitted":         {"申请已提交。", "Your request has been submitted."},
	"cancelled_msg":     {"撤销申请已提交。", "Your cancellation has been sent."},
	"done":              {"操作已提交。", "Done: the action has been sent."},
	"history":           {"申请单查询", "My requests"},
	"state":             {"状态", "State"},
	"any_state":         {"全部状态", "Any state"},
	"from":              {"起始日期", "From"},
	"to":                {"截止日期", "To"},
	"title_words":       {"题名关键词", "Title words"},
	"query":             {"查询", "Search"},
	"submitted_at":      {"申请时间", "Submitted"},
	"lender":            {"出借馆", "Lender"},
	"borrower":          {"借入馆", "Borrower"},
	"due_at":            {"应还日期", "Due"},
	"respond_by":        {"答复期限", "Answer by"},
	"ship_by":           {"寄出期限", "Ship by"},
	"reason":            {"原因", "Reason"},
	"request_no":        {"申请号", "Request no."},
	"no_requests":       {"没有符合条件的申请。", "No requests match."},
	"cancel":            {"撤销申请", "Cancel request"},
	"cancel_until":      {"可在 {t} 前自行撤销", "You may cancel until {t}"},
	"timeline":          {"处理记录", "Timeline"},
	"actor":             {"操作方", "By"},
	"action":            {"操作", "Action"},
	"prev":              {"上一页", "Previous"},
	"next":              {"下一页", "Next"},
	"page_n":            {"第 {n} 页，共 {m} 页", "Page {n} of {m}"},
	"error":             {"出错了", "Something went wrong"},
	"back":              {"返回", "Back"},
	"patron":            {"读者", "Reader"},
	"current_state":     {"当前状态：", "current state: "},
	"rota":              {"出借馆顺序", "Lender rota"},
	"outcome":           {"结果", "Outcome"},
	"provisional":       {"（期限为暂定：工作日历尚未覆盖）", "(provisional: the calendar does not cover this date yet)"},

	"n_days":          {"{n} 天", "{n} days"},
	"n_hours":         {"{n} 小时", "{n} h"},
	"n_minutes":       {"{n} 分钟", "{n} min"},
	"left":            {"剩余 {d}", "{d} left"},
	"overdue_by":      {"已超时 {d}", "{d} past the deadline"},
	"loan_overdue_by": {"已超期 {d}", "overdue by {d}"},

	"err.not_found":              {"找不到该页面或记录。", "No such page or record."},
	"err.sign_in":                {"请先登录。", "Please sign in first."},
	"err.csrf":                   {"表单已过期，请返回刷新后重试。", "The form has expired; go back, reload and try again."},
	"err.forbidden":              {"您无权执行此操作：只有该申请的相关馆可以处理。", "You may not do this: only the libraries party to this request may."},
	"err.invalid_transition":     {"该申请当前状态下不能执行此操作。", "This action is not possible in the request's current state."},
	"err.cancel_window_passed":   {"已超过提交后 1 小时的自行撤销期限，请联系本馆馆际互借员。", "More than 1 hour has passed since you submitted; ask your library's ILL staff to cancel."},
	"err.renewal_not_allowed":    {"馆际互借图书不能续借。", "Interlibrary loans cannot be renewed."},
	"err.bad_request":            {"填写的内容有误", "Please check the form"},
	"err.unavailable":            {"系统繁忙，请稍后重试。", "The service is busy; please try again shortly."},
	"err.rate_limited":           {"操作过于频繁，请稍后重试。", "Too many attempts; please wait a moment."},
	"err.internal":               {"系统内部错误，已记录。", "Internal error; it has been logged."},
	"err.conflict":               {"与已有申请冲突。", "This conflicts with an existing request."},
	"err.payload_too_large":      {"提交的内容过大。", "The form is too large."},
	"err.unauthorized":           {"请先登录，或登录已失效。", "Please sign in; your sign-in may have expired."},
	"err.method_not_allowed":     {"不支持该操作方式。", "That kind of request is not supported here."},
	"err.unsupported_media_type": {"不支持该内容格式。", "That content type is not supported."},
	"err.transient":              {"暂时无法完成，请稍后重试。", "This could not be done just now; please try again shortly."},
	"err.undeliverable":          {"无法送达对方馆的系统。", "The other library's system could not be reached."},
	"err.unknown_barcode":        {"没有找到该条码对应的在途文献。", "No item on its way carries that barcode."},
	"err.barcode_mismatch":       {"条码与该申请寄出的文献不符。", "That barcode is not the item shipped for this request."},

	"field.record_id":         {"文献", "record"},
	"field.item.title":        {"题名", "title"},
	"field.item.author":       {"著者", "author"},
	"field.item.isbn":         {"ISBN", "ISBN"},
	"field.item.publisher":    {"出版社", "publisher"},
	"field.item.year":         {"出版年", "year"},
	"field.note":              {"备注", "note"},
	"field.patron.email":      {"电子邮箱", "e-mail"},
	"field.item_barcode":      {"条码号", "barcode"},
	"field.reason":            {"原因", "reason"},
	"field.condition":         {"品相", "condition"},
	"field.decision":          {"答复", "decision"},
	"field.client_request_id": {"申请号", "request id"},
	"field.q":                 {"检索词", "search words"},
	"field.isbn":              {"ISBN", "ISBN"},
	"field.from":              {"起始日期", "from"},
	"field.to":                {"截止日期", "to"},
	"field.page":              {"页码", "page"},
	"field.lenders":           {"出借馆", "lenders"},
	"field.accept":            {"答复", "answer"},

	"reason.over_limit":            {"您同时在借的馆际互借申请已达 3 册上限（还书后可再申请）。", "You already have 3 active interlibrary requests, the limit (return one to request more)."},
	"reason.not_eligible":          {"该文献不在馆际互借范围内（仅限中文普通图书）。", "This item cannot be lent between libraries (Chinese general books only)."},
	"reason.deposit_required":      {"本馆要求读者先交纳押金，请到馆际互借处办理后再申请。", "Your library requires a deposit first: pay it at the ILL desk, then request again."},
	"reason.held_locally":          {"本馆有可借复本，请直接到本馆借阅。", "Your own library has an available copy: borrow it there."},
	"reason.duplicate":             {"您已有一笔相同文献的申请正在处理。", "You already have an active request for this item."},
	"reason.invalid":               {"申请内容无效。", "The request is not valid."},
	"reason.not_held":              {"出借馆未收藏该文献。", "The lender does not hold it."},
	"reason.not_on_shelf":          {"出借馆的复本不在架。", "The lender's copy is not on the shelf."},
	"reason.non_circulating":       {"出借馆的复本不外借。", "The lender's copy does not circulate."},
	"reason.not_available_for_ill": {"出借馆的复本不提供馆际互借。", "The lender's copy is not available for ILL."},
	"reason.policy_problem":        {"出借馆政策不允许出借。", "The lender's policy does not allow it."},
	"reason.poor_condition":        {"出借馆的复本品相不宜寄送。", "The lender's copy is in poor condition."},
	"reason.no_response":           {"出借馆未在 1 个工作日内答复。", "The lender did not answer within 1 working day."},
	"reason.not_shipped":           {"出借馆未按期寄出。", "The lender did not ship in time."},
	"reason.cancelled_by_reader":   {"读者撤销。", "Cancelled by the reader."},
	"reason.cancelled_by_staff":    {"馆员撤销。", "Cancelled by library staff."},
	"reason.reported_lost":         {"已报告遗失。", "Reported lost."},

	// console
	"console":             {"馆际互借工作台", "ILL work queues"},
	"queue.to_answer":     {"待答复", "To answer"},
	"queue.to_ship":       {"待寄出", "To ship"},
	"queue.cancel_asks":   {"撤销待确认", "Cancel requests"},
	"queue.to_receive":    {"待收书", "To receive"},
	"queue.arrived":       {"已到馆待借出", "Arrived, to check out"},
	"queue.on_loan":       {"借出中 / 超期", "On loan / overdue"},
	"queue.returns":       {"待寄还", "Returns to ship back"},
	"queue.to_checkin":    {"待归还入库", "To check in"},
	"queue.lent_out":      {"本馆借出（可索回）", "Lent out (recall)"},
	"queue.mediation":     {"待人工处理", "Mediation"},
	"as_lender":           {"作为出借馆", "As lender"},
	"as_borrower":         {"作为借入馆", "As borrower"},
	"courier":             {"物流交接单", "Courier manifests"},
	"direction":           {"方向", "Direction"},
	"run_date":            {"班次日期", "Run date"},
	"route":               {"线路", "Route"},
	"status":              {"状态", "Status"},
	"barcode":             {"条码号", "Barcode"},
	"pull_slip":           {"取书单", "Pull slip"},
	"empty_queue":         {"队列为空。", "Nothing waiting."},
	"show_all":            {"查看全部", "Show all"},
	"all_libraries":       {"全部成员馆", "All member libraries"},
	"act.will_supply":     {"同意出借", "Will supply"},
	"act.unfilled":        {"不能满足", "Cannot supply"},
	"act.ship":            {"已寄出", "Ship"},
	"act.receive":         {"确认收书", "Receive"},
	"act.checkout":        {"借给读者", "Check out to reader"},
	"act.recall":          {"索回", "Recall"},
	"act.return":          {"读者还书", "Returned by reader"},
	"act.ship_return":     {"寄还出借馆", "Ship back"},
	"act.checkin":         {"归还入库", "Check in"},
	"act.cancel":          {"撤销", "Cancel"},
	"act.cancel_yes":      {"同意撤销", "Agree to cancel"},
	"act.cancel_no":       {"不同意撤销", "Refuse cancel"},
	"act.mediate":         {"指定出借馆", "Send to lenders"},
	"act.report_lost":     {"报告遗失", "Report lost"},
	"condition":           {"品相", "Condition"},
	"cond.good":           {"完好", "Good"},
	"cond.damaged":        {"损坏", "Damaged"},
	"lenders_codes":       {"出借馆代码（逗号分隔）", "Lender codes (comma separated)"},
	"or_record":           {"或联合目录记录号", "or union record id"},
	"actions":             {"可执行操作", "Actions"},
	"no_actions":          {"当前没有您可执行的操作。", "Nothing for you to do now."},
	"dead_letters":        {"死信队列", "Dead letters"},
	"missed":              {"逾期未处理记录", "Missed deadlines"},
	"calendar_warning":    {"工作日历只加载到 {d}：请尽快导入下一年度日历（illctl calendar import），之后的期限为暂定。", "The working-day calendar is loaded only until {d}: import next year's calendar (illctl calendar import); later deadlines are provisional."},
	"calendar_ok":         {"工作日历已覆盖到 {d}。", "The working-day calendar covers until {d}."},
	"message_id":          {"消息号", "Message id"},
	"queue_name":          {"队列", "Queue"},
	"none":                {"无", "None"},
	"count":               {"数量", "Count"},
	"outcome.no_response": {"超时未答复", "No answer in time"},
	"outcome.not_shipped": {"超时未寄出", "Not shipped in time"},
	"outcome.pending":     {"待询", "Not yet asked"},
	"outcome.asked":       {"已发出请求，待答复", "Asked, awaiting an answer"},
	"outcome.will_supply": {"同意出借", "Will supply"},
	"outcome.unfilled":    {"无法满足", "Cannot supply"},
	"outcome.skipped":     {"已跳过", "Skipped"},

	// reports
	"reports":           {"统计报表", "Reports"},
	"report.summary":    {"各馆借阅统计", "Summary per library"},
	"report.daily":      {"每日趋势", "Daily"},
	"report.balance":    {"馆际借贷平衡矩阵", "Lender / borrower balance"},
	"report.overdue":    {"超期清单", "Overdue list"},
	"report.top-titles": {"热门申请文献", "Top requested titles"},
	"report.courier":    {"物流线路运量", "Courier volume per route"},
	"period":            {"统计期间", "Period"},
	"show":              {"显示", "Show"},
	"download_csv":      {"下载 CSV", "Download CSV"},
	"download_xlsx":     {"下载 Excel (XLSX)", "Download Excel (XLSX)"},
	"chart":             {"图表", "Chart"},
	"col.library":       {"图书馆", "Library"},
	"col.borrowed":      {"借入申请", "Borrowed (requests)"},
	"col.lent":          {"同意出借", "Lent (accepted)"},
	"col.filled":        {"已寄出", "Shipped"},
	"col.unfilled":      {"未满足", "Unfilled"},
	"col.missed":        {"逾期", "Missed deadlines"},
	"col.received":      {"已收到", "Received"},
	"col.fill_rate":     {"满足率", "Fill rate"},
	"col.sla":           {"时限达标率", "SLA compliance"},
	"col.turnaround_h":  {"平均周转（小时）", "Avg turnaround (h)"},
	"col.day":           {"日期", "Day"},
	"col.lender":        {"出借馆", "Lender"},
	"col.borrower":      {"借入馆", "Borrower"},
	"col.count":         {"册数", "Items"},
	"col.request_id":    {"申请号", "Request"},
	"col.title":         {"题名", "Title"},
	"col.patron":        {"读者", "Reader"},
	"col.due_at":        {"应还日期", "Due"},
	"col.days_overdue":  {"超期天数", "Days overdue"},
	"col.requests":      {"申请次数", "Requests"},
	"col.record_id":     {"记录号", "Record"},
	"col.route":         {"线路", "Route"},
	"col.shipments":     {"件数", "Shipments"},
	"col.net":           {"净出借", "Net lent"},
}

func init() {
	addMessages(map[string][2]string{
		"actor.system":  {"系统", "System"},
		"actor.courier": {"物流", "Courier"},
		"actor.centre":  {"馆际互借中心", "ILL centre"},

		"event.submit":           {"提交申请", "Submitted"},
		"event.mediate":          {"人工指定出借馆", "Lenders chosen by staff"},
		"event.respond":          {"出借馆答复", "Lender answered"},
		"event.ship":             {"寄出", "Shipped"},
		"event.receive":          {"收到图书", "Received"},
		"event.checkout":         {"借给读者", "Checked out to the reader"},
		"event.recall":           {"索回", "Recalled"},
		"event.renew":            {"申请续借", "Renewal asked"},
		"event.return":           {"读者还书", "Returned by the reader"},
		"event.ship_return":      {"寄还出借馆", "Shipped back"},
		"event.checkin":          {"归还入库", "Checked in"},
		"event.cancel":           {"撤销", "Cancelled"},
		"event.cancel_response":  {"答复撤销请求", "Answered the cancel request"},
		"event.report_lost":      {"报告遗失", "Reported lost"},
		"event.route":            {"自动选择出借馆", "Routed"},
		"event.hold":             {"转人工处理", "Held for staff"},
		"event.reject":           {"不予受理", "Refused"},
		"event.respond_deadline": {"答复超时", "Answer deadline missed"},
		"event.ship_deadline":    {"寄出超时", "Shipping deadline missed"},
		"event.overdue":          {"超期", "Overdue"},
		"event.iso18626":         {"ISO 18626 消息", "ISO 18626 message"},

		"note.asked":                 {"已向{lib}发出请求（第 {n} 顺位）", "Asked {lib} (rank {n})"},
		"note.no_holder":             {"没有其他成员馆收藏可外借的复本", "No other member library holds a lendable copy"},
		"note.rota_exhausted":        {"候选出借馆均已询问，无法满足", "Every lender in the rota has been asked"},
		"note.needs_mediation":       {"联合目录中未找到，待馆员查找出借馆", "Not in the union catalogue; staff to find a lender"},
		"note.lender_unfilled":       {"{lib}无法满足：{reason}", "{lib} cannot supply: {reason}"},
		"note.will_supply":           {"同意出借", "Will supply"},
		"note.will_supply_delivered": {"同意提供（随即传递电子文献）", "Will supply (delivered at once)"},
		"note.item":                  {"图书条码 {x}", "Item barcode {x}"},
		"note.due":                   {"应还日期 {t}", "Due {t}"},
		"note.past_due":              {"已过应还日期 {t}", "Past due {t}"},
		"note.condition":             {"图书状况：{cond}", "Condition: {cond}"},
		"note.late_suffix":           {"，逾期 {n} 天归还", ", returned {n} day(s) late"},
		"note.cancel_requested":      {"{by}申请撤销", "Cancel asked by the {by}"},
		"note.cancelled_by":          {"已由{by}撤销", "Cancelled by the {by}"},
		"note.cancel_agreed":         {"出借馆同意撤销", "The lender agreed to cancel"},
		"note.cancel_declined":       {"出借馆不同意撤销", "The lender declined to cancel"},
		"note.refused":               {"未执行：{x}", "Not done: {x}"},
		"note.sep":                   {"；", " — "},
		"vnote.lost":                 {"报告遗失", "Reported lost"},
		"vnote.overdue":              {"超过应还日期 {n} 天归还", "Returned {n} day(s) after the due date"},
		"vnote.damaged_both":         {"损坏（借入馆验收、出借馆入库检查均发现）", "Damaged (found by the borrowing library's inspection and at the lender's check-in)"},
		"vnote.damaged_borrower":     {"损坏（借入馆验收时发现）", "Damaged (found by the borrowing library's inspection)"},
		"vnote.damaged_lender":       {"损坏（出借馆入库检查时发现）", "Damaged (found at the lender's check-in)"},
		"time":                       {"时间", "Time"},
		"queue.centre.lent_out":      {"借出中（出借馆可索回）", "Out on loan (lenders may recall)"},
		"queue.centre.to_answer":     {"出借馆待答复", "Awaiting a lender's answer"},
		"queue.centre.to_ship":       {"出借馆待寄出", "Awaiting shipment by the lender"},
		"queue.centre.to_receive":    {"借入馆待收书", "Awaiting receipt by the borrower"},
		"queue.centre.returns":       {"借入馆待寄还", "Awaiting return shipment"},
		"queue.centre.to_checkin":    {"出借馆待归还入库", "Awaiting check-in by the lender"},
		"queue.centre.with_lender":   {"出借馆处理中", "With a lender"},
		"submitted_rejected":         {"申请未被受理，原因见下。", "Your request was not accepted; the reason is below."},
		"submitted_unfilled":         {"申请已处理，但暂无成员馆能够出借。", "Your request was processed, but no member library can lend it."},
		"submitted_mediation":        {"申请已提交，馆员将人工为您查找出借馆。", "Your request has been submitted; library staff will find a lender for it."},
		"colon":                      {"：", ": "},
		"by.reader":                  {"读者", "reader"},
		"by.staff":                   {"馆员", "staff"},
	})
	messages["open_shipments"] = [2]string{"在途物流", "Shipments in transit"}
	// sign-in throttles, unlock, intake limit
	messages["signin_locked"] = [2]string{"登录尝试过多，请 {n} 分钟后再试。", "Too many sign-in attempts; try again in {n} min."}
	messages["signin_locked_reader"] = [2]string{"登录尝试过多，请 {n} 分钟后再试；如有急需，可请本馆馆际互借员解除限制。",
		"Too many sign-in attempts; try again in {n} min, or ask your library's ILL staff to unlock your card."}
	messages["intake_limited"] = [2]string{"提交申请过于频繁，请稍后再试。", "You are submitting requests too quickly; please wait a moment and try again."}
	messages["unlock_title"] = [2]string{"解除登录限制", "Unlock sign-in"}
	messages["unlock_intro"] = [2]string{"读者多次输错密码后会被暂时禁止登录。核实读者身份后，可在此为本馆读者解除限制。",
		"After repeated wrong PINs a reader's sign-in is paused for a while. Once you have checked who the reader is, you can lift the pause here."}
	messages["unlock_intro_centre"] = [2]string{"读者或馆员多次输错密码后会被暂时禁止登录。核实身份后，可在此解除限制。",
		"Readers and staff who enter a wrong PIN or password repeatedly are paused for a while. Once you have checked who they are, you can lift the pause here."}
	messages["unlock_button"] = [2]string{"解除限制", "Unlock"}
	messages["unlocked"] = [2]string{"已解除该账号的登录限制。", "Sign-in unlocked for that account."}
	messages["account_kind"] = [2]string{"账号类型", "Account type"}
	messages["kind_reader"] = [2]string{"读者", "Reader"}
	messages["kind_staff"] = [2]string{"馆员", "Staff"}
	messages["unlock_account"] = [2]string{"读者证号或用户名", "Card number or user name"}
	messages["field.card"] = [2]string{"读者证号", "card number"}
	messages["field.username"] = [2]string{"用户名", "user name"}
	messages["field.library"] = [2]string{"图书馆", "library"}
	messages["field.kind"] = [2]string{"账号类型", "account type"}
	messages["year_from"] = [2]string{"出版年自", "Year from"}
	messages["year_to"] = [2]string{"至", "Year to"}
	messages["field.year_from"] = [2]string{"出版年", "year"}
	messages["field.year_to"] = [2]string{"出版年", "year"}
	messages["field.state"] = [2]string{"状态", "state"}
	messages["net_lender"] = [2]string{"净出借", "Net lender"}
	messages["net_borrower"] = [2]string{"净借入", "Net borrower"}
	messages["lender_borrower"] = [2]string{"出借馆 ＼ 借入馆", "Lender \\ borrower"}
	messages["no_data"] = [2]string{"该期间没有数据。", "No data for this period."}
	messages["courier_api"] = [2]string{"物流线路运量见 GET /v1/reports/courier?date=YYYY-MM-DD（CSV: &format=csv）。", "Courier volume per route: GET /v1/reports/courier?date=YYYY-MM-DD (CSV: &format=csv)."}
	messages["report_notes"] = [2]string{"满足率 = 已收到 ÷（已收到 + 未满足）；时限达标率 = 同意出借 ÷（同意出借 + 逾期）；1个工作日内答复率 = 答复 ÷（答复 + 超时未答复）；3个工作日内寄出率 = 已寄出 ÷（已寄出 + 超时未寄出）；周转 = 提交至收到，分为申请→寄出与寄出→收到。过去各日取自调度器的每日汇总，当日为实时数据。",
		"Fill rate = received ÷ (received + unfilled); SLA compliance = accepted ÷ (accepted + missed deadlines); answered within 1 working day = answers ÷ (answers + respond timeouts); shipped within 3 working days = shipped ÷ (shipped + ship timeouts); turnaround = submitted → received, split into submit → ship and ship → receive. Past days come from the scheduler's daily roll-ups, today is live."}
}
