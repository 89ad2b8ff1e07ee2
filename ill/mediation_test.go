package ill_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestValidateOPACTemplate(t *testing.T) {
	for _, c := range []struct {
		tmpl string
		ok   bool
	}{
		{"https://opac.lib.tsinghua.edu.cn/search?q={title}", true},
		{"http://opac.example.edu.cn/F?func=find-b&request={isbn}&x={author}", true},
		{"https://opac.example.edu.cn/search/{title}", true},
		{"https://opac.example.edu.cn/", true}, // no placeholder: a start page
		{"", false},
		{"ftp://opac.example.edu.cn/?q={title}", false},
		{"javascript:alert(1)//{title}", false},
		{"//opac.example.edu.cn/?q={title}", false},
		{"https:///?q={title}", false},
		{"https://user@opac.example.edu.cn/?q={title}", false},
		{"https://{title}.example.edu.cn/", false},
		{"https://opac.example.edu.cn{title}/", false},
		{"https://opac.example.edu.cn/?q={publisher}", false},
		{"https://opac.example.edu.cn/?q={title", false},
		{"https://opac.example.edu.cn/?q=title}", false},
		{"https://opac.example.edu.cn/?q= {title}", false},
		{"https://opac.example.edu.cn/?q=书名{title}", false},
		{"https://opac.example.edu.cn/?q=" + strings.Repeat("a", 1000), false},
	} {
		if why := ill.ValidateOPACTemplate(c.tmpl); (why == "") != c.ok {
			t.Errorf("ValidateOPACTemplate(%q) = %q, want ok=%v", c.tmpl, why, c.ok)
		}
	}
	for _, tool := range ill.DefaultSearchTools {
		if why := ill.ValidateOPACTemplate(tool.URL); why != "" {
			t.Errorf("default %s: %s", tool.Key, why)
		}
	}
}

func TestFillOPAC(t *testing.T) {
	v := ill.OPACValues{Title: "数据库系统概论 & 实践?#/", ISBN: "978-7-04-040664-1", Author: "王珊 萨师煊"}
	got := ill.FillOPAC("https://opac.example.edu.cn/s/{author}?q={title}&isbn={isbn}#{title}", v)
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "opac.example.edu.cn" || u.Query().Get("q") != v.Title || u.Query().Get("isbn") != v.ISBN ||
		u.Path != "/s/"+v.Author || len(u.Query()) != 2 {
		t.Fatalf("FillOPAC = %q: host %q path %q query %v", got, u.Host, u.Path, u.Query())
	}
	if ill.FillOPAC("ftp://x/{title}", v) != "" {
		t.Fatal("an invalid template gave a link")
	}
	nlc := ill.FillOPAC(ill.DefaultSearchTools[1].URL, ill.OPACValues{Title: "红楼梦 校注"})
	if !strings.Contains(nlc, "request=%E7%BA%A2%E6%A5%BC%E6%A2%A6+%E6%A0%A1%E6%B3%A8") {
		t.Fatalf("NLC link %q lacks the encoded title", nlc)
	}
}

// FuzzFillOPAC: whatever the values, a filled valid template is a URL on
// the template's host and scheme, and each query placeholder's value
// decodes back to the (trimmed, clipped) value.
func FuzzFillOPAC(f *testing.F) {
	f.Add("数据库系统概论", "9787040406641", "王珊")
	f.Add("a&b=c#d?e/f%g+h", "", " ")
	f.Add("../../evil.example/", "@evil", "//evil.example")
	f.Fuzz(func(t *testing.T, title, isbn, author string) {
		tmpl := "https://opac.example.edu.cn/find/{title}?t={title}&i={isbn}&a={author}"
		got := ill.FillOPAC(tmpl, ill.OPACValues{Title: title, ISBN: isbn, Author: author})
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("FillOPAC gave %q: %v", got, err)
		}
		if u.Scheme != "https" || u.Host != "opac.example.edu.cn" || u.User != nil {
			t.Fatalf("FillOPAC(%q) left the site: %q", title, got)
		}
		if !strings.HasPrefix(u.EscapedPath(), "/find/") || strings.Count(u.EscapedPath(), "/") != 2 {
			t.Fatalf("path placeholder escaped its segment: %q", u.EscapedPath())
		}
		q := u.Query()
		if !strings.ContainsRune(title, 0xFFFD) && strings.ToValidUTF8(title, "") == title {
			if want := clipped(title); q.Get("t") != want {
				t.Fatalf("title %q came back as %q", want, q.Get("t"))
			}
		}
		if len(q) != 3 {
			t.Fatalf("values added parameters: %v", q)
		}
	})
}

