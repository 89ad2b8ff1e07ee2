package ill_test

import (
	"testing"

	"github.com/balis/illhub/ill"
)

func TestFold(t *testing.T) {
	cases := []struct{ in, want string }{
		{"数据库系统概论（第5版）", "数据库系统概论第5版"},
		{"數據庫系統概論 第５版", "数据库系统概论第5版"},
		{"Ｊａｖａ编程思想", "java编程思想"},
		{"C++ Primer 中文版", "cprimer中文版"},
		{"红楼梦·脂评本", "红楼梦脂评本"},
		{"", ""},
	}
	for _, c := range cases {
		if got := ill.Fold(c.in); got != c.want {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFirstAuthor(t *testing.T) {
	cases := []struct{ in, want string }{
		{"王珊, 萨师煊", "王珊"},
		{"王珊，萨师煊编著", "王珊"},
		{"王珊、薩師煊 著", "王珊"},
		{"王珊 萨师煊", "王珊"},
		{"王珊主编", "王珊"},
		{"Bruce Eckel", "bruceeckel"},
		{"", ""},
	}
	for _, c := range cases {
		if got := ill.FirstAuthor(c.in); got != c.want {
			t.Errorf("FirstAuthor(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTitleKeyVariants(t *testing.T) {
	base := ill.TitleKey("数据库系统概论（第5版）", "王珊, 萨师煊", "高等教育出版社", 2014)
	same := [][4]string{
		{"数据库系统概论 第5版", "王珊，萨师煊编著", "高等教育出版社"},
		{"數據庫系統概論：第５版", "王珊、薩師煊 著", "高等教育出版社"},
		{"数据库系统概论(第5版)", "王珊", "高等教育出版社"},
	}
	for _, s := range same {
		if k := ill.TitleKey(s[0], s[1], s[2], 2014); k != base {
			t.Errorf("TitleKey(%q, %q) = %q, want %q", s[0], s[1], k, base)
		}
	}
	for _, k := range []string{
		ill.TitleKey("数据库系统概论（第5版）", "王珊", "高等教育出版社", 2006),  // another year
		ill.TitleKey("数据库系统概论（第4版）", "王珊", "高等教育出版社", 2014),  // another edition
		ill.TitleKey("数据库系统概论（第5版）", "萨师煊", "高等教育出版社", 2014), // another first author
		ill.TitleKey("数据库系统概论（第5版）", "王珊", "清华大学出版社", 2014),  // another publisher
	} {
		if k == base {
			t.Errorf("key %q should differ from %q", k, base)
		}
	}
}

func TestSameTitle(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"数据库系统概论", "數據庫系統概論（第5版）", true},
		{"数据库系统概论", "数据结构", false},
		{"", "", true},
		{"", "数据结构", false},
	}
	for _, c := range cases {
		if got := ill.SameTitle(c.a, c.b); got != c.want {
			t.Errorf("SameTitle(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestBigramsAndQueryWords(t *testing.T) {
	if got := ill.Bigrams("数据库"); len(got) != 2 || got[0] != ill.TermOf('数', '据') || got[1] != ill.TermOf('据', '库') {
		t.Errorf("Bigrams(数据库) = %v", got)
	}
	if got := ill.Bigrams("书"); got != nil {
		t.Errorf("Bigrams(书) = %v, want none", got)
	}
	if got := ill.Bigrams("哈哈哈"); len(got) != 1 {
		t.Errorf("Bigrams(哈哈哈) = %v, want one distinct term", got)
	}
	ts := ill.RecordTerms("数据库", "王珊")
	if len(ts) != 3 {
		t.Errorf("RecordTerms = %v, want 3 terms (no term across title and author)", ts)
	}
	w := ill.QueryWords(" 數據庫　王珊 ， ")
	if len(w) != 2 || w[0] != "数据库" || w[1] != "王珊" {
		t.Errorf("QueryWords = %q", w)
	}
}
