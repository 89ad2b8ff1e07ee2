package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
	"github.com/balis/illhub/reports"
)

// now is when every test runs (a Monday, 10:00 in Beijing).
var now = time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return now }

var (
	thu    = ill.Principal{Library: "THU"}
	pku    = ill.Principal{Library: "PKU"}
	ruc    = ill.Principal{Library: "RUC"}
	centre = ill.Principal{Library: ill.CentreCode, Centre: true}
)

type fixture struct {
	st  *memstore.Store
	pub *memstore.Publisher
	svc *app.Service
}

// newFixture is three member libraries and a few of THU's requests to PKU:
//   - REQ-OPEN: REQUESTED, submitted 30 minutes ago (RUC refused it before);
//   - REQ-LATE: REQUESTED, submitted 2 hours ago;
//   - REQ-LOAN: ON_LOAN, shipped as barcode B-100;
//   - REQ-MED: NEEDS_MEDIATION, no lender yet.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, pub := &memstore.Store{}, &memstore.Publisher{}
	for _, code := range []string{"THU", "PKU", "RUC"} {
		st.PutLibrary(ill.Library{Code: code, NameZH: code + "图书馆", Lending: true})
	}
	st.PutRequest(ill.Request{ID: "REQ-OPEN", Borrower: "THU", ClientRequestID: "c-open", PatronID: "R1", Title: "数据库系统概论",
		State: ill.Requested, Lender: "PKU", SubmittedAt: now.Add(-30 * time.Minute),
		Rota: []ill.RotaEntry{{Library: "RUC", Rank: 1, Outcome: ill.OutcomeUnfilled}, {Library: "PKU", Rank: 2, Outcome: ill.OutcomeAsked}}})
	st.PutRequest(ill.Request{ID: "REQ-LATE", Borrower: "THU", ClientRequestID: "c-late", PatronID: "R1", Title: "算法导论",
		State: ill.Requested, Lender: "PKU", SubmittedAt: now.Add(-2 * time.Hour)})
	st.PutRequest(ill.Request{ID: "REQ-LOAN", Borrower: "THU", ClientRequestID: "c-loan", PatronID: "R2", Title: "红楼梦",
		State: ill.OnLoan, Lender: "PKU", ItemBarcode: "B-100", SubmittedAt: now.AddDate(0, 0, -10)})
	st.PutRequest(ill.Request{ID: "REQ-MED", Borrower: "THU", ClientRequestID: "c-med", PatronID: "R3", Title: "无名之书",
		State: ill.NeedsMediation, SubmittedAt: now.Add(-time.Hour)})
	return &fixture{st: st, pub: pub, svc: app.New(app.Config{Store: st, Publisher: pub, Clock: fixedClock{}})}
}

