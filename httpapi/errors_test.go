package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request the client abandoned is not an incident: no error log line.
// A real internal error still is one, with the http_request_id.
func TestWriteErrorAbandonedVersusInternal(t *testing.T) {
	for _, c := range []struct {
		name      string
		cancelled bool
		err       error
		wantLog   string
		wantCode  int
	}{
		{"client went away", true, fmt.Errorf("load request: %w", context.Canceled), "", 503},
		{"internal error", false, errors.New("boom"), `level=ERROR msg="internal error"`, 500},
		{"cancelled by us while the client waits", false, fmt.Errorf("x: %w", context.Canceled), `level=ERROR msg="internal error"`, 500},
	} {
		var logs bytes.Buffer
		s := &Server{Log: slog.New(slog.NewTextHandler(&logs, nil))}
		r := httptest.NewRequest("GET", "/v1/requests/ILL-1", nil)
		if c.cancelled {
			ctx, cancel := context.WithCancel(r.Context())
			cancel()
			r = r.WithContext(ctx)
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxRequestID{}, "rid-1"))
		w := httptest.NewRecorder()
		s.writeError(w, r, c.err)
		if w.Code != c.wantCode {
			t.Errorf("%s: status %d, want %d", c.name, w.Code, c.wantCode)
		}
		if c.wantLog == "" && strings.Contains(logs.String(), "ERROR") {
			t.Errorf("%s: logged %q", c.name, logs.String())
		}
		if c.wantLog != "" && (!strings.Contains(logs.String(), c.wantLog) || !strings.Contains(logs.String(), "http_request_id=rid-1")) {
			t.Errorf("%s: log %q lacks %q and the id", c.name, logs.String(), c.wantLog)
		}
	}
}
