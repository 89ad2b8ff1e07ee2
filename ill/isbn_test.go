package ill_test

import (
	"testing"

	"github.com/balis/illhub/ill"
)

// validISBN13 checks a 13-digit ISBN independently of the package.
func validISBN13(s string) bool {
	if len(s) != 13 {
		return false
	}
	sum := 0
	for i := 0; i < 13; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		w := 1
		if i%2 == 1 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	return sum%10 == 0
}

func TestNormalizeISBN(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" = rejected
	}{
		// ISBN-10 → ISBN-13.
		{"0306406152", "9780306406157"},
		{"0-306-40615-2", "9780306406157"},
		{"7111213823", "9787111213826"},
		{"7-111-21382-3", "9787111213826"},
		{"7 302 13939 3", "9787302139393"},
		{"7040085127", "9787040085129"},
		{"7108000105", "9787108000101"},
		{"7-02-006553-8", "9787020065530"},
		// X check digit.
		{"080442957X", "9780804429573"},
		{"080442957x", "9780804429573"},
		{"7-5399-4370-X", "9787539943701"},
		// ISBN-13.
		{"9787111544937", "9787111544937"},
		{"978-7-111-54493-7", "9787111544937"},
		{"978 7 5200 4178 2", "9787520041782"},
		{" 9787520041782 ", "9787520041782"},
		{"9787302139393\t", "9787302139393"},
		{"\u30009787302139393", "9787302139393"}, // ideographic space
		// Full-width digits.
		{"９７８７１１１５４４９３７", "9787111544937"},
		{"９７８－７", ""}, // full-width hyphen is not accepted
		{"７１１１２１３８２３", "9787111213826"},
		{"７-１１１-２１３８２-３", "9787111213826"},
		{"753994370Ｘ", "9787539943701"}, // full-width X, as pasted from Chinese input methods
		// Invalid check digits.
		{"0306406153", ""},
		{"7111213824", ""},
		{"0804429571", ""},
		{"9787111544938", ""},
		{"9787111544930", ""},
		{"9780306406152", ""},
		// X anywhere else, or in an ISBN-13.
		{"X306406152", ""},
		{"03064X6152", ""},
		{"978711154493X", ""},
		// Garbage and wrong lengths.
		{"", ""},
		{"   ", ""},
		{"-", ""},
		{"ISBN 9787111544937", "9787111544937"}, // pasted with its label
		{"ISBN：978－7－111－54493－7", "9787111544937"},
		{"978711154493", ""},
		{"97871115449371", ""},
		{"030640615", ""},
		{"abcdefghij", ""},
		{"978-7-111-54493-7; 978-7-302-13939-3", ""},
		{"9787111544937\x00", ""},
		{"中文书名", ""},
		{"XXXXXXXXXX", ""},
	}
	for _, c := range cases {
		got, ok := ill.NormalizeISBN(c.in)
		if c.want == "" {
			if ok || got != "" {
				t.Errorf("NormalizeISBN(%q) = %q, %v; want rejected", c.in, got, ok)
			}
			continue
		}
		if !ok || got != c.want {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
		if !validISBN13(got) {
			t.Errorf("NormalizeISBN(%q) = %q: not a valid ISBN-13", c.in, got)
		}
		if again, ok := ill.NormalizeISBN(got); !ok || again != got {
			t.Errorf("NormalizeISBN not idempotent on %q: %q %v", got, again, ok)
		}
	}
}

