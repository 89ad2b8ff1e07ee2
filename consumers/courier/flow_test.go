package courier_test

// Courier runs, manifests, scans, exceptions, return checks and
// violations, pull slip and courier reports, against the real MariaDB and
// RabbitMQ.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/consumers/courier"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
	"github.com/balis/illhub/rabbitmq"
)

// courierJSON calls with the courier credential and decodes the answer.
func courierJSON(h *harness.Harness, method, path string, body any) (int, map[string]any) {
	h.T.Helper()
	status, b, _ := h.Raw(method, path, harness.CourierKey, body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return status, out
}

func shipmentStatus(h *harness.Harness, id, direction string) string {
	var s string
	_ = h.St.DB.Get(&s, `SELECT status FROM shipments WHERE request_id = ? AND direction = ?`, id, direction)
	return s
}

func waitShipment(h *harness.Harness, id, direction, status string) {
	h.T.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if shipmentStatus(h, id, direction) == status {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.T.Fatalf("%s shipment of %s never reached %s (is %s)", direction, id, status, shipmentStatus(h, id, direction))
}

func manifestRequests(t *testing.T, m map[string]any, task string) []string {
	t.Helper()
	var ids []string
	for _, s := range m["stops"].([]any) {
		for _, it := range s.(map[string]any)[task].([]any) {
			ids = append(ids, it.(map[string]any)["request_id"].(string))
		}
	}
	slices.Sort(ids)
	return ids
}

func TestCourierRunsCutoffAndManifest(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "物流与供应链管理", "马士华", testenv.Holding{Library: "PKU", Available: 5, Lendable: true})
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, h.ToWillSupply(rec, fmt.Sprintf("cr-%d", i), "PKU"))
	}
	// Friday 2026-02-13 15:00, after the 14:00 cut-off: the next working day
	// is Saturday 2026-02-14 (an adjusted working day).
	day0, run0 := h.ShipAt(ids[0], "PKU", "PKU-B0", harness.Shanghai(2026, 2, 13, 15, 0))
	if day0 != "2026-02-14" {
		t.Fatalf("after the cut-off on Friday 13 Feb: run %s, want 2026-02-14", day0)
	}
	// Saturday 14 Feb after the cut-off: the Spring Festival (15–23 Feb) is skipped.
	day1, run1 := h.ShipAt(ids[1], "PKU", "PKU-B1", harness.Shanghai(2026, 2, 14, 15, 30))
	if day1 != "2026-02-24" {
		t.Fatalf("after the cut-off on 14 Feb: run %s, want 2026-02-24 (Spring Festival skipped)", day1)
	}
	// Before the cut-off on a working day: the same day's run.
	day2, _ := h.ShipAt(ids[2], "PKU", "PKU-B2", harness.Shanghai(2026, 3, 2, 13, 0))
	if day2 != "2026-03-02" {
		t.Fatalf("before the cut-off: run %s, want 2026-03-02", day2)
	}

	jobs := h.Jobs()
	if n := harness.RunJob(t, jobs, "courier-cutoff", harness.Shanghai(2026, 2, 14, 13, 59)); n != 0 {
		t.Fatalf("before the cut-off the job closed %d runs", n)
	}
	if n := harness.RunJob(t, jobs, "courier-cutoff", harness.Shanghai(2026, 2, 14, 14, 5)); n != 1 {
		t.Fatalf("closed %d runs, want 1 (14 Feb)", n)
	}
	if n := harness.RunJob(t, jobs, "courier-cutoff", harness.Shanghai(2026, 2, 14, 14, 10)); n != 0 {
		t.Fatalf("a second run of the job closed %d", n)
	}
	// A shipment created before the cut-off but processed after its run
	// closed goes on the next run, never onto a closed manifest.
	day3, run3 := h.ShipAt(ids[3], "PKU", "PKU-B3", harness.Shanghai(2026, 2, 14, 10, 0))
	if day3 != "2026-02-24" || run3 != run1 {
		t.Fatalf("shipment for a closed run: run %s (%d), want 2026-02-24 (%d)", day3, run3, run1)
	}

	// The closed manifest lists exactly its run's shipments.
	status, m := h.Call("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest", run0), "CENTRE", nil)
	if status != 200 || m["status"] != "closed" || m["total"] != 1.0 {
		t.Fatalf("manifest: %d %v", status, m)
	}
	if got := manifestRequests(t, m, "pickups"); !slices.Equal(got, []string{ids[0]}) {
		t.Errorf("pickups %v, want [%s]", got, ids[0])
	}
	if got := manifestRequests(t, m, "deliveries"); !slices.Equal(got, []string{ids[0]}) {
		t.Errorf("deliveries %v, want [%s]", got, ids[0])
	}
	stop := m["stops"].([]any)[0].(map[string]any)
	item := stop["pickups"].([]any)[0].(map[string]any)
	if stop["library"] != "PKU" || item["item_barcode"] != "PKU-B0" || item["call_number"] != "TP311.13/12" || item["route_code"] != "PKU-THU" {
		t.Errorf("manifest stop %v", stop)
	}
	// The open 24 Feb run (preview) has exactly the two later shipments.
	_, m = h.Call("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest", run1), "CENTRE", nil)
	want := []string{ids[1], ids[3]}
	slices.Sort(want)
	if got := manifestRequests(t, m, "pickups"); m["status"] != "open" || !slices.Equal(got, want) {
		t.Errorf("24 Feb run %v: %v, want %v", m["status"], got, want)
	}
	// A member sees its own stop only; the courier sees all.
	_, m = h.Call("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest", run0), "THU", nil)
	if stops := m["stops"].([]any); len(stops) != 1 || stops[0].(map[string]any)["library"] != "THU" {
		t.Errorf("THU sees stops %v", stops)
	}
	if err := h.St.AddCourierKey(context.Background(), harness.CourierKey, "test"); err != nil {
		t.Fatal(err)
	}
	if status, m := courierJSON(h, "GET", fmt.Sprintf("/v1/courier/runs/%d/manifest", run0), nil); status != 200 || len(m["stops"].([]any)) != 2 {
		t.Errorf("courier manifest: %d %v", status, m)
	}
	// Printable HTML (A4, Chinese) with the expected rows.
	status, body, hdr := h.Raw("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest?format=html", run0), ill.DemoKey("CENTRE"), nil)
	html := string(body)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("html: %d %s", status, hdr.Get("Content-Type"))
	}
	for _, want := range []string{"size: A4", "物流交接单", "2026-02-14", `<tr class="pickup" data-request="` + ids[0] + `">`,
		`<tr class="delivery" data-request="` + ids[0] + `">`, "PKU-B0", "TP311.13/12", "物流与供应链管理", "PKU-THU"} {
		if !strings.Contains(html, want) {
			t.Errorf("manifest HTML lacks %q", want)
		}
	}
	if n := strings.Count(html, `class="pickup"`) + strings.Count(html, `class="delivery"`); n != 2 {
		t.Errorf("manifest HTML has %d item rows, want 2", n)
	}
	// CSV with a BOM for Excel.
	status, body, _ = h.Raw("GET", fmt.Sprintf("/v1/courier/runs/%d/manifest?format=csv", run0), ill.DemoKey("CENTRE"), nil)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if status != 200 || !strings.HasPrefix(string(body), "\ufeffstop,") || len(lines) != 3 || !strings.Contains(lines[1], ids[0]) {
		t.Errorf("csv: %d %q", status, body)
	}
	// Runs list and the volume report per route.
	_, runs := h.Call("GET", "/v1/courier/runs?from=2026-02-01&to=2026-03-31", "PKU", nil)
	if res := runs["results"].([]any); len(res) != 3 {
		t.Errorf("runs: %v", runs)
	}
	_, rep := h.Call("GET", "/v1/reports/courier?date=2026-02-24", "CENTRE", nil)
	routes := rep["routes"].([]any)
	if rep["total"] != 2.0 || len(routes) != 1 || routes[0].(map[string]any)["route_code"] != "PKU-THU" || routes[0].(map[string]any)["forward"] != 2.0 {
		t.Errorf("volume report: %v", rep)
	}
	if _, rep = h.Call("GET", "/v1/reports/courier?date=2026-02-24", "RUC", nil); rep["total"] != 0.0 {
		t.Errorf("RUC sees others' routes: %v", rep)
	}
	if status, _ := h.Call("GET", "/v1/reports/courier?date=24-02-2026", "CENTRE", nil); status != 400 {
		t.Errorf("bad date: %d", status)
	}
	if _, lib := h.Call("GET", "/v1/libraries/PKU", "THU", nil); lib["courier_days"] != "mon,tue,wed,thu,fri" || lib["courier_cutoff"] != "14:00" {
		t.Errorf("PKU's courier settings: %v %v", lib["courier_days"], lib["courier_cutoff"])
	}
}

