package mysql_test

import (
	"context"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

func adminPtr[T any](v T) *T { return &v }

// TestUpdateLibraryKeepsWhatItDoesNotName: a patch changes the fields it
// sets and nothing else (fee rules, cut-off, courier days, ISO 18626
// columns, contacts left unset); a missing member is not_found, an
// existing code cannot be created twice; a directory attached sees the
// change at once.
func TestUpdateLibraryKeepsWhatItDoesNotName(t *testing.T) {
	_, st := testenv.DB(t, "admin")
	ctx := context.Background()
	st.UseDirectory(time.Hour)
	l := ill.Library{Code: "ZZU", NameZH: "测试大学图书馆", Lending: true, DepositRequired: true, FinePerDayFen: 50,
		DamageFeeFen: 3000, LossFeeFen: 12000, CourierCutoff: "11:30", RecallDays: 10, Email: "ill@zzu.example",
		ContactPhone: "010-1", WebhookURL: "https://hook.example", WebhookSecret: "whsec_x"}.WithDefaults()
	if err := st.CreateLibrary(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateLibrary(ctx, l); ill.ErrorCode(err) != ill.CodeConflict {
		t.Fatalf("second create: %v", err)
	}
	if err := st.SetISO(ctx, ill.ISORegistration{Code: "ZZU", Endpoint: "https://iso.zzu.example", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	before, err := st.Library(ctx, "ZZU")
	if err != nil {
		t.Fatal(err)
	}
	if before.ContactPhone != "010-1" || before.FinePerDayFen != 50 {
		t.Fatalf("created: %+v", before)
	}
	if err := st.UpdateLibrary(ctx, "ZZU", ill.LibraryPatch{NameEN: adminPtr("Test University"), Lending: adminPtr(false),
		ContactEmail: adminPtr("desk@zzu.example"), ContactAddress: adminPtr("")}); err != nil {
		t.Fatal(err)
	}
	after, err := st.Library(ctx, "ZZU")
	if err != nil {
		t.Fatal(err)
	}
	want := *before
	want.NameEN, want.Lending, want.ContactEmail = "Test University", false, "desk@zzu.example"
	if *after != want {
		t.Fatalf("after the update:\n got %+v\nwant %+v", *after, want)
	}
	// the same values again: no row changed, still no error
	if err := st.UpdateLibrary(ctx, "ZZU", ill.LibraryPatch{Lending: adminPtr(false)}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateLibrary(ctx, "NOPE", ill.LibraryPatch{Lending: adminPtr(false)}); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("missing member: %v", err)
	}
}

// TestAnnouncements: published ones newest published first, drafts only
// in the full list, withdraw and delete; not_found for a missing id.
func TestAnnouncements(t *testing.T) {
	_, st := testenv.DB(t, "admin")
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	add := func(title string, published time.Time) int64 {
		t.Helper()
		id, err := st.AddAnnouncement(ctx, ill.Announcement{TitleZH: title, BodyZH: "正文\n第二行", BodyEN: "text",
			PublishedAt: published, CreatedAt: t0, CreatedBy: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	old := add("旧公告", t0)
	draft := add("草稿", time.Time{})
	newer := add("新公告", t0.Add(time.Hour))
	pub, err := st.ListAnnouncements(ctx, true, 10)
	if err != nil || len(pub) != 2 || pub[0].ID != newer || pub[1].ID != old || pub[0].BodyZH != "正文\n第二行" ||
		!pub[0].PublishedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("published: %+v %v", pub, err)
	}
	// republishing the old one puts it first
	if err := st.SetAnnouncementPublished(ctx, old, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAnnouncementPublished(ctx, newer, time.Time{}); err != nil {
		t.Fatal(err)
	}
	pub, _ = st.ListAnnouncements(ctx, true, 10)
	if len(pub) != 1 || pub[0].ID != old {
		t.Fatalf("after republish/withdraw: %+v", pub)
	}
	all, _ := st.ListAnnouncements(ctx, false, 10)
	if len(all) != 3 || all[0].ID != newer || all[1].ID != draft || all[1].Published() {
		t.Fatalf("all: %+v", all)
	}
	if err := st.DeleteAnnouncement(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAnnouncement(ctx, draft); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("second delete: %v", err)
	}
	if err := st.SetAnnouncementPublished(ctx, draft, t0); ill.ErrorCode(err) != ill.CodeNotFound {
		t.Fatalf("publish a deleted one: %v", err)
	}
}
