package requests

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

// A deadline acts as a message of the system whose id is derived from the
// request and the deadline it enforces: a rerun, or a second scheduler,
// meets the same id in the inbox, and a new deadline (the next lender's)
// gets a new one.
func TestTimerMessage(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, ill.Shanghai)
	respondBy := time.Date(2026, 3, 3, 23, 59, 59, 0, ill.Shanghai)
	shipBy := time.Date(2026, 3, 5, 23, 59, 59, 0, ill.Shanghai)
	r := &ill.Request{ID: "ILL-1", RespondBy: respondBy, ShipBy: shipBy}
	for _, c := range []struct {
		timer  ill.Timer
		action ill.Action
		id     string
	}{
		{ill.TimerRespond, ill.ActRespondTimeout, fmt.Sprintf("timer:respond_deadline:ILL-1:%d", respondBy.Unix())},
		{ill.TimerShip, ill.ActShipTimeout, fmt.Sprintf("timer:ship_deadline:ILL-1:%d", shipBy.Unix())},
		{ill.TimerOverdue, ill.ActMarkOverdue, "timer:overdue:ILL-1"},
		{ill.TimerCourtesy, "", "timer:courtesy:ILL-1"},
	} {
		m := timerMessage(c.timer, r, now)
		if m.ID != c.id || m.Action != c.action || m.Type != ill.MsgAction || m.Actor != ill.SystemActor ||
			m.RequestID != "ILL-1" || !m.At.Equal(now) || m.At.Location() != time.UTC {
			t.Errorf("%s: %+v, want id %s, action %q", c.timer, m, c.id, c.action)
		}
	}
	later := *r
	later.RespondBy = respondBy.AddDate(0, 0, 1)
	if timerMessage(ill.TimerRespond, &later, now).ID == timerMessage(ill.TimerRespond, r, now).ID {
		t.Error("a new respond deadline must enforce under a new message id")
	}
}

// The mediator's lender list is kept in its order: holders with their
// facts, other libraries as lendable with unknown availability.
func TestExplicitLenders(t *testing.T) {
	holders := []ill.Candidate{
		{Library: "PKU", Available: 2, Lendable: true, OpenToday: false, FillRate: 0.9},
		{Library: "RUC", Available: 1, Lendable: true, OpenToday: true, FillRate: 0.5},
	}
	got := explicitLenders(holders, []string{"BNU", "PKU"})
	want := []ill.Candidate{
		{Library: "BNU", Lendable: true, OpenToday: true, FillRate: -1},
		holders[0],
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := explicitLenders(holders, nil); len(got) != 0 {
		t.Errorf("no list: %+v", got)
	}
}

// A RetryLater pauses the requests handler (longer for later deliveries)
// and is returned as is; any other error is returned at once.
func TestPauseBeforeRetry(t *testing.T) {
	rl := RetryLater{Err: ill.Errorf(ill.CodeTransient, "ahead")}
	start := time.Now()
	if err := pauseBeforeRetry(context.Background(), ill.Message{Attempt: 2}, rl); !errors.Is(err, rl.Err) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("second delivery paused %v, want 200 ms", d)
	}
	if ill.ErrorCode(rl) != ill.CodeTransient {
		t.Errorf("code %s: the broker must redeliver", ill.ErrorCode(rl))
	}
	other := errors.New("boom")
	start = time.Now()
	if err := pauseBeforeRetry(context.Background(), ill.Message{Attempt: 5}, other); err != other || time.Since(start) > 50*time.Millisecond {
		t.Errorf("other error: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if err := pauseBeforeRetry(ctx, ill.Message{Attempt: 100}, rl); !errors.Is(err, rl.Err) || time.Since(start) > 50*time.Millisecond {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}
}
