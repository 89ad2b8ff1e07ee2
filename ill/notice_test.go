package ill_test

import (
	"testing"

	"github.com/balis/illhub/ill"
)

// Only a pending notice is delivered again; sent, not_configured and
// failed are final.
func TestNoticeStatusSettled(t *testing.T) {
	for _, c := range []struct {
		s    ill.NoticeStatus
		want bool
	}{
		{ill.NoticePending, false},
		{ill.NoticeSent, true},
		{ill.NoticeNotConfigured, true},
		{ill.NoticeFailed, true},
		{"", false},
	} {
		if got := c.s.Settled(); got != c.want {
			t.Errorf("%q.Settled() = %v, want %v", c.s, got, c.want)
		}
	}
}
