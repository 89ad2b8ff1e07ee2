package mysql_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/mysql"
)

// findRequest inserts a request row (and the lender's rota entry, so the
// lender is a party) for the search and notes tests.
func findRequest(t *testing.T, st *mysql.Store, id, borrower, patron, lender, barcode, title, isbn string, state ill.State, at time.Time) {
	t.Helper()
	var lend any
	if lender != "" {
		lend = lender
	}
	if _, err := st.DB.Exec(`INSERT INTO requests (id, borrower, client_request_id, patron_id, title, isbn, state, lender,
		item_barcode, submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, borrower, "c-"+id, patron, title, isbn, string(state), lend, barcode, at, at); err != nil {
		t.Fatal(err)
	}
	if lender != "" {
		if _, err := st.DB.Exec(`INSERT INTO rota (request_id, rank_no, library_code, outcome) VALUES (?, 1, ?, 'asked')`, id, lender); err != nil {
			t.Fatal(err)
		}
	}
}

func requestIDs(rs []*ill.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// The history query's filters (GET /v1/requests, /console/search): text
// finds a request by id, id prefix, client id, barcode, ISBN (as sent or
// as ISBN-10), card and reader's name (own readers only) or title words;
// barcode, isbn and library (a party) filter; the scope stays the
// caller's.
func TestListRequestsFindFilters(t *testing.T) {
	_, st := testenv.DB(t, "findfilters")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	isbn := "9787302123453"
	if n, ok := ill.NormalizeISBN(isbn); !ok || n != isbn {
		d12 := isbn[:12]
		isbn = d12 + string(ill.ISBN13Check(d12))
	}
	findRequest(t, st, "ILL-1DA0AAAA00000001", "THU", "T100", "PKU", "PKU-B1", "信号与系统 第三版", isbn, ill.Requested, at)
	findRequest(t, st, "ILL-2BB0AAAA00000002", "THU", "T200", "RUC", "", "数据结构", "", ill.WillSupply, at.Add(time.Hour))
	findRequest(t, st, "ILL-3CC0AAAA00000003", "RUC", "R1", "PKU", "PKU-B3", "信号处理", "", ill.Shipped, at.Add(2*time.Hour))
	if err := st.PutReader(ctx, ill.Reader{Library: "THU", ID: "T100", Name: "王小明"}, at); err != nil {
		t.Fatal(err)
	}
	list := func(f ill.ListFilter) []string {
		t.Helper()
		f.Page, f.PerPage = 1, 20
		rs, total, err := st.ListRequests(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if total != len(rs) {
			t.Fatalf("%+v: total %d for %d rows", f, total, len(rs))
		}
		return requestIDs(rs)
	}
	one := []string{"ILL-1DA0AAAA00000001"}
	for _, c := range []struct {
		name string
		f    ill.ListFilter
		want []string
	}{
		{"id", ill.ListFilter{Caller: "THU", Text: "ILL-1DA0AAAA00000001"}, one},
		{"id lower case", ill.ListFilter{Caller: "THU", Text: "ill-1da0aaaa00000001"}, one},
		{"id prefix", ill.ListFilter{Caller: "THU", Text: "ILL-1DA0"}, one},
		{"client id", ill.ListFilter{Caller: "THU", Text: "c-ILL-1DA0AAAA00000001"}, one},
		{"barcode", ill.ListFilter{Caller: "THU", Text: "PKU-B1"}, one},
		{"isbn", ill.ListFilter{Caller: "THU", Text: isbn}, one},
		{"card", ill.ListFilter{Caller: "THU", Text: "T100"}, one},
		{"reader name", ill.ListFilter{Caller: "THU", Text: "小明"}, one},
		{"title words", ill.ListFilter{Caller: "THU", Text: "信号 系统"}, one},
		{"lender finds by barcode", ill.ListFilter{Caller: "PKU", Text: "PKU-B1"}, one},
		{"lender cannot search the borrower's readers", ill.ListFilter{Caller: "PKU", Text: "T100"}, []string{}},
		{"lender cannot search by reader name", ill.ListFilter{Caller: "PKU", Text: "王小明"}, []string{}},
		{"centre finds by card", ill.ListFilter{Centre: true, Text: "T100"}, one},
		{"another library sees nothing", ill.ListFilter{Caller: "BNU", Text: "ILL-1DA0AAAA00000001"}, []string{}},
		{"lender sees its own", ill.ListFilter{Caller: "PKU", Text: "信号"}, []string{"ILL-3CC0AAAA00000003", "ILL-1DA0AAAA00000001"}},
		{"barcode filter", ill.ListFilter{Caller: "PKU", Barcode: "PKU-B3"}, []string{"ILL-3CC0AAAA00000003"}},
		{"isbn filter", ill.ListFilter{Centre: true, ISBN: isbn}, one},
		{"library filter", ill.ListFilter{Caller: "THU", Library: "RUC"}, []string{"ILL-2BB0AAAA00000002"}},
		{"library and state", ill.ListFilter{Caller: "PKU", Library: "RUC", State: ill.Shipped}, []string{"ILL-3CC0AAAA00000003"}},
		{"library and wrong state", ill.ListFilter{Caller: "PKU", Library: "RUC", State: ill.Requested}, []string{}},
		{"q stays title words", ill.ListFilter{Caller: "THU", Q: "PKU-B1"}, []string{}},
		{"no filter", ill.ListFilter{Caller: "THU"}, []string{"ILL-2BB0AAAA00000002", "ILL-1DA0AAAA00000001"}},
	} {
		if got := list(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// The finished queue sorts the most recent first (Queue.Desc).
func TestQueueRequestsDescending(t *testing.T) {
	_, st := testenv.DB(t, "findqueue")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	findRequest(t, st, "ILL-OLD", "THU", "T1", "PKU", "", "旧", "", ill.Completed, at)
	findRequest(t, st, "ILL-NEW", "THU", "T1", "PKU", "", "新", "", ill.Cancelled, at.Add(time.Hour))
	findRequest(t, st, "ILL-OPEN", "THU", "T1", "PKU", "", "进行中", "", ill.Requested, at.Add(2*time.Hour))
	q := ill.Queue{Key: "finished", Side: ill.RoleBorrower, States: []ill.State{ill.Completed, ill.Cancelled}, Order: "updated_at"}
	for _, desc := range []bool{false, true} {
		q.Desc = desc
		rs, total, err := st.QueueRequests(ctx, q, "THU", 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"ILL-OLD", "ILL-NEW"}
		if desc {
			want = []string{"ILL-NEW", "ILL-OLD"}
		}
		if total != 2 || !slices.Equal(requestIDs(rs), want) {
			t.Fatalf("desc %v: %v (%d), want %v", desc, requestIDs(rs), total, want)
		}
	}
}

// Notes: stored with their relay in one transaction, listed in order;
// unread per library (written by the other library, for it, after its
// read mark), the inbox, and a read mark that never moves back.
func TestNotesUnreadAndRelay(t *testing.T) {
	_, st := testenv.DB(t, "notes")
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	findRequest(t, st, "ILL-N1", "THU", "T1", "PKU", "", "信号与系统", "", ill.Requested, at)
	findRequest(t, st, "ILL-N2", "THU", "T1", "", "", "人工处理", "", ill.NeedsMediation, at)
	add := func(n ill.Note, relay *ill.Message) int64 {
		t.Helper()
		n.CreatedAt = at
		id, err := st.AddNote(ctx, n, relay)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	relay := &ill.Message{ID: "note:test-relay", Type: ill.MsgAction, Actor: "THU", RequestID: "ILL-N1", At: at,
		ISO: &ill.ISOContext{Kind: ill.ISONoteKind, What: "Notification", Note: "请尽快答复"}}
	n1 := add(ill.Note{RequestID: "ILL-N1", Library: "THU", To: "PKU", Author: "thu", Via: ill.NoteViaConsole, Text: "请尽快答复"}, relay)
	add(ill.Note{RequestID: "ILL-N1", Library: "THU", To: "PKU", Via: ill.NoteViaAPI, Text: "读者很急"}, nil)
	n3 := add(ill.Note{RequestID: "ILL-N1", Library: "PKU", To: "THU", Author: "pku", Via: ill.NoteViaConsole, Text: "明天寄出"}, nil)
	add(ill.Note{RequestID: "ILL-N2", Library: ill.CentreCode, To: "", Author: "admin", Via: ill.NoteViaConsole, Text: "请核对题名"}, nil)

	var body []byte
	if err := st.DB.Get(&body, `SELECT body FROM outbox WHERE message_id = ?`, relay.ID); err != nil {
		t.Fatalf("the relay is not in the outbox: %v", err)
	}
	var m ill.Message
	if err := json.Unmarshal(body, &m); err != nil || m.ISO == nil || m.ISO.Kind != ill.ISONoteKind || m.ISO.Note != "请尽快答复" {
		t.Fatalf("relay %s: %v", body, err)
	}
	notes, err := st.RequestNotes(ctx, "ILL-N1")
	if err != nil || len(notes) != 3 || notes[0].ID != n1 || notes[0].Text != "请尽快答复" || notes[0].Author != "thu" ||
		notes[2].Library != "PKU" || notes[2].To != "THU" || !notes[0].CreatedAt.Equal(at) {
		t.Fatalf("notes %+v %v", notes, err)
	}
	unread := func(lib string) map[string]int {
		t.Helper()
		u, err := st.UnreadNotes(ctx, lib, []string{"ILL-N1", "ILL-N2"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if u := unread("PKU"); u["ILL-N1"] != 2 || len(u) != 1 {
		t.Fatalf("PKU unread %v, want 2 on ILL-N1", u)
	}
	if u := unread("THU"); u["ILL-N1"] != 1 || u["ILL-N2"] != 1 {
		t.Fatalf("THU unread %v, want 1 on each (the centre's note is for both parties)", u)
	}
	if u := unread("RUC"); len(u) != 0 {
		t.Fatalf("RUC unread %v", u)
	}
	inbox, total, err := st.NotesInbox(ctx, "THU", 10)
	if err != nil || total != 2 || len(inbox) != 2 || inbox[0].RequestID != "ILL-N2" || inbox[0].Title != "人工处理" {
		t.Fatalf("THU inbox %+v %d %v", inbox, total, err)
	}
	if err := st.MarkNotesRead(ctx, "THU", "ILL-N1", n3); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkNotesRead(ctx, "THU", "ILL-N1", n1); err != nil { // never back
		t.Fatal(err)
	}
	if u := unread("THU"); u["ILL-N1"] != 0 || u["ILL-N2"] != 1 {
		t.Fatalf("THU unread after reading ILL-N1: %v", u)
	}
	if u := unread("PKU"); u["ILL-N1"] != 2 {
		t.Fatalf("THU's reading changed PKU's unread: %v", u)
	}
	if _, total, _ := st.NotesInbox(ctx, "THU", 10); total != 1 {
		t.Fatalf("THU inbox total %d after reading, want 1", total)
	}
}
