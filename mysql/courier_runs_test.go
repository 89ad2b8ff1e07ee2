package mysql_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// AssignToOpenRun assigns in one statement only an unassigned shipment to
// an existing open run; a missing or closed run, or a shipment on a run
// already, is left to the caller's slower path.
func TestAssignToOpenRun(t *testing.T) {
	_, st := testenv.DB(t, "openrun")
	ctx := context.Background()
	testenv.Libraries(t, st, "THU", "PKU")
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	day, next := ill.DateOf(at), ill.DateOf(at).AddDays(1)
	var ids []int64
	if err := st.InTx(ctx, func(tx *mysql.Tx) error {
		for i, id := range []string{"ILL-S1", "ILL-S2"} {
			r := &ill.Request{ID: id, Borrower: "THU", ClientRequestID: id, PatronID: "P1", Title: "书",
				State: ill.Shipped, Lender: "PKU", SubmittedAt: at, UpdatedAt: at}
			if err := tx.InsertRequest(ctx, r); err != nil {
				return err
			}
			sid, err := tx.AddShipment(ctx, ill.Shipment{RequestID: id, Direction: ill.DirForward, ItemBarcode: "B" + string(rune('0'+i)),
				From: "PKU", To: "THU", RouteCode: "PKU-THU", CreatedAt: at})
			if err != nil {
				return err
			}
			ids = append(ids, sid)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	assign := func(id int64, d ill.Date) bool {
		t.Helper()
		var done bool
		if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
			done, err = tx.AssignToOpenRun(ctx, id, d)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return done
	}
	if assign(ids[0], day) {
		t.Fatal("assigned to a run that does not exist")
	}
	if err := st.InTx(ctx, func(tx *mysql.Tx) error {
		_, err := tx.RunForDay(ctx, day, at)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !assign(ids[0], day) {
		t.Fatal("not assigned to the open run")
	}
	if assign(ids[0], day) {
		t.Fatal("assigned twice")
	}
	if _, err := st.DB.Exec(`UPDATE courier_runs SET status = 'closed' WHERE run_date = ?`, day.String()); err != nil {
		t.Fatal(err)
	}
	if assign(ids[1], day) {
		t.Fatal("assigned to a closed run")
	}
	if err := st.InTx(ctx, func(tx *mysql.Tx) error {
		_, err := tx.RunForDay(ctx, next, at)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !assign(ids[1], next) {
		t.Fatal("not assigned to the next open run")
	}
	var got []string
	if err := st.DB.Select(&got, `SELECT CONCAT(id, ' ', run_date, ' ', run_id IS NOT NULL) FROM shipments ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		strconv.FormatInt(ids[0], 10) + " " + day.String() + " 1",
		strconv.FormatInt(ids[1], 10) + " " + next.String() + " 1",
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("shipments %q, want %q", got, want)
	}
}
