package rabbitmq

import (
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestSplitURLs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"amqp://a/", []string{"amqp://a/"}},
		{" amqp://a/ , amqp://b/,,amqp://c/ ", []string{"amqp://a/", "amqp://b/", "amqp://c/"}},
		{"", nil},
		{" , ", nil},
	}
	for _, c := range cases {
		if got := splitURLs(c.in); !slices.Equal(got, c.want) {
			t.Errorf("splitURLs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Each dial starts one node further on and still tries every node once.
func TestRotateTriesEveryNodeFromTheOffset(t *testing.T) {
	urls := []string{"a", "b", "c"}
	cases := []struct {
		start uint64
		want  string
	}{
		{0, "abc"}, {1, "bca"}, {2, "cab"}, {3, "abc"}, {1<<64 - 1, "abc"}, // (2^64-1) mod 3 = 0
	}
	for _, c := range cases {
		if got := strings.Join(rotate(urls, c.start), ""); got != c.want {
			t.Errorf("rotate(start %d) = %s, want %s", c.start, got, c.want)
		}
	}
	if got := rotate(nil, 5); got != nil {
		t.Errorf("rotate(nil) = %v", got)
	}
	// The input is not modified.
	if strings.Join(urls, "") != "abc" {
		t.Errorf("rotate changed its input: %v", urls)
	}
}

// Failed nodes are named by host:port, never with the URL's credentials.
func TestDialErrorHidesCredentials(t *testing.T) {
	_, err := Dial("amqp://guest:s3cret@127.0.0.1:1/, amqp://guest:s3cret@127.0.0.1:2/", amqpTestConfig())
	if err == nil {
		t.Fatal("dial of two closed ports succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error reveals the password: %v", err)
	}
	for _, host := range []string{"127.0.0.1:1", "127.0.0.1:2"} {
		if !strings.Contains(err.Error(), host) {
			t.Errorf("error does not name %s: %v", host, err)
		}
	}
	if _, err := Dial(" , ", amqpTestConfig()); err == nil {
		t.Fatal("an empty list dialled")
	}
}

func amqpTestConfig() amqp.Config { return amqp.Config{Dial: amqp.DefaultDial(time.Second)} }
