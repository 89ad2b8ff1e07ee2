package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/balis/illhub/ill"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    ill.Code  `json:"code"`
	Message string    `json:"message"`
	Field   string    `json:"field,omitempty"`
	State   ill.State `json:"state,omitempty"`
}

// writeError answers with the JSON error shape of SPEC 5.1 and the code's
// status (ill.Code.HTTPStatus, the one mapping). Internal errors
// are logged in full and answered without detail. (A lost database is
// already an unavailable *ill.Error: the store maps its own errors.)
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *ill.Error
	if !errors.As(err, &e) && errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away (or the server is shutting down): not an
		// incident. Nobody reads this answer.
		s.Log.Debug("request abandoned by the client", "path", r.URL.Path, "http_request_id", requestIDOf(r))
		e = &ill.Error{Code: ill.CodeUnavailable, Message: "request cancelled"}
	}
	if e == nil && !errors.As(err, &e) {
		s.Log.Error("internal error", "err", err, "path", r.URL.Path, "http_request_id", requestIDOf(r))
		e = &ill.Error{Code: ill.CodeInternal, Message: "internal error; the incident is logged with request id " + requestIDOf(r)}
	}
	status := e.Code.HTTPStatus()
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(s.retryAfterSeconds()))
	}
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field, State: e.State}})
}

func (s *Server) retryAfterSeconds() int { return 2 }

// writeJSON answers v as JSON. nosniff: a browser must never read an
// answer (which may quote stored text) as HTML or script.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeJSON reads a JSON body of at most s.MaxBody bytes into v. Malformed
// JSON is a bad_request naming the field or byte offset; an oversize body
// is payload_too_large. Unknown fields are ignored (clients may be newer).
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	return s.decodeJSONLimit(w, r, v, allowEmpty, s.MaxBody)
}

// decodeJSONLimit is decodeJSON with its own body limit (POST /v1/holdings).
func (s *Server) decodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool, limit int64) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return &ill.Error{Code: ill.CodeTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
		case errors.Is(err, io.EOF):
			if allowEmpty {
				return nil
			}
			return &ill.Error{Code: ill.CodeBadRequest, Field: "body", Message: "request body is empty; a JSON object is required"}
		case errors.As(err, &se):
			return &ill.Error{Code: ill.CodeBadRequest, Field: "body", Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
		case errors.Is(err, io.ErrUnexpectedEOF):
			return &ill.Error{Code: ill.CodeBadRequest, Field: "body", Message: "malformed JSON: the body ends before the object is complete"}
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "body"
			}
			return &ill.Error{Code: ill.CodeBadRequest, Field: field, Message: fmt.Sprintf("field %s must be %s, not %s", field, te.Type, te.Value)}
		}
		return &ill.Error{Code: ill.CodeBadRequest, Field: "body", Message: "malformed JSON: " + err.Error()}
	}
	if dec.More() {
		return &ill.Error{Code: ill.CodeBadRequest, Field: "body", Message: "unexpected data after the JSON object"}
	}
	return nil
}