func TestNormalizeISBNEveryCheckDigit(t *testing.T) {
	// For one ISBN-10 body and one ISBN-13 body, exactly one check digit is valid.
	for _, body := range []string{"030640615", "711121382", "753994370"} {
		n := 0
		for _, c := range "0123456789X" {
			if _, ok := ill.NormalizeISBN(body + string(c)); ok {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s?: %d check digits accepted", body, n)
		}
	}
	for _, body := range []string{"978711154493", "978030640615", "979100000000"} {
		n := 0
		for c := '0'; c <= '9'; c++ {
			if _, ok := ill.NormalizeISBN(body + string(c)); ok {
				n++
				if want := ill.ISBN13Check(body); byte(c) != want {
					t.Errorf("%s: accepted %c, ISBN13Check says %c", body, c, want)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s?: %d check digits accepted", body, n)
		}
	}
}

func TestISBN13Check(t *testing.T) {
	for _, s := range []string{"9787111544937", "9780306406157", "9787520041782", "9787302139393", "9780000000002"} {
		if got := ill.ISBN13Check(s[:12]); got != s[12] {
			t.Errorf("ISBN13Check(%s) = %c, want %c", s[:12], got, s[12])
		}
	}
}

func TestTitleKey(t *testing.T) {
	base := ill.TitleKey("Go语言程序设计", "艾伦·A·A·多诺万", "机械工业出版社", 2016)
	same := [][4]any{
		{"GO语言程序设计", "艾伦·A·A·多诺万", "机械工业出版社", 2016},
		{"go 语言 程序设计", "艾伦 A A 多诺万", "机械工业出版社", 2016},
		{"Ｇｏ语言程序设计", "艾伦．Ａ．Ａ．多诺万", "机械工业出版社", 2016},
		{"《Go语言程序设计》", "艾伦-A-A-多诺万", "机械工业出版社。", 2016},
		{"Go语言：程序设计！", "艾伦・A・A・多诺万", " 机械工业出版社 ", 2016},
		{"Go-语言/程序设计?", "艾伦,A,A,多诺万", "（机械工业出版社）", 2016},
	}
	for _, s := range same {
		got := ill.TitleKey(s[0].(string), s[1].(string), s[2].(string), s[3].(int))
		if got != base {
			t.Errorf("TitleKey(%q, %q, %q) = %q, want %q", s[0], s[1], s[2], got, base)
		}
	}
	different := [][4]any{
		{"Go语言程序设计", "艾伦·A·A·多诺万", "机械工业出版社", 2017},
		{"Go语言程序设计", "艾伦·A·A·多诺万", "机械工业出版社", 0},
		{"Go语言程序设计2", "艾伦·A·A·多诺万", "机械工业出版社", 2016},
		{"Go语言程序", "设计艾伦·A·A·多诺万", "机械工业出版社", 2016}, // field boundaries matter
		{"Go语言程序设计", "", "机械工业出版社", 2016},
	}
	for _, s := range different {
		got := ill.TitleKey(s[0].(string), s[1].(string), s[2].(string), s[3].(int))
		if got == base {
			t.Errorf("TitleKey(%q, %q, %q, %d) should differ from the base key", s[0], s[1], s[2], s[3])
		}
	}
	if got := ill.TitleKey("A", "B", "C", 2016); got != "a|b|c|2016" {
		t.Errorf("TitleKey format = %q", got)
	}
	if got := ill.TitleKey("", "", "", 0); got != "|||" {
		t.Errorf("empty TitleKey = %q", got)
	}
	if got := ill.TitleKey("Ｔ１", "", "", -5); got != "t1|||" {
		t.Errorf("TitleKey full-width digits / no positive year = %q", got)
	}
}

func FuzzNormalizeISBN(f *testing.F) {
	for _, s := range []string{"0306406152", "080442957X", "978-7-111-54493-7", "９７８７１１１５４４９３７",
		"", "X", "978711154493X", " 7 5399 4370 x ", "ISBN", "0000000000", "\xff\xfe", "9790000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ill.NormalizeISBN(s)
		if !ok {
			if got != "" {
				t.Fatalf("NormalizeISBN(%q) = %q with ok=false", s, got)
			}
			return
		}
		if !validISBN13(got) {
			t.Fatalf("NormalizeISBN(%q) = %q: not 13 digits with a valid check digit", s, got)
		}
		if again, ok2 := ill.NormalizeISBN(got); !ok2 || again != got {
			t.Fatalf("NormalizeISBN(%q) = %q, but again → %q %v", s, got, again, ok2)
		}
	})
}
