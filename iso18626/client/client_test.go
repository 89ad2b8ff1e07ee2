package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// NewHTTP keeps connections to a member alive: concurrent deliveries,
// round after round, reuse the connections of the first round (net/http's
// default transport keeps 2 idle per host and would reconnect).
func TestNewHTTPKeepsConnectionsAlive(t *testing.T) {
	const workers, rounds = 8, 5
	conf := confirmation(t, nil)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond) // overlap the posts of a round
		w.Write(conf)
	}))
	var mu sync.Mutex
	conns := 0
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	c := client.Client{HTTP: client.NewHTTP(time.Second, workers)}
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Send(context.Background(), srv.URL, []byte("<doc/>")); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if conns > workers {
		t.Fatalf("%d connections for %d posts by %d workers: not kept alive", conns, workers*rounds, workers)
	}
}