// wantCode fails unless err carries code ("" for no error).
func wantCode(t *testing.T, err error, code ill.Code) {
	t.Helper()
	if got := ill.ErrorCode(err); (err == nil) != (code == "") || (err != nil && got != code) {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

func TestSubmit(t *testing.T) {
	book := func(mut func(*ill.SubmitBody)) ill.SubmitBody {
		b := ill.SubmitBody{ClientRequestID: "c-new", Patron: ill.Patron{ID: "Ｒ１２３", Email: "li@example.cn"}, RecordID: "42"}
		if mut != nil {
			mut(&b)
		}
		return b
	}
	for _, c := range []struct {
		name      string
		p         ill.Principal
		body      ill.SubmitBody
		code      ill.Code
		field     string
		published bool
		duplicate bool
	}{
		{name: "accepted", p: thu, body: book(nil), published: true},
		{name: "centre refused", p: centre, body: book(nil), code: ill.CodeForbidden},
		{name: "no client id", p: thu, body: book(func(b *ill.SubmitBody) { b.ClientRequestID = " " }), code: ill.CodeBadRequest, field: "client_request_id"},
		{name: "bad card", p: thu, body: book(func(b *ill.SubmitBody) { b.Patron.ID = "René 1" }), code: ill.CodeBadRequest, field: "patron.id"},
		{name: "bad email", p: thu, body: book(func(b *ill.SubmitBody) { b.Patron.Email = "not an address" }), code: ill.CodeBadRequest, field: "patron.email"},
		{name: "record and item", p: thu, body: book(func(b *ill.SubmitBody) { b.Item = &ill.Citation{Title: "x"} }), code: ill.CodeBadRequest, field: "record_id"},
		{name: "neither", p: thu, body: book(func(b *ill.SubmitBody) { b.RecordID = "" }), code: ill.CodeBadRequest, field: "record_id"},
		{name: "record id not digits", p: thu, body: book(func(b *ill.SubmitBody) { b.RecordID = "42a" }), code: ill.CodeBadRequest, field: "record_id"},
		{name: "citation without title", p: thu, body: book(func(b *ill.SubmitBody) { b.RecordID, b.Item = "", &ill.Citation{Author: "鲁迅"} }), code: ill.CodeBadRequest, field: "item.title"},
		{name: "year out of range", p: thu, body: book(func(b *ill.SubmitBody) { b.RecordID, b.Item = "", &ill.Citation{Title: "呐喊", Year: 3000} }), code: ill.CodeBadRequest, field: "item.year"},
		{name: "duplicate client id", p: thu, body: book(func(b *ill.SubmitBody) { b.ClientRequestID = "c-open" }), duplicate: true},
		{name: "same client id, other library", p: pku, body: book(func(b *ill.SubmitBody) { b.ClientRequestID = "c-open" }), published: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			res, err := f.svc.Submit(context.Background(), c.p, c.body)
			wantCode(t, err, c.code)
			var e *ill.Error
			if errors.As(err, &e) && e.Field != c.field {
				t.Errorf("field %q, want %q", e.Field, c.field)
			}
			msgs := f.pub.Messages()
			if (len(msgs) == 1) != c.published || len(msgs) > 1 {
				t.Fatalf("published %d messages, want published=%v", len(msgs), c.published)
			}
			if res.Duplicate != c.duplicate || (c.duplicate && (res.RequestID != "REQ-OPEN" || res.State != ill.Requested)) {
				t.Errorf("result %+v, duplicate want %v", res, c.duplicate)
			}
			if !c.published {
				return
			}
			m := msgs[0]
			id := ill.RequestID(c.p.Library, c.body.ClientRequestID)
			if res.RequestID != id || res.State != ill.Submitted || m.ID != ill.SubmitMessageID(id) || m.Type != ill.MsgSubmit ||
				m.Actor != c.p.Library || m.RequestID != id || !m.At.Equal(now) {
				t.Errorf("result %+v, message %+v", res, m)
			}
			var b ill.SubmitBody
			if err := json.Unmarshal(m.Body, &b); err != nil || b.Patron.ID != "R123" {
				t.Errorf("published body %s (%v): the card number must be canonical", m.Body, err)
			}
		})
	}
}

func TestSubmitBrokerDown(t *testing.T) {
	f := newFixture(t)
	f.pub.Fail(ill.Errorf(ill.CodeUnavailable, "broker down"))
	_, err := f.svc.Submit(context.Background(), thu, ill.SubmitBody{ClientRequestID: "x", Patron: ill.Patron{ID: "R1"}, RecordID: "1"})
	wantCode(t, err, ill.CodeUnavailable)
}

func TestAct(t *testing.T) {
	yes := true
	for _, c := range []struct {
		name   string
		p      ill.Principal
		id     string
		action ill.Action
		body   ill.ActionBody
		key    string
		code   ill.Code
		review bool // a barcode_mismatch entry is listed for staff
	}{
		{name: "borrower cancels in the window", p: thu, id: "REQ-OPEN", action: ill.ActCancel, body: ill.ActionBody{By: "reader"}},
		{name: "lender answers", p: pku, id: "REQ-OPEN", action: ill.ActRespond, body: ill.ActionBody{Decision: "will_supply"}},
		{name: "centre cancels for staff", p: centre, id: "REQ-OPEN", action: ill.ActCancel, body: ill.ActionBody{By: "staff"}, code: ill.CodeForbidden},
		{name: "another library", p: ruc, id: "REQ-LATE", action: ill.ActCancel, body: ill.ActionBody{By: "staff"}, code: ill.CodeForbidden},
		{name: "a lender asked before holds no role", p: ruc, id: "REQ-OPEN", action: ill.ActRespond, body: ill.ActionBody{Decision: "will_supply"}, code: ill.CodeForbidden},
		{name: "no such request", p: thu, id: "REQ-NONE", action: ill.ActCancel, body: ill.ActionBody{By: "reader"}, code: ill.CodeNotFound},
		{name: "no such action", p: thu, id: "REQ-OPEN", action: "fly", code: ill.CodeNotFound},
		{name: "system action", p: thu, id: "REQ-OPEN", action: ill.ActRoute, code: ill.CodeNotFound},
		{name: "invalid transition", p: pku, id: "REQ-OPEN", action: ill.ActShip, body: ill.ActionBody{ItemBarcode: "B-1"}, code: ill.CodeInvalidTransition},
		{name: "body refused", p: thu, id: "REQ-OPEN", action: ill.ActCancel, code: ill.CodeBadRequest},
		{name: "renewal", p: thu, id: "REQ-LOAN", action: ill.ActRenew, code: ill.CodeRenewalNotAllowed},
		{name: "cancel window passed", p: thu, id: "REQ-LATE", action: ill.ActCancel, body: ill.ActionBody{By: "reader"}, code: ill.CodeCancelWindow},
		{name: "staff cancel after the window", p: thu, id: "REQ-LATE", action: ill.ActCancel, body: ill.ActionBody{By: "staff"}},
		{name: "return of the item shipped", p: thu, id: "REQ-LOAN", action: ill.ActReturn, body: ill.ActionBody{ItemBarcode: "B-100", Condition: "good"}},
		{name: "return of another item", p: thu, id: "REQ-LOAN", action: ill.ActReturn, body: ill.ActionBody{ItemBarcode: "B-999", Condition: "good"}, code: ill.CodeBarcodeMismatch, review: true},
		{name: "barcode too long", p: thu, id: "REQ-LOAN", action: ill.ActReturn, body: ill.ActionBody{ItemBarcode: strings.Repeat("B", 65), Condition: "good"}, code: ill.CodeBadRequest},
		{name: "mediate with a record", p: thu, id: "REQ-MED", action: ill.ActMediate, body: ill.ActionBody{RecordID: "7"}},
		{name: "mediate with a bad record id", p: thu, id: "REQ-MED", action: ill.ActMediate, body: ill.ActionBody{RecordID: "seven"}, code: ill.CodeBadRequest},
		{name: "cancel response out of turn", p: pku, id: "REQ-OPEN", action: ill.ActCancelResponse, body: ill.ActionBody{Accept: &yes}, code: ill.CodeInvalidTransition},
		{name: "idempotency key", p: thu, id: "REQ-OPEN", action: ill.ActCancel, body: ill.ActionBody{By: "reader"}, key: "k-1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			res, err := f.svc.Act(context.Background(), c.p, c.id, c.action, c.body, c.key, nil)
			wantCode(t, err, c.code)
			msgs := f.pub.Messages()
			if (len(msgs) == 1) != (c.code == "") || len(msgs) > 1 {
				t.Fatalf("published %d messages", len(msgs))
			}
			reviews := f.st.Reviews()
			if (len(reviews) == 1) != c.review {
				t.Fatalf("review list %+v", reviews)
			}
			if c.review {
				r := reviews[0]
				if r.Code != ill.CodeBarcodeMismatch || r.Source != "return" || r.Library != "THU" || r.OtherLibrary != "PKU" ||
					r.RequestID != c.id || r.Barcode != "B-999" || !strings.Contains(err.Error(), "entry 1") {
					t.Errorf("review %+v for %v", r, err)
				}
			}
			if c.code != "" {
				return
			}
			m := msgs[0]
			if m.Type != ill.MsgAction || m.Action != c.action || m.RequestID != c.id || m.Actor != c.p.Library ||
				m.IsCentre != c.p.Centre || res.MessageID != m.ID || res.Action != c.action || !m.At.Equal(now) {
				t.Errorf("result %+v, message %+v", res, m)
			}
			if c.key != "" && m.ID != ill.DerivedMessageID(c.p.Library+"/"+c.id+"/"+string(c.action), c.key) {
				t.Errorf("message id %s is not derived from the idempotency key", m.ID)
			}
		})
	}
}

