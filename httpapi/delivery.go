package httpapi

// Electronic delivery (docs/delivery.md): the supplier uploads a copy's
// PDF (POST /v1/requests/{id}/file, authenticated before the body is read,
// the body size-limited), and the reader downloads it by its signed link
// (GET /download/{token}, public: the token is the credential).

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/balis/illhub/ill"
)

// deliveryRoutes registers the delivery routes; without a configured
// Delivery they answer 503 unavailable.
func (s *Server) deliveryRoutes(m *http.ServeMux) {
	s.route(m, "POST /v1/requests/{id}/file", s.uploadCopy)
	m.HandleFunc("GET /download/{token}", s.download)
}

var errNoDelivery = ill.Errorf(ill.CodeUnavailable, "electronic delivery is not configured on this server")

// uploadView is the answer to an upload: the file as recorded and the
// deliver action as accepted.
type uploadView struct {
	FileID       string `json:"file_id"`
	RequestID    string `json:"request_id"`
	Pages        int    `json:"pages"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	ExpiresAt    string `json:"expires_at"`
	Action       string `json:"action"`
	CurrentState string `json:"current_state"`
	MessageID    string `json:"message_id"`
}

// uploadCopy: POST /v1/requests/{id}/file with the PDF as the body
// (Content-Type application/pdf) or as the part "file" of a
// multipart/form-data body. route has authenticated the caller before
// this reads a byte; the reader stops at ILL_UPLOAD_MAX_MB (413).
func (s *Server) uploadCopy(w http.ResponseWriter, r *http.Request) error {
	if s.Delivery == nil {
		return errNoDelivery
	}
	limit := s.Delivery.MaxBytes()
	if r.ContentLength > limit+64<<10 { // multipart framing aside
		return ill.Errorf(ill.CodeTooLarge, "the file is larger than %d MB", limit>>20)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var body io.Reader
	switch mt {
	case "application/pdf", "application/octet-stream":
		body = r.Body
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return ill.FieldError("file", "malformed multipart body: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return ill.FieldError("file", "the multipart body has no part named file")
			}
			if err != nil {
				return uploadReadError(err)
			}
			if part.FormName() == "file" {
				body = part
				break
			}
		}
	default:
		return ill.Errorf(ill.CodeUnsupportedMedia, "send the PDF as application/pdf or as the part file of multipart/form-data")
	}
	p := principalOf(r)
	up, err := s.Delivery.UploadCopy(r.Context(), p, p.Library, r.PathValue("id"), body)
	if err != nil {
		return uploadReadError(err)
	}
	writeJSON(w, http.StatusAccepted, uploadView{FileID: up.File.ID, RequestID: up.File.RequestID, Pages: up.File.Pages,
		Size: up.File.Size, SHA256: up.File.SHA256, ExpiresAt: rfc3339(up.File.ExpiresAt), Action: string(up.Act.Action),
		CurrentState: string(up.Act.CurrentState), MessageID: up.Act.MessageID})
	return nil
}

// uploadReadError maps the body limit's error to payload_too_large.
func uploadReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return ill.Errorf(ill.CodeTooLarge, "the upload is larger than allowed")
	}
	return err
}

// download: GET /download/{token}: the file a signed link grants, as an
// attachment named <request id>.pdf; 404 not_found for a forged or
// altered token, 410 link_expired once it is used up.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	defer func() {
		s.reqs.WithLabelValues("/download/{token}", itoa(rec.status)).Inc()
		s.latency.WithLabelValues("/download/{token}").Observe(time.Since(start).Seconds())
	}()
	if s.Delivery == nil {
		s.writeError(rec, r, errNoDelivery)
		return
	}
	d, err := s.Delivery.DownloadCopy(r.Context(), r.PathValue("token"))
	if err != nil {
		SetRetryAfter(rec, err)
		s.writeError(rec, r, err)
		return
	}
	defer d.Body.Close()
	h := rec.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="`+d.Name+`"`)
	h.Set("Content-Length", strconv.FormatInt(d.File.Size, 10))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Downloads-Remaining", strconv.Itoa(max(s.Delivery.Limit()-d.File.Downloads, 0)))
	if _, err := io.Copy(rec, d.Body); err != nil {
		s.Log.Warn("download cut short", "request_id", d.File.RequestID, "file", d.File.ID, "err", err)
	}
}
