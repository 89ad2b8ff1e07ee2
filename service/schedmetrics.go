package service

import (
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/sched"
	"github.com/prometheus/client_golang/prometheus"
)

// SchedulerMetrics are the scheduler process's metric families.
type SchedulerMetrics struct {
	Jobs      *sched.Metrics         // illhub_job_*
	Missed    *prometheus.CounterVec // illhub_missed_deadlines_total{deadline}
	DaysAhead prometheus.Gauge       // illhub_calendar_days_ahead
}

// NewSchedulerMetrics registers the scheduler's metrics on reg, with the
// illhub_requests{state} gauge read from st.
func NewSchedulerMetrics(reg *prometheus.Registry, st *mysql.Store) *SchedulerMetrics {
	m := &SchedulerMetrics{
		Jobs: &sched.Metrics{
			Runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_job_runs_total",
				Help: "Scheduler job runs by result."}, []string{"job", "result"}),
			Changed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_job_rows_total",
				Help: "Requests a job changed or notified."}, []string{"job"}),
			Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "illhub_job_duration_seconds",
				Help: "Scheduler job run time.", Buckets: []float64{.01, .1, .5, 1, 5, 15, 60, 300}}, []string{"job"}),
			LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "illhub_job_last_success_timestamp_seconds",
				Help: "Unix time of each job's last successful run."}, []string{"job"}),
		},
		Missed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "illhub_missed_deadlines_total",
			Help: "Deadlines enforced by the scheduler, by kind: respond (lender did not answer), ship (not shipped in the grace period), due (loan overdue)."},
			[]string{"deadline"}),
		DaysAhead: prometheus.NewGauge(prometheus.GaugeOpts{Name: "illhub_calendar_days_ahead",
			Help: "Days ahead covered by the loaded national calendar (warning below 60)."}),
	}
	for _, k := range []string{"respond", "ship", "due"} {
		m.Missed.WithLabelValues(k) // exported as 0 from the start
	}
	reg.MustRegister(m.Jobs.Runs, m.Jobs.Changed, m.Jobs.Duration, m.Jobs.LastSuccess, m.Missed, m.DaysAhead, RequestStates(st))
	return m
}