func TestCourierScansAndExceptions(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	if err := h.St.AddCourierKey(context.Background(), harness.CourierKey, "test"); err != nil {
		t.Fatal(err)
	}
	rec := testenv.Record(t, h.St, "", "快递网络优化", "李强", testenv.Holding{Library: "PKU", Available: 5, Lendable: true})
	a := h.ToWillSupply(rec, "sc-a", "PKU")
	b := h.ToWillSupply(rec, "sc-b", "PKU")
	h.ShipAt(a, "PKU", "PKU-SA", harness.Shanghai(2026, 3, 2, 10, 0))
	h.ShipAt(b, "PKU", "PKU-SB", harness.Shanghai(2026, 3, 2, 10, 0))

	scan := map[string]any{"barcode": "PKU-SA", "event": "picked_up", "stop": "PKU"}
	// A library key is not a courier credential; no key is 401.
	if status, out := h.Call("POST", "/v1/courier/scans", "PKU", scan); status != 403 || harness.ErrCode(out) != "forbidden" {
		t.Fatalf("scan with a library key: %d %v", status, out)
	}
	if status, _, _ := h.Raw("POST", "/v1/courier/scans", "", scan); status != 401 {
		t.Fatalf("scan without a key: %d", status)
	}
	// The courier credential does not open library endpoints.
	if status, _, _ := h.Raw("GET", "/v1/requests", harness.CourierKey, nil); status != 401 {
		t.Fatalf("courier key on /v1/requests: %d", status)
	}
	// Unknown barcode: refused with its code and listed for review.
	status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "NO-SUCH-1", "event": "picked_up"})
	if status != 404 || harness.ErrCode(out) != "unknown_barcode" {
		t.Fatalf("unknown barcode: %d %v", status, out)
	}
	if status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "PKU-SA", "event": "teleported"}); status != 400 || harness.ErrCode(out) != "bad_request" {
		t.Fatalf("bad event: %d %v", status, out)
	}
	_, rv := h.Call("GET", "/v1/courier/review", "CENTRE", nil)
	res := rv["results"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["code"] != "unknown_barcode" || res[0].(map[string]any)["barcode"] != "NO-SUCH-1" {
		t.Fatalf("review list: %v", rv)
	}
	// Scans move the shipment through its states.
	h.Clock.Set(harness.Shanghai(2026, 3, 2, 15, 0))
	if status, out := courierJSON(h, "POST", "/v1/courier/scans", scan); status != 202 {
		t.Fatalf("pickup: %d %v", status, out)
	}
	waitShipment(h, a, "forward", "picked_up")
	// Delivered at the wrong stop: refused, listed for review.
	status, out = courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "PKU-SA", "event": "delivered", "stop": "RUC"})
	if status != 409 || harness.ErrCode(out) != "barcode_mismatch" {
		t.Fatalf("wrong stop: %d %v", status, out)
	}
	h.Clock.Set(harness.Shanghai(2026, 3, 3, 9, 30))
	if status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "PKU-SA", "event": "delivered", "stop": "THU"}); status != 202 {
		t.Fatalf("delivery: %d %v", status, out)
	}
	waitShipment(h, a, "forward", "delivered")
	var notices int
	deadline := time.Now().Add(10 * time.Second)
	for ; time.Now().Before(deadline) && notices == 0; time.Sleep(20 * time.Millisecond) {
		_ = h.St.DB.Get(&notices, `SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'courier_delivered' AND library_code = 'THU'`, a)
	}
	if notices != 1 {
		t.Fatalf("courier_delivered notices to THU: %d", notices)
	}
	// Already delivered: nothing on its way with that barcode.
	if status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "PKU-SA", "event": "delivered"}); status != 409 {
		t.Fatalf("delivered twice: %d %v", status, out)
	}
	// The way back: the same barcode now refers to the return shipment THU → PKU.
	h.Act(a, "receive", "THU", nil, http.StatusAccepted)
	h.WaitState(a, "THU", ill.Received)
	h.Act(a, "checkout", "THU", nil, http.StatusAccepted)
	h.WaitState(a, "THU", ill.OnLoan)
	h.Act(a, "return", "THU", map[string]any{"condition": "good"}, http.StatusAccepted)
	h.WaitState(a, "THU", ill.Returned)
	h.Act(a, "ship_return", "THU", nil, http.StatusAccepted)
	h.WaitState(a, "THU", ill.ReturnShipped)
	h.WaitRun(a, "return")
	for _, ev := range []string{"picked_up", "delivered"} {
		stop := map[string]string{"picked_up": "THU", "delivered": "PKU"}[ev]
		if status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "PKU-SA", "event": ev, "stop": stop}); status != 202 || out["route_code"] != "THU-PKU" {
			t.Fatalf("return %s: %d %v", ev, status, out)
		}
		waitShipment(h, a, "return", ev)
	}
	notices = 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && notices == 0; time.Sleep(20 * time.Millisecond) {
		_ = h.St.DB.Get(&notices, `SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'courier_delivered' AND library_code = 'PKU' AND step = 2`, a)
	}
	if notices != 1 {
		t.Fatalf("courier_delivered notices to PKU for the return: %d", notices)
	}

	// B is picked up on Monday 2 March 15:00 and never delivered: due by the
	// end of Thursday 5 March (3 working days), an exception after that.
	h.Clock.Set(harness.Shanghai(2026, 3, 2, 15, 0))
	if status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "PKU-SB", "event": "picked_up"}); status != 202 {
		t.Fatalf("pickup B: %d %v", status, out)
	}
	waitShipment(h, b, "forward", "picked_up")
	jobs := h.Jobs()
	if n := harness.RunJob(t, jobs, "courier-exceptions", harness.Shanghai(2026, 3, 5, 23, 0)); n != 0 {
		t.Fatalf("exceptions before the deadline: %d", n)
	}
	if n := harness.RunJob(t, jobs, "courier-exceptions", harness.Shanghai(2026, 3, 6, 0, 5)); n != 1 {
		t.Fatalf("exceptions: %d, want 1", n)
	}
	if n := harness.RunJob(t, jobs, "courier-exceptions", harness.Shanghai(2026, 3, 6, 1, 5)); n != 0 {
		t.Fatalf("exceptions on a rerun: %d", n)
	}
	if s := shipmentStatus(h, b, "forward"); s != "exception" {
		t.Fatalf("B is %s", s)
	}
	for _, who := range []string{"PKU", "THU", "CENTRE"} {
		_, ex := h.Call("GET", "/v1/courier/exceptions", who, nil)
		if ex["total"] != 1.0 || ex["results"].([]any)[0].(map[string]any)["request_id"] != b {
			t.Errorf("%s exceptions: %v", who, ex)
		}
	}
	if _, ex := h.Call("GET", "/v1/reports/courier/exceptions", "RUC", nil); ex["total"] != 0.0 {
		t.Errorf("RUC sees %v", ex)
	}
	_ = h.St.DB.Get(&notices, `SELECT COUNT(*) FROM notices WHERE request_id = ? AND kind = 'courier_exception'`, b)
	if notices != 2 {
		t.Errorf("courier_exception notices: %d, want 2 (both libraries)", notices)
	}
	// A late delivery settles the exception.
	if status, _ := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "PKU-SB", "event": "delivered"}); status != 202 {
		t.Fatal("late delivery refused")
	}
	waitShipment(h, b, "forward", "delivered")
	// Staff resolve the review entry.
	id := int(res[0].(map[string]any)["id"].(float64))
	if status, out := h.Call("POST", fmt.Sprintf("/v1/courier/review/%d/resolve", id), "THU", map[string]any{"note": "x"}); status != 403 {
		t.Errorf("THU resolves the courier's entry: %d %v", status, out)
	}
	if status, out := h.Call("POST", fmt.Sprintf("/v1/courier/review/%d/resolve", id), "CENTRE", map[string]any{"note": "label misprinted"}); status != 200 {
		t.Errorf("resolve: %d %v", status, out)
	}
	if _, rv := h.Call("GET", "/v1/courier/review", "CENTRE", nil); rv["total"] != 1.0 { // the wrong-stop entry stays open
		t.Errorf("open review entries: %v", rv)
	}
}

