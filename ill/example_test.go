package ill_test

import (
	"fmt"
	"os"
	"time"

	"github.com/balis/illhub/ill"
)

// The working-day calendar of SPEC §6: a request reaching a lender on
// Friday 2026-02-13 must be answered by the end of Saturday 02-14 (an
// adjusted working day); one accepted that Friday must ship within 3
// working days, which the Spring Festival holiday stretches to 02-25.
func ExampleSchedule_AddWorkingDays() {
	b, err := os.ReadFile("../configs/calendar/2026.json")
	if err != nil {
		panic(err)
	}
	year, err := ill.ParseCalendarYear(b)
	if err != nil {
		panic(err)
	}
	sched := ill.NewCalendar(year).ScheduleFor(nil) // no library closures
	friday := time.Date(2026, 2, 13, 10, 0, 0, 0, ill.Shanghai)

	respondBy, _ := sched.AddWorkingDays(friday, 1)
	shipBy, _ := sched.AddWorkingDays(friday, 3)
	fmt.Println("respond by", respondBy.In(ill.Shanghai).Format("2006-01-02 15:04:05 Mon"))
	fmt.Println("ship by   ", shipBy.In(ill.Shanghai).Format("2006-01-02 15:04:05 Mon"))
	// Output:
	// respond by 2026-02-14 23:59:59 Sat
	// ship by    2026-02-25 23:59:59 Wed
}

// The routing order of SPEC §3: libraries open today first, then those with
// a copy on the shelf, then the lighter lending load, then fill rate and
// response time; the borrower itself and libraries that lend nothing are
// left out.
func ExampleBuildRota() {
	cands := []ill.Candidate{
		{Library: "PKU", OpenToday: true, Available: 0, Lendable: true, Lent: 2, Borrowed: 5, FillRate: 0.9},
		{Library: "RUC", OpenToday: true, Available: 2, Lendable: true, Lent: 30, Borrowed: 4, FillRate: 0.8},
		{Library: "BNU", OpenToday: false, Available: 3, Lendable: true, FillRate: 1},
		{Library: "BIT", OpenToday: true, Available: 1, Lendable: true, Lent: 1, Borrowed: 9, FillRate: -1},
		{Library: "BFSU", OpenToday: true, Available: 5, Lendable: false},
		{Library: "THU", OpenToday: true, Available: 9, Lendable: true}, // the borrower
	}
	for _, e := range ill.BuildRota(cands, "THU", nil, 5) {
		fmt.Println(e.Rank, e.Library)
	}
	// Output:
	// 1 BIT
	// 2 RUC
	// 3 PKU
	// 4 BNU
}
