package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

func TestMediationAids(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.st.PutRecord(ill.Record{ID: 7, Title: "无名之书（修订版）", Author: "佚名", Language: "chi", Material: "book"},
		ill.HoldingView{Library: "PKU", LocalID: "p7", Copies: 1, Available: 1, Lendable: true})
	f.st.PutRecord(ill.Record{ID: 8, Title: "无名之书", Author: "佚名", Language: "eng", Material: "book"},
		ill.HoldingView{Library: "RUC", LocalID: "r8", Copies: 1, Available: 1, Lendable: true})
	f.st.PutRecord(ill.Record{ID: 9, Title: "红楼梦", Author: "曹雪芹", Language: "chi", Material: "book"},
		ill.HoldingView{Library: "PKU", LocalID: "p9", Copies: 1, Available: 1, Lendable: true})

	wantCode(t, f.svc.SetOPACTemplate(ctx, thu, ill.OPACMember, "PKU", "https://opac.pku.edu.cn/s?q={title}", "x"), ill.CodeForbidden)
	wantCode(t, f.svc.SetOPACTemplate(ctx, centre, ill.OPACMember, "pku", "https://opac.pku.edu.cn/s?q={title}&a={author}", "admin"), "")

	req, err := f.svc.Request(ctx, thu, "REQ-MED")
	if err != nil {
		t.Fatal(err)
	}
	aids, err := f.svc.MediationAids(ctx, thu, req)
	if err != nil || aids == nil {
		t.Fatalf("aids %v, %v", aids, err)
	}
	links := map[string]string{}
	for _, l := range aids.Links {
		links[l.Key] = l.URL
	}
	for _, k := range []string{"calis", "nlc", "shl", "PKU"} {
		if !strings.Contains(links[k], url.QueryEscape("无名之书")) {
			t.Errorf("link %s = %q lacks the encoded title", k, links[k])
		}
	}
	if len(links) != 4 {
		t.Errorf("links %v: want the 3 tools and PKU's OPAC", links)
	}
	got := map[int64]ill.ScopeCheck{}
	for _, m := range aids.Matches {
		got[m.ID] = m.Scope
	}
	if _, ok := got[7]; !ok || got[7].Refused() {
		t.Errorf("fuzzy matches %v: want record 7 (a longer title) in scope", got)
	}
	if got[8].Reason != ill.ReasonNotEligible {
		t.Errorf("record 8 (English) scope %+v, want not_eligible", got[8])
	}
	if _, ok := got[9]; ok {
		t.Errorf("unrelated record 9 matched: %v", got)
	}

	// The centre replaces a tool's template; an empty one restores it.
	wantCode(t, f.svc.SetOPACTemplate(ctx, centre, ill.OPACTool, "nlc", "http://opac.nlc.cn/F?func=find-b&find_code=WTI&request={title}", "admin"), "")
	aids, _ = f.svc.MediationAids(ctx, centre, req)
	if !strings.Contains(aids.Links[1].URL, "find_code=WTI") {
		t.Errorf("NLC link %q ignores the centre's template", aids.Links[1].URL)
	}
	wantCode(t, f.svc.SetOPACTemplate(ctx, centre, ill.OPACTool, "nlc", "", "admin"), "")
	aids, _ = f.svc.MediationAids(ctx, centre, req)
	if !strings.Contains(aids.Links[1].URL, "find_code=WRD") {
		t.Errorf("NLC link %q: default not restored", aids.Links[1].URL)
	}

	// Only the borrower and the centre mediate; only NEEDS_MEDIATION.
	if a, err := f.svc.MediationAids(ctx, pku, req); a != nil || err != nil {
		t.Errorf("PKU got aids %v, %v", a, err)
	}
	open, _ := f.svc.Request(ctx, thu, "REQ-OPEN")
	if a, err := f.svc.MediationAids(ctx, thu, open); a != nil || err != nil {
		t.Errorf("REQUESTED request got aids %v, %v", a, err)
	}
}

func TestSetOPACTemplateRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		kind, code, url string
		field           string
		code2           ill.Code
	}{
		{ill.OPACTool, "calis", "javascript:alert(1)", "url", ill.CodeBadRequest},
		{ill.OPACTool, "calis", "https://{title}.example/", "url", ill.CodeBadRequest},
		{ill.OPACTool, "calis", "https://opac.example/?q={publisher}", "url", ill.CodeBadRequest},
		{ill.OPACTool, "worldcat", "https://opac.example/?q={title}", "code", ill.CodeBadRequest},
		{"other", "THU", "https://opac.example/?q={title}", "kind", ill.CodeBadRequest},
		{ill.OPACMember, "NOPE", "https://opac.example/?q={title}", "", ill.CodeNotFound},
	} {
		err := f.svc.SetOPACTemplate(ctx, centre, c.kind, c.code, c.url, "admin")
		wantCode(t, err, c.code2)
		if e, ok := err.(*ill.Error); ok && c.field != "" && e.Field != c.field {
			t.Errorf("%s/%s %q: field %q, want %q", c.kind, c.code, c.url, e.Field, c.field)
		}
	}
	if _, err := f.svc.OPACTemplates(ctx, thu); ill.ErrorCode(err) != ill.CodeForbidden {
		t.Fatalf("a member listed the templates: %v", err)
	}
	list, err := f.svc.OPACTemplates(ctx, centre)
	if err != nil || len(list) != len(ill.DefaultSearchTools)+3 {
		t.Fatalf("templates %v, %v: want the tools and the 3 members", list, err)
	}
}

func TestScopeMarks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.st.PutLibrary(ill.Library{Code: "BNU", NameZH: "北师大", Lending: false})
	recs := []struct {
		rec  ill.Record
		hs   []ill.HoldingView
		want ill.Reason
	}{
		{ill.Record{ID: 1, Title: "甲", Language: "chi", Material: "book"}, []ill.HoldingView{{Library: "PKU", Available: 1, Lendable: true}}, ""},
		{ill.Record{ID: 2, Title: "乙", Language: "eng", Material: "book"}, []ill.HoldingView{{Library: "PKU", Available: 1, Lendable: true}}, ill.ReasonNotEligible},
		{ill.Record{ID: 3, Title: "丙", Language: "chi", Material: "journal"}, []ill.HoldingView{{Library: "PKU", Available: 1, Lendable: true}}, ill.ReasonNotEligible},
		{ill.Record{ID: 4, Title: "丁", Language: "chi", Material: "book"}, []ill.HoldingView{{Library: "THU", Available: 1, Lendable: true}, {Library: "PKU", Available: 1, Lendable: true}}, ill.ReasonHeldLocally},
		{ill.Record{ID: 5, Title: "戊", Language: "chi", Material: "book"}, []ill.HoldingView{{Library: "PKU", Available: 1, Lendable: false}}, ill.ReasonNotHeld},
		{ill.Record{ID: 6, Title: "己", Language: "chi", Material: "book"}, []ill.HoldingView{{Library: "BNU", Available: 1, Lendable: true}}, ill.ReasonNotHeld},
	}
	var hits []ill.SearchHit
	for _, r := range recs {
		f.st.PutRecord(r.rec, r.hs...)
		hits = append(hits, ill.SearchHit{Record: r.rec})
	}
	marks, err := f.svc.SearchScope(ctx, thu, hits)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		rec, hs, err := f.svc.Record(ctx, r.rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		one, err := f.svc.RecordScope(ctx, thu, rec, hs)
		if err != nil {
			t.Fatal(err)
		}
		if one.Reason != r.want || marks[r.rec.ID].Reason != r.want {
			t.Errorf("record %d: RecordScope %+v, SearchScope %+v, want %q", r.rec.ID, one, marks[r.rec.ID], r.want)
		}
	}
	// The policy is the configured one, not a constant.
	wide := app.New(app.Config{Store: f.st, Publisher: f.pub, Clock: fixedClock{},
		Eligibility: ill.Eligibility{Languages: []string{"chi", "eng"}, Materials: []string{"book"}}})
	if m, _ := wide.SearchScope(ctx, thu, hits[1:2]); m[2].Refused() {
		t.Errorf("English record refused under a policy lending English books: %+v", m[2])
	}
}

