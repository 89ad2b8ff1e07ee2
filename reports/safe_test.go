package reports_test

import (
	"bytes"
	"encoding/csv"
	"mime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/reports"
	"github.com/xuri/excelize/v2"
)

func TestSafeCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example","x")`, `'=HYPERLINK("http://evil.example","x")`},
		{`=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
		{"+SUM(1,2)", "'+SUM(1,2)"},
		{"-2+3", "'-2+3"},
		{"-5", "'-5"}, // text that looks like a number is still text
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"\n=1+1", "'\n=1+1"},
		{"\x00=1", "'\x00=1"},
		{"＝1+1", "'＝1+1"}, // full-width forms
		{"＋1", "'＋1"},
		{"－1", "'－1"},
		{"＠x", "'＠x"},
		{" =1+1", "' =1+1"},       // after leading spaces
		{"\u3000=1", "'\u3000=1"}, // ideographic space
		{"\u200b=1", "'\u200b=1"}, // zero-width space
		{"\ufeff@x", "'\ufeff@x"}, // byte order mark
		{"", ""},                  // unchanged
		{"   ", "   "},            // only spaces
		{"数据库系统概论", "数据库系统概论"},
		{"TP311.13/12", "TP311.13/12"},
		{"a=b", "a=b"}, // only the first visible character counts
		{"'=1", "'=1"}, // already quoted: idempotent
		{"2026-03-01", "2026-03-01"},
	} {
		if got := reports.SafeCell(c.in); got != c.want {
			t.Errorf("SafeCell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// firstVisible is the first rune of s that is neither white space nor an
// invisible format character (utf8.RuneError and false for none).
func firstVisible(s string) (rune, bool) {
	for _, r := range s {
		if reports.IsFormulaTrigger(r) {
			return r, true
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		return r, true
	}
	return utf8.RuneError, false
}

// Whatever text SafeCell returns never starts (visibly or after space)
// with a formula trigger, it only ever prepends one quote, and it is
// idempotent.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"=1+1", "+1", "-1", "@a", "\t=1", "\r=1", " =1", "＝1", "\u200b-1", "ok", "", "'=1", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := reports.SafeCell(s)
		if r, ok := firstVisible(out); ok && reports.IsFormulaTrigger(r) {
			t.Fatalf("SafeCell(%q) = %q starts with trigger %q", s, out, r)
		}
		if out != s && out != "'"+s {
			t.Fatalf("SafeCell(%q) = %q: changed more than a leading quote", s, out)
		}
		if again := reports.SafeCell(out); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", s, out, again)
		}
		// Through the CSV writer a string cell parses back to the same
		// safe text, in one cell.
		var b bytes.Buffer
		cw := reports.NewCSVWriter(&b)
		if err := cw.Write(s, 1); err != nil {
			t.Fatal(err)
		}
		if err := cw.Flush(); err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(s) || strings.ContainsRune(s, '\r') {
			return // encoding/csv folds \r\n and rewrites invalid UTF-8: not comparable
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 1 || len(recs[0]) != 2 || recs[0][0] != out || recs[0][1] != "1" {
			t.Fatalf("CSV of %q: %q %v", s, recs, err)
		}
	})
}

func TestCSVWriterTypes(t *testing.T) {
	var b bytes.Buffer
	cw := reports.NewCSVWriter(&b)
	_ = cw.WriteStrings([]string{"title", "n", "amount", "pct", "bad", "none"})
	_ = cw.Write("=1+1", -5, reports.Numeral("-1.50"), reports.Numeral("50.0%"), reports.Numeral("-1+2"), nil)
	_ = cw.Write("a;=b", int64(-7), 2.5, reports.Numeral("=1"), " x", "")
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "\ufefftitle,n,amount,pct,bad,none\n" +
		"'=1+1,-5,-1.50,50.0%,'-1+2,\n" + // numbers stay numbers; text and non-numerals are neutralised
		"\"a;=b\",-7,2.5,'=1,\" x\",\n" // a semicolon (a separator in some locales) is quoted
	if b.String() != want {
		t.Errorf("CSV\n%q\nwant\n%q", b.String(), want)
	}
}

func TestContentDisposition(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"summary_2026-03-01_2026-03-31_THU.csv", "summary_2026-03-01_2026-03-31_THU.csv"},
		{`pull-slip-x";y-2026.csv`, "pull-slip-x__y-2026.csv"},
		{"a b/../c\r\nSet-Cookie: x.csv", "a_b_.._c__Set-Cookie__x.csv"},
		{"数据.csv", "______.csv"},
		{".hidden", "download.hidden"},
		{"", "download"},
	} {
		got := reports.ContentDisposition(c.in)
		typ, params, err := mime.ParseMediaType(got)
		if err != nil || typ != "attachment" || params["filename"] != c.want {
			t.Errorf("ContentDisposition(%q) = %q (%v %v), want filename %q", c.in, got, typ, params, c.want)
		}
		if strings.ContainsAny(got, "\"\r\n") && !strings.HasPrefix(got, `attachment; filename="`) {
			t.Errorf("ContentDisposition(%q) = %q carries raw quotes or line breaks", c.in, got)
		}
	}
}

// A report's XLSX keeps numbers numeric (a negative one too) and writes
// text as neutralised string cells, never formulas; its CSV likewise.
func TestReportExportsNeutraliseFormulas(t *testing.T) {
	rep := &reports.Report{Name: "top-titles", From: ill.Date{Year: 2026, Month: 3, Day: 1}, To: ill.Date{Year: 2026, Month: 3, Day: 2},
		Columns: []reports.Column{{Key: "record_id", Kind: reports.Int}, {Key: "title", Kind: reports.Text},
			{Key: "author", Kind: reports.Text}, {Key: "requests", Kind: reports.Int}, {Key: "rate", Kind: reports.Pct}},
		Rows: [][]any{{7, `=HYPERLINK("http://evil.example","x")`, "@me", -3, -0.25}}}
	var x bytes.Buffer
	if err := rep.WriteXLSX(&x, "en"); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	for cell, want := range map[string]string{"B2": `'=HYPERLINK("http://evil.example","x")`, "C2": "'@me"} {
		v, _ := wb.GetCellValue("top-titles", cell)
		typ, _ := wb.GetCellType("top-titles", cell)
		formula, _ := wb.GetCellFormula("top-titles", cell)
		if v != want || formula != "" || (typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) {
			t.Errorf("xlsx %s = %q (type %v, formula %q), want text %q", cell, v, typ, formula, want)
		}
	}
	for cell, want := range map[string]string{"A2": "7", "D2": "-3"} {
		v, _ := wb.GetCellValue("top-titles", cell, excelize.Options{RawCellValue: true})
		typ, _ := wb.GetCellType("top-titles", cell)
		if v != want || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("xlsx %s = %q (type %v), want the number %s", cell, v, typ, want)
		}
	}
	var c bytes.Buffer
	if err := rep.WriteCSV(&c, "en"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(c.String()), "\n")
	if want := `7,"'=HYPERLINK(""http://evil.example"",""x"")",'@me,-3,-25.0%`; len(lines) != 2 || lines[1] != want {
		t.Errorf("csv rows %q, want %q", lines, want)
	}
}
