package app

// The centre's administration: members (add, change the settings given,
// lending on/off, webhook, ISO 18626 registration, courier days), keys
// (list, issue, revoke, rotate, with the audit log), the national
// calendar (import) and closures. Every use case here is the centre's
// alone: a member library's principal is refused (forbidden). illctl calls
// them as the centre; so do the centre's console pages (/console/admin/...).
//
// by names who makes the change in the audit log: the OS user running
// illctl, or "console:" + the staff account.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/balis/illhub/ill"
)

// centreOnly refuses every principal but the centre.
func centreOnly(p ill.Principal) error {
	if !p.Centre {
		return ill.Errorf(ill.CodeForbidden, "the centre's administration: a centre key or account is needed")
	}
	return nil
}

func (s *Service) actor(by string) ill.AuditActor {
	if by == "" {
		by = "unknown"
	}
	return ill.AuditActor{Name: by, At: s.clock.Now()}
}

// SaveLibrary adds member code with the settings patch gives (NameZH
// required; the rest ill.Library.WithDefaults), or, when it is a member
// already, changes only the settings patch sets: the fee rules, cut-off,
// courier days, ISO 18626 registration and every field patch leaves unset
// are kept. created reports which. Audited (the names of the fields
// changed, never a value).
func (s *Service) SaveLibrary(ctx context.Context, p ill.Principal, by, code string, patch ill.LibraryPatch) (created bool, err error) {
	if err := centreOnly(p); err != nil {
		return false, err
	}
	code, err = ill.CanonicalCode("code", code)
	if err != nil {
		return false, err
	}
	if code == ill.CentreCode || code == ill.CourierOwner {
		return false, ill.FieldError("code", "%s is reserved (centre keys and courier credentials)", code)
	}
	if err := patch.Validate(); err != nil {
		return false, err
	}
	_, err = s.store.Library(ctx, code)
	switch {
	case err == nil:
	case ill.ErrorCode(err) == ill.CodeNotFound:
		if patch.NameZH == nil {
			return false, ill.FieldError("name_zh", "a new member needs its Chinese name")
		}
		l := patch.Apply(ill.Library{Code: code, Lending: true}).WithDefaults()
		err = s.store.CreateLibrary(ctx, l)
		if err == nil {
			return true, s.store.Audit(ctx, s.actor(by), ill.AuditLibrarySave, code,
				"added member "+code+": "+strings.Join(patch.Fields(), ", "))
		}
		if ill.ErrorCode(err) != ill.CodeConflict { // else added meanwhile: update it
			return false, err
		}
	default:
		return false, err
	}
	if patch.Empty() {
		return false, nil
	}
	if err := s.store.UpdateLibrary(ctx, code, patch); err != nil {
		return false, err
	}
	return false, s.store.Audit(ctx, s.actor(by), ill.AuditLibrarySave, code, "changed "+strings.Join(patch.Fields(), ", "))
}

// SetLending switches member code's lending on or off (a member that does
// not lend is never asked to; it still borrows).
func (s *Service) SetLending(ctx context.Context, p ill.Principal, by, code string, on bool) error {
	if err := s.mustBeMember(ctx, p, code); err != nil {
		return err
	}
	_, err := s.SaveLibrary(ctx, p, by, code, ill.LibraryPatch{Lending: &on})
	return err
}

// mustBeMember refuses a non-centre principal, then a code that is not a
// member (not_found).
func (s *Service) mustBeMember(ctx context.Context, p ill.Principal, code string) error {
	if err := centreOnly(p); err != nil {
		return err
	}
	_, err := s.store.Library(ctx, code)
	return err
}

// SetWebhook sets member code's notice webhook URL and issues a new
// signing secret, returned once (the old secret stops working).
func (s *Service) SetWebhook(ctx context.Context, p ill.Principal, by, code, webhookURL string) (string, error) {
	if err := s.mustBeMember(ctx, p, code); err != nil {
		return "", err
	}
	if u, err := url.Parse(webhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", ill.FieldError("url", "%q is not an http(s) URL", webhookURL)
	}
	secret, err := randomSecret("whsec_", 32)
	if err != nil {
		return "", err
	}
	if _, err := s.SaveLibrary(ctx, p, by, code, ill.LibraryPatch{WebhookURL: &webhookURL, WebhookSecret: &secret}); err != nil {
		return "", err
	}
	return secret, nil
}

