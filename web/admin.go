package web

// The centre's administration pages (/console/admin/...): the overview
// (dead letters, missed deadlines, calendar coverage), members (list, add,
// edit names, public contacts and policies, lending on/off), keys (issue,
// revoke, rotate: a new key is shown once, in the answer to the POST),
// the national calendar (import a calendar file) and closures, and the
// announcements of the home page. Every change is app's centre-only use
// case (app/admin.go, app/announcements.go); a member library's staff get
// 403 here, from the pages and from app.

import (
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

func (h *Handler) routeAdmin(m *http.ServeMux) {
	m.HandleFunc("GET /console/admin/members", h.centre(h.adminMembers))
	m.HandleFunc("GET /console/admin/members/{code}", h.centre(h.adminMember))
	m.HandleFunc("POST /console/admin/members", h.centre(h.adminSaveMember))
	m.HandleFunc("POST /console/admin/members/{code}/lending", h.centre(h.adminLending))
	m.HandleFunc("GET /console/admin/keys", h.centre(h.adminKeys))
	m.HandleFunc("POST /console/admin/keys/{op}", h.centre(h.adminKeyChange))
	m.HandleFunc("GET /console/admin/calendar", h.centre(h.adminCalendar))
	m.HandleFunc("POST /console/admin/calendar", h.centre(h.adminCalendarImport))
	m.HandleFunc("POST /console/admin/closures", h.centre(h.adminAddClosure))
	m.HandleFunc("POST /console/admin/closures/{id}/remove", h.centre(h.adminRemoveClosure))
	m.HandleFunc("GET /console/admin/announcements", h.centre(h.adminAnnouncements))
	m.HandleFunc("POST /console/admin/announcements", h.centre(h.adminAddAnnouncement))
	m.HandleFunc("POST /console/admin/announcements/{id}/{op}", h.centre(h.adminAnnouncementChange))
}

// centre wraps a handler of the centre's administration: staff only, and
// among them the centre's (others: 403).
func (h *Handler) centre(fn handlerFunc) http.HandlerFunc {
	return h.staff(func(w http.ResponseWriter, r *http.Request, p *Page) error {
		if !p.IsCentre() {
			return errForbiddenPage
		}
		return fn(w, r, p)
	})
}

// auditName is who the audit log names for a console change.
func auditName(p *Page) string { return "console:" + p.Sess.Library + "/" + p.Sess.Subject }

type adminData struct {
	DeadLetters []deadLetter
	DLQError    string
	Missed      []ill.MissedDeadline
	Calendar    string
	CoveredTo   string
}

type deadLetter struct {
	MessageID, RoutingKey, Queue, Reason string
	Count                                int64
}

func (h *Handler) admin(w http.ResponseWriter, r *http.Request, p *Page) error {
	if !p.IsCentre() {
		return errForbiddenPage
	}
	var d adminData
	if h.cfg.DeadLetters != nil {
		dls, err := h.cfg.DeadLetters.List(50)
		if err != nil {
			d.DLQError = err.Error()
		}
		for _, x := range dls {
			d.DeadLetters = append(d.DeadLetters, deadLetter{x.MessageID, x.RoutingKey, x.Queue, x.Reason, x.Count})
		}
	}
	missed, err := h.cfg.App.MissedDeadlines(r.Context(), principal(p.Sess), 50)
	if err != nil {
		return err
	}
	d.Missed = missed
	d.Calendar = h.calendarWarning(r)
	if h.cfg.Calendar != nil {
		if cal, err := h.cfg.Calendar.Get(r.Context()); err == nil {
			d.CoveredTo = cal.CoveredUntil(ill.DateOf(h.cfg.Clock.Now())).String()
		}
	}
	p.Title = p.T("nav_admin")
	return h.render(w, p, "admin", d)
}

// adminRedirect answers a change with the page it was made on and the
// "done" message.
func adminRedirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to+"?msg=done", http.StatusSeeOther)
	return nil
}

// ---- members

type adminMembersData struct {
	Members []app.MemberToday
	Today   string
}

func (h *Handler) adminMembers(w http.ResponseWriter, r *http.Request, p *Page) error {
	ms, today, err := h.cfg.App.MembersToday(r.Context(), h.nationalCalendar(r))
	if err != nil {
		return err
	}
	// The list shows the full rows (contacts included): the centre's.
	libs, err := h.cfg.App.Libraries(r.Context())
	if err != nil {
		return err
	}
	byCode := map[string]ill.Library{}
	for _, l := range libs {
		byCode[l.Code] = l
	}
	for i := range ms {
		ms[i].Library = byCode[ms[i].Code]
	}
	p.Title = p.T("centre.members")
	return h.render(w, p, "admin_members", adminMembersData{Members: ms, Today: today.String()})
}

type adminMemberData struct {
	New bool
	L   ill.Library
}

