package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// A session reads back until it expires; a staff session only while its
// account is enabled; DeleteSessionsOf ends an account's sessions and
// counts them.
func TestSessionLifecycle(t *testing.T) {
	_, st := testenv.DB(t, "sessions")
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	if err := st.PutStaff(ctx, ill.Staff{Library: ill.CentreCode, Username: "admin", Role: ill.StaffCentreAdmin, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	reader := ill.Session{IDHash: "r1", Kind: "reader", Library: "THU", Subject: "THU2024001", CSRF: "c1",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	staff := ill.Session{IDHash: "s1", Kind: "staff", Library: ill.CentreCode, Subject: "admin",
		Role: ill.StaffCentreAdmin, CSRF: "c2", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, s := range []ill.Session{reader, staff} {
		if err := st.AddSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if got, err := st.SessionByHash(ctx, s.IDHash, now.Add(time.Minute)); err != nil || got != s {
			t.Fatalf("SessionByHash(%s): %+v %v, want %+v", s.IDHash, got, err, s)
		}
		if _, err := st.SessionByHash(ctx, s.IDHash, s.ExpiresAt); ill.ErrorCode(err) != ill.CodeNotFound {
			t.Fatalf("SessionByHash(%s) at expiry: %v, want not_found", s.IDHash, err)
		}
	}
	if err := st.PutStaff(ctx, ill.Staff{Library: ill.CentreCode, Username: "admin", Role: ill.StaffCentreAdmin, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionByHash(ctx, "s1", now); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("disabled account's session: %v, want not_found", err)
	}
	if n, err := st.DeleteSessionsOf(ctx, "staff", "centre", "ADMIN"); err != nil || n != 1 {
		t.Fatalf("DeleteSessionsOf: %d %v, want 1", n, err)
	}
	if err := st.DeleteSession(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionByHash(ctx, "r1", now); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("after logout: %v, want not_found", err)
	}
}
