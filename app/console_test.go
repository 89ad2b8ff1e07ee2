package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

var toAnswer = ill.Queue{Key: "to_answer", Side: ill.RoleLender, States: []ill.State{ill.Requested}, Order: "respond_by"}

// A work queue, the open shipments and the missed deadlines are the
// caller's library's (every library's for the centre).
func TestConsoleReadsAreScoped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.st.PutRequest(ill.Request{ID: "REQ-RUC", Borrower: "THU", State: ill.Requested, Lender: "RUC", SubmittedAt: now,
		RespondBy: now.Add(time.Hour), UpdatedAt: now,
		Rota: []ill.RotaEntry{{Library: "PKU", Rank: 1, Outcome: ill.OutcomeNoResponse}, {Library: "RUC", Rank: 2, Outcome: ill.OutcomeAsked}}})
	f.st.PutShipment(ill.Shipment{ID: 1, RequestID: "REQ-LOAN", From: "PKU", To: "THU", RouteCode: "PKU-THU", Status: ill.ShipPickedUp})
	f.st.PutShipment(ill.Shipment{ID: 2, RequestID: "REQ-X", From: "RUC", To: "PKU", RouteCode: "RUC-PKU", Status: ill.ShipAwaitingPickup})
	f.st.PutShipment(ill.Shipment{ID: 3, RequestID: "REQ-Y", From: "RUC", To: "THU", RouteCode: "RUC-THU", Status: ill.ShipDelivered})

	ids := func(reqs []*ill.Request) string {
		var out []string
		for _, r := range reqs {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		p                 ill.Principal
		queue, shipments  string
		total, missedRows int
	}{
		{pku, "REQ-LATE,REQ-OPEN", "2,1", 2, 1}, // no deadline set: unset last, then by id
		{ruc, "REQ-RUC", "2", 1, 0},
		{thu, "", "1", 0, 0},
		{centre, "REQ-RUC,REQ-LATE,REQ-OPEN", "2,1", 3, 1},
	} {
		reqs, total, err := f.svc.Queue(ctx, c.p, toAnswer, 10)
		if err != nil || ids(reqs) != c.queue || total != c.total {
			t.Errorf("%s's queue: %s (%d) %v, want %s (%d)", c.p.Library, ids(reqs), total, err, c.queue, c.total)
		}
		ships, err := f.svc.OpenShipments(ctx, c.p, 10)
		var got []string
		for _, s := range ships {
			got = append(got, string(rune('0'+s.ID)))
		}
		if err != nil || strings.Join(got, ",") != c.shipments {
			t.Errorf("%s's shipments: %v %v, want %s", c.p.Library, got, err, c.shipments)
		}
		missed, err := f.svc.MissedDeadlines(ctx, c.p, 10)
		if err != nil || len(missed) != c.missedRows {
			t.Errorf("%s's missed deadlines: %+v %v", c.p.Library, missed, err)
		}
	}
	if reqs, total, _ := f.svc.Queue(ctx, centre, toAnswer, 1); len(reqs) != 1 || total != 3 {
		t.Errorf("a limited queue: %d rows of %d, want 1 of 3", len(reqs), total)
	}
}

// Progress tells a page when the consumers have acted, to the parties
// only.
func TestProgress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st, _, err := f.svc.Progress(ctx, thu, "REQ-OPEN")
	if err != nil || st != ill.Requested {
		t.Errorf("borrower: %s %v", st, err)
	}
	_, _, err = f.svc.Progress(ctx, ill.Principal{Library: "BNU"}, "REQ-OPEN")
	wantCode(t, err, ill.CodeForbidden)
	_, _, err = f.svc.Progress(ctx, thu, "REQ-NONE")
	wantCode(t, err, ill.CodeNotFound)
}

// A run's live items: a member sees the shipments at its stop only.
func TestRunItemsScope(t *testing.T) {
	f := newFixture(t)
	f.st.PutRun(ill.CourierRun{ID: 5, RunDate: ill.DateOf(now).Start(), Status: ill.RunClosed, Manifest: "{}"},
		ill.ManifestItem{ShipmentID: 1, From: "PKU", To: "THU"}, ill.ManifestItem{ShipmentID: 2, From: "RUC", To: "PKU"})
	for _, c := range []struct {
		p    ill.Principal
		want int
	}{{thu, 1}, {pku, 2}, {ruc, 1}, {centre, 2}, {ill.Principal{Library: "BNU"}, 0}} {
		if items, err := f.svc.RunItems(context.Background(), c.p, 5); err != nil || len(items) != c.want {
			t.Errorf("%s: %+v %v, want %d", c.p.Library, items, err, c.want)
		}
	}
}

