package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report is everything cmd/illbench measured in one run.
type Report struct {
	Date     time.Time
	Machine  string // CPU, cores, memory
	Versions string // database and broker versions
	Setup    string // how the system under test ran (workers, prefetch, processes)
	Main     *Result
	// Deliveries acked by the consumers during the main run, all queues
	// (requests, notices, courier, holdings): each is one committed
	// database transaction.
	Deliveries int
	Half       *Result // the same lifecycle at half the measured rate
	Light      *Result // the same lifecycle at a fixed low rate (-light-rate)
	// ISO: the ISO 18626 brokering phases (-iso): the fixed rate, then
	// each closed-loop client count.
	ISO        []*ISOResult
	Broker, DB Ceiling // DB: the highest of DBs, the one the ratio divides by
	DBs        []Ceiling
	Notes      []string
}

// Machine describes this host from /proc (Linux) or runtime.
func Machine() string {
	cpu := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s", cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH)
}

// LifecyclesPerSecond is the completed lifecycles per second of a run.
func (r *Result) LifecyclesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Completed) / r.Elapsed.Seconds()
}

// DeliveriesPerSecond is the end-to-end message rate of the main run.
func (rp *Report) DeliveriesPerSecond() float64 {
	if rp.Main == nil || rp.Main.Elapsed <= 0 {
		return 0
	}
	return float64(rp.Deliveries) / rp.Main.Elapsed.Seconds()
}

// Ratio is the end-to-end committed message transactions per second
// divided by the database-only ceiling (one transaction per message).
func (rp *Report) Ratio() float64 {
	if rp.DB.PerSecond() == 0 {
		return 0
	}
	return rp.DeliveriesPerSecond() / rp.DB.PerSecond()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func writeSteps(w io.Writer, r *Result) {
	fmt.Fprintln(w, "| step | done | steps/s | 202 p50 / p99 (ms) | applied p50 / p95 / p99 (ms) | polls per step | retried 429/503 | failed |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, s := range r.Steps {
		rate := 0.0
		if r.Elapsed > 0 {
			rate = float64(s.Done) / r.Elapsed.Seconds()
		}
		polls := 0.0
		if s.Done > 0 {
			polls = float64(s.Polls) / float64(s.Done)
		}
		fmt.Fprintf(w, "| %s → %s | %d | %.1f | %s / %s | %s / %s / %s | %.1f | %d | %d |\n", s.Name, s.Want, s.Done, rate,
			ms(Percentile(s.Accept, 50)), ms(Percentile(s.Accept, 99)),
			ms(Percentile(s.Applied, 50)), ms(Percentile(s.Applied, 95)), ms(Percentile(s.Applied, 99)), polls, s.Retries, s.Failures)
	}
}

// Markdown writes the report.
func (rp *Report) Markdown(w io.Writer) {
	m := rp.Main
	fmt.Fprintf(w, "# illbench report, %s\n\n", rp.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- machine: %s\n- versions: %s\n- setup: %s\n", rp.Machine, rp.Versions, rp.Setup)
	fmt.Fprintf(w, "- lifecycles: N=%d, concurrency C=%d (closed loop); %d completed, %d not routed (UNFILLED/REJECTED), %d failed, in %v; host: %s\n\n",
		m.N, m.C, m.Completed, m.NotRouted, m.Failed, m.Elapsed.Round(time.Millisecond), m.Host)
	fmt.Fprintln(w, "## Summary")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| measure | value |")
	fmt.Fprintln(w, "|---|---|")
	fmt.Fprintf(w, "| full lifecycles/s (8 API actions each) | %.1f |\n", m.LifecyclesPerSecond())
	fmt.Fprintf(w, "| consumer deliveries acked/s, all queues (= committed message transactions/s) | %.1f (%d deliveries, %.1f per lifecycle) |\n",
		rp.DeliveriesPerSecond(), rp.Deliveries, float64(rp.Deliveries)/float64(max(m.Completed+m.NotRouted, 1)))
	fmt.Fprintf(w, "| ceiling: %s (N=%d, C=%d) | %.0f msg/s |\n", rp.Broker.What, rp.Broker.N, rp.Broker.C, rp.Broker.PerSecond())
	for _, c := range rp.DBs {
		mark := ""
		if c == rp.DB {
			mark = " ← the ratio's"
		}
		fmt.Fprintf(w, "| ceiling: %s (N=%d, C=%d) | %.0f tx/s%s |\n", c.What, c.N, c.C, c.PerSecond(), mark)
	}
	if len(rp.DBs) == 0 {
		fmt.Fprintf(w, "| ceiling: %s (N=%d, C=%d) | %.0f tx/s |\n", rp.DB.What, rp.DB.N, rp.DB.C, rp.DB.PerSecond())
	}
	fmt.Fprintf(w, "| **ratio** end-to-end message transactions/s ÷ the highest database ceiling (aim ≥ 0.5) | **%.2f** |\n", rp.Ratio())
	if rp.Half != nil && len(rp.Half.Steps) > 0 {
		fmt.Fprintf(w, "| **p99 submit → REQUESTED at half load** (%.1f lifecycles/s, aim < 25 ms; host: %s) | **%s ms** |\n",
			rp.Half.Rate, rp.Half.Host, ms(Percentile(rp.Half.Steps[0].Applied, 99)))
	}
	if rp.Light != nil && len(rp.Light.Steps) > 0 {
		fmt.Fprintf(w, "| **p50 / p99 submit → REQUESTED at light load** (%.1f lifecycles/s; host: %s) | **%s / %s ms** |\n",
			rp.Light.Rate, rp.Light.Host, ms(Percentile(rp.Light.Steps[0].Applied, 50)), ms(Percentile(rp.Light.Steps[0].Applied, 99)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Per step, full load")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "\"applied\" runs from sending the POST to the first poll showing the new state (includes the poll interval). "+
		"Polls are batched: %d GET /v1/requests?ids=… calls in all (%.1f per lifecycle).\n",
		m.Polls, float64(m.Polls)/float64(max(m.Completed+m.NotRouted, 1)))
	fmt.Fprintln(w)
	writeSteps(w, m)
	if rp.Half != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "## Per step, half load: %d lifecycles started at %.1f/s (open loop)\n\nHost over the phase (/proc/stat): %s.\n\n", rp.Half.N, rp.Half.Rate, rp.Half.Host)
		writeSteps(w, rp.Half)
	}
	if rp.Light != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "## Per step, light load: %d lifecycles started at %.1f/s (open loop)\n\nHost over the phase (/proc/stat): %s.\n\n", rp.Light.N, rp.Light.Rate, rp.Light.Host)
		writeSteps(w, rp.Light)
	}
	if len(rp.ISO) > 0 {
		fmt.Fprintln(w)
		writeISO(w, rp.ISO)
	}
	if len(m.Errors) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## First failures")
		fmt.Fprintln(w)
		for _, e := range m.Errors {
			fmt.Fprintf(w, "- %s\n", e)
		}
	}
	if len(rp.Notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## Notes")
		fmt.Fprintln(w)
		for _, n := range rp.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}
