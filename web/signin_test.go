package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

// fakeAccounts is a sign-in lookup over fixed accounts, matched as the
// database's collation would (case-insensitively on canonical values).
// Hashes are "h:" + the secret; fakeCheck is the matching checkPIN.
type fakeAccounts map[string]storedAccount

func (f fakeAccounts) lookup(_ context.Context, lib, name string) (storedAccount, error) {
	a, ok := f[ill.IdentityKey(lib)+" "+ill.IdentityKey(name)]
	if !ok {
		return storedAccount{}, ill.Errorf(ill.CodeNotFound, "no such account")
	}
	return a, nil
}

func testAccounts() fakeAccounts {
	return fakeAccounts{
		"BUCT BUCTPTLOCK": {Found: true, Subject: "BUCTPTLOCK", Hash: "h:246810"},
		"BUCT NOPIN":      {Found: true, Subject: "NOPIN"},
		"BUCT STAFF":      {Found: true, Subject: "StAfF", Hash: "h:secret-pw", Role: "staff"},
		"BUCT GONE":       {Found: true, Subject: "gone", Hash: "h:secret-pw", Role: "staff", Disabled: true},
	}
}

// testGuard is a guard with fake PIN checks that counts them.
func testGuard(l Limits) (*guard, *int) {
	g := newGuard(l)
	n := new(int)
	g.checkPIN = func(hash, pin string) bool {
		*n++
		return hash != "" && hash == "h:"+pin
	}
	return g, n
}

type attempt struct {
	g    *guard
	now  time.Time
	accs fakeAccounts
}

func (a *attempt) try(t *testing.T, addr, kind, lib, name, secret string) signInResult {
	t.Helper()
	res, err := a.g.signIn(context.Background(), a.now, addr, kind, lib, name, secret, a.accs.lookup)
	if err != nil {
		t.Fatalf("signIn(%q, %q): %v", lib, name, err)
	}
	return res
}

// After 5 wrong PINs from one address, every spelling of the card and the
// library the database would match is refused (429) even with the right
// PIN; one more invisible character every 5 tries changes nothing; another
// address still signs in; the library's unlock lifts it at once.
func TestSignInThrottleSeesOneIdentity(t *testing.T) {
	g, _ := testGuard(Limits{})
	a := &attempt{g: g, now: time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai), accs: testAccounts()}
	const here, there = "192.0.2.1", "198.51.100.7"
	for i := 0; i < 5; i++ {
		if res := a.try(t, here, kindReader, "BUCT", "BUCTPTLOCK", "000000"); res.OK || res.Retry > 0 {
			t.Fatalf("wrong PIN %d: %+v, want a plain refusal", i+1, res)
		}
	}
	variants := [][2]string{{"BUCT", "BUCTPTLOCK"}, {"buct", "BUCTPTLOCK"}, {"ＢＵＣＴ", "BUCTPTLOCK"}, {"BÚCT", "BUCTPTLOCK"},
		{"BUCT", "buctptlock"}, {"BUCT", "BUCTPTLOCK\u200b"}, {" buct\u200b", "ｂｕｃｔＰＴＬＯＣＫ"}, {"BUCT", "BÚCTPTLOCK"}}
	for _, v := range variants {
		if res := a.try(t, here, kindReader, v[0], v[1], "246810"); res.OK || res.Retry <= 0 {
			t.Errorf("variant %q/%q with the right PIN: %+v, want 429", v[0], v[1], res)
		}
	}
	// 50 tries, one more U+200B every 5: none gets through, none is counted.
	for i := 0; i < 50; i++ {
		card := "BUCTPTLOCK" + strings.Repeat("\u200b", i/5+1)
		if res := a.try(t, here, kindReader, "BUCT", card, "246810"); res.OK || res.Retry <= 0 {
			t.Fatalf("try %d with %d U+200B: %+v", i, i/5+1, res)
		}
	}
	// Another address is not locked out by this one's failures.
	if res := a.try(t, there, kindReader, "buct", "buctptlock", "246810"); !res.OK || res.Library != "BUCT" || res.Subject != "BUCTPTLOCK" {
		t.Fatalf("the reader from another address: %+v", res)
	}
	// The delay is progressive and bounded: 1 min after the 5th failure.
	a.now = a.now.Add(61 * time.Second)
	if res := a.try(t, here, kindReader, "BUCT", "BUCTPTLOCK", "000000"); res.OK || res.Retry > 0 {
		t.Fatalf("6th wrong PIN after the first delay: %+v", res)
	}
	if res := a.try(t, here, kindReader, "BUCT", "BUCTPTLOCK", "246810"); res.Retry < time.Minute+50*time.Second {
		t.Fatalf("after the 6th failure the delay doubles: %+v", res)
	}
	// The library unlocks the card (all addresses).
	if !g.unlock(kindReader, "BUCT", "buctptlock") {
		t.Fatal("unlock found nothing to unlock")
	}
	if res := a.try(t, here, kindReader, "ＢＵＣＴ", "BUCTPTLOCK", "246810"); !res.OK {
		t.Fatalf("after unlock: %+v", res)
	}
}

