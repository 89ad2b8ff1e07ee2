package ill

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Announcement is a notice the BALIS centre publishes on the public home
// page (a holiday courier schedule, a new member, a change of the rules):
// a title and a plain-text body in Chinese, optionally in English. It is
// shown only while published; PublishedAt is when it was (last) published,
// zero for a draft or a withdrawn one.
type Announcement struct {
	ID          int64
	TitleZH     string
	TitleEN     string
	BodyZH      string
	BodyEN      string
	PublishedAt time.Time
	CreatedAt   time.Time
	CreatedBy   string
}

// Published reports whether a is shown on the home page.
func (a Announcement) Published() bool { return !a.PublishedAt.IsZero() }

// Title is a's title in lang ("en": the English one when given).
func (a Announcement) Title(lang string) string {
	if lang == "en" && a.TitleEN != "" {
		return a.TitleEN
	}
	return a.TitleZH
}

// Body is a's body in lang ("en": the English one when given).
func (a Announcement) Body(lang string) string {
	if lang == "en" && a.BodyEN != "" {
		return a.BodyEN
	}
	return a.BodyZH
}

// Widths of an announcement's fields (the stored ones).
const (
	MaxAnnouncementTitle = 200
	MaxAnnouncementBody  = 8000
)

// Validate checks a's texts: a Chinese title and body are required, the
// English ones optional, each within its width.
func (a Announcement) Validate() error {
	if strings.TrimSpace(a.TitleZH) == "" {
		return FieldError("title_zh", "a Chinese title is required")
	}
	if strings.TrimSpace(a.BodyZH) == "" {
		return FieldError("body_zh", "a Chinese text is required")
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"title_zh", a.TitleZH, MaxAnnouncementTitle}, {"title_en", a.TitleEN, MaxAnnouncementTitle},
		{"body_zh", a.BodyZH, MaxAnnouncementBody}, {"body_en", a.BodyEN, MaxAnnouncementBody}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return FieldError(f.name, "at most %d characters", f.max)
		}
	}
	return nil
}

// Announcements stores the centre's announcements.
type Announcements interface {
	// AddAnnouncement stores a (its ID is ignored; published when
	// PublishedAt is set) and returns its id.
	AddAnnouncement(ctx context.Context, a Announcement) (int64, error)
	// SetAnnouncementPublished publishes announcement id at at, or
	// withdraws it (at zero); not_found when there is none.
	SetAnnouncementPublished(ctx context.Context, id int64, at time.Time) error
	// DeleteAnnouncement deletes announcement id; not_found when there is
	// none.
	DeleteAnnouncement(ctx context.Context, id int64) error
	// ListAnnouncements lists at most limit announcements: only the
	// published ones, newest published first, when publishedOnly; else
	// every one, newest created first.
	ListAnnouncements(ctx context.Context, publishedOnly bool, limit int) ([]Announcement, error)
}
