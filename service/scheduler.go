package service

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
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
			Help: "Deadlines enforced by the scheduler, by kind: respond (lender did not answer), ship (not shipped in the grace period), deliver (copy not delivered), due (loan overdue)."},
			[]string{"deadline"}),
		DaysAhead: prometheus.NewGauge(prometheus.GaugeOpts{Name: "illhub_calendar_days_ahead",
			Help: "Days ahead covered by the loaded national calendar (warning below 60)."}),
	}
	for _, k := range []string{"respond", "ship", "deliver", "due"} {
		m.Missed.WithLabelValues(k) // exported as 0 from the start
	}
	reg.MustRegister(m.Jobs.Runs, m.Jobs.Changed, m.Jobs.Duration, m.Jobs.LastSuccess, m.Missed, m.DaysAhead, RequestStates(st))
	return m
}

// Scheduler is the scheduler program: its jobs, built from the
// configuration with the processor the consumers use too, and the state
// its readiness reports.
type Scheduler struct {
	Jobs    *sched.Jobs
	Metrics *SchedulerMetrics

	list []sched.Job
	log  *slog.Logger
	// daysAhead is the national calendar's coverage found by the last
	// successful calendar-coverage run; 0 until the first one, which Run
	// makes at start-up.
	daysAhead atomic.Int64
	stopping  atomic.Bool
}

// NewScheduler builds the jobs with the cron specs of cfg (ILL_SCHED_*)
// and registers the scheduler's metrics on reg.
func NewScheduler(cfg config.Config, st *mysql.Store, log *slog.Logger, reg *prometheus.Registry) (*Scheduler, error) {
	p, err := NewProcessor(cfg, st)
	if err != nil {
		return nil, err
	}
	m := NewSchedulerMetrics(reg, st)
	s := &Scheduler{Metrics: m, log: log, Jobs: &sched.Jobs{Store: st, Processor: p, Log: log, BatchSize: cfg.SchedBatch,
		OverdueFirst: cfg.OverdueNoticeFirst, OverdueEvery: cfg.OverdueNoticeEvery, ISORetention: cfg.ISORetention,
		CalendarDaysAhead: m.DaysAhead, MissedDeadlines: m.Missed}}
	if files, err := NewFileStore(context.Background(), cfg); err != nil {
		log.Error("copy-expiry cannot reach the files of delivered copies", "err", err)
	} else {
		s.Jobs.Files = files
	}
	s.list = s.Jobs.All(cfg.SchedSpecs())
	for i := range s.list {
		if s.list[i].Name == "calendar-coverage" {
			s.list[i].Run = s.calendarCoverage
		}
	}
	return s, nil
}

// calendarCoverage is the calendar-coverage job, keeping its finding for
// readiness.
func (s *Scheduler) calendarCoverage(ctx context.Context, now time.Time) (int, error) {
	days, err := s.Jobs.CalendarCoverage(ctx, now)
	if err == nil {
		s.daysAhead.Store(int64(days))
	}
	return days, err
}

// Job returns the job called name; the error lists the jobs.
func (s *Scheduler) Job(name string) (sched.Job, error) { return sched.Find(s.list, name) }

// Run checks the calendar coverage, then runs the jobs on their cron
// schedules (Asia/Shanghai) until ctx ends. Shutdown order: readiness off
// → stop cron and wait for running jobs (each batch is its own
// transaction: an interrupted job resumes on its next run).
func (s *Scheduler) Run(ctx context.Context) error {
	c, err := sched.NewCron(s.list, &sched.Runner{Ticks: s.Jobs.Store, ID: sched.DefaultRunnerID(),
		Clock: ill.SystemClock{}, Log: s.log, Metrics: s.Metrics.Jobs})
	if err != nil {
		return err
	}
	if _, err := s.calendarCoverage(ctx, time.Now()); err != nil {
		s.log.Warn("calendar coverage check", "err", err)
	}
	c.Start()
	for _, job := range s.list {
		s.log.Info("job scheduled", "job", job.Name, "spec", job.Spec, "tz", "Asia/Shanghai")
	}
	<-ctx.Done()
	s.stopping.Store(true)
	s.log.Info("scheduler stopping: waiting for running jobs")
	<-c.Stop().Done()
	return nil
}

// Ready is the scheduler's readiness: not shutting down and the database
// reachable. A calendar covering fewer than sched.MinCalendarDays ahead is
// reported as a warning without making the scheduler unready: its jobs
// still run, on provisional deadlines.
func (s *Scheduler) Ready(ctx context.Context) (bool, map[string]string) {
	checks, ok := map[string]string{"mysql": "ok"}, true
	if s.stopping.Load() {
		checks["shutdown"], ok = "shutting down", false
	}
	if err := s.Jobs.Store.Ping(ctx); err != nil {
		s.log.Warn("readiness: database unreachable", "err", err) // the text stays out of the answer
		checks["mysql"], ok = "down", false
	}
	if days := s.daysAhead.Load(); days < sched.MinCalendarDays {
		checks["calendar"] = fmt.Sprintf("warning: national calendar covers only %d days ahead; import next year's", days)
	} else {
		checks["calendar"] = "ok"
	}
	return ok, checks
}

// RunScheduler is the scheduler program's daemon: it refuses a database
// with active demo credentials outside a demo, like the producer and the
// consumers, serves the metrics port and runs the jobs until ctx ends.
func RunScheduler(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := RefuseDemoKeys(ctx, cfg, st); err != nil {
		return err
	}
	reg := NewRegistry()
	s, err := NewScheduler(cfg, st, log, reg)
	if err != nil {
		return err
	}
	stop := ServeOps(cfg.SchedulerMetricsAddr, reg, s.Ready, log)
	defer stop()
	// The sweeps' notices and system actions leave at commit, not at a
	// consumers' poll.
	pub := &rabbitmq.Publisher{URL: cfg.AMQPURL, Topo: topology(cfg), Log: log}
	defer pub.Close()
	defer startFastRelay(st, pub, log, 10*time.Second)()
	return s.Run(ctx)
}