// RegisterISO sets member reg.Code's ISO 18626 registration (empty
// values keep the stored ones). A member with an endpoint must be able to
// authenticate, by a secret or the explicit closed-network mark: otherwise
// the registration is stored and a bad_request says what is missing (the
// intake refuses its messages until then).
func (s *Service) RegisterISO(ctx context.Context, p ill.Principal, by string, reg ill.ISORegistration) error {
	if err := s.mustBeMember(ctx, p, reg.Code); err != nil {
		return err
	}
	if reg.Endpoint != "" {
		if u, err := url.Parse(reg.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return ill.FieldError("iso18626_url", "%q is not an http(s) URL", reg.Endpoint)
		}
	}
	reg.Symbol = strings.ToUpper(reg.Symbol)
	if err := s.store.SetISO(ctx, reg); err != nil {
		return err
	}
	if reg.Endpoint != "" || reg.Secret != "" || reg.ClosedNetwork != nil {
		if err := s.store.Audit(ctx, s.actor(by), ill.AuditISORegistration, reg.Code, "ISO 18626 registration changed"); err != nil {
			return err
		}
	}
	m, err := s.store.ISOMember(ctx, reg.Code)
	if err != nil {
		return err
	}
	if m.Speaks() && m.SecretHash == "" && !m.ClosedNetwork {
		return ill.FieldError("iso18626_secret", "%s has an ISO 18626 endpoint but no secret: give its secret "+
			"(sent by its system in requestingAgencyAuthentication/securityCode), or mark it as reached over a "+
			"closed network only; until then the hub refuses its messages", reg.Code)
	}
	return nil
}

// SetCourierDays sets member code's courier days and, unless cutoff is
// "", its daily cut-off (HH:MM, Asia/Shanghai).
func (s *Service) SetCourierDays(ctx context.Context, p ill.Principal, by, code string, days ill.CourierDays, cutoff string) error {
	if err := s.mustBeMember(ctx, p, code); err != nil {
		return err
	}
	if days == 0 {
		return ill.FieldError("days", "at least one day is needed")
	}
	if cutoff != "" {
		m, err := ill.ParseCutoff(cutoff)
		if err != nil {
			return err
		}
		cutoff = fmt.Sprintf("%02d:%02d", m/60, m%60)
	}
	if err := s.store.SetCourierDays(ctx, code, days, cutoff); err != nil {
		return err
	}
	return s.store.Audit(ctx, s.actor(by), ill.AuditCourierDays, code, "courier days "+days.String()+" "+cutoff)
}

// KeyOwner canonicalises a key owner: a member's code, ill.CentreCode or
// ill.CourierOwner. A library must be a member when mustExist (issuing);
// revoking and listing also work for a library that was removed.
func (s *Service) KeyOwner(ctx context.Context, p ill.Principal, owner string, mustExist bool) (string, error) {
	if err := centreOnly(p); err != nil {
		return "", err
	}
	code, err := ill.CanonicalCode("owner", owner)
	if err != nil {
		return "", err
	}
	if code == ill.CentreCode || code == ill.CourierOwner || !mustExist {
		return code, nil
	}
	if _, err := s.store.Library(ctx, code); err != nil {
		return "", err
	}
	return code, nil
}

// Keys lists the keys of owner ("": every key), never a key.
func (s *Service) Keys(ctx context.Context, p ill.Principal, owner string) ([]ill.KeyInfo, error) {
	if owner != "" {
		var err error
		if owner, err = s.KeyOwner(ctx, p, owner, false); err != nil {
			return nil, err
		}
	} else if err := centreOnly(p); err != nil {
		return nil, err
	}
	return s.store.Keys(ctx, owner)
}

