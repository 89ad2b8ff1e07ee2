package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/internal/testenv"
)

// setenv sets the variables for the rest of the (sub)test.
func setenv(t *testing.T, kv map[string]string) {
	for k, v := range kv {
		t.Setenv(k, v)
	}
}

func TestRefusesArgumentsAndBadConfiguration(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve"}, nil, "consumers: consumers takes no arguments; configure it with ILL_* environment variables"},
		{nil, map[string]string{"ILL_TZ": "UTC"}, "consumers: config: ILL_TZ=\"UTC\""},
	} {
		t.Run(c.want, func(t *testing.T) {
			setenv(t, c.env)
			var out, errs bytes.Buffer
			if code := run(context.Background(), c.args, &out, &errs); code != 1 || !strings.HasPrefix(errs.String(), c.want) {
				t.Errorf("%v %v: status %d, stderr %q", c.args, c.env, code, errs.String())
			}
		})
	}
}

// The program consumes until its context ends, then drains and exits 0.
func TestServesUntilCancelled(t *testing.T) {
	dsn, _ := testenv.DB(t, "consumersmain")
	url, topo := testenv.AMQP(t, 5)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errs bytes.Buffer
	done := make(chan int)
	setenv(t, map[string]string{"ILL_MYSQL_DSN": dsn, "ILL_AMQP_URL": url, "ILL_AMQP_PREFIX": topo.Prefix,
		"ILL_CONSUMERS_METRICS_ADDR": addr, "ILL_DEMO": "1"})
	go func() {
		done <- run(ctx, nil, &bytes.Buffer{}, &errs)
	}()
	waitReady(t, "http://"+addr+"/readyz", done)
	cancel()
	if code := <-done; code != 0 || !strings.Contains(errs.String(), "consumers stopped") {
		t.Fatalf("status %d\n%s", code, errs.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady polls url until it answers 200; done reports an early exit.
func waitReady(t *testing.T, url string, done <-chan int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("exited with status %d before it was ready", code)
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s never ready", url)
}
