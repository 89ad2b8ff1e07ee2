package app

// The public home page's reads (announcements, the member list with
// whether each member lends today) and the centre's announcements.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// PublishedAnnouncements lists at most limit published announcements,
// newest first. Public: the home page shows them to every visitor.
func (s *Service) PublishedAnnouncements(ctx context.Context, limit int) ([]ill.Announcement, error) {
	return s.store.ListAnnouncements(ctx, true, limit)
}

// Announcements lists every announcement (drafts and withdrawn ones too),
// newest first, at most limit. The centre's.
func (s *Service) Announcements(ctx context.Context, p ill.Principal, limit int) ([]ill.Announcement, error) {
	if err := centreOnly(p); err != nil {
		return nil, err
	}
	return s.store.ListAnnouncements(ctx, false, limit)
}

// AddAnnouncement stores the centre's announcement a (texts trimmed and
// validated; published now when publish, else a draft) and returns its
// id. Audited.
func (s *Service) AddAnnouncement(ctx context.Context, p ill.Principal, by string, a ill.Announcement, publish bool) (int64, error) {
	if err := centreOnly(p); err != nil {
		return 0, err
	}
	a.TitleZH, a.TitleEN = strings.TrimSpace(a.TitleZH), strings.TrimSpace(a.TitleEN)
	a.BodyZH, a.BodyEN = strings.TrimSpace(a.BodyZH), strings.TrimSpace(a.BodyEN)
	if err := a.Validate(); err != nil {
		return 0, err
	}
	now := s.clock.Now()
	a.ID, a.CreatedAt, a.CreatedBy, a.PublishedAt = 0, now, by, time.Time{}
	if publish {
		a.PublishedAt = now
	}
	id, err := s.store.AddAnnouncement(ctx, a)
	if err != nil {
		return 0, err
	}
	state := "draft"
	if publish {
		state = "published"
	}
	return id, s.store.Audit(ctx, s.actor(by), ill.AuditAnnouncement, "", fmt.Sprintf("announcement %d added (%s)", id, state))
}

// PublishAnnouncement publishes announcement id now (it goes to the top
// of the home page's list) or withdraws it (publish false); not_found
// when there is none. Audited.
func (s *Service) PublishAnnouncement(ctx context.Context, p ill.Principal, by string, id int64, publish bool) error {
	if err := centreOnly(p); err != nil {
		return err
	}
	at, what := time.Time{}, "withdrawn"
	if publish {
		at, what = s.clock.Now(), "published"
	}
	if err := s.store.SetAnnouncementPublished(ctx, id, at); err != nil {
		return err
	}
	return s.store.Audit(ctx, s.actor(by), ill.AuditAnnouncement, "", fmt.Sprintf("announcement %d %s", id, what))
}

// DeleteAnnouncement deletes announcement id; not_found when there is
// none. Audited.
func (s *Service) DeleteAnnouncement(ctx context.Context, p ill.Principal, by string, id int64) error {
	if err := centreOnly(p); err != nil {
		return err
	}
	if err := s.store.DeleteAnnouncement(ctx, id); err != nil {
		return err
	}
	return s.store.Audit(ctx, s.actor(by), ill.AuditAnnouncement, "", fmt.Sprintf("announcement %d deleted", id))
}

// MemberToday is a member as the public home page lists it: its
// directory entry (names, policies, public contacts) and whether it lends
// today.
type MemberToday struct {
	ill.Library
	// LendsToday: it takes part as a lender and today is a working day for
	// it (ill.LendsOn).
	LendsToday bool
	// Closed: today is not a working day for it (a weekend, a public
	// holiday or one of its closures).
	Closed bool
	// ClosedUntil is the last day of its closure covering today, if one
	// does.
	ClosedUntil string
}

// MembersToday lists every member with whether it lends today (Asia/
// Shanghai) on cal, the national calendar (nil: the stored one), and its
// closures. Public: the home page shows it to every visitor. The private
// contact points (notice e-mail, webhook, ISO 18626 endpoint) and secrets
// are cleared.
func (s *Service) MembersToday(ctx context.Context, cal *ill.Calendar) ([]MemberToday, ill.Date, error) {
	today := ill.DateOf(s.clock.Now())
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		return nil, today, err
	}
	if cal == nil {
		if cal, err = s.store.LoadCalendar(ctx); err != nil {
			return nil, today, err
		}
	}
	closures, err := s.store.ClosuresByLibrary(ctx)
	if err != nil {
		return nil, today, err
	}
	out := make([]MemberToday, 0, len(libs))
	for _, l := range libs {
		var ranges []ill.DateRange
		until := ""
		for _, c := range closures[l.Code] {
			ranges = append(ranges, c.Range)
			if c.Range.Contains(today) {
				until = c.Range.To.String()
			}
		}
		sched := cal.ScheduleFor(ranges)
		pub := ill.Library{Code: l.Code, NameZH: l.NameZH, NameEN: l.NameEN, Lending: l.Lending,
			DepositRequired: l.DepositRequired, LoanMonths: l.LoanMonths, RecallDays: l.RecallDays,
			ContactPhone: l.ContactPhone, ContactEmail: l.ContactEmail, ContactAddress: l.ContactAddress}
		out = append(out, MemberToday{Library: pub, LendsToday: ill.LendsOn(l, sched, today),
			Closed: !sched.Open(today), ClosedUntil: until})
	}
	return out, today, nil
}
