package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/balis/illhub/ill"
)

// Session kinds: who signed in to the web pages.
const (
	SessionReader = "reader" // a reader of a member library, in the portal
	SessionStaff  = "staff"  // a staff account, in the console
)

// Signing in is the console's (package web): it canonicalises the
// identity, throttles failures, reads the account (Reader, StaffUser) and
// compares the secret with CheckPIN; only then does it start a session
// here.

// newToken is 32 random bytes, URL-safe: a session cookie or a session's
// CSRF token, unguessable.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// StartSession signs an account in for ttl: it stores a new session
// (kind SessionReader or SessionStaff; subject the card number or user
// name as registered, role "" for a reader) with a fresh CSRF token and
// returns the token the cookie carries. Only ill.HashKey of the token is
// stored. The caller has checked the credentials.
func (s *Service) StartSession(ctx context.Context, kind, library, subject string, role ill.StaffRole, ttl time.Duration) (string, error) {
	tok := newToken()
	now := s.clock.Now()
	ss := ill.Session{IDHash: ill.HashKey(tok), Kind: kind, Library: library, Subject: subject, Role: role,
		CSRF: newToken(), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.store.AddSession(ctx, ss); err != nil {
		return "", err
	}
	return tok, nil
}

// Session reads the live session a cookie token opened (ill.Sessions:
// not expired, and a staff session's account still enabled); not_found
// otherwise.
func (s *Service) Session(ctx context.Context, token string) (ill.Session, error) {
	return s.store.SessionByHash(ctx, ill.HashKey(token), s.clock.Now())
}

// EndSession ends session idHash (signing out).
func (s *Service) EndSession(ctx context.Context, idHash string) error {
	return s.store.DeleteSession(ctx, idHash)
}

// Reader reads reader card of library with its PIN hash, for signing in
// (CheckPIN) and for the patron of a portal submit; not_found when the
// library never registered it. It is no principal's read: the portal
// asks for the signed-in reader's own record only.
func (s *Service) Reader(ctx context.Context, library, card string) (ill.Reader, error) {
	return s.store.Reader(ctx, library, card)
}

// StaffUser reads console account username of library with its password
// hash, for signing in (CheckPIN; a disabled account must be refused);
// not_found when there is none.
func (s *Service) StaffUser(ctx context.Context, library, username string) (ill.Staff, error) {
	return s.store.StaffUser(ctx, library, username)
}
