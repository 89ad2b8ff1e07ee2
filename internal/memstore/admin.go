package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// adminState is what the centre's administration keeps besides the
// libraries: stored keys (with their hashes, to revoke them from s.keys
// and s.couriers), the audit log, calendar years, closures and
// announcements.
type adminState struct {
	keys          []memKey
	audit         []ill.AuditEntry
	years         map[int]ill.CalendarYear
	closures      []closureRow
	announcements []ill.Announcement
	nextID        int64
}

type memKey struct {
	info ill.KeyInfo
	hash string
}

type closureRow struct {
	library string
	c       ill.Closure
}

func (a *adminState) id() int64 { a.nextID++; return a.nextID }

// CreateLibrary implements ill.Administration.
func (s *Store) CreateLibrary(_ context.Context, l ill.Library) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.libraries == nil {
		s.libraries = map[string]ill.Library{}
	}
	k := strings.ToUpper(l.Code)
	if _, ok := s.libraries[k]; ok {
		return ill.Errorf(ill.CodeConflict, "library %s exists", l.Code)
	}
	s.libraries[k] = l
	return nil
}

// UpdateLibrary implements ill.Administration.
func (s *Store) UpdateLibrary(_ context.Context, code string, p ill.LibraryPatch) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	k := strings.ToUpper(code)
	l, ok := s.libraries[k]
	if !ok {
		return notFound("library", code)
	}
	s.libraries[k] = p.Apply(l)
	return nil
}

// ISOMember implements ill.Administration.
func (s *Store) ISOMember(_ context.Context, code string) (*ill.ISOMember, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	l, ok := s.libraries[strings.ToUpper(code)]
	if !ok {
		return nil, notFound("library", code)
	}
	return l.ISOMember(), nil
}

// SetISO implements ill.Administration.
func (s *Store) SetISO(_ context.Context, reg ill.ISORegistration) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	k := strings.ToUpper(reg.Code)
	l, ok := s.libraries[k]
	if !ok {
		return notFound("library", reg.Code)
	}
	if reg.Symbol != "" {
		l.ISOSymbol = reg.Symbol
	}
	if reg.Endpoint != "" {
		l.ISOEndpoint = reg.Endpoint
	}
	if reg.Secret != "" {
		l.ISOSecretHash = ill.HashKey(reg.Secret)
	}
	if reg.ClosedNetwork != nil {
		l.ISOClosedNetwork = *reg.ClosedNetwork
	}
	s.libraries[k] = l
	return nil
}

// SetCourierDays implements ill.Administration.
func (s *Store) SetCourierDays(_ context.Context, code string, days ill.CourierDays, cutoff string) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	k := strings.ToUpper(code)
	l, ok := s.libraries[k]
	if !ok {
		return notFound("library", code)
	}
	l.CourierDays = days.String()
	if cutoff != "" {
		l.CourierCutoff = cutoff
	}
	s.libraries[k] = l
	return nil
}

// Keys implements ill.Administration: the keys issued through it (keys
// put with PutKey are not listed).
func (s *Store) Keys(_ context.Context, owner string) ([]ill.KeyInfo, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.KeyInfo
	for _, k := range s.admin.keys {
		if owner == "" || k.info.Owner == owner {
			out = append(out, k.info)
		}
	}
	return out, nil
}

func (s *Store) auditLocked(a ill.AuditActor, action ill.AuditAction, library, detail string) {
	s.admin.audit = append(s.admin.audit, ill.AuditEntry{ID: s.admin.id(), At: a.At, Actor: a.Name,
		Action: action, Library: library, Detail: detail})
}

