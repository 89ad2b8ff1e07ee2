package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// ClaimNotice records the message and locks the notice in one round trip;
// the same message again is recognised, an unknown notice is not_found.
func TestClaimNoticeOnceAndNotFound(t *testing.T) {
	_, st := testenv.DB(t, "claimnotice")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	var id int64
	if err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
		id, _, err = tx.AddNotice(ctx, mysql.Notice{RequestID: "ILL-N1", Kind: "arrived", Library: "THU", Locale: "zh",
			Subject: "到书", Body: "到书", At: at})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	claim := func(msg string, nid int64) (bool, *mysql.StoredNotice, error) {
		var first bool
		var n *mysql.StoredNotice
		err := st.InTx(ctx, func(tx *mysql.Tx) (err error) {
			first, n, err = tx.ClaimNotice(ctx, "notices", msg, at, nid)
			return err
		})
		return first, n, err
	}
	if first, n, err := claim("notice:1", id); err != nil || !first || n.ID != id || n.Kind != "arrived" {
		t.Fatalf("first claim: %v %+v %v", first, n, err)
	}
	if first, n, err := claim("notice:1", id); err != nil || first || n.ID != id {
		t.Fatalf("second claim of the same message: first %v, %+v, %v", first, n, err)
	}
	if _, _, err := claim("notice:2", id+100); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("unknown notice: %v, want not_found", err)
	}
}
