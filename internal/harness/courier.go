package harness

import (
	"net/http"
	"time"

	"github.com/balis/illhub/ill"
)

// CourierKey is a courier credential tests add with mysql.Store.AddCourierKey.
const CourierKey = "courier-test-key-1"

// ToWillSupply submits a request for rec by THU and has lender accept it.
func (h *Harness) ToWillSupply(rec int64, client, lender string) string {
	h.T.Helper()
	id := h.Submit("THU", client, "P-"+client, rec)
	if b := h.WaitState(id, "THU", ill.Requested); b["lender"] != lender {
		h.T.Fatalf("lender %v, want %s", b["lender"], lender)
	}
	h.Act(id, "respond", lender, map[string]any{"decision": "will_supply"}, http.StatusAccepted)
	h.WaitState(id, "THU", ill.WillSupply)
	return id
}

// ShipAt ships request id at time at and waits until the courier pool put
// the forward shipment on a run; it returns the run date and run id.
func (h *Harness) ShipAt(id, lender, barcode string, at time.Time) (string, int64) {
	h.T.Helper()
	h.Clock.Set(at)
	h.Act(id, "ship", lender, map[string]any{"item_barcode": barcode}, http.StatusAccepted)
	return h.WaitRun(id, "forward")
}

// WaitRun waits until the request's shipment in direction is on a courier
// run and returns the run date and run id.
func (h *Harness) WaitRun(id, direction string) (string, int64) {
	h.T.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var row struct {
			RunDate *time.Time `db:"run_date"`
			RunID   *int64     `db:"run_id"`
		}
		err := h.St.DB.Get(&row, `SELECT run_date, run_id FROM shipments WHERE request_id = ? AND direction = ?`, id, direction)
		if err == nil && row.RunID != nil {
			return row.RunDate.Format("2006-01-02"), *row.RunID
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.T.Fatalf("%s shipment of %s never assigned to a run", direction, id)
	return "", 0
}
