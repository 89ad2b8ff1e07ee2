package app

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"

	"github.com/balis/illhub/ill"
	"golang.org/x/crypto/bcrypt"
)

// ReaderBody is a library's registration (or update) of one of its
// readers for the web portal (POST /v1/readers).
type ReaderBody struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	DepositPaid bool   `json:"deposit_paid"`
	PIN         string `json:"pin"` // 4–32 characters, at most 72 bytes; stored as a bcrypt hash, never returned
	// Category is the reader's category for the subsidy of copy fees
	// (faculty, postgraduate, undergraduate, other; ill.ReaderCategory);
	// "" keeps the stored one (a new reader: other).
	Category string `json:"category,omitempty"`
}

// RegisterReader registers (or updates) reader b of member library p with
// a portal PIN and returns the reader as stored, without the PIN hash. The
// card number is canonical (ill.CanonicalCard): the spelling the library
// sent, without invisible characters. Errors: forbidden for a centre key,
// bad_request naming the field.
func (s *Service) RegisterReader(ctx context.Context, p ill.Principal, b ReaderBody) (ill.Reader, error) {
	if err := ForReaders.Check(p); err != nil {
		return ill.Reader{}, err
	}
	id, err := ill.CanonicalCard("id", b.ID)
	if err != nil {
		return ill.Reader{}, err
	}
	for _, c := range []error{checkLen("name", b.Name, 128, false), checkLen("email", b.Email, 160, false)} {
		if c != nil {
			return ill.Reader{}, c
		}
	}
	var cat ill.ReaderCategory
	if strings.TrimSpace(b.Category) != "" {
		if cat, err = ill.ParseReaderCategory(b.Category); err != nil {
			return ill.Reader{}, err
		}
	}
	hash, err := HashPIN(b.PIN)
	if err != nil {
		return ill.Reader{}, err
	}
	r := ill.Reader{Library: p.Library, ID: id, Name: b.Name, Email: b.Email, DepositPaid: b.DepositPaid, PINHash: hash,
		Category: cat}
	if err := s.store.PutReader(ctx, r, s.clock.Now()); err != nil {
		return ill.Reader{}, err
	}
	// the reader as stored: a category left out is the one kept
	if stored, err := s.store.Reader(ctx, p.Library, id); err == nil {
		r = stored
	}
	r.PINHash = ""
	return r, nil
}

// StaffBody is a console account to create or update (illctl staff add).
type StaffBody struct {
	Library  string        // a member code, or ill.CentreCode for a centre admin
	Username string        // canonicalised (ill.CanonicalUser)
	Name     string        // display name
	Role     ill.StaffRole // "": ill.StaffRoleFor(Library); otherwise one ill.StaffRoleValid allows
	// Password is hashed with HashPIN; "" keeps the stored one (a new
	// account needs one).
	Password string
	// Disabled: the account can no longer sign in, and its open sessions
	// end.
	Disabled bool
}

// RegisterStaff creates or updates console account b (the operator's use
// case: illctl) and returns it as stored, without the password hash, with
// the number of open sessions it ended (a disabled account's). Errors:
// bad_request naming the field (library, username, role, name; pin for a
// password HashPIN refuses; password for a new account without one),
// not_found when Library is neither a member nor the centre.
func (s *Service) RegisterStaff(ctx context.Context, b StaffBody) (ill.Staff, int64, error) {
	lib, err := ill.CanonicalCode("library", b.Library)
	if err != nil {
		return ill.Staff{}, 0, err
	}
	user, err := ill.CanonicalUser("username", b.Username)
	if err != nil {
		return ill.Staff{}, 0, err
	}
	if b.Role == "" {
		b.Role = ill.StaffRoleFor(lib)
	}
	if !ill.StaffRoleValid(lib, b.Role) {
		return ill.Staff{}, 0, ill.FieldError("role", "role centre_admin goes with library CENTRE, role staff or library_admin with a member library")
	}
	if err := checkLen("name", b.Name, 128, false); err != nil {
		return ill.Staff{}, 0, err
	}
	hash := ""
	if b.Password != "" {
		if hash, err = HashPIN(b.Password); err != nil {
			return ill.Staff{}, 0, err
		}
	}
	if lib != ill.CentreCode {
		if _, err := s.store.Library(ctx, lib); err != nil {
			return ill.Staff{}, 0, err
		}
	}
	if hash == "" {
		if _, err := s.store.StaffUser(ctx, lib, user); ill.ErrorCode(err) == ill.CodeNotFound {
			return ill.Staff{}, 0, ill.FieldError("password", "a new account needs a password")
		} else if err != nil {
			return ill.Staff{}, 0, err
		}
	}
	u := ill.Staff{Library: lib, Username: user, Name: b.Name, Role: b.Role, PasswordHash: hash, Disabled: b.Disabled}
	if err := s.store.PutStaff(ctx, u); err != nil {
		return ill.Staff{}, 0, err
	}
	u.PasswordHash = ""
	if !b.Disabled {
		return u, 0, nil
	}
	// The session lookup refuses a disabled account's sessions anyway;
	// ending them here makes that visible at once.
	n, err := s.store.DeleteSessionsOf(ctx, SessionStaff, lib, user)
	return u, n, err
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
		panic("app: bcrypt: " + err.Error())
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
