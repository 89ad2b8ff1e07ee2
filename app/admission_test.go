package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// backlogSeq answers Waiting with the next of its readings (the last one
// repeats), or err.
type backlogSeq struct {
	mu       sync.Mutex
	readings []int
	err      error
	asked    int
}

func (b *backlogSeq) Waiting(context.Context) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked++
	if b.err != nil {
		return 0, b.err
	}
	n := b.readings[min(b.asked-1, len(b.readings)-1)]
	return n, nil
}

type publishLog struct {
	mu   sync.Mutex
	keys []string
}

func (p *publishLog) Publish(_ context.Context, rk, _ string, _ []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, rk)
	return nil
}
func (p *publishLog) Ready() error { return nil }

func TestAdmission(t *testing.T) {
	cases := []struct {
		name    string
		backlog *backlogSeq
		limit   int
		want    string // "" admitted, else the error code
		asked   int    // readings taken (0: do not check)
	}{
		{"under the limit", &backlogSeq{readings: []int{3}}, 10, "", 1},
		{"at the limit", &backlogSeq{readings: []int{10}}, 10, "", 1},
		{"over, then drained", &backlogSeq{readings: []int{50, 40, 9}}, 10, "", 3},
		{"over for longer than the wait", &backlogSeq{readings: []int{50}}, 10, string(ill.CodeUnavailable), 0},
		{"backlog unknown", &backlogSeq{err: errors.New("broker down")}, 10, "", 1},
		{"limit off", &backlogSeq{readings: []int{1000}}, 0, "", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := admission{backlog: c.backlog, limit: c.limit, wait: 60 * time.Millisecond}
			err := a.admit(context.Background())
			if got := string(ill.ErrorCode(err)); (err == nil) != (c.want == "") || (err != nil && got != c.want) {
				t.Fatalf("admit: %v (code %q), want %q", err, got, c.want)
			}
			switch {
			case c.asked > 0 && c.backlog.asked != c.asked:
				t.Errorf("%d readings, want %d", c.backlog.asked, c.asked)
			case c.asked < 0 && c.backlog.asked != 0:
				t.Errorf("limit 0 read the backlog %d times", c.backlog.asked)
			case c.want != "" && c.backlog.asked < 3:
				t.Errorf("refused after %d readings: it did not wait", c.backlog.asked)
			}
		})
	}
}

// Only new requests are held; an action on a request already in the hub
// goes out whatever the backlog.
func TestAdmissionHoldsSubmitsOnly(t *testing.T) {
	pub := &publishLog{}
	s := New(Config{Publisher: pub, Backlog: &backlogSeq{readings: []int{500}}, IntakeBacklog: 10, IntakeWait: 30 * time.Millisecond})
	ctx := context.Background()
	if err := s.publish(ctx, ill.Message{ID: "a1", Type: ill.MsgAction}); err != nil {
		t.Fatalf("action held: %v", err)
	}
	if err := s.publish(ctx, ill.Message{ID: "s1", Type: ill.MsgSubmit}); ill.ErrorCode(err) != ill.CodeUnavailable {
		t.Fatalf("submit over the backlog: %v, want unavailable", err)
	}
	if len(pub.keys) != 1 || pub.keys[0] != ill.MsgAction {
		t.Fatalf("published %v, want the action only", pub.keys)
	}
}
