package ill_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

// A search's work is bounded by the words and bigrams it uses, whatever q
// holds: the first 32 distinct words, 32 distinct bigrams probed.
func TestSearchTermsBounded(t *testing.T) {
	var words []string
	for i := range 2000 {
		words = append(words, fmt.Sprintf("词%04d", i))
	}
	ws, probes, probeWord, truncated := ill.SearchTerms(strings.Join(words, " "))
	if len(ws) != ill.MaxSearchWords || len(probes) != ill.MaxSearchProbes || len(probeWord) != len(probes) || !truncated {
		t.Fatalf("2,000 words: %d words, %d probes, truncated %v", len(ws), len(probes), truncated)
	}
	if ws[0] != "词0000" || ws[31] != "词0031" {
		t.Errorf("kept %q … %q, want the first words", ws[0], ws[31])
	}
	for k, w := range probeWord {
		if w < 0 || w >= len(ws) {
			t.Fatalf("probe %d from word %d", k, w)
		}
	}

	// Repeats count once; a short query is used whole.
	ws, probes, _, truncated = ill.SearchTerms("数据库 数据库 ＤＡＴＡ data 王珊")
	if strings.Join(ws, "|") != "数据库|data|王珊" || truncated || len(probes) != 2+3+1 {
		t.Errorf("short query: %q, %d probes, truncated %v", ws, len(probes), truncated)
	}

	// One huge word: cut to MaxSearchWordRunes, probes still bounded.
	ws, probes, _, truncated = ill.SearchTerms(strings.Repeat("数据库系统概论", 1000))
	if len(ws) != 1 || len([]rune(ws[0])) != ill.MaxSearchWordRunes || len(probes) > ill.MaxSearchProbes || !truncated {
		t.Errorf("huge word: %d words of %d runes, %d probes, truncated %v", len(ws), len([]rune(ws[0])), len(probes), truncated)
	}

	// Exactly 32 distinct words (and repeats of them) is not truncated.
	ws, _, _, truncated = ill.SearchTerms(strings.Join(words[:32], " ") + " " + strings.Join(words[:32], " "))
	if len(ws) != 32 || truncated {
		t.Errorf("32 words: %d, truncated %v", len(ws), truncated)
	}
}
