package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

func TestDeskReaderAndDeposit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.PutReader(ctx, ill.Reader{Library: "THU", ID: "R1", Name: "李四", PINHash: "h"}, now); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.DeskReader(ctx, thu, " r1 ")
	if err != nil || !d.Known || !d.HasPIN || d.Reader.PINHash != "" || d.Reader.Name != "李四" || d.Active != 2 || d.AtLimit() {
		t.Fatalf("DeskReader R1: %+v %v", d, err)
	}
	// A card the library never registered is no error.
	if d, err := f.svc.DeskReader(ctx, thu, "NEW1"); err != nil || d.Known || d.Reader.ID != "NEW1" || d.Active != 0 {
		t.Fatalf("DeskReader NEW1: %+v %v", d, err)
	}
	_, err = f.svc.DeskReader(ctx, centre, "R1")
	wantCode(t, err, ill.CodeForbidden)
	_, err = f.svc.DeskReader(ctx, thu, "a b")
	wantCode(t, err, ill.CodeBadRequest)

	changed, err := f.svc.SetReaderDeposit(ctx, thu, "wang", "R1", true)
	if err != nil || !changed {
		t.Fatalf("SetReaderDeposit: %v %v", changed, err)
	}
	if changed, err := f.svc.SetReaderDeposit(ctx, thu, "wang", "R1", true); err != nil || changed {
		t.Fatalf("SetReaderDeposit again: %v %v", changed, err)
	}
	d, _ = f.svc.DeskReader(ctx, thu, "R1")
	if !d.Reader.DepositPaid || len(d.Changes) != 1 || d.Changes[0].By != "wang" || !d.Changes[0].Paid || !d.Changes[0].At.Equal(now) {
		t.Fatalf("after the change: %+v", d)
	}
	// Another library's staff cannot touch THU's reader: they address
	// their own library's card, which does not exist.
	_, err = f.svc.SetReaderDeposit(ctx, pku, "x", "R1", false)
	wantCode(t, err, ill.CodeNotFound)
	_, err = f.svc.SetReaderDeposit(ctx, centre, "admin", "R1", false)
	wantCode(t, err, ill.CodeForbidden)
	_, err = f.svc.SetReaderDeposit(ctx, thu, "", "R1", false)
	wantCode(t, err, ill.CodeBadRequest)
}

