package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/memstore"
)

func adminPtr[T any](v T) *T { return &v }

// TestAdminRefusesMembers: every administration use case is the centre's;
// a member library's principal is refused (forbidden) and changes nothing.
func TestAdminRefusesMembers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	calls := map[string]func(ill.Principal) error{
		"SaveLibrary": func(p ill.Principal) error {
			_, err := f.svc.SaveLibrary(ctx, p, "x", "THU", ill.LibraryPatch{NameZH: adminPtr("改名")})
			return err
		},
		"SetLending": func(p ill.Principal) error { return f.svc.SetLending(ctx, p, "x", "PKU", false) },
		"IssueKey": func(p ill.Principal) error {
			_, _, err := f.svc.IssueKey(ctx, p, "x", "THU", "")
			return err
		},
		"RevokeKeys": func(p ill.Principal) error {
			_, err := f.svc.RevokeKeys(ctx, p, "x", "PKU", 0)
			return err
		},
		"RotateKey": func(p ill.Principal) error {
			_, _, _, err := f.svc.RotateKey(ctx, p, "x", "THU", "")
			return err
		},
		"Keys": func(p ill.Principal) error { _, err := f.svc.Keys(ctx, p, ""); return err },
		"ImportCalendar": func(p ill.Principal) error {
			_, err := f.svc.ImportCalendar(ctx, p, "x", []byte(`{"year":2027,"source":"s","days":[]}`))
			return err
		},
		"AddClosure": func(p ill.Principal) error {
			return f.svc.AddClosure(ctx, p, "x", "THU", ill.Date{Year: 2026, Month: 7, Day: 1}, ill.Date{Year: 2026, Month: 8, Day: 31}, "")
		},
		"RemoveClosure": func(p ill.Principal) error { return f.svc.RemoveClosure(ctx, p, "x", 1) },
		"AddAnnouncement": func(p ill.Principal) error {
			_, err := f.svc.AddAnnouncement(ctx, p, "x", ill.Announcement{TitleZH: "标题", BodyZH: "正文"}, true)
			return err
		},
		"PublishAnnouncement": func(p ill.Principal) error { return f.svc.PublishAnnouncement(ctx, p, "x", 1, true) },
		"Announcements":       func(p ill.Principal) error { _, err := f.svc.Announcements(ctx, p, 10); return err },
	}
	for name, call := range calls {
		wantCode(t, call(thu), ill.CodeForbidden)
		_ = name
	}
	if l, _ := f.st.Library(ctx, "THU"); l.NameZH != "THU图书馆" {
		t.Fatalf("a member renamed itself: %q", l.NameZH)
	}
	if ks, _ := f.st.Keys(ctx, ""); len(ks) != 0 {
		t.Fatalf("a member issued keys: %v", ks)
	}
	if as, _ := f.svc.PublishedAnnouncements(ctx, 10); len(as) != 0 {
		t.Fatalf("a member published: %v", as)
	}
}

