package main

import (
	"context"
	"strings"
	"testing"

	"github.com/balis/illhub/internal/testenv"
	"github.com/balis/illhub/notify"
)

func TestLibraryWebhookSetsURLAndSecret(t *testing.T) {
	dsn, st := testenv.DB(t, "illctl_webhook")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	testenv.Libraries(t, st, "THU")
	ctx := context.Background()
	code, out, errs := illctl(ctx, "library", "webhook", "thu", "https://ill.lib.tsinghua.edu.cn/hooks/illhub")
	if code != 0 {
		t.Fatal(errs)
	}
	secret := strings.TrimSpace(out)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
		t.Fatalf("printed secret %q", secret)
	}
	l, err := st.Library(ctx, "THU")
	if err != nil || l.WebhookURL != "https://ill.lib.tsinghua.edu.cn/hooks/illhub" || l.WebhookSecret != secret {
		t.Fatalf("library = %+v, %v", l, err)
	}
	if l.Email != "thu-ill@example.edu.cn" || l.NameZH != "THU图书馆" {
		t.Errorf("other fields changed: %+v", l)
	}
	sig := notify.Sign(secret, "1772416800", []byte(`{}`))
	if !notify.Verify(l.WebhookSecret, "1772416800", []byte(`{}`), sig) {
		t.Error("stored secret does not verify")
	}
	// A second call rotates the secret.
	if code, out, errs = illctl(ctx, "library", "webhook", "THU", "https://ill.lib.tsinghua.edu.cn/hooks/illhub"); code != 0 {
		t.Fatal(errs)
	}
	if strings.TrimSpace(out) == secret {
		t.Error("the secret was not rotated")
	}
	for _, args := range [][]string{{"library", "webhook", "THU"}, {"library", "webhook", "THU", "ftp://x/y"},
		{"library", "webhook", "NOPE", "https://x.example/h"}} {
		if code, _, _ := illctl(ctx, args...); code == 0 {
			t.Errorf("illctl %v: no error", args)
		}
	}
}