func TestActCheckRunsBeforeTheTable(t *testing.T) {
	f := newFixture(t)
	refused := ill.Errorf(ill.CodeForbidden, "not your reader")
	var seen *ill.Request
	_, err := f.svc.Act(context.Background(), thu, "REQ-LOAN", ill.ActRenew, ill.ActionBody{}, "", func(r *ill.Request) error {
		seen = r
		return refused
	})
	if err != refused || seen == nil || seen.ID != "REQ-LOAN" {
		t.Fatalf("check saw %v and gave %v", seen, err)
	}
}

func TestRequestVisibility(t *testing.T) {
	for _, c := range []struct {
		name string
		p    ill.Principal
		id   string
		code ill.Code
	}{
		{"borrower", thu, "REQ-OPEN", ""},
		{"current lender", pku, "REQ-OPEN", ""},
		{"a lender asked before", ruc, "REQ-OPEN", ""},
		{"another library", ruc, "REQ-LATE", ill.CodeForbidden},
		{"centre", centre, "REQ-LATE", ""},
		{"missing", thu, "REQ-NONE", ill.CodeNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			r, err := f.svc.Request(context.Background(), c.p, c.id)
			wantCode(t, err, c.code)
			if err == nil && r.ID != c.id {
				t.Errorf("read %s", r.ID)
			}
		})
	}
}