// randomSecret is prefix and n random bytes, URL-safe.
func randomSecret(prefix string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// newKey is a new random key of owner: "courier_" for a courier
// credential, "ill_" for an API key.
func newKey(owner string) (string, error) {
	prefix := "ill_"
	if owner == ill.CourierOwner {
		prefix = "courier_"
	}
	return randomSecret(prefix, 24)
}

// IssueKey issues a new key for owner (a member, ill.CentreCode or
// ill.CourierOwner) and returns it — the only time it is seen: only its
// hash is stored — with its id. Audited.
func (s *Service) IssueKey(ctx context.Context, p ill.Principal, by, owner, label string) (string, int64, error) {
	owner, err := s.KeyOwner(ctx, p, owner, true)
	if err != nil {
		return "", 0, err
	}
	if len(label) > 100 {
		return "", 0, ill.FieldError("label", "at most 100 characters")
	}
	key, err := newKey(owner)
	if err != nil {
		return "", 0, err
	}
	id, err := s.store.IssueKey(ctx, ill.KeyGrant{Owner: owner, Key: key, Label: label}, s.actor(by))
	if err != nil {
		return "", 0, err
	}
	return key, id, nil
}

// RevokeKeys revokes owner's active keys, or only key id when id > 0
// (not_found when it is not owner's, conflict when already revoked), and
// returns the ids revoked. Audited. Running producers refuse a revoked
// key within their key cache's TTL.
func (s *Service) RevokeKeys(ctx context.Context, p ill.Principal, by, owner string, id int64) ([]int64, error) {
	owner, err := s.KeyOwner(ctx, p, owner, false)
	if err != nil {
		return nil, err
	}
	if id < 0 {
		return nil, ill.FieldError("id", "a key id")
	}
	return s.store.RevokeKeys(ctx, owner, id, s.actor(by))
}

// RotateKey issues a new key for owner (returned once) and revokes
// owner's other active keys in the same transaction; it returns the new
// key, its id and the ids revoked. Audited.
func (s *Service) RotateKey(ctx context.Context, p ill.Principal, by, owner, label string) (string, int64, []int64, error) {
	owner, err := s.KeyOwner(ctx, p, owner, true)
	if err != nil {
		return "", 0, nil, err
	}
	key, err := newKey(owner)
	if err != nil {
		return "", 0, nil, err
	}
	id, revoked, err := s.store.RotateKey(ctx, ill.KeyGrant{Owner: owner, Key: key, Label: label}, s.actor(by))
	if err != nil {
		return "", 0, nil, err
	}
	return key, id, revoked, nil
}

// RevokeDemoKeys revokes every active demo dataset credential (their keys
// are public). Audited.
func (s *Service) RevokeDemoKeys(ctx context.Context, p ill.Principal, by string) ([]ill.DemoCredential, error) {
	if err := centreOnly(p); err != nil {
		return nil, err
	}
	return s.store.RevokeDemoKeys(ctx, s.actor(by))
}

// AuditLog lists the newest audit rows (of owner when not ""), newest
// first, at most limit.
func (s *Service) AuditLog(ctx context.Context, p ill.Principal, owner string, limit int) ([]ill.AuditEntry, error) {
	if owner != "" {
		var err error
		if owner, err = s.KeyOwner(ctx, p, owner, false); err != nil {
			return nil, err
		}
	} else if err := centreOnly(p); err != nil {
		return nil, err
	}
	return s.store.AuditLog(ctx, owner, limit)
}

// ImportCalendar loads one year of the national calendar from a calendar
// file (the format of configs/calendar/2026.json, ill.ParseCalendarYear),
// replacing that year. Audited. Running processes use it after their
// calendar cache's TTL (one minute).
func (s *Service) ImportCalendar(ctx context.Context, p ill.Principal, by string, file []byte) (ill.CalendarYear, error) {
	if err := centreOnly(p); err != nil {
		return ill.CalendarYear{}, err
	}
	cy, err := ill.ParseCalendarYear(file)
	if err != nil {
		return ill.CalendarYear{}, ill.FieldError("file", "%v", err)
	}
	if err := s.store.ImportCalendar(ctx, cy, s.clock.Now()); err != nil {
		return ill.CalendarYear{}, err
	}
	return cy, s.store.Audit(ctx, s.actor(by), ill.AuditCalendarImport, "",
		fmt.Sprintf("calendar %d: %d exceptional days (%s)", cy.Year, len(cy.Days), cy.Source))
}

// CalendarCoverage is today (Asia/Shanghai) and the last day the loaded
// national calendar covers from today on (deadlines beyond it are
// provisional).
func (s *Service) CalendarCoverage(ctx context.Context, p ill.Principal) (today, until ill.Date, err error) {
	if err := centreOnly(p); err != nil {
		return ill.Date{}, ill.Date{}, err
	}
	cal, err := s.store.LoadCalendar(ctx)
	if err != nil {
		return ill.Date{}, ill.Date{}, err
	}
	today = ill.DateOf(s.clock.Now())
	return today, cal.CoveredUntil(today), nil
}

// Closures lists every member's closures by library (library given: only
// that one's).
func (s *Service) Closures(ctx context.Context, p ill.Principal, library string) (map[string][]ill.Closure, error) {
	if err := centreOnly(p); err != nil {
		return nil, err
	}
	all, err := s.store.ClosuresByLibrary(ctx)
	if err != nil || library == "" {
		return all, err
	}
	code, err := ill.CanonicalCode("library", library)
	if err != nil {
		return nil, err
	}
	return map[string][]ill.Closure{code: all[code]}, nil
}

// AddClosure records that member code is closed from from to to
// (inclusive; its deadlines do not count those days). Deadlines already
// set stay as they are. Audited.
func (s *Service) AddClosure(ctx context.Context, p ill.Principal, by, code string, from, to ill.Date, note string) error {
	code, err := ill.CanonicalCode("library", code)
	if err != nil {
		return err
	}
	if err := s.mustBeMember(ctx, p, code); err != nil {
		return err
	}
	if to.Before(from) {
		return ill.FieldError("to", "%s is before %s", to, from)
	}
	if to.Start().Sub(from.Start()).Hours() > 366*24 {
		return ill.FieldError("to", "a closure is at most a year long")
	}
	if len([]rune(note)) > 200 {
		return ill.FieldError("note", "at most 200 characters")
	}
	if err := s.store.AddClosure(ctx, code, ill.DateRange{From: from, To: to}, note); err != nil {
		return err
	}
	return s.store.Audit(ctx, s.actor(by), ill.AuditClosureAdd, code, fmt.Sprintf("closed %s to %s %s", from, to, note))
}

// RemoveClosure deletes closure id (not_found when there is none).
// Deadlines already set stay as they are. Audited.
func (s *Service) RemoveClosure(ctx context.Context, p ill.Principal, by string, id int64) error {
	if err := centreOnly(p); err != nil {
		return err
	}
	if err := s.store.RemoveClosure(ctx, id); err != nil {
		return err
	}
	return s.store.Audit(ctx, s.actor(by), ill.AuditClosureRemove, "", fmt.Sprintf("removed closure %d", id))
}
