package isoout_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/iso18626"
)

// Notes between an ISO 18626 borrower (THU's own system) and a JSON
// lender (PKU): THU's Notification becomes a note PKU reads through the
// API; PKU's note reaches THU as a supplyingAgencyMessage Notification.
func TestISONotesBothWays(t *testing.T) {
	h := newISOHarness(t, 5)
	thu := harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	harness.ISORecord(t, h)
	now := h.Clock.Now()
	ok(h, harness.ISORequest("THU", "BALIS", "thu-note-1", "R1", "9787040406641", "数据库系统概论", now))
	id := ill.RequestID("THU", "thu-note-1")
	h.WaitState(id, "PKU", ill.Requested)

	ok(h, harness.ISORAM("THU", "PKU", "thu-note-1", iso18626.ActionNotification, "reader needs it by Friday", now))
	var notes []any
	for deadline := time.Now().Add(20 * time.Second); len(notes) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		code, out := h.Call("GET", "/v1/requests/"+id+"/notes", "PKU", nil)
		if code != http.StatusOK {
			t.Fatalf("GET notes: %d %v", code, out)
		}
		notes, _ = out["results"].([]any)
	}
	if len(notes) != 1 {
		t.Fatal("THU's ISO Notification never became a note")
	}
	if n := notes[0].(map[string]any); n["text"] != "reader needs it by Friday" || n["via"] != "iso18626" || n["library"] != "THU" || n["to"] != "PKU" {
		t.Fatalf("note %v", n)
	}

	code, out := h.Call("POST", "/v1/requests/"+id+"/notes", "PKU", map[string]any{"text": "明天寄出"})
	if code != http.StatusCreated {
		t.Fatalf("POST note: %d %v", code, out)
	}
	m := thu.WaitMessage("note as Notification", func(m *iso18626.Message) bool {
		s := m.SupplyingAgencyMessage
		return s != nil && s.MessageInfo.ReasonForMessage == iso18626.ReasonNotification && strings.Contains(s.MessageInfo.Note, "明天寄出")
	})
	if hd := m.SupplyingAgencyMessage.Header; hd.RequestingAgencyRequestID != "thu-note-1" || hd.SupplyingAgencyID.Value != "PKU" {
		t.Fatalf("header %+v", hd)
	}
}
