package web

// The public home page (/): the BALIS ILL centre's page for visitors (馆际
// 互借中心主页, seed §二): what the service is, the rules (管理办法, seed
// §四), the FAQ (seed §五), the members with their ILL desk's contacts and
// whether each lends today, and the centre's announcements. Signed-in
// readers and staff see it too, with a link to their portal or console.

import (
	"net/http"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

type homeData struct {
	Announcements []ill.Announcement
	Members       []app.MemberToday
	Today         string
	LendingToday  int
	Deposit       []string // the members that require a reader deposit (R7)
	Work          string   // the signed-in user's start page ("": not signed in)
}

// homeFAQ and homeRules are the keys of the FAQ entries (q/a) and the
// rules, in the seed's order.
var (
	homeRules = []string{"scope", "count", "period", "recall", "deposit", "deadlines", "courier", "returns", "cancel"}
	homeFAQ   = []string{"who", "renew", "courier", "return", "cancel", "history"}
)

// Rules lists the rule keys for the template.
func (homeData) Rules() []string { return homeRules }

// FAQ lists the FAQ keys for the template.
func (homeData) FAQ() []string { return homeFAQ }

func (h *Handler) home(w http.ResponseWriter, r *http.Request, p *Page) error {
	var d homeData
	var err error
	if d.Announcements, err = h.cfg.App.PublishedAnnouncements(r.Context(), 10); err != nil {
		return err
	}
	members, today, err := h.cfg.App.MembersToday(r.Context(), h.nationalCalendar(r))
	if err != nil {
		return err
	}
	d.Members, d.Today = members, today.String()
	for _, m := range members {
		if m.LendsToday {
			d.LendingToday++
		}
		if m.DepositRequired {
			d.Deposit = append(d.Deposit, p.Lib(m.Code))
		}
	}
	if p.Sess != nil {
		d.Work = "/search"
		if p.Sess.Kind == kindStaff {
			d.Work = "/console"
		}
	}
	p.Title = p.T("home.title")
	return h.render(w, p, "home", d)
}

// HomeParas splits a plain-text announcement into its paragraphs (lines),
// so that line breaks show without markup or inline styles.
func (p *Page) HomeParas(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
