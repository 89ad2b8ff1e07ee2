package ill

import (
	"strings"
	"unicode/utf8"
)

// SearchQuery is a catalogue search. It is a plain struct so that every
// caller (the JSON API, the web portal) builds it the same way; zero values
// mean "no filter". Page is 1-based; PerPage defaults to 20.
type SearchQuery struct {
	Q         string // words, whitespace-separated; each must occur in the title or the author
	ISBN      string // ISBN-10 or -13, with or without hyphens
	Library   string // only records this member holds
	Available bool   // only records with an available copy somewhere
	YearFrom  int    // publication year range, inclusive (0: open)
	YearTo    int
	Page      int
	PerPage   int
}

// SearchHit is one search result: a record and how many members hold it
// and have a copy available.
type SearchHit struct {
	Record
	Holdings  int
	Available int
}

// SearchResults is one page of results. Total is exact unless TotalCapped
// is set, in which case there are at least Total matches: the count stops
// at SearchTotalCap matches, and after SearchScanCap postings of the
// driving bigram (counting every posting of a frequent bigram is what made
// searches slow; a catalogue UI shows "1,000+" and readers refine).
type SearchResults struct {
	Hits        []SearchHit
	Total       int
	TotalCapped bool
	// Words and Probes are the number of query words the search used and
	// of bigrams it probed (at most MaxSearchWords and MaxSearchProbes);
	// QueryTruncated is set when words of Q were left out or cut.
	Words, Probes  int
	QueryTruncated bool
}

// SearchTotalCap is the largest total a search counts exactly.
const SearchTotalCap = 1000

// SearchScanCap bounds the postings of the driving bigram the count reads
// when matches must be checked (other words, filters): a rare filter such
// as one library's holdings would otherwise read tens of thousands of
// postings to find 1,000 matches. Beyond it the total is a lower bound
// (TotalCapped).
const SearchScanCap = 2000

// The cost of a search grows with its words (one LIKE check each) and
// their bigrams (one probe query each): a query of 2,000 distinct words
// cost 0.38 s. The search therefore uses the first MaxSearchWords
// distinct words of Q, each cut to MaxSearchWordRunes, and probes at most
// MaxSearchProbes distinct bigrams (the rarest of those drives the walk;
// every kept word is still checked, so the answer stays exact for the
// kept words). Later words are ignored, as web search engines ignore
// words past their limit, and the results say so (QueryTruncated): more
// words only narrow a search that already has 32, and no reader types
// them, so refusing the query would help nobody.
const (
	MaxSearchWords     = 32
	MaxSearchProbes    = 32
	MaxSearchWordRunes = 400 // a longer word matches nothing: the index keeps 400 characters of a folded title
)

// SearchTerms returns what a search uses of q: its folded words
// (QueryWords) without repeats, at most MaxSearchWords, each at most
// MaxSearchWordRunes; the distinct bigrams it probes, at most
// MaxSearchProbes, with the index of the word each comes from; and
// whether anything of q was left out. It reads q one field at a time and
// stops at the limit, so its own cost is bounded by the words kept.
func SearchTerms(q string) (words []string, probes []Term, probeWord []int, truncated bool) {
	seen := map[string]bool{}
fields:
	for field := range strings.FieldsSeq(q) {
		for _, w := range QueryWords(field) {
			if seen[w] {
				continue
			}
			if len(words) == MaxSearchWords {
				truncated = true
				break fields
			}
			if utf8.RuneCountInString(w) > MaxSearchWordRunes {
				w, truncated = string([]rune(w)[:MaxSearchWordRunes]), true
				if seen[w] {
					continue
				}
			}
			seen[w] = true
			words = append(words, w)
		}
	}
	probed := map[Term]bool{}
	for i, w := range words {
		for _, t := range Bigrams(w) {
			if probed[t] {
				continue
			}
			if len(probes) == MaxSearchProbes {
				return words, probes, probeWord, truncated
			}
			probed[t] = true
			probes, probeWord = append(probes, t), append(probeWord, i)
		}
	}
	return words, probes, probeWord, truncated
}
