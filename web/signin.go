package web

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/throttle"
	"golang.org/x/text/unicode/norm"
)

// Limits are the portal's abuse limits. Zero fields take the defaults
// (DefaultLimits). All tables are per producer process, bounded to Size
// keys each (least recently used evicted) and expiring.
type Limits struct {
	// AccountFree failures of one account from one client address are
	// free; then the pair is refused for Base, doubling with every further
	// failure up to Max. Failures are forgotten Window+Max after the last.
	AccountFree int
	// AccountAllFree failures of one account over all addresses are free
	// (higher: a reader's own typos from several places must not lock the
	// card, but a guesser spread over many addresses is slowed down).
	AccountAllFree int
	Window         time.Duration
	Base, Max      time.Duration
	// AddrBurst failed sign-ins from one client address are allowed at
	// once, then one per AddrEvery: whatever accounts they try.
	AddrBurst int
	AddrEvery time.Duration
	// IntakeBurst portal submits per signed-in reader at once, then
	// IntakePerMinute per minute.
	IntakeBurst     int
	IntakePerMinute float64
	// Size is the number of keys each table holds.
	Size int
}

// DefaultLimits: 5 free failures per card and address, then 1, 2, 4, 8, 15
// minutes; 20 per card over all addresses; 20 failed sign-ins per address
// at once, then one per 30 s (30 per quarter hour); 5 portal submits at
// once, then 10 a minute.
//
// Successful sign-ins never spend the per-address budget: a campus behind
// one NAT address signs in as often as its readers like, only its failures
// are counted. With 100,000 keys a table stays below roughly 30 MB however
// many distinct keys are tried.
var DefaultLimits = Limits{AccountFree: 5, AccountAllFree: 20, Window: 15 * time.Minute, Base: time.Minute,
	Max: 15 * time.Minute, AddrBurst: 20, AddrEvery: 30 * time.Second, IntakeBurst: 5, IntakePerMinute: 10,
	Size: 100_000}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.AccountFree, d.AccountFree)
	set(&l.AccountAllFree, d.AccountAllFree)
	set(&l.AddrBurst, d.AddrBurst)
	set(&l.IntakeBurst, d.IntakeBurst)
	set(&l.Size, d.Size)
	setD(&l.Window, d.Window)
	setD(&l.Base, d.Base)
	setD(&l.Max, d.Max)
	setD(&l.AddrEvery, d.AddrEvery)
	if l.IntakePerMinute <= 0 {
		l.IntakePerMinute = d.IntakePerMinute
	}
	return l
}

// guard holds the sign-in throttles and the portal intake limit.
//
// Keys: an account is accountKey(kind, library, name), built from the
// canonical identities, so every spelling the database would match to one
// row (case, full width, invisible characters) is one key; an address is
// throttle.ClientAddr.
type guard struct {
	lim Limits
	// pair: failures of one account from one address (accountKey + addr).
	pair *throttle.Lockout
	// account: failures of one account from anywhere (accountKey).
	account *throttle.Lockout
	// addrBudget: failed sign-ins per address (a token per failure).
	addrBudget *throttle.Limiter
	// addrHeld: an address whose budget is spent is refused, before any
	// work, until its bucket has refilled one token. The Limiter alone
	// cannot be asked whether a token is left without taking it, and a
	// successful sign-in must not take one.
	addrHeld *throttle.Lockout
	// intake: portal submits per signed-in reader (accountKey).
	intake *throttle.Limiter
	// checkPIN is app.CheckPIN (tests count its calls).
	checkPIN func(hash, pin string) bool
}

func newGuard(l Limits) *guard {
	l = l.withDefaults()
	return &guard{lim: l,
		pair:       throttle.NewLockout(l.AccountFree, l.Window, l.Base, l.Max, l.Size),
		account:    throttle.NewLockout(l.AccountAllFree, l.Window, l.Base, l.Max, l.Size),
		addrBudget: throttle.NewLimiter(1/l.AddrEvery.Seconds(), l.AddrBurst, l.Size, time.Duration(l.AddrBurst+1)*l.AddrEvery),
		addrHeld:   throttle.NewLockout(1, l.AddrEvery, l.AddrEvery, l.AddrEvery, l.Size),
		intake: throttle.NewLimiter(l.IntakePerMinute/60, l.IntakeBurst, l.Size,
			time.Duration(float64(l.IntakeBurst+1)/l.IntakePerMinute*float64(time.Minute))),
		checkPIN: app.CheckPIN,
	}
}

// Account kinds (the session's kind and the first part of a throttle key).
const (
	kindReader = app.SessionReader
	kindStaff  = app.SessionStaff
)

// accountKey is the throttle key of an account: kind, library code and
// account name, folded as the database compares them (ill.IdentityKey),
// separated and ended by a space, which no canonical identity contains, so
// that it is a prefix of this account's per-address keys and of no other
// account's.
func accountKey(kind, library, name string) string {
	return kind + " " + ill.IdentityKey(library) + " " + ill.IdentityKey(name) + " "
}