// A session is stored under the hash of its token only, is read back by
// the token until it expires, and ends on sign-out.
func TestSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, err := f.svc.StartSession(ctx, app.SessionReader, "THU", "R1", "", time.Hour)
	if err != nil || len(tok) < 40 {
		t.Fatalf("token %q %v", tok, err)
	}
	stored := f.st.Sessions()
	if len(stored) != 1 || stored[0].IDHash != ill.HashKey(tok) || stored[0].CSRF == "" || stored[0].CSRF == tok ||
		!stored[0].ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("stored %+v", stored)
	}
	s, err := f.svc.Session(ctx, tok)
	if err != nil || s.Kind != app.SessionReader || s.Library != "THU" || s.Subject != "R1" {
		t.Fatalf("session %+v %v", s, err)
	}
	_, err = f.svc.Session(ctx, stored[0].IDHash)
	wantCode(t, err, ill.CodeNotFound)
	if err := f.svc.EndSession(ctx, s.IDHash); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Session(ctx, tok)
	wantCode(t, err, ill.CodeNotFound)

	// An hour-old session has expired.
	old, _ := f.svc.StartSession(ctx, app.SessionReader, "THU", "R1", "", 0)
	_, err = f.svc.Session(ctx, old)
	wantCode(t, err, ill.CodeNotFound)
}

func TestRegisterStaff(t *testing.T) {
	for _, c := range []struct {
		name  string
		body  app.StaffBody
		code  ill.Code
		field string
		want  ill.Staff
	}{
		{"member staff", app.StaffBody{Library: "ｐｋｕ", Username: "Li", Name: "李", Password: "secret-pw"}, "", "",
			ill.Staff{Library: "PKU", Username: "Li", Name: "李", Role: ill.StaffMember}},
		{"centre admin", app.StaffBody{Library: "centre", Username: "admin", Password: "secret-pw"}, "", "",
			ill.Staff{Library: ill.CentreCode, Username: "admin", Role: ill.StaffCentreAdmin}},
		{"role of another library", app.StaffBody{Library: "PKU", Username: "li", Role: ill.StaffCentreAdmin, Password: "secret-pw"},
			ill.CodeBadRequest, "role", ill.Staff{}},
		{"bad library code", app.StaffBody{Library: "P K U", Username: "li", Password: "secret-pw"}, ill.CodeBadRequest, "library", ill.Staff{}},
		{"bad user name", app.StaffBody{Library: "PKU", Username: "", Password: "secret-pw"}, ill.CodeBadRequest, "username", ill.Staff{}},
		{"short password", app.StaffBody{Library: "PKU", Username: "li", Password: "123"}, ill.CodeBadRequest, "pin", ill.Staff{}},
		{"new account without password", app.StaffBody{Library: "PKU", Username: "li"}, ill.CodeBadRequest, "password", ill.Staff{}},
		{"not a member", app.StaffBody{Library: "BNU", Username: "li", Password: "secret-pw"}, ill.CodeNotFound, "", ill.Staff{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			u, n, err := f.svc.RegisterStaff(context.Background(), c.body)
			wantCode(t, err, c.code)
			var e *ill.Error
			if errors.As(err, &e) && e.Field != c.field {
				t.Errorf("field %q, want %q", e.Field, c.field)
			}
			if u != c.want || n != 0 {
				t.Errorf("returned %+v (%d sessions ended), want %+v", u, n, c.want)
			}
			if c.code != "" {
				return
			}
			stored, err := f.st.StaffUser(context.Background(), c.want.Library, c.want.Username)
			if err != nil || !app.CheckPIN(stored.PasswordHash, c.body.Password) {
				t.Errorf("stored %+v %v", stored, err)
			}
		})
	}
}

// Updating an account without a password keeps it; disabling one ends its
// sessions at once.
func TestRegisterStaffUpdateAndDisable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := f.svc.RegisterStaff(ctx, app.StaffBody{Library: "PKU", Username: "li", Password: "secret-pw"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := f.svc.StartSession(ctx, app.SessionStaff, "PKU", "li", ill.StaffMember, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.StartSession(ctx, app.SessionReader, "PKU", "li", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	u, n, err := f.svc.RegisterStaff(ctx, app.StaffBody{Library: "PKU", Username: "LI", Name: "李", Disabled: true})
	if err != nil || n != 2 || !u.Disabled || u.Name != "李" {
		t.Fatalf("disable: %+v, %d sessions ended, %v", u, n, err)
	}
	stored, _ := f.st.StaffUser(ctx, "PKU", "li")
	if !app.CheckPIN(stored.PasswordHash, "secret-pw") || !stored.Disabled {
		t.Errorf("stored %+v", stored)
	}
	if left := f.st.Sessions(); len(left) != 1 || left[0].Kind != app.SessionReader {
		t.Errorf("sessions left: %+v", left)
	}
}
