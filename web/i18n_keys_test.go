package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// sameInBothLanguages are the entries whose Chinese and English are
// rightly the same: acronyms and identifiers a Chinese librarian reads as
// they are.
var sameInBothLanguages = map[string]bool{
	"ISBN": true, "ISSN": true, "DOI": true, "CSV": true, "XLSX": true, "OPAC": true, "CALIS": true,
	"PIN": true, "API": true, "ISO 18626": true, "JSON": true, "BALIS": true, "#": true,
}

var (
	// {{.T "key"}}, {{$.T "key"}}, (.T "key"), p.T("key"), tr(lang, "key")
	templateKey = regexp.MustCompile(`\.T\s+"([^"]+)"`)
	goKey       = regexp.MustCompile(`(?:\.T|\btr)\((?:[a-zA-Z.]+,\s*)?"([^"]+)"\)`)
	// the constants of a closed set in package ill: Name Type = "value"
	illConst = func(typ string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s*\w+\s+` + typ + `\s*=\s*"([^"]+)"`)
	}
)

// usedKeys lists every translation key the templates and the Go code of
// the pages name literally, and the keys of the families the pages build
// from closed sets (queue., err., reason., outcome., the flash messages).
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	keys := map[string]string{} // key → where
	err := fs.WalkDir(assets, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, path)
		if err != nil {
			return err
		}
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = f
		}
	}
	for _, q := range queues {
		keys["queue."+q.Key] = "web.queues"
	}
	for k := range flashKeys {
		keys[k] = "web.flashKeys"
	}
	illFiles, _ := filepath.Glob("../ill/*.go")
	for _, f := range illFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for prefix, typ := range map[string]string{"err.": "Code", "reason.": "Reason", "outcome.": "Outcome", "event.": "Action"} {
			for _, m := range illConst(typ).FindAllStringSubmatch(string(b), -1) {
				keys[prefix+m[1]] = f
			}
		}
	}
	return keys
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// hasLatinWord reports whether s holds a run of two or more Latin letters
// (a word, not a placeholder such as {n}).
func hasLatinWord(s string) bool {
	return regexp.MustCompile(`(^|[^{a-zA-Z])[a-zA-Z]{2,}`).MatchString(s)
}

// TestTranslationsComplete fails on a key the pages use with no entry, an
// entry whose Chinese and English are the same (an untranslated copy),
// Chinese with no Chinese in it ("pending" on a Chinese screen) or English
// with Chinese in it.
func TestTranslationsComplete(t *testing.T) {
	used := usedKeys(t)
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	var problems []string
	for k, where := range used {
		m, ok := messages[k]
		if !ok {
			problems = append(problems, "missing "+k+" (used in "+where+")")
			continue
		}
		_ = m
	}
	for k, m := range messages {
		zh, en := m[0], m[1]
		switch {
		case k == "lang_switch": // each language's name in itself: the link to switch to it
		case zh == "" || en == "":
			problems = append(problems, "empty "+k)
		case zh == en && !sameInBothLanguages[zh]:
			problems = append(problems, "same in zh and en: "+k+" = "+zh)
		case zh != en && !hasHan(zh) && hasLatinWord(zh) && !sameInBothLanguages[zh]:
			problems = append(problems, "no Chinese in the zh text of "+k+": "+zh)
		case hasHan(en):
			problems = append(problems, "Chinese in the en text of "+k+": "+en)
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}
