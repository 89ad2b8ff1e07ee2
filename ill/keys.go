package ill

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// HashKey is how API keys are stored: the hex SHA-256 of the key. Keys are
// long random strings (or demo keys on development data), so an unsalted
// fast hash is adequate and allows an indexed lookup.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// DemoKey is the well-known development key of a library in the demo
// dataset (SPEC §7). Only `illctl seed demo` creates these.
func DemoKey(code string) string { return "demo-key-" + code }

// IsDemoKey reports whether key has the form of a demo dataset key: such
// keys are public, so they authenticate only in a demo (ILL_DEMO=1).
func IsDemoKey(key string) bool { return strings.HasPrefix(key, "demo-key-") }