// TestSaveLibraryKeepsWhatItDoesNotName: an update changes only the fields
// given; fee rules, the cut-off, courier days and ISO registration stay.
func TestSaveLibraryKeepsWhatItDoesNotName(t *testing.T) {
	st := &memstore.Store{}
	st.PutLibrary(ill.Library{Code: "BFSU", NameZH: "北京外国语大学", NameEN: "BFSU", Lending: true, DepositRequired: true,
		FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: 10000, CourierCutoff: "11:30", CourierDays: "mon,wed",
		RecallDays: 10, Email: "ill@bfsu.example", ISOEndpoint: "https://iso.bfsu.example"})
	svc := app.New(app.Config{Store: st, Publisher: &memstore.Publisher{}, Clock: fixedClock{}})
	ctx := context.Background()
	created, err := svc.SaveLibrary(ctx, centre, "ops", "bfsu", ill.LibraryPatch{NameEN: adminPtr("Beijing Foreign Studies University"),
		ContactPhone: adminPtr("010-88816001")})
	if err != nil || created {
		t.Fatalf("update: created %v, %v", created, err)
	}
	l, _ := st.Library(ctx, "BFSU")
	want := ill.Library{Code: "BFSU", NameZH: "北京外国语大学", NameEN: "Beijing Foreign Studies University", Lending: true,
		DepositRequired: true, FinePerDayFen: 50, DamageFeeFen: 2000, LossFeeFen: 10000, CourierCutoff: "11:30",
		CourierDays: "mon,wed", RecallDays: 10, LoanMonths: 1, Locale: "zh", ISOSymbol: "BFSU", Email: "ill@bfsu.example",
		ISOEndpoint: "https://iso.bfsu.example", ContactPhone: "010-88816001"}
	if *l != want {
		t.Fatalf("after the update:\n got %+v\nwant %+v", *l, want)
	}
	// lending off keeps everything else too
	if err := svc.SetLending(ctx, centre, "ops", "BFSU", false); err != nil {
		t.Fatal(err)
	}
	l, _ = st.Library(ctx, "BFSU")
	want.Lending = false
	if *l != want {
		t.Fatalf("after lending off:\n got %+v\nwant %+v", *l, want)
	}
	// a new member: the Chinese name is needed, defaults for the rest
	_, err = svc.SaveLibrary(ctx, centre, "ops", "CUC", ill.LibraryPatch{NameEN: adminPtr("CUC")})
	wantCode(t, err, ill.CodeBadRequest)
	created, err = svc.SaveLibrary(ctx, centre, "ops", "cuc", ill.LibraryPatch{NameZH: adminPtr("中国传媒大学")})
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if l, _ := st.Library(ctx, "CUC"); !l.Lending || l.LoanMonths != 1 || l.RecallDays != 7 || l.CourierCutoff != "14:00" {
		t.Fatalf("new member's defaults: %+v", l)
	}
	// bad values and reserved codes are refused
	_, err = svc.SaveLibrary(ctx, centre, "ops", "CUC", ill.LibraryPatch{RecallDays: adminPtr(0)})
	wantCode(t, err, ill.CodeBadRequest)
	_, err = svc.SaveLibrary(ctx, centre, "ops", "CUC", ill.LibraryPatch{ContactEmail: adminPtr("not mail")})
	wantCode(t, err, ill.CodeBadRequest)
	_, err = svc.SaveLibrary(ctx, centre, "ops", "CENTRE", ill.LibraryPatch{NameZH: adminPtr("中心")})
	wantCode(t, err, ill.CodeBadRequest)
	// each change is audited, naming the fields, never a value
	log, _ := svc.AuditLog(ctx, centre, "BFSU", 10)
	if len(log) != 2 || !strings.Contains(log[1].Detail, "contact_phone") || strings.Contains(log[1].Detail, "010-") ||
		log[0].Actor != "ops" || log[0].Action != ill.AuditLibrarySave {
		t.Fatalf("audit log: %+v", log)
	}
}

// TestAdminKeys: issue, rotate and revoke through app change which keys
// authenticate, each audited.
func TestAdminKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	key, id, err := f.svc.IssueKey(ctx, centre, "ops", "thu", "ILS")
	if err != nil || !strings.HasPrefix(key, "ill_") || id == 0 {
		t.Fatalf("issue: %q %d %v", key, id, err)
	}
	if p, err := f.st.PrincipalByKeyHash(ctx, ill.HashKey(key)); err != nil || p.Library != "THU" || p.Centre {
		t.Fatalf("issued key resolves to %+v, %v", p, err)
	}
	_, _, err = f.svc.IssueKey(ctx, centre, "ops", "NOPE", "")
	wantCode(t, err, ill.CodeNotFound)
	key2, id2, revoked, err := f.svc.RotateKey(ctx, centre, "ops", "THU", "ILS 2")
	if err != nil || len(revoked) != 1 || revoked[0] != id || id2 == id {
		t.Fatalf("rotate: %d %v %v", id2, revoked, err)
	}
	if _, err := f.st.PrincipalByKeyHash(ctx, ill.HashKey(key)); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("rotated-out key still resolves: %v", err)
	}
	ids, err := f.svc.RevokeKeys(ctx, centre, "ops", "THU", id2)
	if err != nil || len(ids) != 1 {
		t.Fatalf("revoke: %v %v", ids, err)
	}
	if _, err := f.st.PrincipalByKeyHash(ctx, ill.HashKey(key2)); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("revoked key still resolves: %v", err)
	}
	_, err = f.svc.RevokeKeys(ctx, centre, "ops", "THU", id2)
	wantCode(t, err, ill.CodeConflict)
	courier, _, err := f.svc.IssueKey(ctx, centre, "ops", ill.CourierOwner, "scanner")
	if err != nil || !strings.HasPrefix(courier, "courier_") {
		t.Fatalf("courier key: %q %v", courier, err)
	}
	log, _ := f.svc.AuditLog(ctx, centre, "THU", 10)
	if len(log) != 3 || log[0].Action != ill.AuditKeyRevoke || log[1].Action != ill.AuditKeyRotate || log[2].Action != ill.AuditKeyIssue {
		t.Fatalf("audit log: %+v", log)
	}
}

