package app_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// Notes: the two parties and the centre write; the text is trimmed and
// bounded; each note is for the other party and read by it; a library
// that only saw the request in the rota reads none and writes none;
// opening clears the unread count; a note for an ISO 18626 member is
// relayed through the outbox, one for a JSON member is not.
func TestNotes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n, err := f.svc.AddNote(ctx, thu, "REQ-OPEN", "thu", ill.NoteViaConsole, "  请尽快答复  ")
	wantCode(t, err, "")
	if n.Text != "请尽快答复" || n.To != "PKU" || n.Library != "THU" || n.ID == 0 || !n.CreatedAt.Equal(now) {
		t.Fatalf("note %+v", n)
	}
	_, err = f.svc.AddNote(ctx, pku, "REQ-OPEN", "pku", ill.NoteViaConsole, "明天寄出")
	wantCode(t, err, "")
	_, err = f.svc.AddNote(ctx, thu, "REQ-OPEN", "thu", ill.NoteViaConsole, "   ")
	wantCode(t, err, ill.CodeBadRequest)
	_, err = f.svc.AddNote(ctx, thu, "REQ-OPEN", "thu", ill.NoteViaConsole, strings.Repeat("书", ill.MaxNoteRunes+1))
	wantCode(t, err, ill.CodeBadRequest)
	_, err = f.svc.AddNote(ctx, thu, "REQ-OPEN", "thu", ill.NoteViaConsole, strings.Repeat("书", ill.MaxNoteRunes))
	wantCode(t, err, "")
	_, err = f.svc.AddNote(ctx, ruc, "REQ-OPEN", "ruc", ill.NoteViaConsole, "我也想说")
	wantCode(t, err, ill.CodeForbidden) // RUC refused it: it sees the request, but is no party now
	_, err = f.svc.AddNote(ctx, ruc, "REQ-LATE", "ruc", ill.NoteViaConsole, "?")
	wantCode(t, err, ill.CodeForbidden)
	_, err = f.svc.AddNote(ctx, thu, "REQ-NONE", "thu", ill.NoteViaConsole, "?")
	wantCode(t, err, ill.CodeNotFound)
	_, err = f.svc.AddNote(ctx, centre, "REQ-MED", "admin", ill.NoteViaConsole, "请核对题名")
	wantCode(t, err, "")

	if notes, err := f.svc.Notes(ctx, ruc, "REQ-OPEN"); err != nil || len(notes) != 0 {
		t.Fatalf("RUC reads %v %v", notes, err)
	}
	if notes, err := f.svc.Notes(ctx, centre, "REQ-OPEN"); err != nil || len(notes) != 3 {
		t.Fatalf("centre reads %d notes %v", len(notes), err)
	}
	reqs := []*ill.Request{{ID: "REQ-OPEN"}, {ID: "REQ-MED"}}
	u, err := f.svc.UnreadNotes(ctx, pku, reqs)
	if err != nil || u["REQ-OPEN"] != 2 {
		t.Fatalf("PKU unread %v %v", u, err)
	}
	u, _ = f.svc.UnreadNotes(ctx, thu, reqs)
	if u["REQ-OPEN"] != 1 || u["REQ-MED"] != 1 {
		t.Fatalf("THU unread %v", u)
	}
	if u, _ := f.svc.UnreadNotes(ctx, centre, reqs); len(u) != 0 {
		t.Fatalf("centre unread %v", u)
	}
	req, err := f.svc.Request(ctx, pku, "REQ-OPEN")
	wantCode(t, err, "")
	if notes, err := f.svc.OpenNotes(ctx, pku, req); err != nil || len(notes) != 3 {
		t.Fatalf("PKU opens: %d %v", len(notes), err)
	}
	if u, _ := f.svc.UnreadNotes(ctx, pku, reqs); len(u) != 0 {
		t.Fatalf("PKU unread after opening %v", u)
	}
	if u, _ := f.svc.UnreadNotes(ctx, thu, reqs); u["REQ-OPEN"] != 1 {
		t.Fatalf("PKU's opening changed THU's unread: %v", u)
	}
	if _, total, err := f.svc.NotesInbox(ctx, thu, 10); err != nil || total != 2 {
		t.Fatalf("THU inbox total %d %v", total, err)
	}
	if len(f.st.NoteRelays()) != 0 {
		t.Fatalf("relays for JSON members: %+v", f.st.NoteRelays())
	}
	if len(f.pub.Messages()) != 0 {
		t.Fatalf("a note published %d messages: notes go through the store", len(f.pub.Messages()))
	}

	// PKU's own system speaks ISO 18626: THU's note is relayed to it.
	f.st.PutLibrary(ill.Library{Code: "PKU", NameZH: "PKU图书馆", Lending: true, ISOSymbol: "PKU", ISOEndpoint: "http://pku.example/iso"})
	_, err = f.svc.AddNote(ctx, thu, "REQ-OPEN", "thu", ill.NoteViaConsole, "ISO 也要收到")
	wantCode(t, err, "")
	relays := f.st.NoteRelays()
	if len(relays) != 1 {
		t.Fatalf("relays %+v", relays)
	}
	m := relays[0]
	if m.Type != ill.MsgAction || m.Action != "" || !m.Informs() || m.Actor != "THU" || m.RequestID != "REQ-OPEN" ||
		m.ISO.Kind != ill.ISONoteKind || m.ISO.Note != "ISO 也要收到" || !strings.HasPrefix(m.ID, "note:") {
		t.Fatalf("relay %+v %+v", m, m.ISO)
	}
}

