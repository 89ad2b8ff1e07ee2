package mysql

// Notices as staff and readers read them (table notices): a request's
// notices on the console's request page, a reader's in the portal's
// 我的消息. Plain reads, no locks.

import (
	"context"

	"github.com/balis/illhub/ill"
)

// The notices of one request (uq_notice's request_id prefix), all of them
// (requestNoticesAllSQL) or those to or about one library
// (requestNoticesSQL). Locks: none.
const (
	requestNoticesAllSQL = `SELECT ` + noticeColumns + ` FROM notices WHERE request_id = ? ORDER BY created_at, id`
	requestNoticesSQL    = `SELECT ` + noticeColumns + ` FROM notices WHERE request_id = ? AND library_code = ?
	ORDER BY created_at, id`
)

// RequestNotices implements ill.NoticeLog.
func (s *Store) RequestNotices(ctx context.Context, id, library string) ([]ill.StoredNotice, error) {
	var rows []noticeRow
	var err error
	if library == "" {
		err = s.DB.SelectContext(ctx, &rows, requestNoticesAllSQL, id)
	} else {
		err = s.DB.SelectContext(ctx, &rows, requestNoticesSQL, id, library)
	}
	if err != nil {
		return nil, classify(err)
	}
	return domains(rows, func(r noticeRow) ill.StoredNotice { return *r.domain() }), nil
}

// A reader's notices, newest first, one page (readerNoticesSQL), and
// their number (countReaderNoticesSQL), by ix_notices_patron. Locks: none.
const (
	readerNoticesSQL = `SELECT ` + noticeColumns + ` FROM notices WHERE library_code = ? AND patron_id = ?
	ORDER BY id DESC LIMIT ? OFFSET ?`
	countReaderNoticesSQL = `SELECT COUNT(*) FROM notices WHERE library_code = ? AND patron_id = ?`
)

// ReaderNotices implements ill.NoticeLog.
func (s *Store) ReaderNotices(ctx context.Context, library, patronID string, page, perPage int) ([]ill.StoredNotice, int, error) {
	if patronID == "" { // a library's own notices have patron_id ''
		return nil, 0, nil
	}
	if page < 1 {
		page = 1
	}
	var total int
	if err := s.DB.GetContext(ctx, &total, countReaderNoticesSQL, library, patronID); err != nil {
		return nil, 0, classify(err)
	}
	var rows []noticeRow
	if err := s.DB.SelectContext(ctx, &rows, readerNoticesSQL, library, patronID, perPage, (page-1)*perPage); err != nil {
		return nil, 0, classify(err)
	}
	return domains(rows, func(r noticeRow) ill.StoredNotice { return *r.domain() }), total, nil
}
