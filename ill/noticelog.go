package ill

import "context"

// NoticeLog reads the notices stored for requests (table notices) as staff
// and readers see them: what was sent, to whom, on which channel and with
// which outcome. No locks.
type NoticeLog interface {
	// RequestNotices lists the notices of request id, oldest first:
	// every notice when library is "", otherwise only those to or about
	// library (StoredNotice.Library: a library's own notices and those to
	// its readers).
	RequestNotices(ctx context.Context, id, library string) ([]StoredNotice, error)
	// ReaderNotices lists the notices to reader patronID of library
	// (compared case-insensitively), newest first, one page (page from
	// 1), with the total.
	ReaderNotices(ctx context.Context, library, patronID string, page, perPage int) ([]StoredNotice, int, error)
}
