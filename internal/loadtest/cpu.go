package loadtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CPU of the processes under test, from /proc (Linux): what a run's CPU per
// delivery is computed from.

// ClockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on
// Linux everywhere this runs).
const ClockTicks = 100

// CPUTicks sums utime + stime (clock ticks) of the processes whose ids are
// given and, with descendants, of all their descendants. Processes that
// cannot be read (gone, another user's) count 0.
func CPUTicks(roots []int, descendants bool) int64 {
	type proc struct{ ppid, ticks int64 }
	procs := map[int64]proc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		ppid, ticks, ok := parseStat(string(b))
		if ok {
			procs[pid] = proc{ppid, ticks}
		}
	}
	in := map[int64]bool{}
	for _, r := range roots {
		in[int64(r)] = true
	}
	for changed := descendants; changed; { // close over descendants
		changed = false
		for pid, p := range procs {
			if !in[pid] && in[p.ppid] {
				in[pid], changed = true, true
			}
		}
	}
	var sum int64
	for pid := range in {
		sum += procs[pid].ticks
	}
	return sum
}

// parseStat reads the parent id and utime + stime of a /proc/<pid>/stat
// line. The fields after the command, which is in parentheses and may
// contain spaces and parentheses, are: state ppid … utime(14) stime(15),
// 1-based over the whole line.
func parseStat(s string) (ppid, ticks int64, ok bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, err1 := strconv.ParseInt(f[1], 10, 64)
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, false
	}
	return ppid, ut + st, true
}

// PIDsNamed lists the processes whose command name (/proc/<pid>/comm) is
// one of names, e.g. "mariadbd" and "beam.smp".
func PIDsNamed(names ...string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		for _, n := range names {
			if strings.TrimSpace(string(b)) == n {
				out = append(out, pid)
			}
		}
	}
	return out
}

// HostCPU is the machine's CPU time so far, all cores, in clock ticks
// (/proc/stat): what each open-loop phase reports beside its latencies,
// because on a shared or virtual machine the same code's tail latency
// follows how busy the host was and how much of it the hypervisor took.
type HostCPU struct {
	Busy  int64 // user, nice, system, irq, softirq
	Idle  int64 // idle and iowait
	Steal int64 // taken by the hypervisor for other guests
}

// ReadHostCPU reads the machine's CPU time; ok is false where there is
// no /proc/stat.
func ReadHostCPU() (HostCPU, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return HostCPU{}, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseHostCPU(line)
}

// parseHostCPU reads /proc/stat's first line: "cpu" and then user, nice,
// system, idle, iowait, irq, softirq, steal (guest time is already in
// user and nice).
func parseHostCPU(line string) (HostCPU, bool) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return HostCPU{}, false
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return HostCPU{}, false
		}
		v[i] = n
	}
	return HostCPU{Busy: v[0] + v[1] + v[2] + v[5] + v[6], Idle: v[3] + v[4], Steal: v[7]}, true
}

// HostLoad is how the machine's CPU time was spent over an interval, as
// fractions of it.
type HostLoad struct {
	Busy, Idle, Steal float64
}

// Since is the load between an earlier reading and c; zero when nothing
// was counted.
func (c HostCPU) Since(earlier HostCPU) HostLoad {
	busy, idle, steal := c.Busy-earlier.Busy, c.Idle-earlier.Idle, c.Steal-earlier.Steal
	all := float64(busy + idle + steal)
	if all <= 0 {
		return HostLoad{}
	}
	return HostLoad{Busy: float64(busy) / all, Idle: float64(idle) / all, Steal: float64(steal) / all}
}

// String is the load as a report shows it.
func (l HostLoad) String() string {
	if l == (HostLoad{}) {
		return "not read"
	}
	return fmt.Sprintf("busy %.0f %%, idle %.0f %%, stolen %.1f %%", 100*l.Busy, 100*l.Idle, 100*l.Steal)
}