func TestListIsScopedToTheCaller(t *testing.T) {
	f := newFixture(t)
	ids := func(p ill.Principal, f0 ill.ListFilter) []string {
		t.Helper()
		f0.Page, f0.PerPage = 1, 20
		reqs, total, err := f.svc.List(context.Background(), p, f0)
		if err != nil || total != len(reqs) {
			t.Fatalf("list: %v (total %d of %d)", err, total, len(reqs))
		}
		var out []string
		for _, r := range reqs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(ruc, ill.ListFilter{Caller: "THU", Centre: true}); len(got) != 1 || got[0] != "REQ-OPEN" {
		t.Errorf("RUC, claiming to be the centre, lists %v: want only the request it was asked for", got)
	}
	if got := ids(thu, ill.ListFilter{}); len(got) != 4 {
		t.Errorf("THU lists %v", got)
	}
	if got := ids(centre, ill.ListFilter{State: ill.OnLoan}); len(got) != 1 || got[0] != "REQ-LOAN" {
		t.Errorf("centre, ON_LOAN: %v", got)
	}
}

func TestRegisterReader(t *testing.T) {
	for _, c := range []struct {
		name  string
		p     ill.Principal
		body  app.ReaderBody
		code  ill.Code
		field string
	}{
		{"registered", thu, app.ReaderBody{ID: "Ｒ７", Name: "李明", PIN: "2468"}, "", ""},
		{"centre", centre, app.ReaderBody{ID: "R7", PIN: "2468"}, ill.CodeForbidden, ""},
		{"bad card", thu, app.ReaderBody{ID: "R 7", PIN: "2468"}, ill.CodeBadRequest, "id"},
		{"long name", thu, app.ReaderBody{ID: "R7", Name: strings.Repeat("名", 129), PIN: "2468"}, ill.CodeBadRequest, "name"},
		{"short pin", thu, app.ReaderBody{ID: "R7", PIN: "123"}, ill.CodeBadRequest, "pin"},
		{"pin over 72 bytes", thu, app.ReaderBody{ID: "R7", PIN: strings.Repeat("密", 25)}, ill.CodeBadRequest, "pin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			r, err := f.svc.RegisterReader(context.Background(), c.p, c.body)
			wantCode(t, err, c.code)
			var e *ill.Error
			if errors.As(err, &e) && e.Field != c.field {
				t.Errorf("field %q, want %q", e.Field, c.field)
			}
			stored, serr := f.st.Reader(context.Background(), "THU", "R7")
			ok := serr == nil
			if ok != (c.code == "") {
				t.Fatalf("stored %v", ok)
			}
			if ok && (r.ID != "R7" || r.PINHash != "" || !app.CheckPIN(stored.PINHash, "2468") || app.CheckPIN(stored.PINHash, "2469")) {
				t.Errorf("returned %+v, stored %+v", r, stored)
			}
		})
	}
}