func TestReturnChecksViolations(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	// PKU's policy: 0.50 CNY a day, 20 CNY damage, 100 CNY loss. RUC keeps the defaults (0).
	if _, err := h.St.DB.Exec(`UPDATE libraries SET fine_per_day_fen = 50, damage_fee_fen = 2000, loss_fee_fen = 10000 WHERE code = 'PKU'`); err != nil {
		t.Fatal(err)
	}
	rec := testenv.Record(t, h.St, "", "图书馆学概论", "吴慰慈", testenv.Holding{Library: "PKU", Available: 5, Lendable: true})
	rec2 := testenv.Record(t, h.St, "", "目录学概论", "武汉大学", testenv.Holding{Library: "RUC", Available: 5, Lendable: true})
	loan := func(client string, rec int64, lender string) string {
		id := h.Submit("THU", client, "P-"+client, rec)
		h.WaitState(id, "THU", ill.Requested)
		h.Clock.Set(harness.Shanghai(2026, 3, 2, 10, 0)) // due 2026-04-02
		h.AdvanceToOnLoan(id, lender, "THU")
		return id
	}
	late, damaged, lost, free := loan("rv-late", rec, "PKU"), loan("rv-dmg", rec, "PKU"), loan("rv-lost", rec, "PKU"), loan("rv-free", rec2, "RUC")
	giveBack := func(id, lender, cond, checkin string, at time.Time) {
		h.Clock.Set(at)
		h.Act(id, "return", "THU", map[string]any{"condition": cond, "item_barcode": "B-" + id}, http.StatusAccepted)
		h.WaitState(id, "THU", ill.Returned)
		h.Act(id, "ship_return", "THU", nil, http.StatusAccepted)
		h.WaitState(id, "THU", ill.ReturnShipped)
		h.Clock.Set(at.Add(48 * time.Hour))
		h.Act(id, "checkin", lender, map[string]any{"condition": checkin}, http.StatusAccepted)
		h.WaitState(id, lender, ill.Completed)
	}
	giveBack(late, "PKU", "good", "good", harness.Shanghai(2026, 4, 5, 10, 0))        // 3 days late
	giveBack(damaged, "PKU", "damaged", "good", harness.Shanghai(2026, 3, 20, 10, 0)) // on time, damaged
	giveBack(free, "RUC", "good", "good", harness.Shanghai(2026, 4, 4, 10, 0))        // 2 days late, RUC charges nothing
	// The libraries' own confirmations (receive, checkin) close the shipments
	// the courier did not scan.
	if f, r := shipmentStatus(h, late, "forward"), shipmentStatus(h, late, "return"); f != "delivered" || r != "delivered" {
		t.Errorf("shipments after receive and checkin: forward %s, return %s", f, r)
	}
	h.Clock.Set(harness.Shanghai(2026, 4, 10, 10, 0))
	h.Act(lost, "report_lost", "THU", map[string]any{"note": "reader lost it"}, http.StatusAccepted)
	h.WaitState(lost, "THU", ill.Lost)

	type v struct {
		Kind   string `db:"kind"`
		Days   int    `db:"days"`
		Amount int    `db:"amount_fen"`
	}
	waitViolations := func(id string, n int) []v {
		t.Helper()
		var got []v
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
			got = nil
			_ = h.St.DB.Select(&got, `SELECT kind, days, amount_fen FROM violations WHERE request_id = ? ORDER BY kind`, id)
			var checked int
			_ = h.St.DB.Get(&checked, `SELECT COUNT(*) FROM return_checks WHERE request_id = ? AND status <> 'pending'`, id)
			if checked == 1 && len(got) >= n {
				return got
			}
		}
		t.Fatalf("%s: violations %v, want %d", id, got, n)
		return nil
	}
	if got := waitViolations(late, 1); len(got) != 1 || got[0] != (v{"overdue", 3, 150}) {
		t.Errorf("late return: %+v, want overdue 3 days 150 fen", got)
	}
	if got := waitViolations(damaged, 1); len(got) != 1 || got[0] != (v{"damaged", 0, 2000}) {
		t.Errorf("damaged return: %+v, want damage fee 2000 fen", got)
	}
	if got := waitViolations(lost, 1); len(got) != 1 || got[0] != (v{"lost", 0, 10000}) {
		t.Errorf("lost: %+v, want loss fee 10000 fen", got)
	}
	if got := waitViolations(free, 1); len(got) != 1 || got[0] != (v{"overdue", 2, 0}) {
		t.Errorf("RUC late return: %+v, want overdue 2 days at 0", got)
	}
	// No courier fee, ever (R10).
	var fees int
	_ = h.St.DB.Get(&fees, `SELECT COUNT(*) FROM violations WHERE kind NOT IN ('overdue', 'damaged', 'lost')`)
	if fees != 0 {
		t.Errorf("%d violations of another kind", fees)
	}

	// The report: PKU sees its three, with totals in CNY.
	status, rep := h.Call("GET", "/v1/reports/courier/violations?from=2026-03-01&to=2026-04-30", "PKU", nil)
	if status != 200 || rep["total"] != 3.0 {
		t.Fatalf("PKU report: %d %v", status, rep)
	}
	tot := rep["by_lender"].([]any)[0].(map[string]any)
	if tot["lender"] != "PKU" || tot["amount_fen"] != 12150.0 || tot["amount_cny"] != "121.50" {
		t.Errorf("PKU totals %v", tot)
	}
	if _, rep := h.Call("GET", "/v1/reports/courier/violations?from=2026-03-01&to=2026-04-30", "THU", nil); rep["total"] != 4.0 {
		t.Errorf("THU (borrower of all four) sees %v", rep["total"])
	}
	if _, rep := h.Call("GET", "/v1/reports/courier/violations?from=2026-03-01&to=2026-04-30", "BNU", nil); rep["total"] != 0.0 {
		t.Errorf("BNU sees %v", rep["total"])
	}
	status, body, _ := h.Raw("GET", "/v1/reports/courier/violations?from=2026-03-01&to=2026-04-30&format=csv", ill.DemoKey("CENTRE"), nil)
	if status != 200 || !strings.HasPrefix(string(body), "\ufeffcreated_at,") || strings.Count(string(body), "\n") != 5 || !strings.Contains(string(body), "100.00") {
		t.Errorf("violations CSV: %d %q", status, body)
	}
}