// TestMembersToday: a member lends today when it takes part as a lender
// and today is a working day for it (national calendar and its closures).
func TestMembersToday(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SaveLibrary(ctx, centre, "ops", "RUC", ill.LibraryPatch{Lending: adminPtr(false)}); err != nil {
		t.Fatal(err)
	}
	today := ill.DateOf(now)
	if err := f.svc.AddClosure(ctx, centre, "ops", "PKU", today.AddDays(-3), today.AddDays(4), "寒假"); err != nil {
		t.Fatal(err)
	}
	ms, day, err := f.svc.MembersToday(ctx, nil)
	if err != nil || day != today {
		t.Fatal(day, err)
	}
	got := map[string]app.MemberToday{}
	for _, m := range ms {
		got[m.Code] = m
	}
	if !got["THU"].LendsToday || got["RUC"].LendsToday || got["RUC"].Closed || got["PKU"].LendsToday ||
		!got["PKU"].Closed || got["PKU"].ClosedUntil != today.AddDays(4).String() {
		t.Fatalf("members today: %+v", got)
	}
	// a Sunday: nobody lends
	sunday := ill.NewCalendar().ScheduleFor(nil)
	if ill.LendsOn(ill.Library{Lending: true}, sunday, ill.Date{Year: 2026, Month: 3, Day: 1}) {
		t.Fatal("lends on a Sunday")
	}
}

// TestAnnouncements: the centre publishes, withdraws and deletes; the
// public list has the published ones only, newest first.
func TestAnnouncements(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.AddAnnouncement(ctx, centre, "ops", ill.Announcement{TitleZH: " ", BodyZH: "x"}, true)
	wantCode(t, err, ill.CodeBadRequest)
	a1, err := f.svc.AddAnnouncement(ctx, centre, "ops", ill.Announcement{TitleZH: "春节物流安排", BodyZH: "2月14日起暂停。"}, true)
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := f.svc.AddAnnouncement(ctx, centre, "ops", ill.Announcement{TitleZH: "草稿", BodyZH: "未发布"}, false)
	pub, _ := f.svc.PublishedAnnouncements(ctx, 10)
	if len(pub) != 1 || pub[0].ID != a1 {
		t.Fatalf("published: %+v", pub)
	}
	if err := f.svc.PublishAnnouncement(ctx, centre, "ops", a1, false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PublishAnnouncement(ctx, centre, "ops", a2, true); err != nil {
		t.Fatal(err)
	}
	pub, _ = f.svc.PublishedAnnouncements(ctx, 10)
	if len(pub) != 1 || pub[0].ID != a2 {
		t.Fatalf("after withdraw/publish: %+v", pub)
	}
	wantCode(t, f.svc.DeleteAnnouncement(ctx, centre, "ops", 999), ill.CodeNotFound)
	if err := f.svc.DeleteAnnouncement(ctx, centre, "ops", a2); err != nil {
		t.Fatal(err)
	}
	if all, _ := f.svc.Announcements(ctx, centre, 10); len(all) != 1 || all[0].ID != a1 {
		t.Fatalf("all: %+v", all)
	}
}