// The console's search: text finds by id, barcode, card and title; the
// same parameters as the API's; Direct names a request found by its full
// id or barcode; another library finds nothing; the centre finds it.
func TestFind(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	find := func(p ill.Principal, q url.Values) app.FindResult {
		t.Helper()
		lf, err := app.ListFilterFrom(q)
		if err != nil {
			t.Fatal(err)
		}
		lf.Page, lf.PerPage = 1, 20
		res, err := f.svc.Find(ctx, p, lf)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ids := func(res app.FindResult) []string {
		var out []string
		for _, r := range res.Requests {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		name   string
		p      ill.Principal
		q      url.Values
		want   []string
		direct string
	}{
		{"id", thu, url.Values{"text": {"req-open"}}, []string{"REQ-OPEN"}, "REQ-OPEN"},
		{"barcode", thu, url.Values{"text": {"B-100"}}, []string{"REQ-LOAN"}, "REQ-LOAN"},
		{"card", thu, url.Values{"text": {"R2"}}, []string{"REQ-LOAN"}, ""},
		{"card of another library's reader", pku, url.Values{"text": {"R2"}}, nil, ""},
		{"title", thu, url.Values{"text": {"算法"}}, []string{"REQ-LATE"}, ""},
		{"another library", ruc, url.Values{"text": {"REQ-LATE"}}, nil, ""},
		{"centre", centre, url.Values{"text": {"REQ-LATE"}}, []string{"REQ-LATE"}, "REQ-LATE"},
		{"state and library", thu, url.Values{"state": {"requested"}, "library": {"pku"}}, []string{"REQ-OPEN", "REQ-LATE"}, ""},
		{"barcode filter", thu, url.Values{"barcode": {"B-100"}}, []string{"REQ-LOAN"}, ""},
	} {
		res := find(c.p, c.q)
		if got := ids(res); !slices.Equal(got, c.want) || res.Direct != c.direct {
			t.Errorf("%s: %v direct %q, want %v direct %q", c.name, got, res.Direct, c.want, c.direct)
		}
	}
	for _, bad := range []url.Values{{"state": {"NOPE"}}, {"from": {"2026-13-01"}}, {"text": {strings.Repeat("x", 201)}}} {
		if _, err := app.ListFilterFrom(bad); ill.ErrorCode(err) != ill.CodeBadRequest {
			t.Errorf("%v: %v, want bad_request", bad, err)
		}
	}
}

// A batch action: one Act per request, each with its own message id
// derived from the batch token (a repeated batch publishes the same
// ids), refusals reported per request.
func TestActBatch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	items := []app.BatchItem{{RequestID: "REQ-OPEN", Body: ill.ActionBody{Decision: "will_supply"}},
		{RequestID: "REQ-LATE", Body: ill.ActionBody{Decision: "will_supply"}},
		{RequestID: "REQ-LOAN", Body: ill.ActionBody{Decision: "will_supply"}},
		{RequestID: "REQ-OPEN", Body: ill.ActionBody{Decision: "will_supply"}}} // twice: once
	res, err := f.svc.ActBatch(ctx, pku, ill.ActRespond, items, "tok-1")
	wantCode(t, err, "")
	if len(res) != 3 || res[0].Err != nil || res[1].Err != nil || ill.ErrorCode(res[2].Err) != ill.CodeInvalidTransition {
		t.Fatalf("results %+v", res)
	}
	if res[0].Result.MessageID == res[1].Result.MessageID {
		t.Fatal("two requests share a message id")
	}
	again, _ := f.svc.ActBatch(ctx, pku, ill.ActRespond, items, "tok-1")
	if again[0].Result.MessageID != res[0].Result.MessageID {
		t.Fatal("a repeated batch got new message ids")
	}
	if len(f.pub.Messages()) != 4 {
		t.Fatalf("published %d, want 4 (2 per batch)", len(f.pub.Messages()))
	}
	_, err = f.svc.ActBatch(ctx, pku, ill.ActRespond, nil, "tok")
	wantCode(t, err, ill.CodeBadRequest)
	res, _ = f.svc.ActBatch(ctx, thu, ill.ActRespond, items[:1], "tok-2")
	if ill.ErrorCode(res[0].Err) != ill.CodeForbidden {
		t.Fatalf("the borrower accepting: %v", res[0].Err)
	}
}
