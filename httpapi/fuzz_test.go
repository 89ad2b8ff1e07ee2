package httpapi

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// FuzzSubmitBody feeds arbitrary bytes through the submit body's decoding
// and validation: it must never panic, and every refusal must be a
// bad_request naming a field, or payload_too_large.
func FuzzSubmitBody(f *testing.F) {
	for _, seed := range []string{
		`{"client_request_id":"a","patron":{"id":"p"},"record_id":"12"}`,
		`{"client_request_id":"a","patron":{"id":"p","email":"x@y.cn"},"item":{"title":"数据库","isbn":"7-04-040664-0","year":2014}}`,
		`{"client_request_id":1}`, `{"patron":{"deposit_paid":"yes"}}`, `[]`, `{`, ``, `null`, `{"a":1} {"b":2}`,
	} {
		f.Add([]byte(seed))
	}
	s := &Server{MaxBody: 4096}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/requests", strings.NewReader(string(body)))
		w := httptest.NewRecorder()
		var b ill.SubmitBody
		err := s.decodeJSON(w, r, &b, false)
		if err == nil {
			err = app.ValidateSubmit(&b)
		}
		if err == nil {
			if b.ClientRequestID == "" || b.Patron.ID == "" || (b.RecordID == "") == (b.Item == nil) {
				t.Fatalf("accepted an incomplete submit: %+v", b)
			}
			return
		}
		var e *ill.Error
		if !errors.As(err, &e) {
			t.Fatalf("foreign error %T: %v", err, err)
		}
		switch e.Code {
		case ill.CodeTooLarge:
		case ill.CodeBadRequest:
			if e.Field == "" {
				t.Fatalf("bad_request without a field: %v", e)
			}
		default:
			t.Fatalf("unexpected code %s: %v", e.Code, e)
		}
	})
}
