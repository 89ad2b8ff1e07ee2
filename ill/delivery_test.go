package ill_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/balis/illhub/ill"
)

func TestDownloadLinks(t *testing.T) {
	secret := []byte("s3cret-key-for-tests")
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	link := ill.DownloadLink{RequestID: "ILL-00AA11BB22CC33DD", FileID: "F0123456789ABCDEF0123", Expires: now.Add(14 * 24 * time.Hour)}
	good := ill.SignLink(secret, link)
	p64, m64, _ := strings.Cut(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(p64)
	reSign := func(p string) string { return base64.RawURLEncoding.EncodeToString([]byte(p)) + "." + m64 }
	other := ill.SignLink(secret, ill.DownloadLink{RequestID: "ILL-FFFFFFFFFFFFFFFF", FileID: link.FileID, Expires: link.Expires})

	for _, c := range []struct {
		name   string
		token  string
		secret []byte
		at     time.Time
		code   ill.Code
	}{
		{name: "valid", token: good, secret: secret, at: now},
		{name: "valid a second before expiry", token: good, secret: secret, at: link.Expires.Add(-time.Second)},
		{name: "expired at the instant", token: good, secret: secret, at: link.Expires, code: ill.CodeLinkExpired},
		{name: "expired later", token: good, secret: secret, at: link.Expires.Add(time.Hour), code: ill.CodeLinkExpired},
		{name: "other secret", token: good, secret: []byte("another"), at: now, code: ill.CodeNotFound},
		{name: "no secret", token: good, secret: nil, at: now, code: ill.CodeNotFound},
		{name: "request id changed", token: reSign(strings.Replace(string(payload), "ILL-00AA", "ILL-00AB", 1)), secret: secret, at: now, code: ill.CodeNotFound},
		{name: "expiry pushed", token: reSign(strings.Replace(string(payload), "|17", "|27", 1)), secret: secret, at: now, code: ill.CodeNotFound},
		{name: "mac cut", token: good[:len(good)-3], secret: secret, at: now, code: ill.CodeNotFound},
		{name: "no dot", token: strings.Replace(good, ".", "", 1), secret: secret, at: now, code: ill.CodeNotFound},
		{name: "garbage", token: "%%%.###", secret: secret, at: now, code: ill.CodeNotFound},
		{name: "empty", token: "", secret: secret, at: now, code: ill.CodeNotFound},
		{name: "huge", token: strings.Repeat("a", 500) + "." + m64, secret: secret, at: now, code: ill.CodeNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ill.VerifyLink(c.secret, c.token, c.at)
			if ill.ErrorCode(err) != c.code {
				t.Fatalf("VerifyLink: %v, want code %q", err, c.code)
			}
			if c.code == "" && got != link {
				t.Fatalf("VerifyLink = %+v, want %+v", got, link)
			}
		})
	}

	// A genuine token of another request does not open this request's file.
	f := ill.CopyFile{ID: link.FileID, RequestID: link.RequestID}
	l2, err := ill.VerifyLink(secret, other, now)
	if err != nil {
		t.Fatal(err)
	}
	if ill.ErrorCode(l2.Grants(f)) != ill.CodeNotFound {
		t.Fatal("a link of another request opened the file")
	}
	l1, _ := ill.VerifyLink(secret, good, now)
	if err := l1.Grants(f); err != nil {
		t.Fatalf("own link: %v", err)
	}
	if ill.ErrorCode(l1.Grants(ill.CopyFile{ID: "F0000000000000000000A", RequestID: link.RequestID})) != ill.CodeNotFound {
		t.Fatal("a link opened another file of the request")
	}
}

func TestCheckDownload(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	f := ill.CopyFile{ExpiresAt: now.Add(time.Hour), Downloads: 2}
	for _, c := range []struct {
		name string
		f    func(ill.CopyFile) ill.CopyFile
		code ill.Code
	}{
		{"fresh", func(f ill.CopyFile) ill.CopyFile { return f }, ""},
		{"last download", func(f ill.CopyFile) ill.CopyFile { f.Downloads = 4; return f }, ""},
		{"limit reached", func(f ill.CopyFile) ill.CopyFile { f.Downloads = 5; return f }, ill.CodeLinkExpired},
		{"expired", func(f ill.CopyFile) ill.CopyFile { f.ExpiresAt = now; return f }, ill.CodeLinkExpired},
		{"deleted", func(f ill.CopyFile) ill.CopyFile { f.DeletedAt = now.Add(-time.Minute); return f }, ill.CodeLinkExpired},
	} {
		if got := ill.ErrorCode(c.f(f).CheckDownload(now, 5)); got != c.code {
			t.Errorf("%s: code %q, want %q", c.name, got, c.code)
		}
	}
}

func TestFileKeysAndIDs(t *testing.T) {
	id := ill.NewFileID()
	if !ill.ValidFileID(id) || id == ill.NewFileID() {
		t.Fatalf("NewFileID %q: invalid or not random", id)
	}
	for _, bad := range []string{"", "F123", "G0123456789ABCDEF0123", "F0123456789abcdef0123", "F0123456789ABCDEF012/"} {
		if ill.ValidFileID(bad) {
			t.Errorf("ValidFileID(%q) = true", bad)
		}
	}
	if k := ill.CopyFileKey("ILL-00AA11BB22CC33DD", id); !ill.ValidFileKey(k) {
		t.Errorf("CopyFileKey %q not valid", k)
	}
	for _, c := range []struct {
		key string
		ok  bool
	}{
		{"copies/ILL-1/F1.pdf", true}, {"a", true}, {"", false}, {"../x", false}, {"a/../b", false}, {"/abs", false},
		{"a//b", false}, {"a/./b", false}, {"a b", false}, {"a\\b", false}, {"文献", false}, {strings.Repeat("a", 201), false},
	} {
		if got := ill.ValidFileKey(c.key); got != c.ok {
			t.Errorf("ValidFileKey(%q) = %v", c.key, got)
		}
	}
}

func TestLooksLikePDF(t *testing.T) {
	for _, c := range []struct {
		head string
		ok   bool
	}{
		{"%PDF-1.7\n%âãÏÓ", true}, {"\xef\xbb\xbf%PDF-1.4", true}, {"GIF89a", false}, {"", false}, {"%PD", false},
		{strings.Repeat(" ", 1100) + "%PDF-1.4", false},
	} {
		if got := ill.LooksLikePDF([]byte(c.head)); got != c.ok {
			t.Errorf("LooksLikePDF(%q) = %v", c.head, got)
		}
	}
}

func TestStampText(t *testing.T) {
	if got := ill.StampText("ILL-1", true); got != "仅供个人学习研究使用 · ILL-1" {
		t.Errorf("cjk: %q", got)
	}
	if got := ill.StampText("ILL-1", false); got != "For personal study and research only · ILL-1" {
		t.Errorf("latin: %q", got)
	}
}