func (s *Store) issueLocked(g ill.KeyGrant, at time.Time) int64 {
	id := s.admin.id()
	h := ill.HashKey(g.Key)
	s.admin.keys = append(s.admin.keys, memKey{info: ill.KeyInfo{ID: id, Owner: g.Owner, Centre: g.Centre(),
		Label: g.Label, CreatedAt: at}, hash: h})
	if g.Courier() {
		if s.couriers == nil {
			s.couriers = map[string]bool{}
		}
		s.couriers[h] = true
	} else {
		if s.keys == nil {
			s.keys = map[string]ill.Principal{}
		}
		s.keys[h] = ill.Principal{Library: g.Owner, Centre: g.Centre()}
	}
	return id
}

func (s *Store) revokeLocked(owner string, id int64, at time.Time) []int64 {
	var ids []int64
	for i := range s.admin.keys {
		k := &s.admin.keys[i]
		if k.info.Owner != owner || !k.info.RevokedAt.IsZero() || (id > 0 && k.info.ID != id) {
			continue
		}
		k.info.RevokedAt = at
		delete(s.keys, k.hash)
		delete(s.couriers, k.hash)
		ids = append(ids, k.info.ID)
	}
	return ids
}

// IssueKey implements ill.Administration.
func (s *Store) IssueKey(_ context.Context, g ill.KeyGrant, a ill.AuditActor) (int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	id := s.issueLocked(g, a.At)
	s.auditLocked(a, ill.AuditKeyIssue, g.Owner, fmt.Sprintf("issued key %d", id))
	return id, nil
}

// RevokeKeys implements ill.Administration.
func (s *Store) RevokeKeys(_ context.Context, owner string, id int64, a ill.AuditActor) ([]int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if id > 0 {
		i := slices.IndexFunc(s.admin.keys, func(k memKey) bool { return k.info.ID == id && k.info.Owner == owner })
		if i < 0 {
			return nil, ill.Errorf(ill.CodeNotFound, "%s has no key %d", owner, id)
		}
		if !s.admin.keys[i].info.RevokedAt.IsZero() {
			return nil, ill.Errorf(ill.CodeConflict, "key %d of %s was already revoked", id, owner)
		}
	}
	ids := s.revokeLocked(owner, id, a.At)
	if len(ids) > 0 {
		s.auditLocked(a, ill.AuditKeyRevoke, owner, fmt.Sprintf("revoked key %v", ids))
	}
	return ids, nil
}

// RotateKey implements ill.Administration.
func (s *Store) RotateKey(_ context.Context, g ill.KeyGrant, a ill.AuditActor) (int64, []int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	ids := s.revokeLocked(g.Owner, 0, a.At)
	id := s.issueLocked(g, a.At)
	s.auditLocked(a, ill.AuditKeyRotate, g.Owner, fmt.Sprintf("issued key %d; revoked key %v", id, ids))
	return id, ids, nil
}

// RevokeDemoKeys implements ill.Administration: the demo keys issued
// through IssueKey or put with PutKey are revoked (the latter unaudited:
// they have no id).
func (s *Store) RevokeDemoKeys(_ context.Context, a ill.AuditActor) ([]ill.DemoCredential, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.DemoCredential
	for i := range s.admin.keys {
		k := &s.admin.keys[i]
		if k.info.RevokedAt.IsZero() && k.hash == ill.HashKey(ill.DemoKey(k.info.Owner)) {
			k.info.RevokedAt = a.At
			delete(s.keys, k.hash)
			delete(s.couriers, k.hash)
			out = append(out, ill.DemoCredential{Owner: k.info.Owner, ID: k.info.ID})
			s.auditLocked(a, ill.AuditKeyRevoke, k.info.Owner, fmt.Sprintf("revoked demo key %d", k.info.ID))
		}
	}
	for h, p := range s.keys {
		if h == ill.HashKey(ill.DemoKey(p.Library)) {
			delete(s.keys, h)
			out = append(out, ill.DemoCredential{Owner: p.Library})
		}
	}
	return out, nil
}

// Audit implements ill.Administration.
func (s *Store) Audit(_ context.Context, a ill.AuditActor, action ill.AuditAction, library, detail string) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	s.auditLocked(a, action, library, detail)
	return nil
}

