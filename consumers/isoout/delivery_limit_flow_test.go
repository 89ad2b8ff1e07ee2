package isoout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/mysql"
)

// TestSlowMemberDoesNotHoldOthers: a member whose system answers slowly,
// with a backlog, ties up at most ILL_ISO_PER_MEMBER posts (and as many
// waiting deliveries); another member's message is delivered while the
// backlog drains, and every message of the backlog still arrives.
func TestSlowMemberDoesNotHoldOthers(t *testing.T) {
	const slowFor, backlog = 1500 * time.Millisecond, 5
	h := harness.New(t, 5)
	h.Cfg.ISOWorkers, h.Cfg.ISOPerMember, h.Cfg.ISOTimeout = 4, 1, 5*time.Second
	h.StartConsumers(nil)

	var mu sync.Mutex
	arrived := map[string][]time.Time{} // member → arrival times
	inFlight, most := 0, 0
	member := func(code string, delay time.Duration) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if code == "PKU" {
				inFlight++
				most = max(most, inFlight)
			}
			mu.Unlock()
			time.Sleep(delay)
			mu.Lock()
			if code == "PKU" {
				inFlight--
			}
			arrived[code] = append(arrived[code], time.Now())
			mu.Unlock()
			now := time.Now()
			out, _ := iso18626.Marshal(iso18626.Confirm(nil, nil, now, now))
			w.Write(out)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	harness.RegisterISO(t, h.St, "PKU", member("PKU", slowFor), "")
	harness.RegisterISO(t, h.St, "RUC", member("RUC", 0), "")
	queue := func(code, rid string) {
		ctx := context.Background()
		if err := h.St.InTx(ctx, func(tx *mysql.Tx) error {
			id, err := tx.AddISOMessage(ctx, ill.ISOMessage{RequestID: rid, Direction: "out", LibraryCode: code,
				Kind: "request", Summary: "request", Body: "<ISO18626Message/>", Status: ill.ISOPending, CreatedAt: time.Now()})
			if err != nil {
				return err
			}
			ref, _ := json.Marshal(map[string]int64{"iso_message_id": id})
			return tx.Enqueue(ctx, ill.Message{ID: fmt.Sprintf("iso:%d", id), Type: ill.MsgISO, Actor: ill.SystemActor,
				RequestID: rid, At: time.Now().UTC(), Body: ref})
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < backlog; i++ {
		queue("PKU", fmt.Sprintf("slow-%d", i))
	}
	time.Sleep(100 * time.Millisecond) // the backlog is taken first
	start := time.Now()
	queue("RUC", "fast-1")
	wait := func(code string, n int, within time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			got := len(arrived[code])
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s received %d of %d messages within %v", code, got, n, within)
			}
		}
	}
	// Without the limit all 4 workers would post to PKU for 1.5 s first.
	wait("RUC", 1, slowFor*2/3)
	t.Logf("the other member's message arrived after %v", time.Since(start).Round(time.Millisecond))
	wait("PKU", backlog, backlog*slowFor+10*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Fatalf("%d posts to PKU at once, want ILL_ISO_PER_MEMBER = 1", most)
	}
	if n := len(arrived["PKU"]); n != backlog {
		t.Fatalf("PKU received %d messages, want each of the %d once", n, backlog)
	}
}