func TestReturnBarcodeMismatchIsRefusedAndReviewed(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "文献检索", "王细荣", testenv.Holding{Library: "PKU", Available: 5, Lendable: true})
	id := h.Submit("THU", "bm-1", "BM1", rec)
	h.WaitState(id, "THU", ill.Requested)
	h.AdvanceToOnLoan(id, "PKU", "THU")
	out := h.Act(id, "return", "THU", map[string]any{"condition": "good", "item_barcode": "SOMETHING-ELSE"}, http.StatusConflict)
	if harness.ErrCode(out) != "barcode_mismatch" {
		t.Fatalf("return with another barcode: %v", out)
	}
	for _, who := range []string{"THU", "PKU", "CENTRE"} {
		_, rv := h.Call("GET", "/v1/courier/review", who, nil)
		if rv["total"] != 1.0 || rv["results"].([]any)[0].(map[string]any)["request_id"] != id {
			t.Errorf("%s review list: %v", who, rv)
		}
	}
	if _, rv := h.Call("GET", "/v1/courier/review", "RUC", nil); rv["total"] != 0.0 {
		t.Errorf("RUC sees %v", rv)
	}
	if b := h.WaitState(id, "THU", ill.OnLoan); b["state"] != "ON_LOAN" {
		t.Fatal("state moved")
	}
}

