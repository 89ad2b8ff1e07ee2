package ill_test

import (
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestReturnCheckFacts(t *testing.T) {
	due := time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai)
	pol := ill.LenderPolicy{FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: 8000}
	cases := []struct {
		name string
		rc   ill.ReturnCheck
		want []ill.Violation
	}{
		{"returned on time in good condition",
			ill.ReturnCheck{DueAt: due, ReturnedAt: due.Add(-time.Hour), ReturnCondition: "good", CheckinCondition: "good"}, nil},
		{"returned 3 days late, damaged at check-in",
			ill.ReturnCheck{DueAt: due, ReturnedAt: due.AddDate(0, 0, 3), ReturnCondition: "good", CheckinCondition: "damaged"},
			[]ill.Violation{{Kind: ill.ViolationOverdue, Days: 3, AmountFen: 150}, {Kind: ill.ViolationDamaged, AmountFen: 2000}}},
		{"damaged at the borrowing library's inspection",
			ill.ReturnCheck{DueAt: due, ReturnedAt: due, ReturnCondition: "damaged"},
			[]ill.Violation{{Kind: ill.ViolationDamaged, AmountFen: 2000}}},
		{"never checked out: no due date, no overdue",
			ill.ReturnCheck{ReturnedAt: due.AddDate(0, 1, 0)}, nil},
		{"lost: the loss fee only",
			ill.ReturnCheck{DueAt: due, ReturnedAt: due.AddDate(0, 0, 9), ReturnCondition: "damaged", Lost: true},
			[]ill.Violation{{Kind: ill.ViolationLost, AmountFen: 8000}}},
	}
	for _, c := range cases {
		got := ill.ComputeViolations(c.rc.Facts(), pol)
		if len(got) != len(c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i].Kind != c.want[i].Kind || got[i].Days != c.want[i].Days || got[i].AmountFen != c.want[i].AmountFen {
				t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
			}
		}
	}
}
