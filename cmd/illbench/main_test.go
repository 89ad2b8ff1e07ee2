package main

import (
	"bytes"
	"context"
	"regexp"
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
	code := run(context.Background(), []string{"-n", "24", "-c", "8", "-books", "300", "-half", "8",
		"-light", "6", "-light-rate", "20", "-iso", "6", "-iso-rate", "20", "-iso-clients", "2,3",
		"-broker-n", "200", "-db-n", "100"}, &out, &errs)
	if code != 0 {
		t.Fatalf("status %d\n%s\n%s", code, out.String(), errs.String())
	}
	rep := out.String()
	for _, want := range []string{"N=24, concurrency C=8 (closed loop); 24 completed", "| submit → REQUESTED | 24 |",
		"| checkin → COMPLETED | 24 |", "ceiling: broker: publish with confirm (N=200", "ceiling: database: one transaction per message, illhub's transaction path (2 round trips) (N=100, C=16)",
		"ceiling: database: one transaction per message, plain database/sql (8 round trips) (N=100, C=8)", "← the ratio's",
		"**ratio**", "p99 submit → REQUESTED at half load", "## Per step, half load: 8 lifecycles",
		"p50 / p99 submit → REQUESTED at light load** (20.0 lifecycles/s; host: busy ", "## Per step, light load: 6 lifecycles started at 20.0/s",
		"Host over the phase (/proc/stat): busy "} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
	// Every ISO 18626 request accepted and forwarded to the supplier, in
	// each phase.
	for _, phase := range []string{`20\.0/s \(open loop\)`, `C=2 \(closed loop\)`, `C=3 \(closed loop\)`} {
		row := regexp.MustCompile(`\| ` + phase + ` \| 6 \| 6 \| [0-9.]+ \| 6 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ / [0-9.]+ \| [0-9.]+ / [0-9.]+ / [0-9.]+ \| \d+ \| 0 \|`)
		if !row.MatchString(rep) {
			t.Errorf("ISO 18626 brokering lacks a complete %s row:\n%s", phase, rep)
		}
	}
	if !strings.Contains(rep, "## ISO 18626 brokering") {
		t.Errorf("report lacks the ISO 18626 brokering section")
	}
}

// Flags and configuration are checked before anything is created.
func TestFlags(t *testing.T) {
	for _, c := range []struct {
		args     []string
		prefetch string // ILL_PREFETCH, "" for the default
		code     int
		errs     string
	}{
		{[]string{"-n", "0"}, "", 1, "illbench: -n, -c and -consumers must be at least 1\n"},
		{[]string{"-light-rate", "0"}, "", 1, "illbench: -light-rate must be positive\n"},
		{[]string{"-iso-clients", "8,x"}, "", 1, "illbench: -iso-rate must be positive and -iso-clients a list of positive numbers\n"},
		{[]string{"-x"}, "", 1, "flag provided but not defined: -x"},
		{[]string{"-h"}, "", 0, "Usage of illbench:"},
		{nil, "0", 1, "illbench: config: ILL_WORKERS, ILL_PREFETCH"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			if c.prefetch != "" {
				t.Setenv("ILL_PREFETCH", c.prefetch)
			}
			var out, errs bytes.Buffer
			if code := run(context.Background(), c.args, &out, &errs); code != c.code || !strings.HasPrefix(errs.String(), c.errs) {
				t.Errorf("%v: status %d, stderr %q", c.args, code, errs.String())
			}
		})
	}
}
