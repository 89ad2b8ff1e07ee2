package main

import (
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
	if code, _, errs := illctl(ctx, "library", "add", "ZZI", "测试图书馆", "--iso18626-url", "https://ill.zzi.edu.cn/iso18626",
		"--iso18626-symbol", "zzi-ill", "--iso18626-secret", "s3cret"); code != 0 {
		t.Fatal(errs)
	}
	m, err := st.ISOMemberBySymbol(ctx, "ZZI-ILL")
	if err != nil {
		t.Fatal(err)
	}
	if m.Code != "ZZI" || m.Endpoint != "https://ill.zzi.edu.cn/iso18626" || m.SecretHash != ill.HashKey("s3cret") || !m.Speaks() {
		t.Fatalf("%+v", m)
	}
	if code, _, _ := illctl(ctx, "library", "add", "ZZJ", "测试", "--iso18626-url", "ftp://x"); code == 0 {
		t.Fatal("a non-http endpoint must be refused")
	}
	if code, _, _ := illctl(ctx, "iso18626", "frob"); code == 0 {
		t.Fatal("unknown subcommand accepted")
	}
}
