package ill

import (
	"fmt"
	"time"
)

// Notice kinds. (request, kind, step) identifies a notice: it is created
// once however often the job or consumer that raises it runs.
const (
	NoticeNewRequest      = "new_request"      // to the lender: please answer by respond_by
	NoticeArrived         = "arrived"          // to the reader: 文献到馆, please collect
	NoticeRecalled        = "recalled"         // to the reader and borrowing library: new due date
	NoticeCancelRequested = "cancel_requested" // to the lender: borrower asks to cancel
	NoticeUnfilled        = "unfilled"         // to the borrowing library: no lender could supply
	NoticeNeedsMediation  = "needs_mediation"  // to the borrowing library: manual request to identify
	NoticeOverdue         = "overdue"          // to the reader, on overdue day 1, 8, 15, … (step = the day)
	NoticeOverdueLibrary  = "overdue_library"  // the same, to the borrowing library
	NoticeCourtesy        = "courtesy"         // to the reader, 3 days before due_at
	NoticeShipLate        = "ship_late"        // to the lender: ship_by passed (R9)
	NoticeCopyDelivered   = "copy_delivered"   // to the reader: a copy was delivered electronically
)

// OverdueStep is the overdue-notice step due at now for a loan due at due:
// the notice days are first, first+every, first+2·every, … counted in
// Asia/Shanghai calendar days after the due date. 0 before the first.
// After an outage only the latest step reached is due, not every missed one.
func OverdueStep(due, now time.Time, first, every int) int {
	if first < 1 {
		first = 1
	}
	if every < 1 {
		every = 7
	}
	days := DaysBetween(DateOf(due), DateOf(now))
	if days < first {
		return 0
	}
	return first + every*((days-first)/every)
}

// DaysBetween counts calendar days from a to b (negative when b is earlier).
func DaysBetween(a, b Date) int {
	return int(b.Start().Sub(a.Start()).Round(time.Hour).Hours() / 24)
}

// NoticeData fills a notice template.
type NoticeData struct {
	RequestID string
	Title     string
	Borrower  string
	Lender    string
	Deadline  time.Time
}

