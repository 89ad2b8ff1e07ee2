package s3_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balis/illhub/filestore/s3"
	"github.com/balis/illhub/filestore/storetest"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fake serves an in-memory S3 with bucket on a loopback port.
func fake(t *testing.T, bucket string) string {
	t.Helper()
	be := s3mem.New()
	if bucket != "" {
		if err := be.CreateBucket(bucket); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestContract(t *testing.T) {
	st, err := s3.New(s3.Config{Endpoint: fake(t, "illhub-files"), Bucket: "illhub-files", AccessKey: "k", SecretKey: "s",
		Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, st)
}

func TestMissingBucket(t *testing.T) {
	st, err := s3.New(s3.Config{Endpoint: fake(t, ""), Bucket: "nope", AccessKey: "k", SecretKey: "s", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Check of a missing bucket: %v", err)
	}
	if _, err := s3.New(s3.Config{Bucket: "b"}); err == nil {
		t.Fatal("New without an endpoint succeeded")
	}
}
