package member_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/iso18626/isotest"
	"github.com/balis/illhub/iso18626/member"
)

// The simulated lender answers a request with WillSupply then Loaned, and
// a Cancel with CancelResponse Y; everything it writes is valid ISO 18626.
func TestSimPlaysTheLender(t *testing.T) {
	var mu sync.Mutex
	var got []*iso18626.Message
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		isotest.Validate(t, body)
		m, p := iso18626.Parse(body)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		out, _ := iso18626.Marshal(iso18626.Confirm(m, p, time.Now(), time.Now()))
		_, _ = w.Write(out)
	}))
	defer hub.Close()
	sim := httptest.NewServer(&member.Sim{Symbol: "CNU", Hub: hub.URL, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer sim.Close()

	now := time.Now()
	h := iso18626.Header{SupplyingAgencyID: iso18626.Agency("CNU"), RequestingAgencyID: iso18626.Agency("THU"),
		Timestamp: iso18626.Time(now), RequestingAgencyRequestID: "thu-7"}
	for _, m := range []*iso18626.Message{
		{Request: &iso18626.Request{Header: h, BibliographicInfo: iso18626.BibliographicInfo{Title: "数据库系统概论"}}},
		{RequestingAgencyMessage: &iso18626.RequestingAgencyMessage{Header: h, Action: iso18626.ActionCancel}},
	} {
		doc, err := iso18626.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Post(sim.URL, "application/xml", bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		conf, _ := io.ReadAll(res.Body)
		res.Body.Close()
		isotest.Validate(t, conf)
		// one at a time: the answers of one message arrive in order
		want := 2
		if m.RequestingAgencyMessage != nil {
			want = 3
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n >= want {
				break
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var seq []string
	for _, m := range got {
		s := m.SupplyingAgencyMessage
		if s == nil || s.Header.SupplyingAgencyID.Value != "CNU" || s.Header.RequestingAgencyRequestID != "thu-7" {
			t.Fatalf("unexpected message %+v", m)
		}
		seq = append(seq, string(s.MessageInfo.ReasonForMessage)+"/"+string(s.StatusInfo.Status)+"/"+string(s.MessageInfo.AnswerYesNo))
	}
	want := []string{"RequestResponse/WillSupply/", "StatusChange/Loaned/", "CancelResponse/Cancelled/Y"}
	if len(seq) != 3 || seq[0] != want[0] || seq[1] != want[1] || seq[2] != want[2] {
		t.Fatalf("got %v, want %v", seq, want)
	}
}
