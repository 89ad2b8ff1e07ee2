package ill

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"
)

// Electronic delivery of copy requests (文献传递, docs/delivery.md): the
// lender uploads a PDF, the hub stamps every page, keeps the file behind a
// FileStore and gives the reader a signed, expiring link with a limited
// number of downloads. This file holds the pure parts: the storage and
// stamping ports, file ids and keys, and the link's signature.

// FileInfo describes a stored file.
type FileInfo struct {
	Key  string
	Size int64
}

// FileStore keeps delivered files (filestore/local: a directory;
// filestore/s3: an S3-compatible bucket). Keys are ValidFileKey. Contract,
// checked for every adapter by filestore/storetest:
//   - Put stores exactly size bytes read from r under key, replacing any
//     file there; a reader shorter or longer than size is an error and
//     leaves no file.
//   - Open and Stat of a missing key are not_found.
//   - Delete of a missing key is no error (a sweep may run twice).
type FileStore interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Open(ctx context.Context, key string) (io.ReadCloser, FileInfo, error)
	Stat(ctx context.Context, key string) (FileInfo, error)
	Delete(ctx context.Context, key string) error
}

// ValidFileKey reports whether key may name a stored file: 1–200
// characters of [A-Za-z0-9._-] in "/"-separated segments, none empty, "."
// or "..". Keys are built by the hub (CopyFileKey), never taken from a
// caller; the check keeps a bug from escaping the store's directory.
func ValidFileKey(key string) bool {
	if key == "" || len(key) > 200 {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// NewFileID returns a random id for an uploaded file ("F" and 20 hex
// digits): the deliver action's file_id and the download link's file.
func NewFileID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "F" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// ValidFileID reports whether id has NewFileID's form.
func ValidFileID(id string) bool {
	if len(id) != 21 || id[0] != 'F' {
		return false
	}
	for _, c := range id[1:] {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// CopyFileKey is where file id of request id is stored.
func CopyFileKey(requestID, fileID string) string {
	return "copies/" + requestID + "/" + fileID + ".pdf"
}

// StampText is the line stamped on every page of a delivered copy: the
// personal-use notice and the request id; the English line when no CJK
// font is configured (cjk false).
func StampText(requestID string, cjk bool) string {
	if cjk {
		return "仅供个人学习研究使用 · " + requestID
	}
	return "For personal study and research only · " + requestID
}

// LooksLikePDF reports whether head (the first bytes of an upload) starts
// like a PDF file: "%PDF-" within the first 1024 bytes, as readers accept.
// The stamper parses the file in full afterwards.
func LooksLikePDF(head []byte) bool {
	if len(head) > 1024 {
		head = head[:1024]
	}
	return bytes.Contains(head, []byte("%PDF-"))
}

// Stamped is a stamped PDF.
type Stamped struct {
	PDF   []byte
	Pages int
}

// Stamper parses a PDF and stamps every page with a line of text
// (package pdf, over pdfcpu). An input that is no valid PDF is
// unsupported_media_type; CJK reports whether it stamps Chinese text (a
// CJK font is configured), which decides StampText's language.
type Stamper interface {
	Stamp(ctx context.Context, in []byte, text string) (Stamped, error)
	CJK() bool
}

// Download links.

// DownloadLink is what a signed download token grants: file FileID of
// request RequestID until Expires.
type DownloadLink struct {
	RequestID string
	FileID    string
	Expires   time.Time
}

// Default delivery limits (ILL_DOWNLOAD_DAYS, ILL_DOWNLOAD_LIMIT).
const (
	DefaultDownloadDays  = 14
	DefaultDownloadLimit = 5
)

// linkVersion prefixes the signed payload, so a change of the token's form
// can never verify under the old one.
const linkVersion = "v1"

func linkPayload(l DownloadLink) string {
	return linkVersion + "|" + l.RequestID + "|" + l.FileID + "|" + strconv.FormatInt(l.Expires.Unix(), 10)
}

func linkMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// SignLink returns the token of l: the request id, file id and expiry (Unix
// seconds) in clear, and an HMAC-SHA256 over them with secret, all base64url.
// The token is the whole credential of GET /download/{token}: anyone holding
// it may download until it expires or the download limit is reached.
func SignLink(secret []byte, l DownloadLink) string {
	p := linkPayload(l)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(p)) + "." + enc.EncodeToString(linkMAC(secret, p))
}

// VerifyLink checks token's signature with secret and its expiry at now.
// A token that is malformed or whose signature does not match (tampered,
// signed with another key) is not_found, saying nothing about why; a
// genuine one past its expiry is link_expired.
func VerifyLink(secret []byte, token string, now time.Time) (DownloadLink, error) {
	bad := Errorf(CodeNotFound, "no such download")
	if len(token) > 400 || len(secret) == 0 {
		return DownloadLink{}, bad
	}
	p64, m64, ok := strings.Cut(token, ".")
	if !ok {
		return DownloadLink{}, bad
	}
	enc := base64.RawURLEncoding
	p, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, linkMAC(secret, string(p))) {
		return DownloadLink{}, bad
	}
	parts := strings.Split(string(p), "|")
	if len(parts) != 4 || parts[0] != linkVersion {
		return DownloadLink{}, bad
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return DownloadLink{}, bad
	}
	l := DownloadLink{RequestID: parts[1], FileID: parts[2], Expires: time.Unix(exp, 0).UTC()}
	if !now.Before(l.Expires) {
		return l, Errorf(CodeLinkExpired, "the download link expired at %s", l.Expires.In(Shanghai).Format("2006-01-02 15:04"))
	}
	return l, nil
}

// CopyFile is an uploaded, stamped file of a copy request (table
// copy_files). Library is the supplier that uploaded it.
type CopyFile struct {
	ID         string
	RequestID  string
	Library    string
	Key        string
	Size       int64
	Pages      int
	SHA256     string // hex of the stamped file
	UploadedBy string // "LIBRARY/username" or "LIBRARY" (an API key)
	UploadedAt time.Time
	ExpiresAt  time.Time
	Downloads  int
	DeletedAt  time.Time // zero while the file is stored
}

// Deleted reports whether the file was removed from the store.
func (f CopyFile) Deleted() bool { return !f.DeletedAt.IsZero() }

// CheckDownload is whether file f may be downloaded once more at now with
// at most limit downloads: link_expired when it was deleted, has expired or
// its downloads are used up.
func (f CopyFile) CheckDownload(now time.Time, limit int) error {
	switch {
	case f.Deleted():
		return Errorf(CodeLinkExpired, "the file was deleted after its download period")
	case !now.Before(f.ExpiresAt):
		return Errorf(CodeLinkExpired, "the download period ended at %s", f.ExpiresAt.In(Shanghai).Format("2006-01-02 15:04"))
	case f.Downloads >= limit:
		return Errorf(CodeLinkExpired, "the file was downloaded %d times, the limit", f.Downloads)
	}
	return nil
}

// Grants reports whether l is a link to file f: the same file of the same
// request (not_found otherwise, as for a forged token).
func (l DownloadLink) Grants(f CopyFile) error {
	if l.FileID != f.ID || l.RequestID != f.RequestID {
		return Errorf(CodeNotFound, "no such download")
	}
	return nil
}

// ReaderDownload is a delivered copy as its reader's portal lists it.
type ReaderDownload struct {
	File  CopyFile
	Title string
	State State // the request's state
}

// CopyFiles stores the delivered files' records (table copy_files).
// Reads take no locks.
type CopyFiles interface {
	// AddCopyFile records an uploaded file (f.ID new).
	AddCopyFile(ctx context.Context, f CopyFile) error
	// CopyFile reads file id; not_found when there is none.
	CopyFile(ctx context.Context, id string) (CopyFile, error)
	// CopyFilesOf lists request id's files, oldest first.
	CopyFilesOf(ctx context.Context, requestID string) ([]CopyFile, error)
	// CountDownload counts one download of file id if CheckDownload
	// allows it at now with limit (one statement: of concurrent downloads
	// at most limit succeed) and returns the file as counted; otherwise
	// CheckDownload's link_expired (not_found when there is no such file).
	CountDownload(ctx context.Context, id string, limit int, now time.Time) (CopyFile, error)
	// ExpiredCopyFiles lists up to limit files still stored whose
	// expiry is not after now, oldest expiry first.
	ExpiredCopyFiles(ctx context.Context, now time.Time, limit int) ([]CopyFile, error)
	// MarkCopyFileDeleted sets file id's deleted_at unless set; false
	// when it was set already (another sweep won).
	MarkCopyFileDeleted(ctx context.Context, id string, at time.Time) (bool, error)
	// ReaderDownloads lists the files delivered to reader patronID of
	// library (its requests), newest first, at most 200.
	ReaderDownloads(ctx context.Context, library, patronID string) ([]ReaderDownload, error)
}

// DownloadURL is the signed download URL of file f under base (the hub's
// public URL, "" for a site-relative link): GET /download/{token}, valid
// until the file expires.
func DownloadURL(base string, secret []byte, f CopyFile) string {
	return strings.TrimRight(base, "/") + "/download/" +
		SignLink(secret, DownloadLink{RequestID: f.RequestID, FileID: f.ID, Expires: f.ExpiresAt})
}

// ActFileDeleted is the timeline line of a delivered file removed after its
// download period (copy-expiry); it is no action of the state table.
const ActFileDeleted Action = "file_deleted"

// FileDeletedNote is the timeline note of f's deletion.
func FileDeletedNote(f CopyFile) string {
	return "文件已删除 / file deleted: " + f.ID + " (" + strconv.Itoa(f.Downloads) + " downloads)"
}
