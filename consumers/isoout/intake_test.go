package isoout_test

// ISO 18626 end to end, with a Go test double of a member's own
// ILL system (harness.MemberDouble) on the other side of the hub.

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/harness"
	"github.com/balis/illhub/iso18626"
)

func sam(reason iso18626.ReasonForMessage, status iso18626.Status) func(*iso18626.Message) bool {
	return func(m *iso18626.Message) bool {
		s := m.SupplyingAgencyMessage
		return s != nil && s.MessageInfo.ReasonForMessage == reason && s.StatusInfo.Status == status
	}
}

func wantConfirm(t *testing.T, status int, c *iso18626.Confirmation, wantType iso18626.ErrorType, wantIn string) {
	t.Helper()
	if status != http.StatusOK && wantType == "" {
		t.Fatalf("HTTP %d", status)
	}
	if wantType == "" {
		if c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
			t.Fatalf("want OK, got ERROR %+v", c.ErrorData)
		}
		return
	}
	if c.ConfirmationHeader.MessageStatus != iso18626.StatusERROR || c.ErrorData == nil {
		t.Fatalf("want ERROR %s, got OK", wantType)
	}
	if c.ErrorData.ErrorType != wantType || !strings.Contains(c.ErrorData.ErrorValue, wantIn) {
		t.Fatalf("want %s containing %q, got %s %q", wantType, wantIn, c.ErrorData.ErrorType, c.ErrorData.ErrorValue)
	}
}