// canonicalAccount canonicalises a sign-in form's library and card number
// (reader) or user name (staff).
func canonicalAccount(kind, library, name string) (string, string, error) {
	lib, err := ill.CanonicalCode("library", library)
	if err != nil {
		return "", "", err
	}
	if kind == kindStaff {
		name, err = ill.CanonicalUser("username", name)
	} else {
		name, err = ill.CanonicalCard("card", name)
	}
	return lib, name, err
}

// looseKey is the account key of a spelling canonicalisation refuses
// with its accents dropped (BÚCT → BUCT), "" when it is still refused. It
// is only ever used to answer a locked account's refusal consistently: a
// locked account answers 429 to any spelling of it; it never signs in.
func looseKey(kind, library, name string) string {
	strip := func(s string) string {
		if len(s) > 4*ill.MaxCardLen+64 {
			return s
		}
		var b strings.Builder
		for _, r := range norm.NFKD.String(s) {
			if !unicode.Is(unicode.Mn, r) {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	lib, n, err := canonicalAccount(kind, strip(library), strip(name))
	if err != nil {
		return ""
	}
	return accountKey(kind, lib, n)
}

// storedAccount is what a sign-in needs from the account's row.
type storedAccount struct {
	Found    bool
	Subject  string // the stored spelling of the card number or user name
	Hash     string // bcrypt hash; "" when the reader has no PIN
	Role     ill.StaffRole
	Disabled bool
}

// signInResult is a sign-in's outcome: OK, refused for Retry (429), or
// wrong (401).
type signInResult struct {
	OK      bool
	Retry   time.Duration
	Library string // canonical library code (OK only)
	Subject string // stored spelling (OK only)
	Role    ill.StaffRole
}

// signIn checks one sign-in attempt from client address addr at now.
// lookup reads the account by its canonical library and name (not_found
// when there is none). Work is equal for known and unknown accounts: one
// bcrypt comparison either way (app.CheckPIN), and every refusal but
// a throttle's says only "wrong". The error is a lookup failure (the
// database), never the caller's input.
func (g *guard) signIn(ctx context.Context, now time.Time, addr, kind, library, name, secret string,
	lookup func(ctx context.Context, library, name string) (storedAccount, error)) (signInResult, error) {
	if held, d := g.addrHeld.Locked(addr, now); held {
		return signInResult{Retry: d}, nil
	}
	lib, acct, err := canonicalAccount(kind, library, name)
	if err != nil {
		if k := looseKey(kind, library, name); k != "" {
			if d := g.locked(k, addr, now); d > 0 {
				return signInResult{Retry: d}, nil
			}
		}
		g.checkPIN("", secret) // the same work as a wrong PIN
		g.addrFailed(addr, now)
		return signInResult{}, nil
	}
	key := accountKey(kind, lib, acct)
	if d := g.locked(key, addr, now); d > 0 {
		return signInResult{Retry: d}, nil
	}
	a, err := lookup(ctx, lib, acct)
	if err != nil && ill.ErrorCode(err) != ill.CodeNotFound {
		return signInResult{}, err
	}
	hash := ""
	if err == nil && a.Found {
		hash = a.Hash
	}
	if !g.checkPIN(hash, secret) || a.Disabled {
		g.pair.Fail(key+addr, now)
		g.account.Fail(key, now)
		g.addrFailed(addr, now)
		return signInResult{}, nil
	}
	g.pair.Reset(key + addr)
	return signInResult{OK: true, Library: lib, Subject: a.Subject, Role: a.Role}, nil
}

// locked is how long the account (from addr) is still refused, 0 if not.
func (g *guard) locked(key, addr string, now time.Time) time.Duration {
	_, d1 := g.pair.Locked(key+addr, now)
	_, d2 := g.account.Locked(key, now)
	return max(d1, d2)
}

// addrFailed spends one token of addr's failure budget; when there was
// none left the address is held until one has refilled.
func (g *guard) addrFailed(addr string, now time.Time) {
	if ok, _ := g.addrBudget.Allow(addr, now); !ok {
		g.addrHeld.Fail(addr, now)
	}
}

// unlock forgets every failure of an account, from every address (its
// library's staff, after checking who is asking). It reports whether the
// account was throttled at all.
func (g *guard) unlock(kind, library, name string) bool {
	key := accountKey(kind, library, name)
	n := g.pair.ResetPrefix(key)
	n += g.account.ResetPrefix(key)
	return n > 0
}

// submitAllowed takes one portal submit from the reader's budget.
func (g *guard) submitAllowed(library, card string, now time.Time) (bool, time.Duration) {
	return g.intake.Allow(accountKey(kindReader, library, card), now)
}
