package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/balis/illhub/ill"
)

// Notices made visible: every notice sent for a request on its console
// page (a request panel: kind, recipient, channel, outcome, time), and the
// signed-in reader's notices in the portal (我的消息, and on the portal's
// request page). The reads are app's (RequestNotices, ReaderNotices),
// scoped to what the signed-in user may see.

func init() {
	addRequestPanel(requestPanel{Template: "notices_panel", Load: loadNoticesPanel})
}

// noticesPanel is the console request page's list of notices.
type noticesPanel struct {
	Notices []ill.StoredNotice
}

func loadNoticesPanel(ctx context.Context, h *Handler, p *Page, req *ill.Request) (any, error) {
	ns, err := h.cfg.App.RequestNotices(ctx, principal(p.Sess), req.ID, "")
	if err != nil {
		return nil, err
	}
	return noticesPanel{Notices: ns}, nil
}

func (h *Handler) routeNotices(m *http.ServeMux) {
	m.HandleFunc("GET /messages", h.reader(h.myMessages))
}

type myMessagesData struct {
	Notices []ill.StoredNotice
	Pager   pager
}

// myMessages: GET /messages. The signed-in reader's notices, newest
// first, ten a page, each linking to its request.
func (h *Handler) myMessages(w http.ResponseWriter, r *http.Request, p *Page) error {
	const per = 10
	page := pageOf(r)
	ns, total, err := h.cfg.App.ReaderNotices(r.Context(), principal(p.Sess), p.Sess.Subject, page, per)
	if err != nil {
		return err
	}
	p.Title = p.T("notices.my")
	return h.render(w, p, "my_messages", myMessagesData{Notices: ns, Pager: newPager(r, page, per, total, false)})
}

// readerRequestNotices are the notices about request id sent to the
// signed-in reader (the portal's request page).
func (h *Handler) readerRequestNotices(r *http.Request, p *Page, id string) ([]ill.StoredNotice, error) {
	return h.cfg.App.RequestNotices(r.Context(), principal(p.Sess), id, p.Sess.Subject)
}

// NoticeKind names a notice's kind in the page's language.
func (p *Page) NoticeKind(kind string) string {
	if v := p.T("notices.kind." + kind); v != "notices.kind."+kind {
		return v
	}
	return kind
}

// NoticeStatus names a notice's delivery outcome in the page's language.
func (p *Page) NoticeStatus(s ill.NoticeStatus) string {
	if v := p.T("notices.status." + string(s)); v != "notices.status."+string(s) {
		return v
	}
	return string(s)
}

// NoticeChannels names the channels that delivered a notice ("Not sent"
// when none did yet).
func (p *Page) NoticeChannels(n ill.StoredNotice) string {
	var out []string
	for _, c := range strings.Split(n.DeliveredVia, ",") {
		if c = strings.TrimSpace(c); c != "" {
			if v := p.T("notices.channel." + c); v != "notices.channel."+c {
				c = v
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return p.T("notices.channel.none")
	}
	sep := "、"
	if p.Lang == "en" {
		sep = ", "
	}
	return strings.Join(out, sep)
}

// NoticeTo names a notice's recipient: the reader (card and address) or
// the library by name.
func (p *Page) NoticeTo(n ill.StoredNotice) string {
	to := p.Lib(n.Library)
	if n.PatronID != "" {
		to = strings.ReplaceAll(p.T("notices.reader"), "{id}", n.PatronID)
	}
	if n.Recipient != "" {
		to += " <" + n.Recipient + ">"
	}
	return to
}

// Attempts is "tried n times" for a notice with delivery rounds.
func (p *Page) Attempts(n int) string {
	return strings.ReplaceAll(p.T("notices.attempts"), "{n}", itoa(n))
}