func TestScan(t *testing.T) {
	shipments := []ill.Shipment{
		{ID: 1, RequestID: "REQ-A", ItemBarcode: "B-1", From: "PKU", To: "THU", RouteCode: "PKU-THU", Status: ill.ShipAwaitingPickup},
		{ID: 2, RequestID: "REQ-B", ItemBarcode: "B-2", From: "PKU", To: "THU", RouteCode: "PKU-THU", Status: ill.ShipDelivered},
		{ID: 3, RequestID: "REQ-C", ItemBarcode: "B-3", From: "PKU", To: "THU", RouteCode: "PKU-THU", Status: ill.ShipPickedUp},
		{ID: 4, RequestID: "REQ-D", ItemBarcode: "B-3", From: "RUC", To: "THU", RouteCode: "RUC-THU", Status: ill.ShipAwaitingPickup},
	}
	for _, c := range []struct {
		name     string
		body     ill.CourierScanBody
		code     ill.Code
		shipment int64
		review   ill.ReviewItem // Code "" for none
	}{
		{name: "matched", body: ill.CourierScanBody{Barcode: " B-1 ", Event: ill.ScanPickedUp}, shipment: 1},
		{name: "matched at its stop", body: ill.CourierScanBody{Barcode: "B-1", Event: ill.ScanPickedUp, Stop: "pku"}, shipment: 1},
		{name: "unknown barcode", body: ill.CourierScanBody{Barcode: "B-404", Event: ill.ScanPickedUp, Stop: "PKU"}, code: ill.CodeUnknownBarcode,
			review: ill.ReviewItem{Code: ill.CodeUnknownBarcode, Source: "scan", Barcode: "B-404", Library: "PKU"}},
		{name: "already delivered", body: ill.CourierScanBody{Barcode: "B-2", Event: ill.ScanDelivered}, code: ill.CodeConflict},
		{name: "wrong stop", body: ill.CourierScanBody{Barcode: "B-1", Event: ill.ScanDelivered, Stop: "RUC"}, code: ill.CodeBarcodeMismatch,
			review: ill.ReviewItem{Code: ill.CodeBarcodeMismatch, Source: "scan", Barcode: "B-1", RequestID: "REQ-A", Library: "PKU", OtherLibrary: "THU"}},
		{name: "two in transit without a stop", body: ill.CourierScanBody{Barcode: "B-3", Event: ill.ScanPickedUp}, code: ill.CodeConflict},
		{name: "two in transit, the stop decides", body: ill.CourierScanBody{Barcode: "B-3", Event: ill.ScanPickedUp, Stop: "RUC"}, shipment: 4},
		{name: "no barcode", body: ill.CourierScanBody{Event: ill.ScanPickedUp}, code: ill.CodeBadRequest},
		{name: "unknown event", body: ill.CourierScanBody{Barcode: "B-1", Event: "lost"}, code: ill.CodeBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			for _, sh := range shipments {
				f.st.PutShipment(sh)
			}
			res, err := f.svc.Scan(context.Background(), c.body, "")
			wantCode(t, err, c.code)
			reviews := f.st.Reviews()
			if (len(reviews) == 1) != (c.review.Code != "") || len(reviews) > 1 {
				t.Fatalf("review list %+v", reviews)
			}
			if len(reviews) == 1 {
				got := reviews[0]
				want := c.review
				want.ID, want.Detail, want.CreatedAt = got.ID, got.Detail, now.UTC()
				if got != want || !got.CreatedAt.Equal(now) {
					t.Errorf("review %+v, want %+v", got, want)
				}
			}
			msgs := f.pub.Messages()
			if (len(msgs) == 1) != (c.code == "") || len(msgs) > 1 {
				t.Fatalf("published %d", len(msgs))
			}
			if c.code != "" {
				return
			}
			var b ill.CourierScanBody
			_ = json.Unmarshal(msgs[0].Body, &b)
			if res.Shipment.ID != c.shipment || b.ShipmentID != c.shipment || b.Barcode != strings.TrimSpace(c.body.Barcode) ||
				msgs[0].Type != ill.MsgCourierScan || msgs[0].Actor != ill.CourierOwner || msgs[0].RequestID != res.Shipment.RequestID {
				t.Errorf("result %+v, message %+v, body %+v", res, msgs[0], b)
			}
		})
	}
}