// Two consumers processing the same return message produce one violation:
// the message is applied concurrently by two processors (two consumers
// processes) and redelivered through the broker to two running pools.
func TestReturnCheckTwoConsumersOneViolation(t *testing.T) {
	h := harness.New(t, 3)
	ctx := context.Background()
	if _, err := h.St.DB.Exec(`UPDATE libraries SET fine_per_day_fen = 100 WHERE code = 'PKU'`); err != nil {
		t.Fatal(err)
	}
	due := harness.Shanghai(2026, 4, 2, 23, 59).Add(59 * time.Second)
	for _, id := range []string{"ILL-DUP1", "ILL-DUP2"} {
		if _, err := h.St.DB.Exec(`INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state, lender,
			item_barcode, submitted_at, due_at, updated_at) VALUES (?, 'THU', ?, 'P1', '重复', 'COMPLETED', 'PKU', ?, NOW(), ?, NOW())`,
			id, id, "B-"+id, due.UTC()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.St.DB.Exec(`INSERT INTO return_checks (request_id, borrower, lender, item_barcode, due_at, returned_at,
			return_condition, checkin_condition, checked_in_at) VALUES (?, 'THU', 'PKU', ?, ?, ?, 'damaged', 'good', ?)`,
			id, "B-"+id, due.UTC(), harness.Shanghai(2026, 4, 6, 9, 0).UTC(), harness.Shanghai(2026, 4, 8, 9, 0).UTC()); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(id string) []byte {
		b, _ := json.Marshal(ill.Message{ID: "return-check:" + id, Type: ill.MsgReturnCheck, Actor: ill.SystemActor,
			RequestID: id, At: harness.Shanghai(2026, 4, 8, 9, 0).UTC()})
		return b
	}
	// 1. Two processors at once on the same delivery.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		p := &courier.Pool{Store: h.St, Calendar: &mysql.CalendarCache{Store: h.St}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.Handle(ctx, rabbitmq.Delivery{MessageID: "return-check:ILL-DUP1", RoutingKey: ill.MsgReturnCheck,
				Body: msg("ILL-DUP1"), Attempt: 1})
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	// 2. Through the broker: two consumers processes, the message published twice.
	h.StartConsumers(nil)
	h.StartConsumers(nil)
	for range 2 {
		if err := h.Pub.Publish(ctx, ill.MsgReturnCheck, "return-check:ILL-DUP2", msg("ILL-DUP2")); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
		var n int
		_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM return_checks WHERE request_id = 'ILL-DUP2' AND status = 'checked'`)
		if n == 1 {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // let the second copy be processed too (it must change nothing)
	for _, id := range []string{"ILL-DUP1", "ILL-DUP2"} {
		var got []struct {
			Kind   string `db:"kind"`
			Amount int    `db:"amount_fen"`
		}
		if err := h.St.DB.Select(&got, `SELECT kind, amount_fen FROM violations WHERE request_id = ? ORDER BY kind`, id); err != nil {
			t.Fatal(err)
		}
		// 4 days late at 1 CNY, damaged at PKU's default fee 0: one row each.
		if len(got) != 2 || got[0].Kind != "damaged" || got[1].Kind != "overdue" || got[1].Amount != 400 {
			t.Errorf("%s: violations %+v, want one damaged and one overdue (400 fen)", id, got)
		}
	}
}

func TestPullSlipShelfOrder(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	calls := []string{"TP312/9", "I247.5/100", "TP311.13/12", "I247.5/20"}
	var ids []string
	for i, c := range calls {
		rec := testenv.Record(t, h.St, "", fmt.Sprintf("提书单测试%d", i), "作者", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
		if _, err := h.St.DB.Exec(`UPDATE holdings SET call_number = ? WHERE record_id = ?`, c, rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ToWillSupply(rec, fmt.Sprintf("ps-%d", i), "PKU"))
	}
	status, slip := h.Call("GET", "/v1/pull-slip", "PKU", nil)
	if status != 200 || slip["total"] != 4.0 {
		t.Fatalf("pull slip: %d %v", status, slip)
	}
	var got []string
	for _, it := range slip["items"].([]any) {
		got = append(got, it.(map[string]any)["call_number"].(string))
	}
	if want := []string{"I247.5/20", "I247.5/100", "TP311.13/12", "TP312/9"}; !slices.Equal(got, want) {
		t.Errorf("shelf order %v, want %v", got, want)
	}
	if _, slip := h.Call("GET", "/v1/pull-slip", "THU", nil); slip["total"] != 0.0 {
		t.Errorf("THU's pull slip: %v", slip)
	}
	if status, _ := h.Call("GET", "/v1/pull-slip?library=PKU", "THU", nil); status != 403 {
		t.Errorf("THU reads PKU's slip: %d", status)
	}
	if status, out := h.Call("GET", "/v1/pull-slip", "CENTRE", nil); status != 400 {
		t.Errorf("centre without library: %d %v", status, out)
	}
	status, body, _ := h.Raw("GET", "/v1/pull-slip?library=PKU&format=html", ill.DemoKey("CENTRE"), nil)
	html := string(body)
	if status != 200 || !strings.Contains(html, "提书单") || strings.Count(html, "<tr data-request=") != 4 ||
		strings.Index(html, "I247.5/20") > strings.Index(html, "TP312/9") {
		t.Errorf("pull slip HTML: %d %s", status, html)
	}
	// Shipping takes an item off the slip.
	h.ShipAt(ids[0], "PKU", "PKU-PS0", harness.Shanghai(2026, 3, 2, 11, 0))
	if _, slip := h.Call("GET", "/v1/pull-slip", "PKU", nil); slip["total"] != 3.0 {
		t.Errorf("after shipping: %v", slip["total"])
	}
}

// Every courier endpoint × member, centre, courier credential and no key.
func TestCourierAuthorizationMatrix(t *testing.T) {
	h := harness.New(t, 3)
	if err := h.St.AddCourierKey(context.Background(), harness.CourierKey, "test"); err != nil {
		t.Fatal(err)
	}
	keys := []string{ill.DemoKey("THU"), ill.DemoKey("PKU"), ill.DemoKey("CENTRE"), harness.CourierKey, ""}
	rows := []struct {
		method, path string
		body         any
		want         []int
	}{
		{"POST", "/v1/courier/scans", map[string]any{"barcode": "NONE", "event": "picked_up"}, []int{403, 403, 403, 404, 401}},
		{"GET", "/v1/courier/runs", nil, []int{200, 200, 200, 200, 401}},
		{"GET", "/v1/courier/runs/999/manifest", nil, []int{404, 404, 404, 404, 401}},
		{"GET", "/v1/courier/exceptions", nil, []int{200, 200, 200, 200, 401}},
		{"GET", "/v1/courier/review", nil, []int{200, 200, 200, 401, 401}},
		{"POST", "/v1/courier/review/999/resolve", map[string]any{"note": "n"}, []int{404, 404, 404, 401, 401}},
		{"GET", "/v1/pull-slip", nil, []int{200, 200, 400, 401, 401}},
		{"GET", "/v1/reports/courier", nil, []int{200, 200, 200, 200, 401}},
		{"GET", "/v1/reports/courier/exceptions?format=csv", nil, []int{200, 200, 200, 200, 401}},
		{"GET", "/v1/reports/courier/violations", nil, []int{200, 200, 200, 401, 401}},
		{"GET", "/v1/reports/courier/violations?format=xlsx", nil, []int{400, 400, 400, 401, 401}},
	}
	for _, r := range rows {
		for i, k := range keys {
			if got, body, _ := h.Raw(r.method, r.path, k, r.body); got != r.want[i] {
				t.Errorf("%s %s with key %d: %d %s, want %d", r.method, r.path, i, got, body, r.want[i])
			}
		}
	}
}

// Barcodes are local to each library: two lenders' items may share one. A
// scan without a stop is then ambiguous (409 conflict); the stop decides.
func TestCourierScanSharedBarcode(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	if err := h.St.AddCourierKey(context.Background(), harness.CourierKey, "test"); err != nil {
		t.Fatal(err)
	}
	r1 := testenv.Record(t, h.St, "", "运筹学", "甲", testenv.Holding{Library: "PKU", Available: 1, Lendable: true})
	r2 := testenv.Record(t, h.St, "", "统计学", "乙", testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	a, b := h.ToWillSupply(r1, "sb-a", "PKU"), h.ToWillSupply(r2, "sb-b", "RUC")
	h.ShipAt(a, "PKU", "SAME-1", harness.Shanghai(2026, 3, 2, 10, 0))
	h.ShipAt(b, "RUC", "SAME-1", harness.Shanghai(2026, 3, 2, 10, 0))
	if status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "SAME-1", "event": "picked_up"}); status != 409 || harness.ErrCode(out) != "conflict" {
		t.Fatalf("ambiguous scan: %d %v", status, out)
	}
	// A scanner uploading later gives scanned_at (not in the future).
	h.Clock.Set(harness.Shanghai(2026, 3, 2, 12, 0))
	if status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "SAME-1", "event": "picked_up", "stop": "RUC",
		"scanned_at": "2026-03-02T12:30:00+08:00"}); status != 400 || harness.ErrCode(out) != "bad_request" {
		t.Fatalf("scan in the future: %d %v", status, out)
	}
	status, out := courierJSON(h, "POST", "/v1/courier/scans", map[string]any{"barcode": "SAME-1", "event": "picked_up", "stop": "RUC",
		"scanned_at": "2026-03-02T10:30:00+08:00"})
	if status != 202 || out["request_id"] != b {
		t.Fatalf("scan at RUC: %d %v", status, out)
	}
	waitShipment(h, b, "forward", "picked_up")
	var picked time.Time
	_ = h.St.DB.Get(&picked, `SELECT picked_up_at FROM shipments WHERE request_id = ? AND direction = 'forward'`, b)
	if !picked.Equal(harness.Shanghai(2026, 3, 2, 10, 30)) {
		t.Errorf("picked_up_at %v, want the scanner's time 10:30", picked.In(ill.Shanghai))
	}
	if s := shipmentStatus(h, a, "forward"); s != "awaiting_pickup" {
		t.Errorf("PKU's item moved too: %s", s)
	}
}

// A return check whose barcode matches no loan of the lender goes to the
// review list and records no violation.
func TestReturnCheckUnknownBarcodeGoesToReview(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	due := harness.Shanghai(2026, 4, 2, 23, 59).Add(59 * time.Second)
	if _, err := h.St.DB.Exec(`INSERT INTO requests (id, borrower, client_request_id, patron_id, title, state, lender,
		item_barcode, submitted_at, due_at, updated_at) VALUES ('ILL-RV1', 'THU', 'rv1', 'P1', '未知条码', 'COMPLETED', 'PKU', 'B-RV1', NOW(), ?, NOW())`,
		due.UTC()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.St.DB.Exec(`INSERT INTO return_checks (request_id, borrower, lender, item_barcode, scanned_barcode, due_at,
		returned_at, return_condition, checkin_condition) VALUES ('ILL-RV1', 'THU', 'PKU', 'B-RV1', 'NOT-OURS', ?, ?, 'good', 'good')`,
		due.UTC(), harness.Shanghai(2026, 4, 9, 9, 0).UTC()); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(ill.Message{ID: "return-check:ILL-RV1", Type: ill.MsgReturnCheck, Actor: ill.SystemActor,
		RequestID: "ILL-RV1", At: harness.Shanghai(2026, 4, 10, 9, 0).UTC()})
	if err := h.Pub.Publish(context.Background(), ill.MsgReturnCheck, "return-check:ILL-RV1", body); err != nil {
		t.Fatal(err)
	}
	var status string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && status != "review"; time.Sleep(30 * time.Millisecond) {
		_ = h.St.DB.Get(&status, `SELECT status FROM return_checks WHERE request_id = 'ILL-RV1'`)
	}
	if status != "review" {
		t.Fatalf("return check status %q, want review", status)
	}
	var n int
	_ = h.St.DB.Get(&n, `SELECT COUNT(*) FROM violations WHERE request_id = 'ILL-RV1'`)
	if n != 0 {
		t.Errorf("%d violations recorded for a barcode under review", n)
	}
	_, rv := h.Call("GET", "/v1/courier/review", "PKU", nil)
	res := rv["results"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["code"] != "unknown_barcode" || res[0].(map[string]any)["barcode"] != "NOT-OURS" {
		t.Errorf("review list: %v", rv)
	}
}
