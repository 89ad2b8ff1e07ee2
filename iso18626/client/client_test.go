package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/iso18626/client"
)

func confirmation(t *testing.T, p *iso18626.Problem) []byte {
	t.Helper()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	b, err := iso18626.Marshal(iso18626.Confirm(nil, p, now, now))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSend(t *testing.T) {
	var gotType, gotBody string
	answer := func(status int, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			gotType = r.Header.Get("Content-Type")
			b := make([]byte, 64)
			n, _ := r.Body.Read(b)
			gotBody = string(b[:n])
			w.WriteHeader(status)
			w.Write(body)
		}
	}
	refused := &iso18626.Problem{Type: iso18626.ErrUnrecognisedDataValue, Value: "no such request"}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		conf    bool   // a confirmation is returned
		err     string // "" = OK
		refusal bool   // the error wraps ErrRefused
	}{
		{"OK", answer(200, confirmation(t, nil)), true, "", false},
		{"ERROR confirmation", answer(200, confirmation(t, refused)), true,
			"iso18626: ERROR confirmation: UnrecognisedDataValue: no such request", true},
		{"HTTP error", answer(500, confirmation(t, nil)), false, "iso18626: HTTP 500 from ", true},
		{"not a confirmation", answer(200, []byte("<html>hello</html>")), false, "iso18626: the answer is not an ISO 18626 confirmation", true},
	}
	for _, c := range cases {
		srv := httptest.NewServer(c.handler)
		conf, err := client.Client{HTTP: srv.Client()}.Send(context.Background(), srv.URL, []byte("<doc/>"))
		srv.Close()
		if (conf != nil) != c.conf {
			t.Errorf("%s: confirmation %v", c.name, conf)
		}
		if c.err == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		} else if err == nil || !strings.HasPrefix(err.Error(), c.err) || errors.Is(err, client.ErrRefused) != c.refusal {
			t.Errorf("%s: %v, want %q (refusal %v)", c.name, err, c.err, c.refusal)
		}
		if gotType != "application/xml; charset=utf-8" || gotBody != "<doc/>" {
			t.Errorf("%s: posted %q as %q", c.name, gotBody, gotType)
		}
	}
	// No endpoint: refused without a post; unreachable: the transport's error.
	if _, err := (client.Client{}).Send(context.Background(), "", nil); !errors.Is(err, client.ErrRefused) {
		t.Errorf("no endpoint: %v", err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if _, err := (client.Client{}).Send(context.Background(), url, nil); err == nil || errors.Is(err, client.ErrRefused) {
		t.Errorf("unreachable: %v", err)
	}
}

// The client's timeout bounds a post to a member that does not answer.
func TestSendTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	_, err := client.Client{HTTP: &http.Client{Timeout: 100 * time.Millisecond}}.Send(context.Background(), srv.URL, []byte("<doc/>"))
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("%v after %v", err, time.Since(start))
	}
}
