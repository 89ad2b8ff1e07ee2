package ill

import "time"

// WorkingHoursBetween is the time in [from, to) that falls on the
// schedule's working days, in hours: each calendar day (Asia/Shanghai,
// 00:00 to 24:00) contributes the part of it inside [from, to) when s is
// open that day, and nothing when it is closed (a weekend, a public
// holiday, the library's closure). It is 0 when to is not after from. It
// counts whole days, not opening hours: a request that reached a lender at
// 17:00 on a working day and was supplied at 09:00 the next working day
// took 16 working hours. The scan is bounded like WorkingDaysBetween's; a
// range longer than that counts its first days only.
func WorkingHoursBetween(s Schedule, from, to time.Time) float64 {
	if !to.After(from) {
		return 0
	}
	var total time.Duration
	d, last := DateOf(from), DateOf(to)
	for i := 0; i < 5*maxScan && !last.Before(d); i++ {
		next := d.AddDays(1)
		if s.Open(d) {
			lo, hi := d.Start(), next.Start()
			if from.After(lo) {
				lo = from
			}
			if to.Before(hi) {
				hi = to
			}
			if hi.After(lo) {
				total += hi.Sub(lo)
			}
		}
		d = next
	}
	return total.Hours()
}
