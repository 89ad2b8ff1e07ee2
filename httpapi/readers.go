package httpapi

import (
	"crypto/rand"
	"net/http"
	"sync"

	"github.com/balis/illhub/ill"
	"golang.org/x/crypto/bcrypt"
)

// ReaderBody is the body of POST /v1/readers: a library registers (or
// updates) one of its readers for the web portal.
type ReaderBody struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	DepositPaid bool   `json:"deposit_paid"`
	PIN         string `json:"pin"` // 4–32 characters, at most 72 bytes; stored as a bcrypt hash, never returned
}

// MaxPINBytes is bcrypt's input limit: longer secrets cannot be hashed
// (and would otherwise be silently truncated by older implementations).
// 72 bytes are 24 Chinese characters in UTF-8.
const MaxPINBytes = 72

// HashPIN validates a reader PIN (4–32 characters, at most MaxPINBytes
// bytes) and returns its bcrypt hash. It is the one place PINs and staff
// passwords are hashed; a PIN it refuses is a bad_request on field pin,
// never an internal error.
func HashPIN(pin string) (string, error) {
	if n := len([]rune(pin)); n < 4 || n > 32 {
		return "", ill.FieldError("pin", "pin must be 4 to 32 characters")
	}
	if len(pin) > MaxPINBytes {
		return "", ill.FieldError("pin", "pin must be at most %d bytes (UTF-8)", MaxPINBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	return string(h), err
}

// dummyHash is a bcrypt hash, at HashPIN's cost, of a random secret no one
// knows: CheckPIN compares against it when there is no stored hash, so an
// unknown account costs the same time as a known one.
var dummyHash = sync.OnceValue(func() []byte {
	var b [32]byte
	_, _ = rand.Read(b[:])
	h, err := bcrypt.GenerateFromPassword(b[:], bcrypt.DefaultCost)
	if err != nil {
		panic("httpapi: bcrypt: " + err.Error())
	}
	return h
})

// CheckPIN reports whether pin matches a bcrypt hash. An empty hash (an
// unknown account, a reader without a PIN) never matches but costs one
// bcrypt comparison all the same, so the answer's timing does not tell
// known accounts from unknown ones. A pin longer than MaxPINBytes never
// matches (no hash can have been made of it) and is refused before any
// work, whatever the account.
func CheckPIN(hash, pin string) bool {
	if len(pin) > MaxPINBytes {
		return false
	}
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(pin))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pin)) == nil
}

// putReader: POST /v1/readers (member library keys only). 200 with the
// reader (without the PIN). The card number is canonical (ill.CanonicalCard):
// the spelling the library sent, without invisible characters, or 400.
func (s *Server) putReader(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if p.Centre {
		return ill.Errorf(ill.CodeForbidden, "readers belong to a member library; use that library's key")
	}
	var b ReaderBody
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	id, err := ill.CanonicalCard("id", b.ID)
	if err != nil {
		return err
	}
	b.ID = id
	for _, c := range []error{checkLen("name", b.Name, 128, false), checkLen("email", b.Email, 160, false)} {
		if c != nil {
			return c
		}
	}
	hash, err := HashPIN(b.PIN)
	if err != nil {
		return err
	}
	if err := s.Store.PutReader(r.Context(), ill.Reader{Library: p.Library, ID: b.ID, Name: b.Name, Email: b.Email,
		DepositPaid: b.DepositPaid, PINHash: hash}, s.Clock.Now()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"library": p.Library, "id": b.ID, "name": b.Name, "email": b.Email,
		"deposit_paid": b.DepositPaid, "portal": true})
	return nil
}
