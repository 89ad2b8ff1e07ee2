package app

// Electronic delivery of copy requests (docs/delivery.md): the supplier's
// upload (type and size checked, every page stamped, stored, recorded,
// then the deliver action posted as any action is), the reader's download
// by signed link (counted; the last allowed one closes the delivery), the
// reader's downloads list, and the copy prices and subsidy rules behind
// the fees the delivery subscriber books.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// DeliveryStore is the storage delivery needs beyond Store.
type DeliveryStore interface {
	ill.CopyFiles
	ill.CopyFees
}

// DeliveryConfig is what Delivery is built from (ILL_FILES_*, ILL_STAMP_FONT,
// ILL_LINK_SECRET, ILL_DOWNLOAD_DAYS, ILL_DOWNLOAD_LIMIT, ILL_UPLOAD_MAX_MB,
// ILL_PUBLIC_URL).
type DeliveryConfig struct {
	Store   DeliveryStore
	Files   ill.FileStore
	Stamper ill.Stamper
	// Secret signs the download links (ill.SignLink); required.
	Secret []byte
	// Days is how long a delivered file may be downloaded (default
	// ill.DefaultDownloadDays); Limit how many times (default
	// ill.DefaultDownloadLimit); MaxBytes the largest upload (default 50
	// MiB).
	Days     int
	Limit    int
	MaxBytes int64
	// PublicURL is where readers reach the hub (links in notices), without
	// a trailing slash; "" gives links relative to the site.
	PublicURL string
}

// DefaultUploadMaxBytes is ILL_UPLOAD_MAX_MB's default, 50 MiB.
const DefaultUploadMaxBytes = 50 << 20

// Delivery runs the delivery use cases over a Service's reads and
// publisher. Safe for concurrent use.
type Delivery struct {
	s *Service
	c DeliveryConfig
}