func TestReviewScoping(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, it := range []ill.ReviewItem{
		{Code: ill.CodeBarcodeMismatch, Barcode: "B-1", Library: "THU", OtherLibrary: "PKU"},
		{Code: ill.CodeUnknownBarcode, Barcode: "B-2"},
	} {
		if _, err := f.st.AddReview(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		p    ill.Principal
		want int
	}{{thu, 1}, {pku, 1}, {ruc, 0}, {centre, 2}} {
		if items, err := f.svc.ReviewList(ctx, c.p, false); err != nil || len(items) != c.want {
			t.Errorf("%s sees %d entries (%v), want %d", c.p.Library, len(items), err, c.want)
		}
	}
	wantCode(t, f.svc.ResolveReview(ctx, ruc, 1, "seen"), ill.CodeForbidden)
	wantCode(t, f.svc.ResolveReview(ctx, thu, 1, " "), ill.CodeBadRequest)
	wantCode(t, f.svc.ResolveReview(ctx, thu, 9, "seen"), ill.CodeNotFound)
	wantCode(t, f.svc.ResolveReview(ctx, pku, 1, "ours"), "")
	wantCode(t, f.svc.ResolveReview(ctx, thu, 1, "again"), ill.CodeConflict)
	wantCode(t, f.svc.ResolveReview(ctx, centre, 2, "checked"), "")
	items, _ := f.svc.ReviewList(ctx, centre, true)
	if len(items) != 2 || items[0].ResolvedBy != "PKU" || items[1].ResolvedBy != ill.CentreCode || items[1].Resolution != "checked" {
		t.Errorf("resolved: %+v", items)
	}
}

func TestCourierReadsAreScoped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	day := ill.DateOf(now)
	f.st.PutRun(ill.CourierRun{ID: 5, RunDate: day.Start(), Status: ill.RunOpen},
		ill.ManifestItem{ShipmentID: 1, RequestID: "REQ-A", From: "PKU", To: "THU", RouteCode: "PKU-THU", Direction: ill.DirForward},
		ill.ManifestItem{ShipmentID: 2, RequestID: "REQ-B", From: "RUC", To: "PKU", RouteCode: "RUC-PKU", Direction: ill.DirForward})
	f.st.PutViolation(ill.ViolationRow{ID: 1, RequestID: "REQ-LOAN", Kind: "overdue", Lender: "PKU", Borrower: "THU", CreatedAt: now})
	f.st.PutViolation(ill.ViolationRow{ID: 2, RequestID: "REQ-X", Kind: "overdue", Lender: "RUC", Borrower: "PKU", CreatedAt: now})

	runs, err := f.svc.CourierRuns(ctx, thu, day, day)
	if err != nil || len(runs) != 1 || runs[0].Items != 1 {
		t.Errorf("THU's runs: %+v %v", runs, err)
	}
	if runs, _ := f.svc.CourierRuns(ctx, app.Courier, day, day); len(runs) != 1 || runs[0].Items != 2 {
		t.Errorf("the courier's runs: %+v", runs)
	}
	m, err := f.svc.Manifest(ctx, thu, 5)
	if err != nil || len(m.Stops) != 1 || m.Stops[0].Library != "THU" || m.Total != 1 {
		t.Errorf("THU's manifest: %+v %v", m, err)
	}
	if m, _ := f.svc.Manifest(ctx, centre, 5); m.Total != 2 || len(m.Stops) != 3 {
		t.Errorf("the centre's manifest: %+v", m)
	}
	_, err = f.svc.Manifest(ctx, thu, 6)
	wantCode(t, err, ill.CodeNotFound)
	vs, err := f.svc.Violations(ctx, thu, ill.ViolationFilter{Library: "", From: day, To: day})
	if err != nil || len(vs) != 1 || vs[0].ID != 1 {
		t.Errorf("THU's violations (asking for every library's): %+v %v", vs, err)
	}
	if vs, _ := f.svc.Violations(ctx, centre, ill.ViolationFilter{Library: "THU", From: day, To: day}); len(vs) != 2 {
		t.Errorf("the centre's violations: %+v", vs)
	}
}

func TestPullSlipLibrary(t *testing.T) {
	for _, c := range []struct {
		p         ill.Principal
		library   string
		want      string
		code      ill.Code
		wantField string
	}{
		{thu, "", "THU", "", ""},
		{thu, "thu", "THU", "", ""},
		{thu, "PKU", "", ill.CodeForbidden, ""},
		{thu, "P K U", "", ill.CodeBadRequest, "library"},
		{centre, "", "", ill.CodeBadRequest, "library"},
		{centre, "pku", "PKU", "", ""},
	} {
		got, err := app.PullSlipLibrary(c.p, c.library)
		wantCode(t, err, c.code)
		var e *ill.Error
		if got != c.want || (errors.As(err, &e) && e.Field != c.wantField) {
			t.Errorf("PullSlipLibrary(%s, %q) = %q, %v", c.p.Library, c.library, got, err)
		}
	}
}

