package ill

import (
	"strings"
	"unicode"
)

// NormalizeISBN returns the ISBN-13 form of an ISBN-10 or ISBN-13 written
// with or without hyphens/spaces, and false when the check digit is wrong
// or the text is not an ISBN.
func NormalizeISBN(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "ISBN") {
		s = strings.TrimLeft(s[4:], ":： ")
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == 'x' || r == 'X' || r == 'ｘ' || r == 'Ｘ':
			b.WriteRune('X')
		case r == '-' || r == '－' || r == '–' || r == '—' || r == '‐' || unicode.IsSpace(r):
		case r >= '０' && r <= '９': // full-width digits
			b.WriteRune('0' + (r - '０'))
		default:
			return "", false
		}
	}
	d := b.String()
	switch len(d) {
	case 10:
		if !isbn10Valid(d) {
			return "", false
		}
		core := "978" + d[:9]
		return core + string(isbn13Check(core)), true
	case 13:
		if strings.Contains(d, "X") || isbn13Check(d[:12]) != d[12] {
			return "", false
		}
		return d, true
	}
	return "", false
}

func isbn10Valid(d string) bool {
	sum := 0
	for i := 0; i < 10; i++ {
		var v int
		switch {
		case d[i] == 'X' && i == 9:
			v = 10
		case d[i] >= '0' && d[i] <= '9':
			v = int(d[i] - '0')
		default:
			return false
		}
		sum += v * (10 - i)
	}
	return sum%11 == 0
}

// isbn13Check computes the check digit for 12 digits.
func isbn13Check(d12 string) byte {
	sum := 0
	for i := 0; i < 12; i++ {
		v := int(d12[i] - '0')
		if i%2 == 1 {
			v *= 3
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

// ISBN13Check exposes the ISBN-13 check digit for 12 leading digits (used by
// the demo data generator).
func ISBN13Check(d12 string) byte { return isbn13Check(d12) }

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