// AuditLog implements ill.Administration.
func (s *Store) AuditLog(_ context.Context, library string, limit int) ([]ill.AuditEntry, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.AuditEntry
	for i := len(s.admin.audit) - 1; i >= 0 && len(out) < max(limit, 1); i-- {
		if e := s.admin.audit[i]; library == "" || e.Library == library {
			out = append(out, e)
		}
	}
	return out, nil
}

// ImportCalendar implements ill.Administration.
func (s *Store) ImportCalendar(_ context.Context, cy ill.CalendarYear, _ time.Time) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.admin.years == nil {
		s.admin.years = map[int]ill.CalendarYear{}
	}
	s.admin.years[cy.Year] = cy
	return nil
}

// LoadCalendar implements ill.Administration.
func (s *Store) LoadCalendar(context.Context) (*ill.Calendar, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var ys []ill.CalendarYear
	for _, y := range s.admin.years {
		ys = append(ys, y)
	}
	return ill.NewCalendar(ys...), nil
}

// AddClosure implements ill.Administration.
func (s *Store) AddClosure(_ context.Context, library string, r ill.DateRange, note string) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	s.admin.closures = append(s.admin.closures, closureRow{library: library,
		c: ill.Closure{ID: s.admin.id(), Range: r, Note: note}})
	return nil
}

// ClosuresByLibrary implements ill.Administration.
func (s *Store) ClosuresByLibrary(context.Context) (map[string][]ill.Closure, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := map[string][]ill.Closure{}
	for _, c := range s.admin.closures {
		out[c.library] = append(out[c.library], c.c)
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b ill.Closure) int {
			return strings.Compare(a.Range.From.String(), b.Range.From.String())
		})
	}
	return out, nil
}

// RemoveClosure implements ill.Administration.
func (s *Store) RemoveClosure(_ context.Context, id int64) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(s.admin.closures, func(c closureRow) bool { return c.c.ID == id })
	if i < 0 {
		return notFound("closure", fmt.Sprint(id))
	}
	s.admin.closures = slices.Delete(s.admin.closures, i, i+1)
	return nil
}

// AddAnnouncement implements ill.Announcements.
func (s *Store) AddAnnouncement(_ context.Context, a ill.Announcement) (int64, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	a.ID = s.admin.id()
	s.admin.announcements = append(s.admin.announcements, a)
	return a.ID, nil
}

// SetAnnouncementPublished implements ill.Announcements.
func (s *Store) SetAnnouncementPublished(_ context.Context, id int64, at time.Time) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(s.admin.announcements, func(a ill.Announcement) bool { return a.ID == id })
	if i < 0 {
		return notFound("announcement", fmt.Sprint(id))
	}
	s.admin.announcements[i].PublishedAt = at
	return nil
}

// DeleteAnnouncement implements ill.Announcements.
func (s *Store) DeleteAnnouncement(_ context.Context, id int64) error {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(s.admin.announcements, func(a ill.Announcement) bool { return a.ID == id })
	if i < 0 {
		return notFound("announcement", fmt.Sprint(id))
	}
	s.admin.announcements = slices.Delete(s.admin.announcements, i, i+1)
	return nil
}

// ListAnnouncements implements ill.Announcements.
func (s *Store) ListAnnouncements(_ context.Context, publishedOnly bool, limit int) ([]ill.Announcement, error) {
	err := s.lock()
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []ill.Announcement
	for _, a := range s.admin.announcements {
		if !publishedOnly || a.Published() {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b ill.Announcement) int {
		if publishedOnly && !a.PublishedAt.Equal(b.PublishedAt) {
			return b.PublishedAt.Compare(a.PublishedAt)
		}
		return int(b.ID - a.ID)
	})
	if len(out) > max(limit, 1) {
		out = out[:max(limit, 1)]
	}
	return out, nil
}
