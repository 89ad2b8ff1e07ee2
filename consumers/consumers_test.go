package consumers_test

import (
	"testing"

	"github.com/balis/illhub/consumers"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/rabbitmq"
)

// What cannot be read as a message can never succeed: bad_request, which
// dead-letters it at once.
func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name, body string
		code       ill.Code // "": decoded
	}{
		{"message", `{"id":"m1","type":"request.action","actor":"THU","request_id":"ILL-1","at":"2026-03-02T02:00:00Z"}`, ""},
		{"not JSON", `<xml/>`, ill.CodeBadRequest},
		{"no id", `{"type":"request.action","at":"2026-03-02T02:00:00Z"}`, ill.CodeBadRequest},
		{"no type", `{"id":"m1","at":"2026-03-02T02:00:00Z"}`, ill.CodeBadRequest},
		{"no time", `{"id":"m1","type":"request.action"}`, ill.CodeBadRequest},
	} {
		m, err := consumers.Decode(rabbitmq.Delivery{Body: []byte(c.body)})
		if got := ill.ErrorCode(err); (err == nil) != (c.code == "") || (err != nil && got != c.code) {
			t.Errorf("%s: %v (code %q), want code %q", c.name, err, got, c.code)
			continue
		}
		if err == nil && (m.ID != "m1" || m.RequestID != "ILL-1" || ill.DispositionFor(err) != ill.Ack) {
			t.Errorf("%s: %+v", c.name, m)
		}
		if err != nil && ill.DispositionFor(err) != ill.DeadLetter {
			t.Errorf("%s: disposition %v, want dead letter", c.name, ill.DispositionFor(err))
		}
	}
}
