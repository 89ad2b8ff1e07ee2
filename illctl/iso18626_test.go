package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/balis/illhub/ill"
	"github.com/balis/illhub/internal/testenv"
)

// library add registers an ISO 18626 member: symbol, endpoint and the
// secret's hash (never the secret).
func TestLibraryAddISO18626(t *testing.T) {
	dsn, st := testenv.DB(t, "illctliso")
	t.Setenv("ILL_MYSQL_DSN", dsn)
	ctx := context.Background()
	if err := run(ctx, []string{"library", "add", "ZZI", "测试图书馆", "--iso18626-url", "https://ill.zzi.edu.cn/iso18626",
		"--iso18626-symbol", "zzi-ill", "--iso18626-secret", "s3cret"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	m, err := st.ISOMemberBySymbol(ctx, "ZZI-ILL")
	if err != nil {
		t.Fatal(err)
	}
	if m.Code != "ZZI" || m.Endpoint != "https://ill.zzi.edu.cn/iso18626" || m.SecretHash != ill.HashKey("s3cret") || !m.Speaks() {
		t.Fatalf("%+v", m)
	}
	if err := run(ctx, []string{"library", "add", "ZZJ", "测试", "--iso18626-url", "ftp://x"}, &bytes.Buffer{}); err == nil {
		t.Fatal("a non-http endpoint must be refused")
	}
	if err := run(ctx, []string{"iso18626", "frob"}, &bytes.Buffer{}); err == nil {
		t.Fatal("unknown subcommand accepted")
	}
}
