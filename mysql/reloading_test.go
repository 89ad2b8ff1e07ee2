package mysql

import (
	"errors"
	"testing"
	"time"
)

// reloading (the calendar and the member directory): loads once per TTL,
// serves the last good value when a reload fails, reports the failure when
// there is none, and loads again after forget.
func TestReloadingCache(t *testing.T) {
	var r reloading[int]
	loads, fail := 0, false
	load := func() (int, error) {
		loads++
		if fail {
			return 0, errors.New("database down")
		}
		return loads, nil
	}
	fail = true
	if _, err := r.get(time.Hour, load); err == nil {
		t.Fatal("first load failed, yet no error")
	}
	fail = false
	for range 3 {
		if v, err := r.get(time.Hour, load); err != nil || v != 2 {
			t.Fatalf("within TTL: %d, %v (want the second load's 2)", v, err)
		}
	}
	if loads != 2 {
		t.Fatalf("%d loads within TTL, want 2", loads)
	}
	fail = true
	if v, err := r.get(0, load); err != nil || v != 2 {
		t.Fatalf("stale, reload failing: %d, %v (want the last good 2)", v, err)
	}
	fail = false
	r.forget()
	if v, err := r.get(time.Hour, load); err != nil || v != 4 {
		t.Fatalf("after forget: %d, %v (want a fresh load, 4)", v, err)
	}
}