// NoticeText renders a notice's subject and body in "zh" or "en".
func NoticeText(kind, locale string, d NoticeData) (subject, body string) {
	when := ""
	if !d.Deadline.IsZero() {
		when = d.Deadline.In(Shanghai).Format("2006-01-02 15:04")
	}
	en := locale == "en"
	switch kind {
	case NoticeNewRequest:
		if en {
			return "New ILL request " + d.RequestID, fmt.Sprintf("%s asks to borrow 《%s》 (request %s). Please answer by %s.", d.Borrower, d.Title, d.RequestID, when)
		}
		return "新的馆际互借申请 " + d.RequestID, fmt.Sprintf("%s 申请借阅《%s》（申请号 %s），请于 %s 前答复。", d.Borrower, d.Title, d.RequestID, when)
	case NoticeArrived:
		if en {
			return "Your interlibrary loan has arrived", fmt.Sprintf("《%s》 (request %s) has arrived at your library. Please collect it at the ILL desk.", d.Title, d.RequestID)
		}
		return "文献到馆通知", fmt.Sprintf("您申请的《%s》（申请号 %s）已到馆，请到馆际互借处领取。", d.Title, d.RequestID)
	case NoticeRecalled:
		if en {
			return "Recall: please return your interlibrary loan", fmt.Sprintf("The lending library has recalled 《%s》 (request %s). Please return it by %s.", d.Title, d.RequestID, when)
		}
		return "索回通知", fmt.Sprintf("出借馆已索回《%s》（申请号 %s），请于 %s 前归还。", d.Title, d.RequestID, when)
	case NoticeCancelRequested:
		if en {
			return "Cancel requested for " + d.RequestID, fmt.Sprintf("%s asks to cancel request %s for 《%s》. Please answer yes or no.", d.Borrower, d.RequestID, d.Title)
		}
		return "撤销申请待确认 " + d.RequestID, fmt.Sprintf("%s 请求撤销申请 %s（《%s》），请确认是否同意。", d.Borrower, d.RequestID, d.Title)
	case NoticeUnfilled:
		if en {
			return "Request could not be filled", fmt.Sprintf("No member library could supply 《%s》 (request %s).", d.Title, d.RequestID)
		}
		return "申请无法满足", fmt.Sprintf("没有成员馆能够提供《%s》（申请号 %s）。", d.Title, d.RequestID)
	case NoticeOverdue, NoticeOverdueLibrary:
		if en {
			return "Overdue interlibrary loan", fmt.Sprintf("《%s》 (request %s, reader of %s) was due on %s. Please return it to the ILL desk.", d.Title, d.RequestID, d.Borrower, when)
		}
		return "馆际互借图书超期通知", fmt.Sprintf("《%s》（申请号 %s，%s 读者）应于 %s 归还，现已超期，请尽快还至馆际互借处。", d.Title, d.RequestID, d.Borrower, when)
	case NoticeCourtesy:
		if en {
			return "Your interlibrary loan is due soon", fmt.Sprintf("《%s》 (request %s) is due on %s. Interlibrary loans cannot be renewed.", d.Title, d.RequestID, when)
		}
		return "馆际互借图书即将到期", fmt.Sprintf("您借阅的《%s》（申请号 %s）将于 %s 到期，馆际互借图书不能续借，请按时归还。", d.Title, d.RequestID, when)
	case NoticeShipLate:
		if en {
			return "Please ship request " + d.RequestID, fmt.Sprintf("You agreed to supply 《%s》 to %s (request %s) but it was due to ship by %s. It moves to the next lender if not shipped within 2 more working days.", d.Title, d.Borrower, d.RequestID, when)
		}
		return "请尽快寄出 " + d.RequestID, fmt.Sprintf("贵馆已同意向 %s 提供《%s》（申请号 %s），应于 %s 前寄出。如再过2个工作日仍未寄出，申请将转至下一出借馆。", d.Borrower, d.Title, d.RequestID, when)
	case NoticeNeedsMediation:
		if en {
			return "Manual request needs a lender", fmt.Sprintf("Manual request %s for 《%s》 was not found in the union catalogue. Please identify a lender by %s.", d.RequestID, d.Title, when)
		}
		return "手工申请待处理", fmt.Sprintf("手工申请 %s（《%s》）未在联合目录中找到，请于 %s 前确定出借馆。", d.RequestID, d.Title, when)
	case NoticeCopyDelivered:
		// The download link is added where the notice is delivered (the
		// link is signed per reader and expires; see docs/copies.md).
		if en {
			return "Your copy has been delivered", fmt.Sprintf("The copy of 《%s》 you asked for (request %s) has been delivered electronically. Download it from My requests in the reader portal; the link expires and allows a limited number of downloads.", d.Title, d.RequestID)
		}
		return "电子文献已送达", fmt.Sprintf("您申请的《%s》（申请号 %s）已以电子方式发送，请在读者门户“我的申请”中下载；下载链接有有效期和下载次数限制。", d.Title, d.RequestID)
	case NoticeCourierDelivered:
		if en {
			return "Courier delivery: " + d.RequestID, fmt.Sprintf("The courier delivered 《%s》 (request %s) to your library at %s. Please check it in.", d.Title, d.RequestID, when)
		}
		return "物流已送达 " + d.RequestID, fmt.Sprintf("物流已于 %s 将《%s》（申请号 %s）送达贵馆，请及时签收。", when, d.Title, d.RequestID)
	case NoticeCourierException:
		if en {
			return "Courier exception: " + d.RequestID, fmt.Sprintf("《%s》 (request %s, %s → %s) was picked up but not delivered within 3 working days (due %s). The BALIS centre has been informed.", d.Title, d.RequestID, d.Lender, d.Borrower, when)
		}
		return "物流异常 " + d.RequestID, fmt.Sprintf("《%s》（申请号 %s，%s → %s）取件后3个工作日内未送达（应于 %s 前送达），已通知 BALIS 管理中心。", d.Title, d.RequestID, d.Lender, d.Borrower, when)
	}
	return kind, d.RequestID
}
