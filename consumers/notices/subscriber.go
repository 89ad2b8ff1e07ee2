// Package notices writes and delivers notices: the subscriber that stores
// the notices a transition orders (and queues their delivery), and the
// notices pool that delivers a stored notice by e-mail and webhook
// (package notify) and records the outcome.
package notices

import (
	"context"
	"time"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Subscriber is the subscriber that creates the notices transitions
// order (ill.Transition.Notices): each stored once per (request, kind,
// step), its text in the locale of the library it is for, addressed to
// the reader's or the library's e-mail, and its delivery queued through
// the outbox (notice.deliver, delivered by Pool).
type Subscriber struct{}

// Store is what the subscriber writes through (*mysql.Tx, in the
// transaction of the transition).
type Store interface {
	Library(ctx context.Context, code string) (*ill.Library, error)
	PatronEmails(ctx context.Context, library string, ids []string) (map[string]string, error)
	QueueNotice(ctx context.Context, n ill.Notice) error
	AddNotices(ctx context.Context, ns []ill.Notice) (int, error)
	Enqueue(ctx context.Context, m ill.Message) error
}

var _ Store = (*mysql.Tx)(nil)

// Handle stores the notices of cs in tx (Write).
func (s Subscriber) Handle(ctx context.Context, tx *mysql.Tx, cs []requests.Change) error {
	return s.Write(ctx, tx, cs)
}

// Write stores the notices of cs through st. One change (an action) writes
// its few notices one by one; a sweep's batch is written with a few
// multi-row statements (Store.AddNotices), its recipients read per
// library. Writing the same changes again stores nothing new.
func (Subscriber) Write(ctx context.Context, st Store, cs []requests.Change) error {
	if len(cs) == 1 {
		c := cs[0]
		for _, o := range c.Transition.Notices {
			if err := Add(ctx, st, c.Request, c.Cause.At, o); err != nil {
				return err
			}
		}
		return nil
	}
	return addBatch(ctx, st, cs)
}

// Add stores one notice about r, ordered at time at, and queues its
// delivery; a notice that exists already (same request, kind and step) is
// left alone (its delivery message, queued again under the same id, finds
// it settled or delivers it once). Besides the subscriber, the courier's handlers call it for
// the notices about shipments, in their own transaction.
func Add(ctx context.Context, st Store, r *ill.Request, at time.Time, o ill.NoticeOrder) error {
	lib, err := st.Library(ctx, o.Library)
	if err != nil {
		return err
	}
	recipient, readerOf := lib.Email, ""
	if o.PatronID != "" {
		// the reader's address as registered with its library, read by
		// the store as it stores the notice
		recipient, readerOf = "", r.Borrower
	}
	borrower, lender, err := partyNames(ctx, st, r, lib.Locale, map[string]*ill.Library{lib.Code: lib})
	if err != nil {
		return err
	}
	n := notice(r, at, o, lib.Locale, recipient, borrower, lender)
	n.ReaderOf = readerOf
	return st.QueueNotice(ctx, n) // the notice and its delivery message, without a round trip
}

// addBatch stores the notices of many changes (all caused at the same
// time: one sweep) with AddNotices.
func addBatch(ctx context.Context, st Store, cs []requests.Change) error {
	libs := map[string]*ill.Library{}
	readers := map[string][]string{} // borrower → patron ids
	for _, c := range cs {
		for _, o := range c.Transition.Notices {
			if _, ok := libs[o.Library]; !ok {
				lib, err := st.Library(ctx, o.Library)
				if err != nil {
					return err
				}
				libs[o.Library] = lib
			}
			if o.PatronID != "" {
				readers[c.Request.Borrower] = append(readers[c.Request.Borrower], o.PatronID)
			}
		}
	}
	if len(libs) == 0 {
		return nil
	}
	emails := map[string]map[string]string{} // borrower → patron key → e-mail
	for borrower, ids := range readers {
		found, err := st.PatronEmails(ctx, borrower, ids)
		if err != nil {
			return err
		}
		byKey := make(map[string]string, len(found))
		for id, e := range found {
			byKey[ill.IdentityKey(id)] = e // the database compares patron ids without case
		}
		emails[borrower] = byKey
	}
	var ns []ill.Notice
	named := map[string]*ill.Library{} // the parties' libraries, read once per batch
	for code, l := range libs {
		named[code] = l
	}
	for _, c := range cs {
		for _, o := range c.Transition.Notices {
			lib := libs[o.Library]
			borrower, lender, err := partyNames(ctx, st, c.Request, lib.Locale, named)
			if err != nil {
				return err
			}
			recipient := lib.Email
			if o.PatronID != "" {
				recipient = emails[c.Request.Borrower][ill.IdentityKey(o.PatronID)]
			}
			ns = append(ns, notice(c.Request, c.Cause.At, o, lib.Locale, recipient, borrower, lender))
		}
	}
	_, err := st.AddNotices(ctx, ns)
	return err
}

// notice renders an ordered notice about r. Its text names the request's
// parties as they are after the transition (a new lender, none), by the
// names partyNames gives.
func notice(r *ill.Request, at time.Time, o ill.NoticeOrder, locale, recipient, borrower, lender string) ill.Notice {
	subject, body := ill.NoticeText(o.Kind, locale, ill.NoticeData{RequestID: r.ID, Title: r.Title,
		Borrower: borrower, Lender: lender, Deadline: o.Deadline})
	return ill.Notice{RequestID: r.ID, Kind: o.Kind, Step: o.Step, Library: o.Library, PatronID: o.PatronID,
		Recipient: recipient, Locale: locale, Subject: subject, Body: body, At: at}
}