// Staff accounts: the user name keeps its case in the session but is one
// throttle key whatever the case; a disabled account is a wrong one.
func TestStaffSignInThrottle(t *testing.T) {
	g, _ := testGuard(Limits{})
	a := &attempt{g: g, now: time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai), accs: testAccounts()}
	for _, u := range []string{"StAfF", "staff", "STAFF", "sTaFf", "Staff"} {
		if res := a.try(t, "192.0.2.1", kindStaff, "buct", u, "wrong"); res.OK || res.Retry > 0 {
			t.Fatalf("wrong password as %q: %+v", u, res)
		}
	}
	for _, u := range []string{"StAfF", "ｓｔａｆｆ", "staff\u200b", "STAFF"} {
		if res := a.try(t, "192.0.2.1", kindStaff, "BUCT", u, "secret-pw"); res.OK || res.Retry <= 0 {
			t.Errorf("staff %q with the right password after 5 failures: %+v, want 429", u, res)
		}
	}
	if res := a.try(t, "192.0.2.2", kindStaff, "BUCT", "staff", "secret-pw"); !res.OK || res.Subject != "StAfF" || res.Role != "staff" {
		t.Fatalf("staff from another address: %+v", res)
	}
	if res := a.try(t, "192.0.2.2", kindStaff, "BUCT", "gone", "secret-pw"); res.OK {
		t.Fatal("a disabled account signs in")
	}
}

// One bcrypt comparison for every attempt that is not throttled: known
// card, unknown card, reader without a PIN, a spelling canonicalisation
// refuses, a PIN over bcrypt's limit. All refusals look alike.
func TestSignInEqualWork(t *testing.T) {
	g, checks := testGuard(Limits{})
	a := &attempt{g: g, now: time.Now(), accs: testAccounts()}
	for i, c := range []struct{ lib, card, pin string }{
		{"BUCT", "BUCTPTLOCK", "000000"}, {"BUCT", "UNKNOWN", "000000"}, {"BUCT", "NOPIN", ""}, {"BUCT", "NOPIN", "000000"},
		{"BUCT", "卡号", "000000"}, {"BU CT", "X", "1"}, {"BUCT", strings.Repeat("9", 30000), "1"}, {"BUCT", "BUCTPTLOCK", strings.Repeat("密", 30)},
	} {
		before := *checks
		res := a.try(t, "203.0.113."+itoa(i+1), kindReader, c.lib, c.card, c.pin)
		if res.OK || res.Retry > 0 || *checks != before+1 {
			t.Errorf("%q/%q: %+v after %d PIN checks, want a plain refusal after exactly one", c.lib, c.card, res, *checks-before)
		}
	}
}

// The per-address budget: 20 failed sign-ins at once (whatever the
// accounts), then one per 30 s; successes cost nothing. Thousands of
// distinct 30 KB card numbers leave every table bounded.
func TestSignInAddressBudgetAndBoundedTables(t *testing.T) {
	g, checks := testGuard(Limits{Size: 1000})
	a := &attempt{g: g, now: time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai), accs: testAccounts()}
	const addr = "192.0.2.9"
	for i := 0; i < 40; i++ { // successes from the same address spend nothing
		if res := a.try(t, addr, kindReader, "BUCT", "BUCTPTLOCK", "246810"); !res.OK {
			t.Fatalf("success %d: %+v", i, res)
		}
	}
	for i := 0; i < 20; i++ {
		if res := a.try(t, addr, kindReader, "BUCT", "CARD"+itoa(i), "0"); res.Retry > 0 {
			t.Fatalf("failure %d refused early: %+v", i, res)
		}
	}
	for i := 0; i < 2; i++ { // the 21st spends the last … and holds the address
		a.try(t, addr, kindReader, "BUCT", "MORE"+itoa(i), "0")
	}
	before := *checks
	if res := a.try(t, addr, kindReader, "BUCT", "BUCTPTLOCK", "246810"); res.OK || res.Retry <= 0 || *checks != before {
		t.Fatalf("held address: %+v (PIN checks %d), want 429 before any work", res, *checks-before)
	}
	if res := a.try(t, "192.0.2.10", kindReader, "BUCT", "BUCTPTLOCK", "246810"); !res.OK {
		t.Fatalf("another address: %+v", res)
	}
	a.now = a.now.Add(31 * time.Second)
	if res := a.try(t, addr, kindReader, "BUCT", "BUCTPTLOCK", "246810"); !res.OK {
		t.Fatalf("after one refill interval: %+v", res)
	}

	// 5,000 addresses × a 30 KB card number each, and 5,000 more × a
	// distinct valid 64-character card: every table stays bounded.
	big := strings.Repeat("X", 30<<10)
	for i := 0; i < 10000; i++ {
		card := big + itoa(i)
		if i%2 == 1 {
			card = strings.Repeat("C", 58) + itoa(100000+i)
		}
		a.try(t, "10.0."+itoa(i/250)+"."+itoa(i%250), kindReader, "BUCT", card, "0")
	}
	for name, n := range map[string]int{"pair": g.pair.Len(), "account": g.account.Len(), "addr": g.addrBudget.Len(), "held": g.addrHeld.Len()} {
		if n > 1000 || (n == 0 && name != "held") {
			t.Errorf("table %s holds %d keys, want 1..1000", name, n)
		}
	}
}

