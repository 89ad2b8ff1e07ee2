package pdf_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/pdf"
	"github.com/balis/illhub/pdf/pdftest"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// cjkFont is the Debian package fonts-wqy-microhei's font, the default of
// ILL_STAMP_FONT.
const cjkFont = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

func TestStampEveryPage(t *testing.T) {
	for _, c := range []struct {
		name, font string
		cjk        bool
	}{
		{"english line, core font", "", false},
		{"chinese line, wqy-microhei", cjkFont, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.font != "" {
				if _, err := os.Stat(c.font); err != nil {
					t.Skipf("CJK font %s absent (apt-get install fonts-wqy-microhei): %v", c.font, err)
				}
			}
			s, err := pdf.New(c.font, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if s.CJK() != c.cjk {
				t.Fatalf("CJK() = %v", s.CJK())
			}
			text := ill.StampText("ILL-00AA11BB22CC33DD", s.CJK())
			out, err := s.Stamp(context.Background(), pdftest.Pages(3), text)
			if err != nil {
				t.Fatal(err)
			}
			if out.Pages != 3 || !ill.LooksLikePDF(out.PDF) {
				t.Fatalf("stamped: %d pages, PDF %v", out.Pages, ill.LooksLikePDF(out.PDF))
			}
			got := stamps(t, out.PDF)
			if len(got) != 3 {
				t.Fatalf("%d pages stamped, want 3", len(got))
			}
			for i, g := range got {
				if g != text {
					t.Errorf("page %d stamp %q, want %q", i+1, g, text)
				}
			}
			// Readers extract the same text (poppler's pdftotext, where
			// installed: the Debian package poppler-utils).
			if _, err := exec.LookPath("pdftotext"); err == nil {
				f := t.TempDir() + "/out.pdf"
				os.WriteFile(f, out.PDF, 0o600)
				b, err := exec.Command("pdftotext", f, "-").Output()
				if err != nil {
					t.Fatal(err)
				}
				pages := strings.Split(strings.TrimRight(string(b), "\f"), "\f")
				if len(pages) != 3 {
					t.Fatalf("pdftotext: %d pages", len(pages))
				}
				for i, p := range pages {
					if !strings.Contains(strings.Join(strings.Fields(p), " "), text) {
						t.Errorf("pdftotext page %d: %q lacks %q", i+1, p, text)
					}
				}
			}
		})
	}
}

func TestStampRefusesWhatIsNoPDF(t *testing.T) {
	s, err := pdf.New("", "")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"empty":        nil,
		"png":          []byte("\x89PNG\r\n\x1a\n0000"),
		"magic only":   []byte("%PDF-1.7\n garbage garbage"),
		"no page tree": []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"),
		"html renamed": []byte("<html>%PDF-1.4</html>"),
	} {
		if _, err := s.Stamp(context.Background(), in, "x"); ill.ErrorCode(err) != ill.CodeUnsupportedMedia {
			t.Errorf("%s: %v, want unsupported_media_type", name, err)
		}
	}
	if _, err := pdf.New("/nonexistent/font.ttf", ""); err == nil {
		t.Error("a missing font file was accepted")
	}
}

// stamps returns, per page of a stamped PDF, the text of its watermark
// form: pdfcpu marks it /Artifact /Watermark in the page content and draws
// it with a form XObject whose text is decoded here through the font's
// ToUnicode map (two-byte codes) or as single bytes (a core font).
func stamps(t *testing.T, b []byte) []string {
	t.Helper()
	ctx, err := api.ReadContext(bytes.NewReader(b), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Fatal(err)
	}
	var out []string
	for p := 1; p <= ctx.PageCount; p++ {
		d, _, _, err := ctx.PageDict(p, false)
		if err != nil {
			t.Fatal(err)
		}
		content, err := ctx.PageContent(d, p)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`/Subtype /Watermark[^>]*>>\s*BDC.*?/(\w+) Do`).FindSubmatch(content)
		if m == nil {
			t.Errorf("page %d: no watermark in %q", p, content)
			continue
		}
		res, _ := ctx.DereferenceDict(d["Resources"])
		xo, _ := ctx.DereferenceDict(res["XObject"])
		form, _, err := ctx.DereferenceStreamDict(xo[string(m[1])])
		if err != nil || form == nil {
			t.Fatalf("page %d: form %s: %v", p, m[1], err)
		}
		if err := form.Decode(); err != nil {
			t.Fatal(err)
		}
		fr, _ := ctx.DereferenceDict(form.Dict["Resources"])
		fonts, _ := ctx.DereferenceDict(fr["Font"])
		var cmap map[uint16]rune
		for _, v := range fonts {
			fd, _ := ctx.DereferenceDict(v)
			if tu, _, _ := ctx.DereferenceStreamDict(fd["ToUnicode"]); tu != nil {
				tu.Decode()
				cmap = parseBFChar(tu.Content)
			}
		}
		var text strings.Builder
		for _, s := range literalStrings(form.Content) {
			if cmap == nil {
				for _, c := range []byte(s) {
					text.WriteRune(rune(c)) // WinAnsi agrees with Latin-1 on these
				}
				continue
			}
			for i := 0; i+1 < len(s); i += 2 {
				text.WriteRune(cmap[uint16(s[i])<<8|uint16(s[i+1])])
			}
		}
		out = append(out, text.String())
	}
	return out
}

var bfchar = regexp.MustCompile(`<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>`)

func parseBFChar(b []byte) map[uint16]rune {
	m := map[uint16]rune{}
	for _, x := range bfchar.FindAllSubmatch(b, -1) {
		k, _ := strconv.ParseUint(string(x[1]), 16, 16)
		v, _ := strconv.ParseUint(string(x[2]), 16, 32)
		m[uint16(k)] = rune(v)
	}
	return m
}

// literalStrings returns the literal strings shown with Tj in a content
// stream, escapes resolved.
func literalStrings(b []byte) []string {
	var out []string
	for i := 0; i < len(b); i++ {
		if b[i] != '(' {
			continue
		}
		var s []byte
		depth := 1
		for i++; i < len(b) && depth > 0; i++ {
			c := b[i]
			switch {
			case c == '\\' && i+1 < len(b):
				i++
				e := b[i]
				switch e {
				case 'n':
					s = append(s, '\n')
				case 'r':
					s = append(s, '\r')
				case 't':
					s = append(s, '\t')
				case 'b':
					s = append(s, '\b')
				case 'f':
					s = append(s, '\f')
				case '0', '1', '2', '3', '4', '5', '6', '7':
					j := i
					for j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7' {
						j++
					}
					v, _ := strconv.ParseUint(string(b[i:j]), 8, 8)
					s = append(s, byte(v))
					i = j - 1
				default:
					s = append(s, e)
				}
			case c == '(':
				depth++
				s = append(s, c)
			case c == ')':
				depth--
				if depth > 0 {
					s = append(s, c)
				}
			default:
				s = append(s, c)
			}
		}
		i--
		if rest := strings.TrimLeft(string(b[i+1:]), " "); strings.HasPrefix(rest, "Tj") {
			out = append(out, string(s))
		}
	}
	return out
}