func (h *Handler) adminMember(w http.ResponseWriter, r *http.Request, p *Page) error {
	code := r.PathValue("code")
	d := adminMemberData{New: code == "new"}
	if d.New {
		d.L = ill.Library{Lending: true}.WithDefaults()
	} else {
		l, err := h.cfg.App.Library(r.Context(), code)
		if err != nil {
			return err
		}
		d.L = *l
	}
	p.Title = p.T("centre.member_edit")
	return h.render(w, p, "admin_member", d)
}

// memberPatch reads the member form: every field of the form is set (the
// form shows the stored values), the fee rules and cut-off are not on it.
func memberPatch(r *http.Request) (ill.LibraryPatch, error) {
	f := func(k string) *string { v := strings.TrimSpace(r.PostFormValue(k)); return &v }
	num := func(k string) (*int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(k)))
		if err != nil {
			return nil, ill.FieldError(k, "a number")
		}
		return &n, nil
	}
	b := func(k string) *bool { v := r.PostFormValue(k) != ""; return &v }
	p := ill.LibraryPatch{NameZH: f("name_zh"), NameEN: f("name_en"), Lending: b("lending"),
		DepositRequired: b("deposit_required"), Locale: f("locale"), Email: f("email"),
		ContactPhone: f("contact_phone"), ContactEmail: f("contact_email"), ContactAddress: f("contact_address")}
	var err error
	if p.LoanMonths, err = num("loan_months"); err != nil {
		return p, err
	}
	if p.RecallDays, err = num("recall_days"); err != nil {
		return p, err
	}
	return p, nil
}

func (h *Handler) adminSaveMember(w http.ResponseWriter, r *http.Request, p *Page) error {
	patch, err := memberPatch(r)
	if err != nil {
		return err
	}
	code := r.PostFormValue("code")
	if _, err := h.cfg.App.SaveLibrary(r.Context(), principal(p.Sess), auditName(p), code, patch); err != nil {
		return err
	}
	return adminRedirect(w, r, "/console/admin/members")
}

func (h *Handler) adminLending(w http.ResponseWriter, r *http.Request, p *Page) error {
	on := r.PostFormValue("lending") == "on"
	if err := h.cfg.App.SetLending(r.Context(), principal(p.Sess), auditName(p), r.PathValue("code"), on); err != nil {
		return err
	}
	return adminRedirect(w, r, "/console/admin/members")
}

// ---- keys

type adminKeysData struct {
	Keys    []ill.KeyInfo
	Owners  []string // members' codes, then CENTRE and COURIER
	Log     []ill.AuditEntry
	NewKey  string // a key just issued: shown once
	KeyFor  string
	Revoked []int64
	Done    bool
}

func (h *Handler) keysData(r *http.Request, p *Page) (adminKeysData, error) {
	pr := principal(p.Sess)
	var d adminKeysData
	var err error
	if d.Keys, err = h.cfg.App.Keys(r.Context(), pr, ""); err != nil {
		return d, err
	}
	libs, err := h.cfg.App.Libraries(r.Context())
	if err != nil {
		return d, err
	}
	for _, l := range libs {
		d.Owners = append(d.Owners, l.Code)
	}
	d.Owners = append(d.Owners, ill.CentreCode, ill.CourierOwner)
	d.Log, err = h.cfg.App.AuditLog(r.Context(), pr, "", 30)
	return d, err
}

func (h *Handler) adminKeys(w http.ResponseWriter, r *http.Request, p *Page) error {
	d, err := h.keysData(r, p)
	if err != nil {
		return err
	}
	p.Title = p.T("centre.keys")
	return h.render(w, p, "admin_keys", d)
}

// adminKeyChange issues, revokes or rotates. A new key is shown in this
// answer only (never stored, never in a URL), so it is rendered here, not
// after a redirect.
func (h *Handler) adminKeyChange(w http.ResponseWriter, r *http.Request, p *Page) error {
	pr, by := principal(p.Sess), auditName(p)
	owner, label := r.PostFormValue("owner"), strings.TrimSpace(r.PostFormValue("label"))
	var key string
	var revoked []int64
	var err error
	switch r.PathValue("op") {
	case "issue":
		key, _, err = h.cfg.App.IssueKey(r.Context(), pr, by, owner, label)
	case "rotate":
		key, _, revoked, err = h.cfg.App.RotateKey(r.Context(), pr, by, owner, label)
	case "revoke":
		var id int64
		if s := r.PostFormValue("id"); s != "" {
			if id, err = strconv.ParseInt(s, 10, 64); err != nil || id <= 0 {
				return ill.FieldError("id", "a key id")
			}
		}
		revoked, err = h.cfg.App.RevokeKeys(r.Context(), pr, by, owner, id)
	default:
		return errNotFound
	}
	if err != nil {
		return err
	}
	d, err := h.keysData(r, p)
	if err != nil {
		return err
	}
	d.NewKey, d.KeyFor, d.Revoked, d.Done = key, strings.ToUpper(strings.TrimSpace(owner)), revoked, true
	p.Title = p.T("centre.keys")
	return h.render(w, p, "admin_keys", d)
}

// ---- calendar and closures

type closureView struct {
	Library string
	ill.Closure
}

