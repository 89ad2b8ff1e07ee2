package ill

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCanonicalCode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "BUCT", want: "BUCT"},
		{in: "buct", want: "BUCT"},
		{in: " Buct\t", want: "BUCT"},
		{in: "ＢＵＣＴ", want: "BUCT"},                   // full width
		{in: "BUCT\u200b", want: "BUCT"},             // zero-width space
		{in: "\ufeffBU\u200dCT\u00ad", want: "BUCT"}, // BOM, ZWJ, soft hyphen
		{in: "BU\u3164CT", want: "BUCT"},             // Hangul filler (not Cf, default-ignorable)
		{in: "CENTRE", want: "CENTRE"},
		{in: "x-1_2", want: "X-1_2"},
		{in: "BÚCT", bad: true},              // collates to BUCT: refused, not folded
		{in: "BU CT", bad: true},             // inner space
		{in: "北京", bad: true},                // other script
		{in: "", bad: true},                  // empty
		{in: "\u200b", bad: true},            // only invisible
		{in: "ABCDEFGHIJKLMNOPQ", bad: true}, // 17 characters
		{in: "BU.CT", bad: true},
	} {
		got, err := CanonicalCode("library", tc.in)
		if tc.bad {
			if err == nil || ErrorCode(err) != CodeBadRequest {
				t.Errorf("CanonicalCode(%q) = %q, %v; want bad_request", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CanonicalCode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCanonicalCard(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "BUCTPTLOCK", want: "BUCTPTLOCK"},
		{in: "buctptlock", want: "buctptlock"}, // case kept; IdentityKey folds it
		{in: "ＢＵＣＴＰＴＬＯＣＫ", want: "BUCTPTLOCK"},
		{in: "BUCTPTLOCK\u200b\u200b\u200b", want: "BUCTPTLOCK"},
		{in: "THU-2024/001", want: "THU-2024/001"},
		{in: "ＴＨＵ２０２４", want: "THU2024"},
		{in: "BÚCTPTLOCK", bad: true},
		{in: "王小明", bad: true},
		{in: "a b", bad: true},
		{in: "a\x00b", bad: true},
		{in: strings.Repeat("9", 65), bad: true},
		{in: strings.Repeat("\u200b", 30000) + "X", bad: true}, // huge input refused before normalising
	} {
		got, err := CanonicalCard("card", tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("CanonicalCard(%q) = %q; want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CanonicalCard(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// Every spelling the finding listed maps to one in-memory key, or is refused.
func TestIdentityKeyOneKeyPerAccount(t *testing.T) {
	want := IdentityKey("BUCTPTLOCK")
	for _, v := range []string{"BUCTPTLOCK", "buctptlock", "BuCtPtLoCk", "ＢＵＣＴＰＴＬＯＣＫ", "BUCTPTLOCK\u200b", "\u200bbuctptlock\u200b\u200b"} {
		c, err := CanonicalCard("card", v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if IdentityKey(c) != want {
			t.Errorf("%q → key %q, want %q", v, IdentityKey(c), want)
		}
	}
}

// Property: canonicalisation is idempotent, and what it accepts is printable
// ASCII within the length limit.
func FuzzCanonicalCard(f *testing.F) {
	for _, s := range []string{"THU2024001", "ｔｈｕ", "a\u200bb", "BÚCT", "", " x ", "\ufeff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalCard("card", s)
		if err != nil {
			return
		}
		if utf8.RuneCountInString(c) > MaxCardLen || c == "" {
			t.Fatalf("%q → %q: outside the limits", s, c)
		}
		for _, r := range c {
			if r < 0x21 || r > 0x7e {
				t.Fatalf("%q → %q: %U outside printable ASCII", s, c, r)
			}
		}
		again, err := CanonicalCard("card", c)
		if err != nil || again != c {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, c, again, err)
		}
		code, err := CanonicalCode("library", s)
		if err == nil {
			if again, err := CanonicalCode("library", code); err != nil || again != code {
				t.Fatalf("code not idempotent: %q → %q → %q, %v", s, code, again, err)
			}
		}
	})
}
