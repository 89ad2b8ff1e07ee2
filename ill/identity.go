package ill

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Canonical identities.
//
// The database compares library codes, card numbers and user names with
// utf8mb4_unicode_ci, which treats "BUCT", "buct", "ＢＵＣＴ" (full width)
// and "BÚCT" as one value. Anything that keys on the raw input instead (a
// sign-in throttle, a cache, a stored row's spelling) would then see several
// identities where the database sees one. Every boundary (JSON API, ISO
// 18626, portal, console, illctl) therefore passes each identity through
// one of these functions exactly once, and the rest of the code only ever
// sees the canonical form:
//
//   - NFKC folds compatibility forms (full-width letters and digits,
//     ligatures) to their plain spelling;
//   - invisible characters (format characters such as U+200B zero-width
//     space, U+FEFF, U+00AD soft hyphen, and other default-ignorable code
//     points) are removed, surrounding white space trimmed;
//   - what still falls outside the identity's alphabet (accented letters,
//     spaces, control characters, other scripts) is refused with a
//     bad_request naming the field, so no two accepted spellings can
//     collate to one row.
//
// Case: library codes are upper-cased. Card numbers and user names keep the
// spelling the caller sent (stored rows are matched case-insensitively by
// the collation); in-memory keys must use IdentityKey, which folds case
// the same way.

// MaxCodeLen, MaxCardLen and MaxUserLen are the column widths of
// libraries.code, patrons.id and staff_users.username.
const (
	MaxCodeLen = 16
	MaxCardLen = 64
	MaxUserLen = 64
)

// CanonicalCode returns the canonical library code: upper-case ASCII
// letters, digits, '-' and '_', 1 to 16 characters. field names the input
// in the error.
func CanonicalCode(field, s string) (string, error) {
	c, err := canonical(field, s, MaxCodeLen, "library codes are letters, digits, '-' and '_'")
	if err != nil {
		return "", err
	}
	c = strings.ToUpper(c)
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", FieldError(field, "library codes are letters, digits, '-' and '_'")
		}
	}
	return c, nil
}

// CanonicalCard returns the canonical reader card number (patron id):
// printable ASCII without spaces, 1 to 64 characters, case kept.
func CanonicalCard(field, s string) (string, error) {
	return canonical(field, s, MaxCardLen, "card numbers are printable ASCII without spaces")
}

// CanonicalUser returns the canonical staff user name: printable ASCII
// without spaces, 1 to 64 characters, case kept.
func CanonicalUser(field, s string) (string, error) {
	return canonical(field, s, MaxUserLen, "user names are printable ASCII without spaces")
}

// IdentityKey is the key an in-memory structure (throttle, cache) must use
// for a canonical identity: it folds case as the database's collation does.
func IdentityKey(canonical string) string { return strings.ToUpper(canonical) }

func canonical(field, s string, maxLen int, alphabet string) (string, error) {
	if len(s) > 4*maxLen+64 { // refuse before normalising a huge input
		return "", FieldError(field, "at most %d characters", maxLen)
	}
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if invisible(r) {
			continue
		}
		b.WriteRune(r)
	}
	c := strings.TrimSpace(b.String())
	if c == "" {
		return "", FieldError(field, "required")
	}
	if utf8.RuneCountInString(c) > maxLen {
		return "", FieldError(field, "at most %d characters", maxLen)
	}
	for _, r := range c {
		if r < 0x21 || r > 0x7e {
			return "", FieldError(field, "%s", alphabet)
		}
	}
	return c, nil
}

// invisible reports whether r renders as nothing: format characters (Cf:
// zero-width space and joiners, BOM, soft hyphen, bidi controls) and the
// other default-ignorable code points that are not Cf (Hangul fillers,
// variation selectors, the Mongolian vowel separator, combining grapheme
// joiner).
func invisible(r rune) bool {
	if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) {
		return true
	}
	switch r {
	case 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFFA0:
		return true
	}
	return false
}
