package ill

import (
	"strings"
	"sync"
	"unicode"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/width"
)

// Text normalisation for record matching and catalogue search.
//
// Fold is the one normalisation every comparison goes through: full-width
// forms folded to half-width (golang.org/x/text/width), traditional Chinese
// converted to simplified (OpenCC t2s, github.com/longbridgeapp/opencc),
// letters lower-cased, and everything that is not a letter or a digit
// (spaces, punctuation, brackets, middle dots) dropped. Two catalogue
// strings that differ only in those respects fold to the same text.

var (
	t2sOnce sync.Once
	t2s     *opencc.OpenCC
)

// toSimplified converts traditional Chinese to simplified; text without
// Han characters is returned unchanged without touching the dictionary.
func toSimplified(s string) string {
	han := false
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			han = true
			break
		}
	}
	if !han {
		return s
	}
	t2sOnce.Do(func() {
		cc, err := opencc.New("t2s")
		if err == nil {
			t2s = cc
		}
	})
	if t2s == nil {
		return s
	}
	out, err := t2s.Convert(s)
	if err != nil {
		return s
	}
	return out
}

// Fold normalises catalogue text for comparison and indexing (see above).
func Fold(s string) string {
	s = toSimplified(width.Fold.String(s))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// authorRoles are responsibility words catalogues append to names
// ("王珊，萨师煊编著", "张三 主编"); they are not part of the name.
var authorRoles = []string{"编著", "主编", "编写", "编译", "译注", "合著", "等著", "等编", "著", "编", "译", "等"}

// FirstAuthor returns the folded first personal or corporate name of an
// author statement, without responsibility words: "王珊, 萨师煊 编著",
// "王珊、薩師煊著" and "王珊" all give "王珊".
func FirstAuthor(author string) string {
	author = width.Fold.String(author)
	first := strings.FieldsFunc(author, func(r rune) bool {
		return strings.ContainsRune(",;、/&|", r) || r == '，' || r == '；'
	})
	for _, p := range first {
		// "艾伦,A,A,多诺万": commas between a name's initials are not
		// separators between authors.
		if len([]rune(Fold(p))) == 1 {
			first = []string{author}
			break
		}
	}
	if len(first) == 0 {
		return ""
	}
	name := strings.TrimSpace(first[0])
	// "王珊 萨师煊" (space-separated Chinese names) → first name only.
	if f := strings.Fields(name); len(f) > 1 && isHan(f[0]) && isHan(f[1]) {
		name = f[0]
	}
	name = Fold(name)
	for changed := true; changed; {
		changed = false
		for _, role := range authorRoles {
			if n := strings.TrimSuffix(name, role); n != name && n != "" {
				name, changed = n, true
			}
		}
	}
	return name
}

func isHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

// TitleKey is the normalised title/author/publisher/year key used to match
// records without a usable ISBN: the folded title, the folded first author
// without responsibility words, the folded publisher and the year, joined
// by '|'. Punctuation, spacing, full/half width and traditional/simplified
// differences do not change the key; a different edition (another year or
// publisher) does.
func TitleKey(title, author, publisher string, year int) string {
	k := Fold(title) + "|" + FirstAuthor(author) + "|" + Fold(publisher) + "|"
	if year > 0 {
		k += itoa(year)
	}
	if len(k) > 255 { // records.match_key is VARCHAR(255) (bytes here, characters there: safe)
		k = truncateUTF8(k, 255)
	}
	return k
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// SameTitle reports whether two titles are the same work's title after
// folding, allowing one to extend the other (a subtitle or an edition
// statement one catalogue carries and another does not).
func SameTitle(a, b string) bool {
	fa, fb := Fold(a), Fold(b)
	if fa == "" || fb == "" {
		return fa == fb
	}
	return strings.HasPrefix(fa, fb) || strings.HasPrefix(fb, fa)
}

// Term is one entry of the catalogue's search index: a bigram (two
// consecutive characters of folded text) packed into an integer, two
// 21-bit code points.
type Term uint64

// TermOf packs two runes.
func TermOf(a, b rune) Term { return Term(uint64(a)<<21 | uint64(b)) }

// Bigrams returns the distinct bigram terms of already-folded text, in
// first-occurrence order. Text of one character has none.
func Bigrams(folded string) []Term {
	rs := []rune(folded)
	if len(rs) < 2 {
		return nil
	}
	seen := make(map[Term]bool, len(rs))
	out := make([]Term, 0, len(rs)-1)
	for i := 0; i+1 < len(rs); i++ {
		t := TermOf(rs[i], rs[i+1])
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// RecordTerms is the set of index terms of a record: the bigrams of its
// folded title and of its folded author statement (separately, so no term
// spans the two fields).
func RecordTerms(title, author string) []Term {
	ts := Bigrams(Fold(title))
	seen := make(map[Term]bool, len(ts))
	for _, t := range ts {
		seen[t] = true
	}
	for _, t := range Bigrams(Fold(author)) {
		if !seen[t] {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	return ts
}

// QueryWords splits a search query into folded words: whitespace separates
// words (all must match); each word is folded like the indexed text. Words
// that fold to nothing (pure punctuation) are dropped.
func QueryWords(q string) []string {
	var out []string
	for _, w := range strings.Fields(width.Fold.String(q)) {
		if f := Fold(w); f != "" {
			out = append(out, f)
		}
	}
	return out
}
