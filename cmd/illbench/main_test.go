package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A small run of the whole tool (make test): every lifecycle completes
// through the public API, both ceilings are measured and the report states
// the ratio. It checks that the tool works, not how fast anything is.
func TestSmallRun(t *testing.T) {
	if testing.Short() {
		t.Skip("drives lifecycles against MariaDB and RabbitMQ")
	}
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"-n", "24", "-c", "8", "-books", "300", "-half", "8",
		"-broker-n", "200", "-db-n", "100"}, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errs.String())
	}
	rep := out.String()
	for _, want := range []string{"N=24, concurrency C=8 (closed loop); 24 completed", "| submit → REQUESTED | 24 |",
		"| checkin → COMPLETED | 24 |", "ceiling: broker: publish with confirm (N=200", "ceiling: database: one transaction per message, illhub's transaction path (2 round trips) (N=100, C=16)",
		"ceiling: database: one transaction per message, plain database/sql (8 round trips) (N=100, C=8)", "← the ratio's",
		"**ratio**", "p99 submit → REQUESTED at half load", "## Per step, half load: 8 lifecycles"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
}

func TestFlags(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"-n", "0"}, &out, &errs); err == nil || !strings.Contains(err.Error(), "at least 1") {
		t.Fatalf("-n 0: %v", err)
	}
}
