package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/config"
	"github.com/balis/illhub/consumers/delivery"
	"github.com/balis/illhub/filestore/local"
	"github.com/balis/illhub/filestore/s3"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/pdf"
)

// demoLinkSecret signs download links in a demo (ILL_DEMO=1) without
// ILL_LINK_SECRET: public, like the demo's keys.
const demoLinkSecret = "illhub-demo-link-secret"

// LinkSecret is the key download links are signed with: ILL_LINK_SECRET,
// required (at least 32 characters) outside a demo.
func LinkSecret(cfg config.Config) ([]byte, error) {
	switch {
	case cfg.LinkSecret != "" && len(cfg.LinkSecret) < 32:
		return nil, errors.New("config: ILL_LINK_SECRET must be at least 32 characters")
	case cfg.LinkSecret != "":
		return []byte(cfg.LinkSecret), nil
	case cfg.Demo:
		return []byte(demoLinkSecret), nil
	}
	return nil, errors.New("config: ILL_LINK_SECRET is required outside a demo (it signs the copies' download links)")
}

// NewFileStore opens the store of delivered copies that cfg names:
// ILL_FILES_BACKEND local (ILL_FILES_DIR; empty: a directory under the
// system's temporary directory) or s3 (ILL_S3_*, the bucket checked).
func NewFileStore(ctx context.Context, cfg config.Config) (ill.FileStore, error) {
	switch cfg.FilesBackend {
	case "", "local":
		dir := cfg.FilesDir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "illhub-files")
		}
		return local.New(dir)
	case "s3":
		st, err := s3.New(s3.Config{Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, TLS: cfg.S3TLS})
		if err != nil {
			return nil, err
		}
		return st, st.Check(ctx)
	}
	return nil, fmt.Errorf("config: ILL_FILES_BACKEND=%q: local or s3", cfg.FilesBackend)
}

// NewStamper prepares the PDF stamper: the CJK font ILL_STAMP_FONT, or the
// English line when it is empty or (logged) the file is missing, so that a
// host without fonts-wqy-microhei still delivers.
func NewStamper(cfg config.Config, log *slog.Logger) (ill.Stamper, error) {
	f := strings.TrimSpace(cfg.StampFont)
	if f != "" {
		if _, err := os.Stat(f); err != nil {
			log.Warn("ILL_STAMP_FONT not found: copies are stamped with the English line", "font", f, "err", err)
			f = ""
		}
	}
	return pdf.New(f, "")
}

// NewDelivery builds the delivery use cases over uses and st from cfg.
func NewDelivery(ctx context.Context, cfg config.Config, uses *app.Service, st *mysql.Store, log *slog.Logger) (*app.Delivery, error) {
	secret, err := LinkSecret(cfg)
	if err != nil {
		return nil, err
	}
	files, err := NewFileStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	stamper, err := NewStamper(cfg, log)
	if err != nil {
		return nil, err
	}
	return uses.Delivery(app.DeliveryConfig{Store: st, Files: files, Stamper: stamper, Secret: secret,
		Days: cfg.DownloadDays, Limit: cfg.DownloadLimit, MaxBytes: int64(cfg.UploadMaxMB) << 20,
		PublicURL: cfg.PublicURL}), nil
}

// DeliverySubscriber is the delivery subscriber of cfg: copy fees and the
// signed link in the reader's notice. Without a usable secret it links
// nothing (the producer, which checks the secret at start, refuses to run
// then, so no file is uploaded).
func DeliverySubscriber(cfg config.Config) delivery.Subscriber {
	secret, _ := LinkSecret(cfg)
	return delivery.Subscriber{Secret: secret, PublicURL: cfg.PublicURL}
}

// CopyLink is the hub's signed download link of a delivered copy for an
// ISO 18626 borrower (isoout.Subscriber.CopyLink): ILL_PUBLIC_URL +
// /download/{token} of the request's stored file, valid until the file
// expires and counted against its download limit like the reader's. ""
// (the message then points to the BALIS portal, or passes on an ISO
// supplier's own URL) when there is no stored file, no usable link secret
// or no public URL: a member system cannot follow a site-relative link.
// The file's row is read outside the transition's transaction: it was
// committed before the deliver action was posted (app.Delivery.UploadCopy).
func CopyLink(cfg config.Config, st *mysql.Store) func(context.Context, *ill.Request) (string, error) {
	secret, err := LinkSecret(cfg)
	base := strings.TrimSpace(cfg.PublicURL)
	if err != nil || base == "" {
		return nil
	}
	return func(ctx context.Context, r *ill.Request) (string, error) {
		if r.DeliveryFileID == "" || strings.HasPrefix(r.DeliveryFileID, ill.CopyFileRef("")) {
			return "", nil
		}
		f, err := st.CopyFile(ctx, r.DeliveryFileID)
		if ill.ErrorCode(err) == ill.CodeNotFound {
			return "", nil // a deliver action naming no uploaded file
		}
		if err != nil {
			return "", err
		}
		return ill.DownloadURL(base, secret, f), nil
	}
}