func TestDeskSubmit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.PutReader(ctx, ill.Reader{Library: "THU", ID: "R1", Name: "李四", Email: "li@example.cn", DepositPaid: true}, now); err != nil {
		t.Fatal(err)
	}
	body := func() ill.SubmitBody {
		msgs := f.pub.Messages()
		var b ill.SubmitBody
		if err := json.Unmarshal(msgs[len(msgs)-1].Body, &b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A registered reader is vouched for as registered: the stored
	// deposit, whatever the form says.
	res, err := f.svc.DeskSubmit(ctx, thu, app.DeskSubmitBody{Card: "r1", RecordID: "42", Token: "t1"})
	if err != nil || res.State != ill.Submitted {
		t.Fatalf("DeskSubmit: %+v %v", res, err)
	}
	b := body()
	if b.Patron != (ill.Patron{ID: "R1", Name: "李四", Email: "li@example.cn", DepositPaid: true}) || b.RecordID != "42" ||
		b.ClientRequestID != "desk-R1-t1" {
		t.Fatalf("published %+v", b)
	}
	if m := f.pub.Messages(); m[len(m)-1].Actor != "THU" || m[len(m)-1].RequestID != ill.RequestID("THU", "desk-R1-t1") {
		t.Fatalf("message %+v", m[len(m)-1])
	}
	// A new card registers with what the desk typed; a manual citation.
	if _, err := f.svc.DeskSubmit(ctx, thu, app.DeskSubmitBody{Card: "N9", Name: "王五", Email: "w@example.cn", DepositPaid: true,
		Item: &ill.Citation{Title: "某书"}, Token: "t2"}); err != nil {
		t.Fatal(err)
	}
	if b := body(); b.Patron != (ill.Patron{ID: "N9", Name: "王五", Email: "w@example.cn", DepositPaid: true}) || b.Item == nil || b.Item.Title != "某书" {
		t.Fatalf("new reader published %+v", b)
	}
	n := len(f.pub.Messages())
	for _, c := range []struct {
		name string
		p    ill.Principal
		b    app.DeskSubmitBody
		code ill.Code
	}{
		{"centre", centre, app.DeskSubmitBody{Card: "R1", RecordID: "42", Token: "t"}, ill.CodeForbidden},
		{"no token", thu, app.DeskSubmitBody{Card: "R1", RecordID: "42"}, ill.CodeBadRequest},
		{"bad card", thu, app.DeskSubmitBody{Card: "R 1", RecordID: "42", Token: "t"}, ill.CodeBadRequest},
		{"no item", thu, app.DeskSubmitBody{Card: "R1", Token: "t"}, ill.CodeBadRequest},
		{"bad e-mail", thu, app.DeskSubmitBody{Card: "N8", Email: "not an address", RecordID: "42", Token: "t"}, ill.CodeBadRequest},
	} {
		_, err := f.svc.DeskSubmit(ctx, c.p, c.b)
		if ill.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if len(f.pub.Messages()) != n {
		t.Fatal("a refused desk submit published")
	}
}

func TestScanAtDesk(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// An old, completed loan of the same item and a live one in SHIPPED.
	f.st.PutRequest(ill.Request{ID: "REQ-OLD", Borrower: "THU", PatronID: "R9", Title: "红楼梦", State: ill.Completed,
		Lender: "PKU", ItemBarcode: "B-200", SubmittedAt: now.AddDate(0, -3, 0), UpdatedAt: now.AddDate(0, -2, 0)})
	f.st.PutRequest(ill.Request{ID: "REQ-SHIP", Borrower: "THU", PatronID: "R8", Title: "红楼梦", State: ill.Shipped,
		Lender: "PKU", ItemBarcode: "B-200", SubmittedAt: now.AddDate(0, 0, -3), UpdatedAt: now.Add(-time.Hour)})
	for _, c := range []struct {
		name    string
		p       ill.Principal
		barcode string
		want    []ill.Action // per live hit
		done    int
	}{
		{"borrower receives (scanner's CR/LF and spaces ignored)", thu, "  B-200\r\n", []ill.Action{ill.ActReceive}, 0},
		{"lender has nothing to do while it travels", pku, "B-200", []ill.Action{""}, 0},
		{"a stranger finds nothing", ruc, "B-200", nil, 0},
		{"the centre sees it", centre, "B-200", []ill.Action{""}, 0},
		{"on loan: the borrower takes the return", thu, "B-100", []ill.Action{ill.ActReturn}, 0},
		{"unknown barcode", thu, "NOPE", nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := f.svc.ScanAtDesk(ctx, c.p, c.barcode)
			if err != nil || len(s.Live) != len(c.want) || len(s.Done) != c.done {
				t.Fatalf("%+v %v", s, err)
			}
			for i, a := range c.want {
				if s.Live[i].Next != a {
					t.Fatalf("hit %d (%s): next %q, want %q", i, s.Live[i].Req.ID, s.Live[i].Next, a)
				}
			}
		})
	}
	// Only the old request left: listed as done.
	f.st.PutRequest(ill.Request{ID: "REQ-SHIP", Borrower: "THU", PatronID: "R8", Title: "红楼梦", State: ill.Completed,
		Lender: "PKU", ItemBarcode: "B-200", SubmittedAt: now.AddDate(0, 0, -3), UpdatedAt: now})
	if s, err := f.svc.ScanAtDesk(ctx, thu, "B-200"); err != nil || len(s.Live) != 0 || len(s.Done) != 2 || s.Done[0].ID != "REQ-SHIP" {
		t.Fatalf("only finished requests: %+v %v", s, err)
	}
	_, err := f.svc.ScanAtDesk(ctx, thu, " \r\n")
	wantCode(t, err, ill.CodeBadRequest)

	// The one click: a return names the scanned item and its condition.
	if _, err := f.svc.ActAtDesk(ctx, thu, "REQ-LOAN", ill.ActReturn, "B-100\r", false, "k1"); err != nil {
		t.Fatal(err)
	}
	m := f.pub.Messages()
	var b ill.ActionBody
	_ = json.Unmarshal(m[len(m)-1].Body, &b)
	if m[len(m)-1].Action != ill.ActReturn || b.ItemBarcode != "B-100" || b.Condition != "good" {
		t.Fatalf("return published %+v %+v", m[len(m)-1], b)
	}
	// Another item's barcode is refused and listed for review.
	_, err = f.svc.ActAtDesk(ctx, thu, "REQ-LOAN", ill.ActReturn, "B-999", true, "k2")
	wantCode(t, err, ill.CodeBarcodeMismatch)
	_, err = f.svc.ActAtDesk(ctx, thu, "REQ-LOAN", ill.ActRecall, "B-100", false, "k3")
	wantCode(t, err, ill.CodeBadRequest)
	_, err = f.svc.ActAtDesk(ctx, pku, "REQ-LOAN", ill.ActReturn, "B-100", false, "k4")
	wantCode(t, err, ill.CodeForbidden)
}

func TestNoticesForStaffAndReaders(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := now.Add(-time.Hour)
	f.st.PutNotice(ill.StoredNotice{RequestID: "REQ-OPEN", Kind: ill.NoticeNewRequest, Library: "PKU", Status: ill.NoticeSent, CreatedAt: at})
	f.st.PutNotice(ill.StoredNotice{RequestID: "REQ-OPEN", Kind: ill.NoticeArrived, Library: "THU", PatronID: "R1",
		Recipient: "r1@example.cn", Status: ill.NoticeNotConfigured, CreatedAt: at.Add(time.Minute)})
	f.st.PutNotice(ill.StoredNotice{RequestID: "REQ-OPEN", Kind: ill.NoticeUnfilled, Library: "THU", Status: ill.NoticeSent, CreatedAt: at.Add(2 * time.Minute)})
	f.st.PutNotice(ill.StoredNotice{RequestID: "REQ-LOAN", Kind: ill.NoticeCourtesy, Library: "THU", PatronID: "R2", CreatedAt: at})
	kinds := func(ns []ill.StoredNotice) (out []string) {
		for _, n := range ns {
			out = append(out, n.Kind)
		}
		return out
	}
	for _, c := range []struct {
		name   string
		p      ill.Principal
		reader string
		want   int
		code   ill.Code
	}{
		{"centre sees all", centre, "", 3, ""},
		{"borrower sees its own and its reader's", thu, "", 2, ""},
		{"lender sees its own", pku, "", 1, ""},
		{"a lender asked before sees none of the others'", ruc, "", 0, ""},
		{"a stranger is refused", ill.Principal{Library: "BNU"}, "", 0, ill.CodeForbidden},
		{"the reader sees theirs", thu, "r1", 1, ""},
		{"another reader is refused", thu, "R2", 0, ill.CodeForbidden},
	} {
		ns, err := f.svc.RequestNotices(ctx, c.p, "REQ-OPEN", c.reader)
		if ill.ErrorCode(err) != c.code || len(ns) != c.want {
			t.Errorf("%s: %v %v", c.name, kinds(ns), err)
		}
	}
	ns, total, err := f.svc.ReaderNotices(ctx, thu, "R1", 1, 10)
	if err != nil || total != 1 || len(ns) != 1 || ns[0].Kind != ill.NoticeArrived {
		t.Fatalf("R1's notices: %v %d %v", kinds(ns), total, err)
	}
	if ns, total, _ := f.svc.ReaderNotices(ctx, pku, "R1", 1, 10); total != 0 || len(ns) != 0 {
		t.Fatalf("PKU's R1 sees THU's R1's notices: %v", kinds(ns))
	}
	_, _, err = f.svc.ReaderNotices(ctx, centre, "R1", 1, 10)
	wantCode(t, err, ill.CodeForbidden)
}
