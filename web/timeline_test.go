package web

import (
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestEventNoteRewordsTheHubsNotes(t *testing.T) {
	libs := map[string][2]string{"THU": {"清华大学", "Tsinghua University"}, "PKU": {"北京大学", "Peking University"}}
	due := time.Date(2026, 4, 2, 23, 59, 59, 0, ill.Shanghai).Format(time.RFC3339)
	cases := []struct {
		note, zh, en string
	}{
		{"asked THU (rank 2)", "已向清华大学发出请求（第 2 顺位）", "Asked Tsinghua University (rank 2)"},
		{"PKU unfilled: not_on_shelf — 在装订", "北京大学无法满足：" + tr("zh", "reason.not_on_shelf") + "；在装订",
			"Peking University cannot supply: " + tr("en", "reason.not_on_shelf") + " — 在装订"},
		{"due " + due, "应还日期 2026-04-02", "Due 2026-04-02"},
		{"condition damaged; returned 3 day(s) late — 封面破损", "图书状况：损坏，逾期 3 天归还；封面破损",
			"Condition: Damaged, returned 3 day(s) late — 封面破损"},
		{"condition good", "图书状况：完好", "Condition: Good"},
		{"item 3101234", "图书条码 3101234", "Item barcode 3101234"},
		{"cancel requested by reader", "读者申请撤销", "Cancel asked by the reader"},
		{"a note the staff typed", "a note the staff typed", "a note the staff typed"},
	}
	for _, c := range cases {
		for lang, want := range map[string]string{"zh": c.zh, "en": c.en} {
			p := &Page{Lang: lang, libs: libs}
			if got := p.EventNote(ill.Event{Note: c.note}); got != want {
				t.Errorf("%s %q: got %q, want %q", lang, c.note, got, want)
			}
		}
	}
}

func TestActorNamesWhoActed(t *testing.T) {
	p := &Page{Lang: "zh", libs: map[string][2]string{"THU": {"清华大学", "Tsinghua University"}}}
	for actor, want := range map[string]string{ill.SystemActor: "系统", "THU": "清华大学", ill.CourierOwner: "物流", ill.CentreCode: "馆际互借中心"} {
		if got := p.Actor(actor); got != want {
			t.Errorf("Actor(%q) = %q, want %q", actor, got, want)
		}
	}
}

func TestViolationNoteInThePagesLanguage(t *testing.T) {
	zh, en := &Page{Lang: "zh"}, &Page{Lang: "en"}
	for note, want := range map[string][2]string{
		"returned 3 day(s) after the due date":                        {"超过应还日期 3 天归还", "Returned 3 day(s) after the due date"},
		"damaged (borrowing library's inspection, lender's check-in)": {"损坏（借入馆验收、出借馆入库检查均发现）", "Damaged (found by the borrowing library's inspection and at the lender's check-in)"},
		"damaged (lender's check-in)":                                 {"损坏（出借馆入库检查时发现）", "Damaged (found at the lender's check-in)"},
		"reported lost":                                               {"报告遗失", "Reported lost"},
		"书脊开裂":                                                        {"书脊开裂", "书脊开裂"},
	} {
		if got := zh.ViolationNote(note); got != want[0] {
			t.Errorf("zh %q: %q, want %q", note, got, want[0])
		}
		if got := en.ViolationNote(note); got != want[1] {
			t.Errorf("en %q: %q, want %q", note, got, want[1])
		}
	}
}

// Every note the rule writes is one the pages reword: a change of wording
// in ill shows here, not as English on a Chinese page.
func TestViolationNotesOfTheRuleAreReworded(t *testing.T) {
	due := time.Date(2026, 3, 2, 23, 59, 59, 0, ill.Shanghai)
	facts := []ill.ReturnFacts{
		{Lost: true},
		{DueAt: due, ReturnedAt: due.Add(50 * time.Hour)},
		{ReturnCondition: "damaged"}, {CheckinCondition: "damaged"},
		{ReturnCondition: "damaged", CheckinCondition: "damaged"},
	}
	p := &Page{Lang: "zh"}
	for _, f := range facts {
		for _, v := range ill.ComputeViolations(f, ill.LenderPolicy{}) {
			if got := p.ViolationNote(v.Note); got == v.Note || !hasHan(got) {
				t.Errorf("note %q is not reworded (%q)", v.Note, got)
			}
		}
	}
}
