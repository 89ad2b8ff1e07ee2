package mysql

// The centre's announcements on the public home page (announcements).

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/balis/illhub/ill"
)

// announcementRow is an announcements row as announcementColumns reads it.
type announcementRow struct {
	ID          int64        `db:"id"`
	TitleZH     string       `db:"title_zh"`
	TitleEN     string       `db:"title_en"`
	BodyZH      string       `db:"body_zh"`
	BodyEN      string       `db:"body_en"`
	PublishedAt sql.NullTime `db:"published_at"`
	CreatedAt   time.Time    `db:"created_at"`
	CreatedBy   string       `db:"created_by"`
}

func (r announcementRow) domain() ill.Announcement {
	a := ill.Announcement{ID: r.ID, TitleZH: r.TitleZH, TitleEN: r.TitleEN, BodyZH: r.BodyZH, BodyEN: r.BodyEN,
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
	if r.PublishedAt.Valid {
		a.PublishedAt = r.PublishedAt.Time
	}
	return a
}

// addAnnouncementSQL stores an announcement. Locks: the new row, for the
// statement only (autocommit).
const addAnnouncementSQL = `INSERT INTO announcements (title_zh, title_en, body_zh, body_en, published_at,
	created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`

// AddAnnouncement stores a and returns its id.
func (s *Store) AddAnnouncement(ctx context.Context, a ill.Announcement) (int64, error) {
	r, err := s.DB.ExecContext(ctx, addAnnouncementSQL, a.TitleZH, a.TitleEN, a.BodyZH, a.BodyEN,
		nullTime(a.PublishedAt), a.CreatedAt.UTC(), truncate(a.CreatedBy, 100))
	if err != nil {
		return 0, classify(err)
	}
	id, err := r.LastInsertId()
	return id, classify(err)
}

// publishAnnouncementSQL publishes (a time) or withdraws (NULL) an
// announcement. Locks: its row (by primary key), for the statement only
// (autocommit).
const publishAnnouncementSQL = `UPDATE announcements SET published_at = ? WHERE id = ?`

// announcementExistsSQL tells an unchanged row from a missing one. Locks:
// none.
const announcementExistsSQL = `SELECT COUNT(*) FROM announcements WHERE id = ?`

// SetAnnouncementPublished publishes announcement id at at, or withdraws
// it (at zero); not_found when there is none.
func (s *Store) SetAnnouncementPublished(ctx context.Context, id int64, at time.Time) error {
	r, err := s.DB.ExecContext(ctx, publishAnnouncementSQL, nullTime(at), id)
	if err != nil {
		return classify(err)
	}
	if n, _ := r.RowsAffected(); n > 0 {
		return nil
	}
	var found int
	if err := s.DB.GetContext(ctx, &found, announcementExistsSQL, id); err != nil {
		return classify(err)
	}
	if found == 0 {
		return notFound("announcement", fmt.Sprint(id))
	}
	return nil
}

// deleteAnnouncementSQL deletes an announcement. Locks: its row (by
// primary key), for the statement only (autocommit).
const deleteAnnouncementSQL = `DELETE FROM announcements WHERE id = ?`

// DeleteAnnouncement deletes announcement id; not_found when there is
// none.
func (s *Store) DeleteAnnouncement(ctx context.Context, id int64) error {
	r, err := s.DB.ExecContext(ctx, deleteAnnouncementSQL, id)
	if err != nil {
		return classify(err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return notFound("announcement", fmt.Sprint(id))
	}
	return nil
}

// publishedAnnouncementsSQL lists the published announcements, newest
// published first (ix_announcements_published); allAnnouncementsSQL every
// one, newest first. Locks: none.
const (
	announcementColumns       = `id, title_zh, title_en, body_zh, body_en, published_at, created_at, created_by`
	publishedAnnouncementsSQL = `SELECT ` + announcementColumns + ` FROM announcements
	WHERE published_at IS NOT NULL ORDER BY published_at DESC, id DESC LIMIT ?`
	allAnnouncementsSQL = `SELECT ` + announcementColumns + ` FROM announcements ORDER BY id DESC LIMIT ?`
)

// ListAnnouncements lists at most limit announcements: the published ones
// newest published first when publishedOnly, else every one newest first.
func (s *Store) ListAnnouncements(ctx context.Context, publishedOnly bool, limit int) ([]ill.Announcement, error) {
	q := allAnnouncementsSQL
	if publishedOnly {
		q = publishedAnnouncementsSQL
	}
	var rows []announcementRow
	if err := s.DB.SelectContext(ctx, &rows, q, max(limit, 1)); err != nil {
		return nil, classify(err)
	}
	out := make([]ill.Announcement, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