// TestISOIntake: an ISO borrower's request is routed; every kind of bad
// message gets its ERROR confirmation with the standard errorType.
func TestISOIntake(t *testing.T) {
	h := harness.New(t, 5)
	h.StartConsumers(nil)
	thu := harness.NewMemberDouble(t)
	harness.RegisterISO(t, h.St, "THU", thu.URL(), "")
	harness.ISORecord(t, h)
	now := h.Clock.Now()

	status, c := h.PostISOMessage(harness.ISORequest("THU", "BALIS", "thu-iso-1", "R100", "9787040406641", "数据库系统概论", now))
	wantConfirm(t, status, c, "", "")
	if c.ConfirmationHeader.RequestingAgencyRequestID != "thu-iso-1" || c.ConfirmationHeader.RequestingAgencyID.Value != "THU" {
		t.Fatalf("confirmation must echo the ids: %+v", c.ConfirmationHeader)
	}
	id := ill.RequestID("THU", "thu-iso-1")
	b := h.WaitState(id, "THU", ill.Requested)
	if b["lender"] != "PKU" || b["patron_id"] != "R100" {
		t.Fatalf("routed wrong: %v", b)
	}

	// StatusRequest changes nothing and is recorded.
	status, c = h.PostISOMessage(harness.ISORAM("THU", "PKU", "thu-iso-1", iso18626.ActionStatusRequest, "", now))
	wantConfirm(t, status, c, "", "")
	if c.Action != iso18626.ActionStatusRequest {
		t.Fatalf("requestingAgencyMessageConfirmation echoes the action: %+v", c)
	}
	h.WaitFor(id, "THU", "status request on the timeline", func(b map[string]any) bool {
		for _, e := range harness.Events(b) {
			if e["action"] == "iso18626" && strings.Contains(e["note"].(string), "StatusRequest") {
				return true
			}
		}
		return false
	})

	ram := strings.NewReplacer("LIB-A", "THU", "LIB-B", "PKU", "A-2025-000123", "thu-iso-1").Replace(isoSample(t, "5-ram-cancel.xml"))
	cases := []struct {
		name   string
		doc    string
		status int
		typ    iso18626.ErrorType
		in     string
	}{
		{"badly formed XML", "<ISO18626Message", 200, iso18626.ErrBadlyFormedMessage, "not well-formed"},
		{"missing required element", strings.Replace(ram, "<ill:requestingAgencyRequestId>thu-iso-1</ill:requestingAgencyRequestId>", "", 1),
			200, iso18626.ErrBadlyFormedMessage, "requestingAgencyRequestId: missing required element"},
		{"unsupported action", strings.Replace(ram, ">Cancel<", ">Teleport<", 1), 200, iso18626.ErrUnsupportedActionType, "Teleport"},
		{"unsupported ISO action", strings.Replace(ram, ">Cancel<", ">ShippedForward<", 1), 200, iso18626.ErrUnsupportedActionType, "ShippedForward"},
		{"unknown element", strings.Replace(ram, "<ill:action>", "<ill:colour>red</ill:colour><ill:action>", 1), 200,
			iso18626.ErrUnrecognisedDataElement, "colour"},
		{"unknown request id", strings.Replace(ram, "thu-iso-1", "thu-nope", 1), 200, iso18626.ErrUnrecognisedDataValue,
			"request with a given ID not found"},
		{"unknown agency", strings.Replace(ram, "<ill:agencyIdValue>THU</ill:agencyIdValue>", "<ill:agencyIdValue>NOPE</ill:agencyIdValue>", 1), 401,
			iso18626.ErrUnrecognisedDataValue, "unknown agency \"NOPE\""},
		{"member without ISO endpoint", strings.Replace(ram, "<ill:agencyIdValue>THU</ill:agencyIdValue>", "<ill:agencyIdValue>RUC</ill:agencyIdValue>", 1), 401,
			iso18626.ErrUnrecognisedDataValue, "not registered as an ISO 18626 member"},
		{"oversize", "<ISO18626Message>" + strings.Repeat(" ", 1<<20) + "</ISO18626Message>", 413, iso18626.ErrBadlyFormedMessage, "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, c := h.PostISO([]byte(tc.doc))
			if status != tc.status {
				t.Fatalf("HTTP %d, want %d", status, tc.status)
			}
			wantConfirm(t, status, c, tc.typ, tc.in)
		})
	}
	t.Run("unsupported reasonForMessage", func(t *testing.T) {
		// From an authenticated supplier (THU): the reason is checked once the sender is known.
		doc, _ := iso18626.Marshal(harness.ISOSAM("THU", "PKU", "thu-iso-1", iso18626.ReasonStatusChange, iso18626.StatusLoaned, now))
		status, c := h.PostISO(bytes.Replace(doc, []byte(">StatusChange<"), []byte(">Gossip<"), 1))
		wantConfirm(t, status, c, iso18626.ErrUnsupportedReasonForMessageType, "Gossip")
	})
	t.Run("duplicate request id", func(t *testing.T) {
		status, c := h.PostISOMessage(harness.ISORequest("THU", "BALIS", "thu-iso-1", "R100", "9787040406641", "数据库系统概论", now))
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "duplicate request id")
	})
	t.Run("action not possible any more", func(t *testing.T) {
		ok(h, harness.ISORequest("THU", "BALIS", "thu-iso-2", "R101", "9787040406641", "数据库系统概论", now))
		id2 := ill.RequestID("THU", "thu-iso-2")
		h.WaitState(id2, "THU", ill.Requested)
		ok(h, harness.ISORAM("THU", "PKU", "thu-iso-2", iso18626.ActionCancel, "", now))
		h.WaitState(id2, "THU", ill.Cancelled)
		status, c := h.PostISOMessage(harness.ISORAM("THU", "PKU", "thu-iso-2", iso18626.ActionReceived, "", now))
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "not possible now")
	})
	t.Run("a copy of a whole book", func(t *testing.T) {
		// serviceType Copy is offered (docs/copies.md), but only of a part
		m := harness.ISORequest("THU", "BALIS", "thu-iso-copy", "R100", "9787040406641", "数据库系统概论", now)
		m.Request.ServiceInfo.ServiceType = iso18626.ServiceCopy
		status, c := h.PostISOMessage(m)
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "a copy is never the whole book")
	})
	t.Run("secret", func(t *testing.T) {
		harness.RegisterISO(t, h.St, "THU", "", "s3cret")
		m := harness.ISORAM("THU", "PKU", "thu-iso-1", iso18626.ActionNotification, "hello", now)
		status, c := h.PostISOMessage(m)
		if status != http.StatusUnauthorized {
			t.Fatalf("without the secret: HTTP %d, want 401", status)
		}
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "securityCode")
		m.RequestingAgencyMessage.Header.RequestingAgencyAuthentication = &iso18626.Authentication{AccountID: "THU", SecurityCode: "wrong"}
		status, c = h.PostISOMessage(m)
		if status != http.StatusUnauthorized {
			t.Fatalf("with a wrong secret: HTTP %d, want 401", status)
		}
		wantConfirm(t, status, c, iso18626.ErrUnrecognisedDataValue, "securityCode")
		m.RequestingAgencyMessage.Header.RequestingAgencyAuthentication.SecurityCode = "s3cret"
		status, c = h.PostISOMessage(m)
		wantConfirm(t, status, c, "", "")
	})
}

// isoSample reads one of the validated samples of iso18626/testdata.
func isoSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "iso18626", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
