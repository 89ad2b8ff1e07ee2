package ill

import (
	"context"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// The centre's administration: the members' settings, credentials, the
// calendar and closures. The use cases (app/admin.go) allow it to the
// centre only; illctl and the centre's console pages call them.

// Audit actions of the centre's administration besides the key changes
// (audit.go): each change of a member's settings, of the calendar or of a
// closure, and each announcement published or withdrawn.
const (
	AuditLibrarySave      AuditAction = "library.save"
	AuditCalendarImport   AuditAction = "calendar.import"
	AuditClosureAdd       AuditAction = "closure.add"
	AuditClosureRemove    AuditAction = "closure.remove"
	AuditAnnouncement     AuditAction = "announcement"
	AuditCourierDays      AuditAction = "courier.days"
	AuditISORegistration  AuditAction = "iso18626.register"
	AuditWebhookSecretSet AuditAction = "webhook.set"
)

// LibraryPatch is a change to a member's settings: only the fields that are
// set (non-nil) change, every other stored value is kept. Fee rules and
// the courier cut-off are not part of it (they have their own edits, with
// history), so saving a member's names or contacts can never reset them.
type LibraryPatch struct {
	NameZH, NameEN           *string
	Lending, DepositRequired *bool
	LoanMonths, RecallDays   *int
	Locale                   *string
	// Email is the private address notices are sent to.
	Email *string
	// The ILL desk's public contact points (the home page).
	ContactPhone, ContactEmail, ContactAddress *string
	WebhookURL, WebhookSecret                  *string
}

// Empty reports whether p changes nothing.
func (p LibraryPatch) Empty() bool { return p == LibraryPatch{} }

// Bounds of the settings the centre may give a member.
const (
	MaxLoanMonths = 6
	MaxRecallDays = 60
)

// Validate checks the values p sets: names and contacts within their
// stored widths, loan months 1–MaxLoanMonths, recall days 1–MaxRecallDays,
// locale zh or en, e-mail addresses and the webhook URL well formed.
func (p LibraryPatch) Validate() error {
	str := func(field string, v *string, max int, required bool) error {
		if v == nil {
			return nil
		}
		if required && strings.TrimSpace(*v) == "" {
			return FieldError(field, "must not be empty")
		}
		if utf8.RuneCountInString(*v) > max {
			return FieldError(field, "at most %d characters", max)
		}
		return nil
	}
	for _, c := range []struct {
		f        string
		v        *string
		max      int
		required bool
	}{{"name_zh", p.NameZH, 128, true}, {"name_en", p.NameEN, 160, false}, {"email", p.Email, 160, false},
		{"contact_phone", p.ContactPhone, 64, false}, {"contact_email", p.ContactEmail, 160, false},
		{"contact_address", p.ContactAddress, 300, false}, {"webhook_url", p.WebhookURL, 400, false}} {
		if err := str(c.f, c.v, c.max, c.required); err != nil {
			return err
		}
	}
	if p.LoanMonths != nil && (*p.LoanMonths < 1 || *p.LoanMonths > MaxLoanMonths) {
		return FieldError("loan_months", "between 1 and %d", MaxLoanMonths)
	}
	if p.RecallDays != nil && (*p.RecallDays < 1 || *p.RecallDays > MaxRecallDays) {
		return FieldError("recall_days", "between 1 and %d", MaxRecallDays)
	}
	if p.Locale != nil && *p.Locale != "zh" && *p.Locale != "en" {
		return FieldError("locale", "zh or en")
	}
	for _, e := range []struct {
		f string
		v *string
	}{{"email", p.Email}, {"contact_email", p.ContactEmail}} {
		if e.v != nil && *e.v != "" {
			if a, err := mail.ParseAddress(*e.v); err != nil || a.Address != *e.v {
				return FieldError(e.f, "not an e-mail address")
			}
		}
	}
	if p.WebhookURL != nil && *p.WebhookURL != "" {
		if u, err := url.Parse(*p.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return FieldError("webhook_url", "not an http(s) URL")
		}
	}
	return nil
}

// Apply returns l with p's fields set (what a new member is created
// with, before WithDefaults).
func (p LibraryPatch) Apply(l Library) Library {
	setS := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setS(&l.NameZH, p.NameZH)
	setS(&l.NameEN, p.NameEN)
	setS(&l.Locale, p.Locale)
	setS(&l.Email, p.Email)
	setS(&l.ContactPhone, p.ContactPhone)
	setS(&l.ContactEmail, p.ContactEmail)
	setS(&l.ContactAddress, p.ContactAddress)
	setS(&l.WebhookURL, p.WebhookURL)
	setS(&l.WebhookSecret, p.WebhookSecret)
	if p.Lending != nil {
		l.Lending = *p.Lending
	}
	if p.DepositRequired != nil {
		l.DepositRequired = *p.DepositRequired
	}
	if p.LoanMonths != nil {
		l.LoanMonths = *p.LoanMonths
	}
	if p.RecallDays != nil {
		l.RecallDays = *p.RecallDays
	}
	return l
}

// Fields names the fields p sets, for the audit log (never a value: the
// webhook secret is one).
func (p LibraryPatch) Fields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"name_zh", p.NameZH != nil}, {"name_en", p.NameEN != nil}, {"lending", p.Lending != nil},
		{"deposit_required", p.DepositRequired != nil}, {"loan_months", p.LoanMonths != nil},
		{"recall_days", p.RecallDays != nil}, {"locale", p.Locale != nil}, {"email", p.Email != nil},
		{"contact_phone", p.ContactPhone != nil}, {"contact_email", p.ContactEmail != nil},
		{"contact_address", p.ContactAddress != nil}, {"webhook_url", p.WebhookURL != nil},
		{"webhook_secret", p.WebhookSecret != nil}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// LendsOn reports whether member l lends on day d: it takes part as a
