// Package delivery is the subscriber of electronic delivery
// (docs/delivery.md): when a copy request becomes DELIVERED with a file the
// hub stores, it books the copy fee (the supplier's price, the centre's
// subsidy by the reader's category, the reader's part) and adds the
// reader's signed download link to the copy_delivered notice, both in the
// transaction of the transition. A copy delivered by an ISO 18626
// supplier's own URL ("url:…", ill.CopyFileRef) has no hub file: neither
// a fee nor a hub link.
package delivery

import (
	"context"
	"strings"

	"github.com/balis/illhub/consumers/requests"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
)

// Subscriber books copy fees and links delivered files in notices.
type Subscriber struct {
	Secret    []byte // ILL_LINK_SECRET
	PublicURL string // ILL_PUBLIC_URL: the links' base
}

// Store is what the subscriber writes through (*mysql.Tx).
type Store interface {
	CopyFile(ctx context.Context, id string) (ill.CopyFile, error)
	CopyFeeFacts(ctx context.Context, supplier, borrower, patronID string) (ill.CopyPrice, ill.ReaderCategory, []ill.SubsidyRule, error)
	AddCopyFee(ctx context.Context, f ill.CopyFee) (bool, error)
	AppendNoticeBody(ctx context.Context, requestID, kind, text string) error
}

var _ Store = (*mysql.Tx)(nil)

// Handle implements requests.Subscriber.
func (s Subscriber) Handle(ctx context.Context, tx *mysql.Tx, cs []requests.Change) error {
	return s.Write(ctx, tx, cs)
}

// Write books the fee and adds the link for each change of cs that
// delivered a stored file. Writing the same change again books nothing new
// (one fee per request) — the link, though, is appended only while the
// notice is pending, which a repeat within one transaction cannot meet.
func (s Subscriber) Write(ctx context.Context, st Store, cs []requests.Change) error {
	for _, c := range cs {
		if c.Transition.Rule.Action == "" || c.Transition.To != ill.Delivered || c.Transition.From == ill.Delivered {
			continue
		}
		r := c.Request
		if r.DeliveryFileID == "" || strings.HasPrefix(r.DeliveryFileID, "url:") {
			continue
		}
		f, err := st.CopyFile(ctx, r.DeliveryFileID)
		if ill.ErrorCode(err) == ill.CodeNotFound {
			continue // a deliver action naming no uploaded file: nothing to price or link
		}
		if err != nil {
			return err
		}
		price, cat, rules, err := st.CopyFeeFacts(ctx, r.Lender, r.Borrower, r.PatronID)
		if err != nil {
			return err
		}
		fee := ill.PriceCopy(price, ill.SubsidyFor(rules, cat), f.Pages)
		fee.RequestID, fee.Supplier, fee.Borrower, fee.PatronID, fee.CreatedAt = r.ID, r.Lender, r.Borrower, r.PatronID, c.Cause.At
		if _, err := st.AddCopyFee(ctx, fee); err != nil {
			return err
		}
		link := ill.DownloadURL(s.PublicURL, s.Secret, f)
		if err := st.AppendNoticeBody(ctx, r.ID, ill.NoticeCopyDelivered, "\n\n下载 / Download: "+link); err != nil {
			return err
		}
	}
	return nil
}