func TestPullSlipInShelfOrder(t *testing.T) {
	f := newFixture(t)
	f.st.PutRecord(ill.Record{ID: 1, Title: "乙"}, ill.HoldingView{Library: "PKU", LocalID: "L1", CallNumber: "TP311/10"})
	f.st.PutRecord(ill.Record{ID: 2, Title: "甲"}, ill.HoldingView{Library: "PKU", LocalID: "L2", CallNumber: "TP311/9"})
	for i, rec := range []int64{1, 2} {
		f.st.PutRequest(ill.Request{ID: "REQ-W" + string(rune('1'+i)), Borrower: "THU", Lender: "PKU", State: ill.WillSupply, RecordID: rec})
	}
	slip, err := f.svc.PullSlip(context.Background(), pku, "")
	if err != nil || slip.Library != "PKU" || slip.Name != "PKU图书馆" || slip.Date != ill.DateOf(now) || len(slip.Items) != 2 ||
		slip.Items[0].CallNumber != "TP311/9" || slip.Items[1].CallNumber != "TP311/10" {
		t.Errorf("slip %+v %v", slip, err)
	}
	_, err = f.svc.PullSlip(context.Background(), centre, "NONE")
	wantCode(t, err, ill.CodeNotFound)
}

func TestConflictsScope(t *testing.T) {
	f := newFixture(t)
	f.st.PutConflict(ill.Conflict{ID: 1, Library: "THU", Kind: ill.ConflictAmbiguousKey})
	f.st.PutConflict(ill.Conflict{ID: 2, Library: "PKU", Kind: ill.ConflictInvalidISBN})
	for _, c := range []struct {
		p       ill.Principal
		library string
		want    int
		code    ill.Code
	}{{thu, "PKU", 1, ""}, {centre, "", 2, ""}, {centre, "pku", 1, ""}, {centre, "P K U", 0, ill.CodeBadRequest}} {
		cs, total, err := f.svc.Conflicts(context.Background(), c.p, c.library, 1, 20)
		wantCode(t, err, c.code)
		if total != c.want || len(cs) != c.want || (c.p == thu && cs[0].Library != "THU") {
			t.Errorf("%s ?library=%s: %+v (%d)", c.p.Library, c.library, cs, total)
		}
	}
}

func TestImportHoldings(t *testing.T) {
	row := ill.Holding{LocalID: "L1", Title: "呐喊"}
	for _, c := range []struct {
		name  string
		p     ill.Principal
		batch ill.HoldingsBatch
		code  ill.Code
		field string
	}{
		{"accepted", thu, ill.HoldingsBatch{Upserts: []ill.Holding{row}, Deletes: []string{"L0"}}, "", ""},
		{"centre", centre, ill.HoldingsBatch{Upserts: []ill.Holding{row}}, ill.CodeForbidden, ""},
		{"empty", thu, ill.HoldingsBatch{}, ill.CodeBadRequest, "upserts"},
		{"too many", thu, ill.HoldingsBatch{Deletes: make([]string, ill.MaxHoldingsBatch+1)}, ill.CodeBadRequest, "upserts"},
		{"no local id", thu, ill.HoldingsBatch{Upserts: []ill.Holding{row, {Title: "x"}}}, ill.CodeBadRequest, "upserts[1].local_id"},
		{"no title", thu, ill.HoldingsBatch{Upserts: []ill.Holding{{LocalID: "L2"}}}, ill.CodeBadRequest, "upserts[0].title"},
		{"long local id", thu, ill.HoldingsBatch{Upserts: []ill.Holding{{LocalID: strings.Repeat("9", 65), Title: "x"}}}, ill.CodeBadRequest, "upserts[0].local_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			id, err := f.svc.ImportHoldings(context.Background(), c.p, c.batch, "batch-1")
			wantCode(t, err, c.code)
			var e *ill.Error
			if errors.As(err, &e) && e.Field != c.field {
				t.Errorf("field %q, want %q", e.Field, c.field)
			}
			msgs := f.pub.Messages()
			if c.code == "" && (len(msgs) != 1 || msgs[0].ID != id || id != ill.DerivedMessageID("THU/holdings", "batch-1") ||
				msgs[0].Type != ill.MsgHoldings || msgs[0].Actor != "THU") {
				t.Errorf("batch %s, messages %+v", id, msgs)
			}
		})
	}
}

// reporter records the query it was asked to build.
type reporter struct{ q reports.Query }

