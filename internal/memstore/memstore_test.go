package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
)

// The history list keeps mysql's contract: a member lists what it is a
// party to (a lender only once the rota asked it), a patron filter only
// its own readers, newest first, one page with the total.
func TestListRequestsContract(t *testing.T) {
	st := &memstore.Store{}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)
	for i, r := range []ill.Request{
		{ID: "A", Borrower: "THU", PatronID: "R1", Title: "数据库系统概论"},
		{ID: "B", Borrower: "PKU", PatronID: "R1", Title: "算法导论", Rota: []ill.RotaEntry{{Library: "THU", Outcome: ill.OutcomeAsked}}},
		{ID: "C", Borrower: "PKU", PatronID: "R1", Title: "数据结构", Rota: []ill.RotaEntry{{Library: "THU", Outcome: ill.OutcomePending}}},
		{ID: "D", Borrower: "THU", PatronID: "R2", Title: "数据库原理", State: ill.Cancelled},
	} {
		r.SubmittedAt = at.Add(time.Duration(i) * time.Hour)
		st.PutRequest(r)
	}
	day := ill.DateOf(at)
	for _, c := range []struct {
		name  string
		f     ill.ListFilter
		want  []string
		total int
	}{
		{"a party", ill.ListFilter{Caller: "THU"}, []string{"D", "B", "A"}, 3},
		{"the centre", ill.ListFilter{Centre: true}, []string{"D", "C", "B", "A"}, 4},
		{"own readers only", ill.ListFilter{Caller: "THU", PatronID: "r1"}, []string{"A"}, 1},
		{"title words", ill.ListFilter{Caller: "THU", Q: "数据 库"}, []string{"D", "A"}, 2},
		{"state", ill.ListFilter{Caller: "THU", State: ill.Cancelled}, []string{"D"}, 1},
		{"ids", ill.ListFilter{Caller: "THU", IDs: []string{"A", "C"}}, []string{"A"}, 1},
		{"days", ill.ListFilter{Centre: true, From: &day, To: &day}, []string{"D", "C", "B", "A"}, 4},
		{"second page", ill.ListFilter{Centre: true, Page: 2, PerPage: 3}, []string{"A"}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.f.Page == 0 {
				c.f.Page, c.f.PerPage = 1, 20
			}
			reqs, total, err := st.ListRequests(context.Background(), c.f)
			var got []string
			for _, r := range reqs {
				got = append(got, r.ID)
			}
			if err != nil || total != c.total || len(got) != len(c.want) {
				t.Fatalf("%v (total %d, %v), want %v (%d)", got, total, err, c.want, c.total)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("%v, want %v", got, c.want)
				}
			}
		})
	}
}

// Reads hand out copies: changing one changes nothing stored.
func TestReadsAreCopies(t *testing.T) {
	st := &memstore.Store{}
	st.PutRequest(ill.Request{ID: "A", Borrower: "THU", Rota: []ill.RotaEntry{{Library: "PKU", Reasons: []string{"x"}}}})
	r, err := st.GetRequest(context.Background(), "A")
	if err != nil {
		t.Fatal(err)
	}
	r.State, r.Rota[0].Reasons[0] = ill.Lost, "y"
	again, _ := st.RequestForAccess(context.Background(), "A")
	if again.State != "" || again.Rota[0].Reasons[0] != "x" {
		t.Errorf("stored request changed through a read: %+v", again)
	}
	if r, _ := st.RequestForAction(context.Background(), "A", "THU", false); r.Rota != nil {
		t.Errorf("the borrower's action read the rota: %+v", r.Rota)
	}
}

// PutReader keeps the stored PIN when given none (an update of the
// reader's details).
func TestPutReaderKeepsThePIN(t *testing.T) {
	st := &memstore.Store{}
	ctx := context.Background()
	_ = st.PutReader(ctx, ill.Reader{Library: "THU", ID: "R1", Name: "李", PINHash: "h1"}, time.Now())
	_ = st.PutReader(ctx, ill.Reader{Library: "thu", ID: "r1", Name: "李明"}, time.Now())
	if r, err := st.Reader(ctx, "THU", "R1"); err != nil || r.Name != "李明" || r.PINHash != "h1" {
		t.Errorf("reader %+v %v", r, err)
	}
}

// A session is live until it expires and, for staff, while the account
// exists and is enabled (mysql's contract: disabling ends the sessions at
// their next request).
func TestSessionByHashContract(t *testing.T) {
	st := &memstore.Store{}
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)
	_ = st.PutStaff(ctx, ill.Staff{Library: "PKU", Username: "li", Role: ill.StaffMember, PasswordHash: "h"})
	for _, s := range []ill.Session{
		{IDHash: "reader", Kind: "reader", Library: "THU", Subject: "R1"},
		{IDHash: "staff", Kind: "staff", Library: "PKU", Subject: "LI"},
		{IDHash: "no-account", Kind: "staff", Library: "PKU", Subject: "wang"},
	} {
		s.CreatedAt, s.ExpiresAt = at, at.Add(time.Hour)
		if err := st.AddSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	live := func(hash string, now time.Time) bool {
		_, err := st.SessionByHash(ctx, hash, now)
		if err != nil && ill.ErrorCode(err) != ill.CodeNotFound {
			t.Fatalf("%s: %v", hash, err)
		}
		return err == nil
	}
	for _, c := range []struct {
		hash string
		now  time.Time
		want bool
	}{
		{"reader", at, true}, {"staff", at, true}, {"no-account", at, false}, {"unknown", at, false},
		{"reader", at.Add(time.Hour), false},
	} {
		if got := live(c.hash, c.now); got != c.want {
			t.Errorf("%s at %v: live %v, want %v", c.hash, c.now, got, c.want)
		}
	}
	_ = st.PutStaff(ctx, ill.Staff{Library: "PKU", Username: "li", Role: ill.StaffMember, Disabled: true})
	if live("staff", at) {
		t.Error("a disabled account's session is still live")
	}
}

// A queue sorts by its time, unset last, then by id, and counts past the
// limit; a queue mysql would refuse is refused.
func TestQueueRequestsContract(t *testing.T) {
	st := &memstore.Store{}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)
	for _, r := range []ill.Request{
		{ID: "A", Lender: "PKU", State: ill.Requested},
		{ID: "B", Lender: "PKU", State: ill.Requested, RespondBy: at.Add(2 * time.Hour)},
		{ID: "C", Lender: "pku", State: ill.Requested, RespondBy: at.Add(time.Hour)},
		{ID: "D", Lender: "RUC", State: ill.Requested, RespondBy: at},
		{ID: "E", Lender: "PKU", State: ill.WillSupply},
	} {
		st.PutRequest(r)
	}
	q := ill.Queue{Key: "to_answer", Side: ill.RoleLender, States: []ill.State{ill.Requested}, Order: "respond_by"}
	reqs, total, err := st.QueueRequests(context.Background(), q, "PKU", 2)
	if err != nil || total != 3 || len(reqs) != 2 || reqs[0].ID != "C" || reqs[1].ID != "B" {
		t.Errorf("PKU's queue: %+v (total %d) %v", reqs, total, err)
	}
	q.Order = "title; DROP TABLE requests"
	if _, _, err := st.QueueRequests(context.Background(), q, "", 10); err == nil {
		t.Error("a queue with an unknown order was answered")
	}
}