func TestEscalation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	thuHeld := time.Date(2026, 2, 26, 10, 0, 0, 0, ill.Shanghai) // a Thursday: due by the end of Friday
	dl := time.Date(2026, 2, 27, 23, 59, 59, 0, ill.Shanghai)
	held := func(at time.Time) ill.Event {
		return ill.Event{At: at, Actor: "system", Action: ill.ActHold, From: ill.Submitted, To: ill.NeedsMediation}
	}
	left := func(at time.Time) ill.Event {
		return ill.Event{At: at, Actor: "THU", Action: ill.ActMediate, From: ill.NeedsMediation, To: ill.Requested}
	}
	f.st.PutRequest(ill.Request{ID: "ESC-WAIT", Borrower: "THU", ClientRequestID: "e1", PatronID: "R9", Title: "久等之书",
		State: ill.NeedsMediation, SubmittedAt: thuHeld, RespondBy: dl, Events: []ill.Event{held(thuHeld)}})
	f.st.PutRequest(ill.Request{ID: "ESC-LATE", Borrower: "RUC", ClientRequestID: "e2", PatronID: "R9", Title: "迟办之书",
		State: ill.Requested, Lender: "PKU", SubmittedAt: thuHeld, Events: []ill.Event{held(thuHeld), left(now.Add(-time.Hour))}})
	f.st.PutRequest(ill.Request{ID: "ESC-OK", Borrower: "THU", ClientRequestID: "e3", PatronID: "R9", Title: "及时之书",
		State: ill.Requested, Lender: "PKU", SubmittedAt: thuHeld, Events: []ill.Event{held(thuHeld), left(thuHeld.Add(5 * time.Hour))}})
	f.st.PutRequest(ill.Request{ID: "ESC-SOON", Borrower: "THU", ClientRequestID: "e4", PatronID: "R9", Title: "未到期之书",
		State: ill.NeedsMediation, SubmittedAt: now.Add(-time.Hour), RespondBy: now.Add(30 * time.Hour)})

	for _, c := range []struct {
		p    ill.Principal
		want []string
	}{{centre, []string{"ESC-WAIT"}}, {thu, []string{"ESC-WAIT"}}, {pku, nil}} {
		reqs, total, err := f.svc.EscalatedMediations(ctx, c.p, 50)
		var ids []string
		for _, r := range reqs {
			ids = append(ids, r.ID)
		}
		if err != nil || total != len(c.want) || strings.Join(ids, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: escalated %v (total %d, %v), want %v", c.p.Library, ids, total, err, c.want)
		}
	}

	get := func(v map[string]string) func(string) string { return func(k string) string { return v[k] } }
	rep, err := f.svc.Report(ctx, centre, app.MediationReportName, get(map[string]string{"from": "2026-02-01", "to": "2026-03-02"}))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]any{}
	for _, r := range rep.Rows {
		rows[r[0].(string)] = r
	}
	// THU: ESC-WAIT (escalated, waiting), ESC-OK (in time), REQ-MED and
	// ESC-SOON (not yet due); RUC: ESC-LATE (mediated after the deadline).
	if r := rows["THU"]; len(r) < 4 || r[1] != 4 || r[2] != 1 || r[3] != 1 {
		t.Errorf("THU row %v, want held 4, escalated 1, waiting 1", r)
	}
	if r := rows["RUC"]; len(r) < 4 || r[1] != 1 || r[2] != 1 || r[3] != 0 {
		t.Errorf("RUC row %v, want held 1, escalated 1, waiting 0", r)
	}
	// A member sees its own row only.
	rep, err = f.svc.Report(ctx, ruc, app.MediationReportName, get(map[string]string{"from": "2026-02-01"}))
	if err != nil || len(rep.Rows) != 1 || rep.Rows[0][0] != "RUC" {
		t.Fatalf("RUC's report %v, %v", rep, err)
	}
	if _, err := f.svc.Report(ctx, centre, app.MediationReportName, get(map[string]string{"from": "2026-03-02", "to": "2026-02-01"})); ill.ErrorCode(err) != ill.CodeBadRequest {
		t.Fatalf("reversed period: %v", err)
	}
}