func (r *reporter) Build(_ context.Context, q reports.Query) (*reports.Report, error) {
	r.q = q
	return &reports.Report{Name: q.Name, From: q.From, To: q.To, Library: q.Library}, nil
}

func TestReportScope(t *testing.T) {
	get := func(v map[string]string) func(string) string { return func(k string) string { return v[k] } }
	for _, c := range []struct {
		p       ill.Principal
		query   map[string]string
		library string
		from    ill.Date
		code    ill.Code
	}{
		{thu, nil, "THU", ill.Date{Year: 2026, Month: 3, Day: 1}, ""},
		{thu, map[string]string{"library": "thu", "from": "2026-01-05"}, "THU", ill.Date{Year: 2026, Month: 1, Day: 5}, ""},
		{thu, map[string]string{"library": "PKU"}, "", ill.Date{}, ill.CodeForbidden},
		{thu, map[string]string{"to": "March"}, "", ill.Date{}, ill.CodeBadRequest},
		{centre, nil, "", ill.Date{Year: 2026, Month: 3, Day: 1}, ""},
		{centre, map[string]string{"library": "pku"}, "PKU", ill.Date{Year: 2026, Month: 3, Day: 1}, ""},
		{centre, map[string]string{"library": "<b>"}, "", ill.Date{}, ill.CodeBadRequest},
	} {
		rep := &reporter{}
		svc := app.New(app.Config{Store: &memstore.Store{}, Publisher: &memstore.Publisher{}, Clock: fixedClock{}, Reports: rep})
		r, err := svc.Report(context.Background(), c.p, "summary", get(c.query))
		wantCode(t, err, c.code)
		if err == nil && (rep.q.Library != c.library || rep.q.From != c.from || rep.q.To != ill.DateOf(now) || r.Name != "summary") {
			t.Errorf("%s %v: built %+v", c.p.Library, c.query, rep.q)
		}
	}
	// Without Config.Reports the use case is a configuration error, not
	// a client's.
	_, err := newFixture(t).svc.Report(context.Background(), thu, "summary", get(nil))
	if err == nil || ill.ErrorCode(err) != ill.CodeInternal {
		t.Errorf("no Reports configured: %v", err)
	}
}

func TestISOLookups(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	isbn, _ := ill.NormalizeISBN("7-04-040664-0")
	f.st.PutRecord(ill.Record{ID: 8, ISBN13: isbn, Title: "数据库系统概论"}, ill.HoldingView{Library: "PKU", LocalID: "pku-8"})
	f.st.PutRecord(ill.Record{ID: 9, Title: "呐喊", Author: "鲁迅"})
	if r, err := f.svc.RequestByClientID(ctx, "THU", "c-open"); err != nil || r == nil || r.ID != "REQ-OPEN" || len(r.Rota) != 2 {
		t.Errorf("THU's c-open: %+v %v", r, err)
	}
	if r, err := f.svc.RequestByClientID(ctx, "PKU", "c-open"); err != nil || r != nil {
		t.Errorf("PKU never sent c-open: %+v %v", r, err)
	}
	for _, c := range []struct {
		lender, local string
		cit           ill.Citation
		want          int64
	}{
		{"PKU", "pku-8", ill.Citation{}, 8},
		{"PKU", "pku-0", ill.Citation{ISBN: "978-7-04-040664-1"}, 8},
		{"", "pku-8", ill.Citation{Title: "呐喊", Author: "鲁迅"}, 9},
		{"", "", ill.Citation{Title: "彷徨"}, 0},
	} {
		if got, err := f.svc.MatchRecord(ctx, c.lender, c.local, c.cit); err != nil || got != c.want {
			t.Errorf("MatchRecord(%s, %s, %+v) = %d, %v; want %d", c.lender, c.local, c.cit, got, err, c.want)
		}
	}
	at := now.Add(time.Minute)
	if err := f.svc.ActISO(ctx, "PKU", "REQ-OPEN", ill.ActRespond, ill.ActionBody{Decision: "will_supply"}, at, "sam/x/1",
		&ill.ISOContext{Kind: "supplyingAgencyMessage"}); err != nil {
		t.Fatal(err)
	}
	m := f.pub.Messages()[0]
	if m.ID != ill.DerivedMessageID("iso/PKU/REQ-OPEN", "sam/x/1") || m.Actor != "PKU" || m.ISO == nil || !m.At.Equal(at) {
		t.Errorf("ISO action message %+v", m)
	}
}
