package service_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/internal/testenv"
)

// A holdings batch larger than the 1 MiB API limit goes through
// the queue; its records are found by a 2-character Chinese query and by
// their author; conflicts are listed per library.
func TestCatalogueSearchThroughHoldingsQueue(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	deletes := make([]string, 9000)
	for i := range deletes {
		deletes[i] = fmt.Sprintf("gone-%0120d", i)
	}
	batch := map[string]any{"upserts": []map[string]any{
		{"local_id": "p1", "isbn": "7-04-040664-0", "title": "数据库系统概论（第5版）", "author": "王珊, 萨师煊", "publisher": "高等教育出版社", "year": 2014, "copies": 2, "available": 1},
		{"local_id": "p2", "title": "大数据时代", "author": "舍恩伯格", "publisher": "浙江人民出版社", "year": 2013},
		{"local_id": "p3", "isbn": "9787040406641", "title": "红楼梦", "author": "曹雪芹", "year": 2008}, // ISBN of another title
	}, "deletes": deletes}
	code, body := h.Call("POST", "/v1/holdings", "PKU", batch)
	if code != http.StatusAccepted {
		t.Fatalf("batch over 1 MiB: %d %v", code, body)
	}
	var res map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, res = h.Call("GET", "/v1/catalog/search?q=数据", "THU", nil)
		if res["total"] == float64(2) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res["total"] != float64(2) || res["total_capped"] != false {
		t.Fatalf("q=数据: %v", res)
	}
	_, res = h.Call("GET", "/v1/catalog/search?q=王珊", "THU", nil)
	if rs, _ := res["results"].([]any); len(rs) != 1 || !strings.HasPrefix(rs[0].(map[string]any)["title"].(string), "数据库") {
		t.Errorf("q=王珊: %v", res)
	}
	_, res = h.Call("GET", "/v1/catalog/search?q=数据&year_from=2014&available=true&library=PKU", "THU", nil)
	if res["total"] != float64(1) {
		t.Errorf("filters: %v", res)
	}
	code, res = h.Call("GET", "/v1/catalog/search?q=数据&year_from=abc", "THU", nil)
	if code != http.StatusBadRequest || harness.ErrCode(res) != "bad_request" {
		t.Errorf("bad year_from: %d %v", code, res)
	}
	_, res = h.Call("GET", "/v1/catalog/conflicts", "PKU", nil)
	if res["total"] != float64(1) {
		t.Errorf("PKU conflicts: %v", res)
	}
	_, res = h.Call("GET", "/v1/catalog/conflicts", "THU", nil)
	if res["total"] != float64(0) {
		t.Errorf("THU sees another library's conflicts: %v", res)
	}
	_, res = h.Call("GET", "/v1/catalog/conflicts", "CENTRE", nil)
	if res["total"] != float64(1) {
		t.Errorf("centre conflicts: %v", res)
	}
}

// A manual request without ISBN is matched by title and author;
// one that matches nothing waits in NEEDS_MEDIATION, is listed for the
// borrowing library and the centre (not for others), and `mediate` with a
// record id resumes routing. The rota carries reason labels.
func TestManualRequestTitleMatchAndMediateRecord(t *testing.T) {
	h := harness.New(t, 3)
	h.StartConsumers(nil)
	rec := testenv.Record(t, h.St, "", "数据结构（C语言版）", "严蔚敏", testenv.Holding{Library: "PKU", Available: 1, Lendable: true},
		testenv.Holding{Library: "RUC", Available: 1, Lendable: true})
	code, body := h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "t-1",
		"patron": map[string]any{"id": "T1"}, "item": map[string]any{"title": "數據結構 C語言版", "author": "严蔚敏 编著"}})
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, body)
	}
	b := h.WaitState(body["request_id"].(string), "THU", ill.Requested)
	if b["record_id"] != fmt.Sprint(rec) {
		t.Errorf("title/author match: record %v, want %d", b["record_id"], rec)
	}
	rota, _ := b["rota"].([]any)
	if len(rota) != 2 {
		t.Fatalf("rota %v", b["rota"])
	}
	labels, _ := rota[0].(map[string]any)["reason_labels"].(map[string]any)
	if zh, _ := labels["zh"].([]any); len(zh) == 0 || zh[0] != "今日开馆" {
		t.Errorf("reason labels %v", rota[0])
	}

	code, body = h.Call("POST", "/v1/requests", "THU", map[string]any{"client_request_id": "t-2",
		"patron": map[string]any{"id": "T2"}, "item": map[string]any{"title": "北京胡同志", "author": "佚名"}})
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, body)
	}
	id := body["request_id"].(string)
	h.WaitState(id, "THU", ill.NeedsMediation)
	listed := func(code string) bool {
		_, res := h.Call("GET", "/v1/requests?state=NEEDS_MEDIATION", code, nil)
		rs, _ := res["results"].([]any)
		for _, r := range rs {
			if r.(map[string]any)["request_id"] == id {
				return true
			}
		}
		return false
	}
	if !listed("THU") || !listed("CENTRE") || listed("PKU") {
		t.Errorf("mediation list: THU %v CENTRE %v PKU %v (want true true false)", listed("THU"), listed("CENTRE"), listed("PKU"))
	}
	h.Act(id, "mediate", "THU", map[string]any{"record_id": fmt.Sprint(rec)}, http.StatusAccepted)
	b = h.WaitState(id, "THU", ill.Requested)
	if b["record_id"] != fmt.Sprint(rec) || (b["lender"] != "PKU" && b["lender"] != "RUC") {
		t.Errorf("mediated by record: %v", b)
	}
}
