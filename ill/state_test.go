package ill

import "testing"

func TestDuplicateLoan(t *testing.T) {
	active := []LoanRef{{ID: "ILL-A", RecordID: 7}, {ID: "ILL-B", RecordID: 0}, {ID: "ILL-C", RecordID: 9}}
	for _, c := range []struct {
		name   string
		id     string
		record int64
		want   string
	}{
		{"same record, another request", "ILL-N", 7, "ILL-A"},
		{"the request itself", "ILL-A", 7, ""},
		{"another record", "ILL-N", 8, ""},
		{"no record: never a duplicate", "ILL-N", 0, ""},
		{"the last entry", "ILL-N", 9, "ILL-C"},
	} {
		if got := DuplicateLoan(active, c.id, c.record); got != c.want {
			t.Errorf("%s: DuplicateLoan(%s, %d) = %q, want %q", c.name, c.id, c.record, got, c.want)
		}
	}
	if got := DuplicateLoan(nil, "ILL-N", 7); got != "" {
		t.Errorf("no loans: %q", got)
	}
}
