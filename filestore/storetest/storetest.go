// Package storetest is the contract of ill.FileStore, run against every
// adapter (filestore/local, filestore/s3) by their tests.
package storetest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

// Run checks s against the contract of ill.FileStore. s must be empty.
func Run(t *testing.T, s ill.FileStore) {
	t.Helper()
	ctx := context.Background()
	key := ill.CopyFileKey("ILL-00AA11BB22CC33DD", "F0123456789ABCDEF0123")
	body := bytes.Repeat([]byte("%PDF-1.7 stamped copy\n"), 5000) // 110 kB: more than one buffer

	t.Run("missing", func(t *testing.T) {
		if _, err := s.Stat(ctx, key); ill.ErrorCode(err) != ill.CodeNotFound {
			t.Fatalf("Stat of a missing key: %v, want not_found", err)
		}
		if _, _, err := s.Open(ctx, key); ill.ErrorCode(err) != ill.CodeNotFound {
			t.Fatalf("Open of a missing key: %v, want not_found", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
	})
	t.Run("put, stat, open", func(t *testing.T) {
		if err := s.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
		fi, err := s.Stat(ctx, key)
		if err != nil || fi.Size != int64(len(body)) || fi.Key != key {
			t.Fatalf("Stat = %+v, %v", fi, err)
		}
		rc, fi, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, body) || fi.Size != int64(len(body)) {
			t.Fatalf("Open read %d bytes (%v), info %+v; want the %d stored", len(got), err, fi, len(body))
		}
	})
	t.Run("replace", func(t *testing.T) {
		if err := s.Put(ctx, key, strings.NewReader("%PDF-new"), 8); err != nil {
			t.Fatal(err)
		}
		rc, _, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "%PDF-new" {
			t.Fatalf("after replace: %q", got)
		}
	})
	t.Run("short and long readers leave no file", func(t *testing.T) {
		other := ill.CopyFileKey("ILL-00AA11BB22CC33DD", "F00000000000000000001")
		if err := s.Put(ctx, other, strings.NewReader("short"), 10); err == nil {
			t.Error("Put of a reader shorter than size succeeded")
		}
		if err := s.Put(ctx, other, strings.NewReader("longer than said"), 4); err == nil {
			t.Error("Put of a reader longer than size succeeded")
		}
		if _, err := s.Stat(ctx, other); ill.ErrorCode(err) != ill.CodeNotFound {
			t.Errorf("after failed puts: Stat %v, want not_found", err)
		}
	})
	t.Run("keys outside the store", func(t *testing.T) {
		for _, k := range []string{"../escape.pdf", "/abs.pdf", "a//b", ""} {
			if err := s.Put(ctx, k, strings.NewReader("x"), 1); err == nil {
				t.Errorf("Put(%q) succeeded", k)
			}
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, key); ill.ErrorCode(err) != ill.CodeNotFound {
			t.Fatalf("Stat after Delete: %v, want not_found", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
	})
}
