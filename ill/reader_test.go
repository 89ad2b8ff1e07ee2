package ill_test

import (
	"testing"

	"github.com/balis/illhub/ill"
)

// A portal submit vouches for the reader with the registered details, never
// with the PIN hash or the library.
func TestReaderPatron(t *testing.T) {
	r := ill.Reader{Library: "THU", ID: "THU2024001", Name: "张三", Email: "z@example.edu.cn", DepositPaid: true, PINHash: "h"}
	want := ill.Patron{ID: "THU2024001", Name: "张三", Email: "z@example.edu.cn", DepositPaid: true}
	if got := r.Patron(); got != want {
		t.Errorf("Patron() = %+v, want %+v", got, want)
	}
}
