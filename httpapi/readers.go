package httpapi

import (
	"net/http"
	"strings"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/mysql"
	"golang.org/x/crypto/bcrypt"
)

// ReaderBody is the body of POST /v1/readers: a library registers (or
// updates) one of its readers for the web portal.
type ReaderBody struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	DepositPaid bool   `json:"deposit_paid"`
	PIN         string `json:"pin"` // 4–32 characters; stored as a bcrypt hash, never returned
}

// HashPIN validates a reader PIN (4–32 characters) and returns its bcrypt
// hash. It is the one place PINs and staff passwords are hashed.
func HashPIN(pin string) (string, error) {
	if n := len([]rune(pin)); n < 4 || n > 32 {
		return "", ill.FieldError("pin", "pin must be 4 to 32 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	return string(h), err
}

// CheckPIN reports whether pin matches a bcrypt hash ("" never matches).
func CheckPIN(hash, pin string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(pin)) == nil
}

// putReader: POST /v1/readers (member library keys only). 200 with the
// reader (without the PIN).
func (s *Server) putReader(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if p.Centre {
		return ill.Errorf(ill.CodeForbidden, "readers belong to a member library; use that library's key")
	}
	var b ReaderBody
	if err := s.decodeJSON(w, r, &b, false); err != nil {
		return err
	}
	b.ID = strings.TrimSpace(b.ID)
	for _, c := range []error{checkLen("id", b.ID, 64, true), checkLen("name", b.Name, 128, false),
		checkLen("email", b.Email, 160, false)} {
		if c != nil {
			return c
		}
	}
	hash, err := HashPIN(b.PIN)
	if err != nil {
		return err
	}
	if err := s.Store.PutReader(r.Context(), mysql.Reader{Library: p.Library, ID: b.ID, Name: b.Name, Email: b.Email,
		DepositPaid: b.DepositPaid, PINHash: hash}, s.Clock.Now()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"library": p.Library, "id": b.ID, "name": b.Name, "email": b.Email,
		"deposit_paid": b.DepositPaid, "portal": true})
	return nil
}