// Delivery returns the delivery use cases of s with c.
func (s *Service) Delivery(c DeliveryConfig) *Delivery {
	if c.Days <= 0 {
		c.Days = ill.DefaultDownloadDays
	}
	if c.Limit <= 0 {
		c.Limit = ill.DefaultDownloadLimit
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultUploadMaxBytes
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return &Delivery{s: s, c: c}
}

// MaxBytes is the largest upload accepted.
func (d *Delivery) MaxBytes() int64 { return d.c.MaxBytes }

// Limit is how many downloads a file allows.
func (d *Delivery) Limit() int { return d.c.Limit }

// Upload is an accepted upload: the file as recorded and the deliver
// action as accepted.
type Upload struct {
	File ill.CopyFile
	Act  ActResult
}

// UploadCopy delivers the PDF read from body for copy request id: p must
// be its current lender and the request a copy in REQUESTED or WILL_SUPPLY
// (the state table's deliver rule, checked first, so nothing is stored for
// a refused upload); by names the uploader (ill.SettledByName). The body
// is read up to the configured maximum (payload_too_large beyond), must be
// a PDF pdfcpu can read (unsupported_media_type), is stamped on every page
// (ill.StampText with the request id), stored and recorded, and then the
// deliver action with the new file's id is published like any action.
func (d *Delivery) UploadCopy(ctx context.Context, p ill.Principal, by, id string, body io.Reader) (Upload, error) {
	req, err := d.s.store.RequestForAction(ctx, id, p.Library, p.Centre)
	if err != nil {
		return Upload{}, err
	}
	if req, err = visible(p, id, req); err != nil {
		return Upload{}, err
	}
	now := d.s.clock.Now().UTC()
	if _, err := ill.Allow(ill.Attempt{Action: ill.ActDeliver, From: req.State, Roles: req.RolesOf(p.Library, p.Centre),
		At: now, SubmittedAt: req.SubmittedAt, Request: req, Service: req.ServiceType}); err != nil {
		return Upload{}, err
	}
	if !req.ServiceType.IsCopy() {
		return Upload{}, ill.Errorf(ill.CodeInvalidTransition, "request %s is a loan: only copy requests are delivered electronically", id)
	}
	in, err := io.ReadAll(io.LimitReader(body, d.c.MaxBytes+1))
	if err != nil {
		return Upload{}, ill.Errorf(ill.CodeBadRequest, "reading the upload: %v", err)
	}
	if int64(len(in)) > d.c.MaxBytes {
		return Upload{}, ill.Errorf(ill.CodeTooLarge, "the file is larger than %d MB", d.c.MaxBytes>>20)
	}
	if len(in) == 0 {
		return Upload{}, ill.FieldError("file", "the upload is empty")
	}
	if !ill.LooksLikePDF(in) {
		return Upload{}, ill.Errorf(ill.CodeUnsupportedMedia, "the file is not a PDF")
	}
	st, err := d.c.Stamper.Stamp(ctx, in, ill.StampText(req.ID, d.c.Stamper.CJK()))
	if err != nil {
		return Upload{}, err
	}
	sum := sha256.Sum256(st.PDF)
	fileID := ill.NewFileID()
	f := ill.CopyFile{ID: fileID, RequestID: req.ID, Library: p.Library, Key: ill.CopyFileKey(req.ID, fileID),
		Size: int64(len(st.PDF)), Pages: st.Pages, SHA256: hex.EncodeToString(sum[:]), UploadedBy: by,
		UploadedAt: now, ExpiresAt: now.Add(time.Duration(d.c.Days) * 24 * time.Hour)}
	if f.UploadedBy == "" {
		f.UploadedBy = p.Library
	}
	if err := d.c.Files.Put(ctx, f.Key, bytes.NewReader(st.PDF), f.Size); err != nil {
		return Upload{}, err
	}
	if err := d.c.Store.AddCopyFile(ctx, f); err != nil {
		_ = d.c.Files.Delete(context.WithoutCancel(ctx), f.Key)
		return Upload{}, err
	}
	// A publish that fails leaves a recorded file no action names: the
	// supplier uploads again, and copy-expiry removes the orphan with the
	// others when its time comes.
	res, err := d.s.Act(ctx, p, req.ID, ill.ActDeliver, ill.ActionBody{FileID: fileID}, "", nil)
	if err != nil {
		return Upload{}, err
	}
	return Upload{File: f, Act: res}, nil
}

// Link is the signed download URL of file f (relative to the site when no
// public URL is configured); it expires with the file.
func (d *Delivery) Link(f ill.CopyFile) string {
	return ill.DownloadURL(d.c.PublicURL, d.c.Secret, f)
}

// Download is a file being downloaded: its content (the caller closes
// it) and its record after this download was counted.
type Download struct {
	File ill.CopyFile
	Body io.ReadCloser
	Name string // the file name to offer: <request id>.pdf
}

// DownloadCopy opens the file token grants: the token's signature and
// expiry (not_found for a forged or altered token, link_expired past its
// expiry), then the file's own state (link_expired when deleted, expired or
// its downloads used up). The download is counted before the file is
// opened; the one that reaches the limit closes the delivery
// (close_delivery downloaded, through the broker as any system action).
func (d *Delivery) DownloadCopy(ctx context.Context, token string) (Download, error) {
	now := d.s.clock.Now().UTC()
	link, err := ill.VerifyLink(d.c.Secret, token, now)
	if err != nil {
		return Download{}, err
	}
	f, err := d.c.Store.CopyFile(ctx, link.FileID)
	if ill.ErrorCode(err) == ill.CodeNotFound {
		return Download{}, ill.Errorf(ill.CodeNotFound, "no such download")
	}
	if err != nil {
		return Download{}, err
	}
	if err := link.Grants(f); err != nil {
		return Download{}, err
	}
	if f, err = d.c.Store.CountDownload(ctx, f.ID, d.c.Limit, now); err != nil {
		return Download{}, err
	}
	rc, _, err := d.c.Files.Open(ctx, f.Key)
	if err != nil {
		return Download{}, err
	}
	if f.Downloads >= d.c.Limit {
		// On a failed publish the reader still gets the file; copy-expiry
		// closes the delivery when the file's time is up.
		_ = d.s.CloseDelivery(ctx, f.RequestID, ill.CloseDownloaded)
	}
	return Download{File: f, Body: rc, Name: f.RequestID + ".pdf"}, nil
}

// ReaderCopy is one of a reader's delivered copies with its link ("" once
// the file can no longer be downloaded).
type ReaderCopy struct {
	ill.ReaderDownload
	Link      string
	Remaining int // downloads left
}

// ReaderDownloads lists the copies delivered to reader patronID of library
// (the portal's downloads), newest first, each with its signed link while
// it may still be downloaded.
func (d *Delivery) ReaderDownloads(ctx context.Context, library, patronID string) ([]ReaderCopy, error) {
	rows, err := d.c.Store.ReaderDownloads(ctx, library, patronID)
	if err != nil {
		return nil, err
	}
	now := d.s.clock.Now()
	out := make([]ReaderCopy, len(rows))
	for i, r := range rows {
		out[i] = ReaderCopy{ReaderDownload: r, Remaining: max(d.c.Limit-r.File.Downloads, 0)}
		if r.File.CheckDownload(now, d.c.Limit) == nil {
			out[i].Link = d.Link(r.File)
		}
	}
	return out, nil
}

// RequestFiles lists the files delivered for request id, for p (who must
// see the request).
func (d *Delivery) RequestFiles(ctx context.Context, p ill.Principal, id string) ([]ill.CopyFile, error) {
	req, err := d.s.store.RequestForAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := visible(p, id, req); err != nil {
		return nil, err
	}
	return d.c.Store.CopyFilesOf(ctx, id)
}

// CopyFeeSettings is the copy price of a library and the centre's subsidy
// rules, as the fees page shows them.
type CopyFeeSettings struct {
	Price    ill.CopyPrice
	Rules    []ill.SubsidyRule // one per category, in ill.ReaderCategories order (zero rule: none)
	CanPrice bool              // the account may change the price (ill.StaffActor.MayEditFees)
	CanRules bool              // the account may change the subsidies (the centre)
}

// CopyFeeSettings reads library's copy price and the subsidy rules for
// console account a (feeLibrary decides which library).
func (d *Delivery) CopyFeeSettings(ctx context.Context, a ill.StaffActor, library string) (CopyFeeSettings, error) {
	lib, err := feeLibrary(a, library)
	if err != nil {
		return CopyFeeSettings{}, err
	}
	p, err := d.c.Store.CopyPrice(ctx, lib)
	if err != nil {
		return CopyFeeSettings{}, err
	}
	rules, err := d.c.Store.SubsidyRules(ctx)
	if err != nil {
		return CopyFeeSettings{}, err
	}
	out := CopyFeeSettings{Price: p, CanPrice: a.MayEditFees(lib) == nil,
		CanRules: a.Role == ill.StaffCentreAdmin && a.Library == ill.CentreCode}
	for _, c := range ill.ReaderCategories {
		out.Rules = append(out.Rules, ill.SubsidyFor(rules, c))
	}
	return out, nil
}

// SubsidySettings is CopyFeeSettings without a library: the centre's
// subsidy rules only (what the centre sees before it chooses a library).
func (d *Delivery) SubsidySettings(ctx context.Context, a ill.StaffActor) (CopyFeeSettings, error) {
	rules, err := d.c.Store.SubsidyRules(ctx)
	if err != nil {
		return CopyFeeSettings{}, err
	}
	out := CopyFeeSettings{CanRules: a.Role == ill.StaffCentreAdmin && a.Library == ill.CentreCode}
	for _, c := range ill.ReaderCategories {
		out.Rules = append(out.Rules, ill.SubsidyFor(rules, c))
	}
	return out, nil
}

// SubsidyHistory lists the changes of the centre's subsidy rules, newest
// first (at most FeeHistoryLimit): every console account sees them, as it
// sees the rules.
func (d *Delivery) SubsidyHistory(ctx context.Context) ([]ill.PolicyChange, error) {
	return d.s.store.FeeHistory(ctx, ill.CentreCode, FeeHistoryLimit)
}

// Statement is Service.Statement with the copy fees of the same library
// and month (as supplier or borrower): one ledger of the month.
func (d *Delivery) Statement(ctx context.Context, p ill.Principal, library, month string) (Statement, error) {
	st, err := d.s.Statement(ctx, p, library, month)
	if err != nil {
		return Statement{}, err
	}
	fees, err := d.c.Store.CopyFeeList(ctx, ill.CopyFeeQuery{Library: st.Library, From: st.From, To: st.To})
	if err != nil {
		return Statement{}, err
	}
	st.Copies, st.CopyTotal = fees, ill.CopyFeeTotals(fees)
	return st, nil
}

// SetCopyPrice changes library's copy price for console account a (the
// library's admin or the centre), recorded in the policy history; it
// applies to copies delivered after the change.
func (d *Delivery) SetCopyPrice(ctx context.Context, a ill.StaffActor, library string, p ill.CopyPrice) ([]ill.PolicyChange, error) {
	lib, err := feeLibrary(a, library)
	if err != nil {
		return nil, err
	}
	if err := a.MayEditFees(lib); err != nil {
		return nil, err
	}
	if p, err = p.Normalize(); err != nil {
		return nil, err
	}
	return d.c.Store.SetCopyPrice(ctx, lib, p, a.Name(), d.s.clock.Now())
}

// SetSubsidyRule changes the centre's subsidy of one reader category (the
// centre's admins only).
func (d *Delivery) SetSubsidyRule(ctx context.Context, a ill.StaffActor, r ill.SubsidyRule) error {
	if a.Role != ill.StaffCentreAdmin || a.Library != ill.CentreCode {
		return ill.Errorf(ill.CodeForbidden, "subsidies are the centre's to set")
	}
	r, err := r.Normalize()
	if err != nil {
		return err
	}
	return d.c.Store.SetSubsidyRule(ctx, r, a.Name(), d.s.clock.Now())
}

// CopyFeeList lists the copy fees of p's statement library (see
// moneyLibrary) in [from, to].
func (d *Delivery) CopyFeeList(ctx context.Context, p ill.Principal, library string, from, to ill.Date) ([]ill.CopyFee, error) {
	lib, err := d.s.moneyLibrary(ctx, p, library)
	if err != nil {
		return nil, err
	}
	return d.c.Store.CopyFeeList(ctx, ill.CopyFeeQuery{Library: lib, From: from, To: to})
}