type adminCalendarData struct {
	Today, CoveredTo string
	Warning          bool
	Closures         []closureView
	Libraries        []ill.Library
	Imported         string
}

func (h *Handler) adminCalendar(w http.ResponseWriter, r *http.Request, p *Page) error {
	pr := principal(p.Sess)
	today, until, err := h.cfg.App.CalendarCoverage(r.Context(), pr)
	if err != nil {
		return err
	}
	d := adminCalendarData{Today: today.String(), CoveredTo: until.String(), Warning: until.Before(today.AddDays(60)),
		Imported: r.URL.Query().Get("imported")}
	all, err := h.cfg.App.Closures(r.Context(), pr, "")
	if err != nil {
		return err
	}
	for lib, cs := range all {
		for _, c := range cs {
			d.Closures = append(d.Closures, closureView{Library: lib, Closure: c})
		}
	}
	sort.Slice(d.Closures, func(i, j int) bool {
		a, b := d.Closures[i], d.Closures[j]
		if a.Library != b.Library {
			return a.Library < b.Library
		}
		return a.Range.From.Before(b.Range.From)
	})
	if d.Libraries, err = h.cfg.App.Libraries(r.Context()); err != nil {
		return err
	}
	p.Title = p.T("centre.calendar")
	return h.render(w, p, "admin_calendar", d)
}

// adminCalendarImport takes a calendar file (multipart upload, field
// "file", or pasted into "text"), the format illctl calendar import reads.
func (h *Handler) adminCalendarImport(w http.ResponseWriter, r *http.Request, p *Page) error {
	var b []byte
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		if b, err = io.ReadAll(io.LimitReader(f, 64<<10)); err != nil {
			return ill.FieldError("file", "cannot be read")
		}
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		return ill.FieldError("file", "cannot be read")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		b = []byte(r.PostFormValue("text"))
	}
	cy, err := h.cfg.App.ImportCalendar(r.Context(), principal(p.Sess), auditName(p), b)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/admin/calendar?msg=done&imported="+strconv.Itoa(cy.Year), http.StatusSeeOther)
	return nil
}

func (h *Handler) adminAddClosure(w http.ResponseWriter, r *http.Request, p *Page) error {
	from, err := ill.ParseDate(strings.TrimSpace(r.PostFormValue("from")))
	if err != nil {
		return ill.FieldError("from", "a date YYYY-MM-DD")
	}
	to, err := ill.ParseDate(strings.TrimSpace(r.PostFormValue("to")))
	if err != nil {
		return ill.FieldError("to", "a date YYYY-MM-DD")
	}
	if err := h.cfg.App.AddClosure(r.Context(), principal(p.Sess), auditName(p), r.PostFormValue("library"), from, to,
		strings.TrimSpace(r.PostFormValue("note"))); err != nil {
		return err
	}
	return adminRedirect(w, r, "/console/admin/calendar")
}

func (h *Handler) adminRemoveClosure(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	if err := h.cfg.App.RemoveClosure(r.Context(), principal(p.Sess), auditName(p), id); err != nil {
		return err
	}
	return adminRedirect(w, r, "/console/admin/calendar")
}

// ---- announcements

func (h *Handler) adminAnnouncements(w http.ResponseWriter, r *http.Request, p *Page) error {
	as, err := h.cfg.App.Announcements(r.Context(), principal(p.Sess), 200)
	if err != nil {
		return err
	}
	p.Title = p.T("centre.announcements")
	return h.render(w, p, "announcements_admin", as)
}

func (h *Handler) adminAddAnnouncement(w http.ResponseWriter, r *http.Request, p *Page) error {
	a := ill.Announcement{TitleZH: r.PostFormValue("title_zh"), TitleEN: r.PostFormValue("title_en"),
		BodyZH: r.PostFormValue("body_zh"), BodyEN: r.PostFormValue("body_en")}
	if _, err := h.cfg.App.AddAnnouncement(r.Context(), principal(p.Sess), auditName(p), a,
		r.PostFormValue("publish") != ""); err != nil {
		return err
	}
	return adminRedirect(w, r, "/console/admin/announcements")
}

func (h *Handler) adminAnnouncementChange(w http.ResponseWriter, r *http.Request, p *Page) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	pr, by := principal(p.Sess), auditName(p)
	switch r.PathValue("op") {
	case "publish":
		err = h.cfg.App.PublishAnnouncement(r.Context(), pr, by, id, true)
	case "withdraw":
		err = h.cfg.App.PublishAnnouncement(r.Context(), pr, by, id, false)
	case "delete":
		err = h.cfg.App.DeleteAnnouncement(r.Context(), pr, by, id)
	default:
		return errNotFound
	}
	if err != nil {
		return err
	}
	return adminRedirect(w, r, "/console/admin/announcements")
}

// nationalCalendar is the cached national calendar (nil: app reads the
// stored one).
func (h *Handler) nationalCalendar(r *http.Request) *ill.Calendar {
	if h.cfg.Calendar == nil {
		return nil
	}
	cal, err := h.cfg.Calendar.Get(r.Context())
	if err != nil {
		return nil
	}
	return cal
}