// lender (Lending) and d is a working day for it (the national calendar
// and its own closures, s = cal.ScheduleFor(its closures)). A library that
// does not lend today still answers no requests today: they wait for its
// next working day (R8).
func LendsOn(l Library, s Schedule, d Date) bool { return l.Lending && s.Open(d) }

// Administration is what the centre's administration writes and reads
// beyond the Directory: members' settings, ISO 18626 registrations and
// courier days, credentials with their audit log, the national calendar
// and closures. Implemented by mysql.Store (illctl's store) and
// internal/memstore.
type Administration interface {
	// CreateLibrary inserts new member l as given (the caller applied
	// WithDefaults); conflict when the code exists.
	CreateLibrary(ctx context.Context, l Library) error
	// UpdateLibrary changes only the fields p sets of member code, in one
	// statement; not_found when there is no such member.
	UpdateLibrary(ctx context.Context, code string, p LibraryPatch) error
	// ISOMember reads member code's ISO 18626 registration; not_found
	// when there is no such member.
	ISOMember(ctx context.Context, code string) (*ISOMember, error)
	// SetISO sets member reg.Code's ISO 18626 registration (empty values
	// keep the stored ones, see ISORegistration); not_found when there is
	// no such member.
	SetISO(ctx context.Context, reg ISORegistration) error
	// SetCourierDays sets member code's courier days and, unless cutoff
	// is "", its cut-off (HH:MM).
	SetCourierDays(ctx context.Context, code string, days CourierDays, cutoff string) error

	// Keys lists the keys of owner (a library code, CentreCode or
	// CourierOwner; "": every key), never a key or its hash.
	Keys(ctx context.Context, owner string) ([]KeyInfo, error)
	// IssueKey stores the new key g and audits it; it returns its id.
	IssueKey(ctx context.Context, g KeyGrant, a AuditActor) (int64, error)
	// RevokeKeys revokes owner's active keys (only key id when id > 0),
	// audited, and returns the ids revoked; not_found for a key id that
	// is not owner's, conflict for one already revoked.
	RevokeKeys(ctx context.Context, owner string, id int64, a AuditActor) ([]int64, error)
	// RotateKey issues g and revokes owner's other active keys in one
	// transaction, audited; it returns the new id and the revoked ones.
	RotateKey(ctx context.Context, g KeyGrant, a AuditActor) (int64, []int64, error)
	// RevokeDemoKeys revokes every active demo dataset credential,
	// audited, and returns them.
	RevokeDemoKeys(ctx context.Context, a AuditActor) ([]DemoCredential, error)
	// Audit appends an audit log row.
	Audit(ctx context.Context, a AuditActor, action AuditAction, library, detail string) error
	// AuditLog lists the newest audit rows (of library when not ""),
	// newest first, at most limit.
	AuditLog(ctx context.Context, library string, limit int) ([]AuditEntry, error)

	// ImportCalendar stores one year of the national calendar, replacing
	// that year's days.
	ImportCalendar(ctx context.Context, cy CalendarYear, at time.Time) error
	// LoadCalendar reads the national calendar (every loaded year).
	LoadCalendar(ctx context.Context) (*Calendar, error)
	// AddClosure records a closure of member library.
	AddClosure(ctx context.Context, library string, r DateRange, note string) error
	// ClosuresByLibrary returns every library's closures, by from day.
	ClosuresByLibrary(ctx context.Context) (map[string][]Closure, error)
	// RemoveClosure deletes closure id; not_found when there is none.
	RemoveClosure(ctx context.Context, id int64) error
}
