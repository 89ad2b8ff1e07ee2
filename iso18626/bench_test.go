package iso18626_test

import (
	"testing"
	"time"

	"github.com/balis/illhub/iso18626"
)

// BenchmarkParse reads the request sample (lenient reader: token scan,
// decode, trim, checks).
func BenchmarkParse(b *testing.B) {
	doc := sample(b, "1-request.xml")
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, p := iso18626.Parse(doc); p != nil {
			b.Fatal(p)
		}
	}
}

// BenchmarkMarshal writes a Loaned supplyingAgencyMessage (strict writer).
func BenchmarkMarshal(b *testing.B) {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	m := &iso18626.Message{SupplyingAgencyMessage: &iso18626.SupplyingAgencyMessage{
		Header: iso18626.Header{SupplyingAgencyID: iso18626.Agency("PKU"), RequestingAgencyID: iso18626.Agency("THU"),
			Timestamp: iso18626.Time(now), RequestingAgencyRequestID: "THU-1", SupplyingAgencyRequestID: "ILL-0123456789ABCDEF"},
		MessageInfo:  iso18626.MessageInfo{ReasonForMessage: iso18626.ReasonStatusChange},
		StatusInfo:   iso18626.StatusInfo{Status: iso18626.StatusLoaned, DueDate: iso18626.TimePtr(now), LastChange: iso18626.Time(now)},
		DeliveryInfo: &iso18626.DeliveryInfo{DateSent: iso18626.Time(now), ItemID: "31000012345678", SentVia: &iso18626.SchemeValue{Value: "Courier"}}}}
	for b.Loop() {
		if _, err := iso18626.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}