// Over all addresses: 20 failures lock the card for everyone, for a bounded
// time; the library's unlock lifts it.
func TestSignInAccountLockOverAllAddresses(t *testing.T) {
	g, _ := testGuard(Limits{})
	a := &attempt{g: g, now: time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai), accs: testAccounts()}
	for i := 0; i < 20; i++ {
		a.try(t, "198.51.100."+itoa(i/4+1), kindReader, "BUCT", "BUCTPTLOCK", "0")
	}
	if res := a.try(t, "192.0.2.200", kindReader, "BUCT", "BUCTPTLOCK", "246810"); res.Retry <= 0 || res.Retry > time.Minute {
		t.Fatalf("after 20 distributed failures: %+v, want 429 for about a minute", res)
	}
	a.now = a.now.Add(time.Minute)
	if res := a.try(t, "192.0.2.200", kindReader, "BUCT", "BUCTPTLOCK", "246810"); !res.OK {
		t.Fatalf("after the delay: %+v", res)
	}
	for i := 0; i < 20; i++ {
		a.try(t, "198.51.100."+itoa(i/4+100), kindReader, "BUCT", "BUCTPTLOCK", "0")
	}
	g.unlock(kindReader, "BUCT", "buctptlock")
	if res := a.try(t, "192.0.2.200", kindReader, "BUCT", "BUCTPTLOCK", "246810"); !res.OK {
		t.Fatalf("after unlock: %+v", res)
	}
}

func TestPINOverBcryptLimit(t *testing.T) {
	pin := strings.Repeat("密", 30) // 30 characters, 90 bytes
	if _, err := app.HashPIN(pin); ill.ErrorCode(err) != ill.CodeBadRequest || !strings.Contains(err.Error(), "72 bytes") {
		t.Fatalf("HashPIN(90 bytes): %v, want bad_request on pin", err)
	}
	h, err := app.HashPIN(strings.Repeat("密", 24)) // 72 bytes: the most bcrypt takes
	if err != nil {
		t.Fatal(err)
	}
	if !app.CheckPIN(h, strings.Repeat("密", 24)) || app.CheckPIN(h, strings.Repeat("密", 24)+"x") || app.CheckPIN(h, pin) {
		t.Fatal("CheckPIN around the 72-byte limit")
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/history/ILL-1?x=1":           "/history/ILL-1?x=1",
		"/console/queue/to_answer":     "/console/queue/to_answer",
		"/search?q=%E6%95%B0%E6%8D%AE": "/search?q=%E6%95%B0%E6%8D%AE",
		"":                             "/d",
		"/\t/evil.example/":            "/d",
		"/\r\n/evil.example/":          "/d",
		"/ /evil.example/":             "/d",
		"//evil.example/":              "/d",
		"/\\evil.example/":             "/d",
		"/x\\..\\\\evil.example":       "/d",
		"https://evil.example/":        "/d",
		"javascript:alert(1)":          "/d",
		"evil.example":                 "/d",
		"/\u00a0/evil.example":         "/d",
		"/\u2028/evil.example":         "/d",
		"/\x00/evil.example":           "/d",
		"/\x7f":                        "/d",
	} {
		if got := safeNext(next, "/d"); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// whatwgResolve resolves ref against base roughly as a browser does for an
// http(s) base: ASCII tab, CR and LF are removed anywhere, leading and
// trailing C0 controls and spaces trimmed, and "\" read as "/".
func whatwgResolve(base *url.URL, ref string) (*url.URL, error) {
	ref = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(ref)
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' })
	ref = strings.ReplaceAll(ref, "\\", "/")
	u, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(u), nil
}

// FuzzSafeNext: whatever safeNext returns stays on this site once a
// browser has resolved it.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/history", "/\t/evil.example/", "//evil.example", "/\\evil.example", "https://evil.example",
		"/%2F%2Fevil.example", "/\n\\evil.example", "/.//evil", "/?next=//evil", "/#//evil", "\t//evil.example", "/\x00/x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://hub.example/console")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next, "/search")
		u, err := whatwgResolve(base, got)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q, which does not parse: %v", next, got, err)
		}
		if u.Scheme != "https" || u.Host != "hub.example" || u.User != nil {
			t.Fatalf("safeNext(%q) = %q leaves the site: %s", next, got, u)
		}
		if got != "/search" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor the default", next, got)
		}
	})
}