func clipped(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s
}

func TestRelaxedQueries(t *testing.T) {
	qs := ill.RelaxedQueries(ill.Citation{Title: "数据库系统概论：第5版", Author: "王珊，萨师煊编著", ISBN: "978-7-04-040664-1"}, 5)
	var got []string
	for _, q := range qs {
		got = append(got, q.ISBN+"|"+q.Q)
		if q.PerPage != 5 || q.Page != 1 {
			t.Fatalf("paging %+v", q)
		}
	}
	isbn, ok := ill.NormalizeISBN("978-7-04-040664-1")
	if !ok {
		t.Fatal("test ISBN invalid")
	}
	want := []string{isbn + "|", "|数据库系统概论 王珊", "|数据库系统概论", "|数据库系 王珊"}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Fatalf("RelaxedQueries = %q, want %q", got, want)
	}
	if qs := ill.RelaxedQueries(ill.Citation{Title: "红楼梦"}, 5); len(qs) != 1 || qs[0].Q != "红楼梦" {
		t.Fatalf("title only: %+v", qs)
	}
	if qs := ill.RelaxedQueries(ill.Citation{Title: "  "}, 5); len(qs) != 0 {
		t.Fatalf("blank citation: %+v", qs)
	}
	if got := ill.MainTitle("（新版）"); got != "（新版）" {
		t.Fatalf("all-subtitle title cut to %q", got)
	}
}

func TestMediationEscalated(t *testing.T) {
	cal := ill.NewCalendar()
	// Friday 2026-03-06 10:00: due by the end of Monday 2026-03-09 (weekend closed).
	held := time.Date(2026, 3, 6, 10, 0, 0, 0, ill.Shanghai)
	dl := ill.MediationDeadline(cal.ScheduleFor(nil), held)
	if want := time.Date(2026, 3, 9, 23, 59, 59, 0, ill.Shanghai); !dl.Equal(want) {
		t.Fatalf("deadline %v, want %v", dl, want)
	}
	closed := cal.ScheduleFor([]ill.DateRange{{From: ill.Date{Year: 2026, Month: 3, Day: 9}, To: ill.Date{Year: 2026, Month: 3, Day: 9}}})
	if got := ill.MediationDeadline(closed, held); got.Day() != 10 {
		t.Fatalf("a closure did not move the deadline: %v", got)
	}
	mon := time.Date(2026, 3, 9, 20, 0, 0, 0, ill.Shanghai)
	tue := time.Date(2026, 3, 10, 9, 0, 0, 0, ill.Shanghai)
	for _, c := range []struct {
		name string
		s    ill.MediationSpell
		now  time.Time
		want bool
	}{
		{"waiting, before the deadline", ill.MediationSpell{HeldAt: held}, mon, false},
		{"waiting, past the deadline", ill.MediationSpell{HeldAt: held}, tue, true},
		{"waiting, stored deadline wins", ill.MediationSpell{HeldAt: held, Deadline: tue.Add(time.Hour)}, tue, false},
		{"mediated in time", ill.MediationSpell{HeldAt: held, LeftAt: mon}, tue, false},
		{"mediated late", ill.MediationSpell{HeldAt: held, LeftAt: tue}, tue.AddDate(0, 0, 5), true},
	} {
		if got := c.s.Escalated(dl, c.now); got != c.want {
			t.Errorf("%s: Escalated = %v, want %v", c.name, got, c.want)
		}
	}
}
