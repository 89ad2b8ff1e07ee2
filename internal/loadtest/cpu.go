package loadtest

import (
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
