package main

import (
	"strings"
	"testing"

	"github.com/balis/illhub/internal/testenv"
)

// `scheduler run-once courier-cutoff --now` closes the due runs
// once and stores their manifests; a rerun closes nothing.
func TestRunOnceCourierCutoff(t *testing.T) {
	dsn, st := testenv.DB(t, "schedcour")
	testenv.LoadCalendar2026(t, st)
	testenv.Libraries(t, st, "THU", "PKU")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	t.Setenv("ILL_LOG_LEVEL", "error")
	mustExec(t)(st.DB.Exec(`INSERT INTO courier_runs (run_date, status, created_at) VALUES
		('2026-03-02', 'open', NOW()), ('2026-03-03', 'open', NOW())`))
	mustExec(t)(st.DB.Exec(`INSERT INTO shipments (request_id, direction, item_barcode, from_lib, to_lib, route_code, created_at, run_id, run_date)
		SELECT 'ILL-X', 'forward', 'B1', 'PKU', 'THU', 'PKU-THU', NOW(), id, run_date FROM courier_runs WHERE run_date = '2026-03-02'`))
	for _, c := range []struct{ now, want string }{
		{"2026-03-02T13:59:00+08:00", ": 0 "}, // before the 14:00 cut-off
		{"2026-03-02T14:00:00+08:00", ": 1 "},
		{"2026-03-02T18:00:00+08:00", ": 0 "}, // already closed; 3 March is tomorrow's
	} {
		code, out, errs := scheduler("run-once", "courier-cutoff", "--now", c.now)
		if code != 0 {
			t.Fatal(errs)
		}
		if !strings.Contains(out, c.want) {
			t.Fatalf("as of %s: %q, want %q", c.now, out, c.want)
		}
	}
	var status, manifest string
	_ = st.DB.QueryRow(`SELECT status, manifest FROM courier_runs WHERE run_date = '2026-03-02'`).Scan(&status, &manifest)
	if status != "closed" || !strings.Contains(manifest, `"item_barcode":"B1"`) || !strings.Contains(manifest, `"route_code":"PKU-THU"`) {
		t.Fatalf("closed run: %s %s", status, manifest)
	}
}