// fullWidth spells printable ASCII in its full-width forms.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x21 && r <= 0x7e {
			return r + 0xfee0
		}
		return r
	}, s)
}

// FuzzSignInForm: arbitrary library, card and PIN into the reader (and
// staff) sign-in. It never fails with an error (the handler's 500) when
// the lookup works; every attempt not throttled costs exactly one PIN
// check; an accepted spelling signs in as the stored account only; and
// every spelling the database would match to one account (case, full
// width, invisible characters, surrounding space) is one throttle key.
func FuzzSignInForm(f *testing.F) {
	for _, s := range [][3]string{{"BUCT", "BUCTPTLOCK", "246810"}, {"buct", "buctptlock\u200b", "246810"}, {"ＢＵＣＴ", "x", ""},
		{"BÚCT", "BUCTPTLOCK", "246810"}, {"", "", ""}, {"BUCT", "NOPIN", ""}, {"BUCT", "卡", "密密密密"}, {"B\x00", "\xff", "\xfe"},
		{"BUCT", "BUCT PTLOCK", "246810"}, {"CENTRE", "staff", "secret-pw"}} {
		f.Add(s[0], s[1], s[2])
	}
	accs := testAccounts()
	g, checks := testGuard(Limits{Size: 64})
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, ill.Shanghai)
	f.Fuzz(func(t *testing.T, lib, card, pin string) {
		for _, kind := range []string{kindReader, kindStaff} {
			before := *checks
			res, err := g.signIn(context.Background(), now, "192.0.2.1", kind, lib, card, pin, accs.lookup)
			if err != nil {
				t.Fatalf("%s %q/%q: error %v", kind, lib, card, err)
			}
			switch {
			case res.Retry > 0:
				if *checks != before || res.OK {
					t.Fatalf("throttled attempt did work or signed in: %+v", res)
				}
			case *checks != before+1:
				t.Fatalf("%s %q/%q: %d PIN checks, want 1", kind, lib, card, *checks-before)
			case res.OK:
				want, ok := accs[ill.IdentityKey(res.Library)+" "+ill.IdentityKey(res.Subject)]
				if !ok || want.Hash != "h:"+pin || res.Library != ill.IdentityKey(res.Library) {
					t.Fatalf("%q/%q/%q signed in as %+v", lib, card, pin, res)
				}
			}
			cl, cc, err := canonicalAccount(kind, lib, card)
			if err != nil {
				continue
			}
			key := accountKey(kind, cl, cc)
			for _, v := range [][2]string{{strings.ToLower(lib), strings.ToLower(card)}, {strings.ToUpper(lib), strings.ToUpper(card)},
				{fullWidth(cl), fullWidth(cc)}, {"\u200b" + lib + "\ufeff", card + "\u200b\u00ad"}, {" " + cl + " ", "\t" + cc + "\u2060"},
				{strings.ToLower(cl), strings.ToUpper(cc)}} {
				if !utf8.ValidString(v[0]) || !utf8.ValidString(v[1]) {
					continue
				}
				vl, vc, err := canonicalAccount(kind, v[0], v[1])
				if err != nil {
					if v[0] == strings.ToLower(lib) || v[0] == strings.ToUpper(lib) {
						continue // case mapping of arbitrary Unicode may leave the alphabet (ſ → S is fine, ß → SS grows)
					}
					t.Fatalf("%q/%q canonicalises but its spelling %q/%q is refused: %v", lib, card, v[0], v[1], err)
				}
				if len(key) > len(kind)+ill.MaxCodeLen+ill.MaxCardLen+3 {
					t.Fatalf("a %d-byte throttle key", len(key))
				}
				if k := accountKey(kind, vl, vc); k != key {
					t.Fatalf("two throttle keys for one account: %q (%q/%q) and %q (%q/%q)", key, lib, card, k, v[0], v[1])
				}
			}
		}
	})
}
