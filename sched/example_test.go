package sched_test

import (
	"fmt"

	"github.com/balis/illhub/sched"
)

// The scheduler's jobs and their cron schedules (Asia/Shanghai): the
// defaults, with a schedule overridden as ILL_SCHED_OVERDUE does. Find
// picks one job by name, as `scheduler run-once JOB` does.
func ExampleJobs_All() {
	jobs := (&sched.Jobs{}).All(sched.Specs{"overdue": "20 0 * * *"})
	for _, j := range jobs {
		fmt.Printf("%-19s %s\n", j.Name, j.Spec)
	}
	if _, err := sched.Find(jobs, "overdue-notices"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// respond-deadline    */5 * * * *
	// ship-deadline       */5 * * * *
	// deliver-deadline    */5 * * * *
	// overdue             20 0 * * *
	// recall-expiry       */15 * * * *
	// courtesy            0 8 * * *
	// calendar-coverage   0 7 * * *
	// rollup              30 1 * * *
	// courier-cutoff      */10 * * * *
	// courier-exceptions  5 * * * *
	// iso18626-retention  40 1 * * *
	// monthly-summary     20 8 * * *
	// copy-expiry         15 * * * *
	// unknown job "overdue-notices"; jobs are [calendar-coverage copy-expiry courier-cutoff courier-exceptions courtesy deliver-deadline iso18626-retention monthly-summary overdue recall-expiry respond-deadline rollup ship-deadline]
}
