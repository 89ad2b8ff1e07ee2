package harness

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/sched"
	"github.com/balis/illhub/service"
)

// Jobs are the scheduler's jobs on h's database, with the processor the
// consumers use (service.NewProcessor) and batches of 2 rows, so that
// every sweep takes several batches.
func (h *Harness) Jobs() []sched.Job {
	h.T.Helper()
	p, err := service.NewProcessor(h.Cfg, h.St)
	if err != nil {
		h.T.Fatal(err)
	}
	return (&sched.Jobs{Store: h.St, Processor: p, Log: h.Log, BatchSize: 2}).All(nil)
}

// RunJob runs the job called name as of now and returns its count.
func RunJob(t *testing.T, jobs []sched.Job, name string, now time.Time) int {
	t.Helper()
	j, err := sched.Find(jobs, name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := j.Run(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
