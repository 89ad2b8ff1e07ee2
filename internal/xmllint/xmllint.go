// Package xmllint validates XML documents against an XSD with xmllint
// (Debian package libxml2-utils; scripts/test.sh installs it), for the
// tests of the standards the hub writes (iso18626/isotest, ncip/ncipxsd).
// A test that calls Validate fails, rather than skips, when xmllint is
// missing: schema validity is a checked property, not an optional one.
package xmllint

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Schema is one XSD, written to a temporary file the first time it is
// used. Safe for concurrent use.
type Schema struct {
	Name     string // the file name xmllint reports, e.g. "ISO-18626-v1_2.xsd"
	Standard string // how failures name the messages, e.g. "ISO 18626"
	XSD      []byte

	once sync.Once
	path string
	err  error
}

func (s *Schema) file() (string, error) {
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "xsd-")
		if err != nil {
			s.err = err
			return
		}
		s.path = filepath.Join(dir, s.Name)
		s.err = os.WriteFile(s.path, s.XSD, 0o644)
	})
	return s.path, s.err
}

// Check validates doc and returns xmllint's complaint, or nil.
func (s *Schema) Check(doc []byte) error {
	xsd, err := s.file()
	if err != nil {
		return err
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &invalid{schema: s.Name, out: string(out), err: err}
	}
	return nil
}

type invalid struct {
	schema, out string
	err         error
}

func (e *invalid) Error() string {
	return "not valid against " + e.schema + ": " + e.err.Error() + "\n" + e.out
}

// Validate fails t when doc is not valid against the schema, or when
// xmllint is not installed.
func (s *Schema) Validate(t testing.TB, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("xmllint is required to validate %s messages (apt-get install libxml2-utils): %v", s.Standard, err)
	}
	if err := s.Check(doc); err != nil {
		t.Fatalf("%v\ndocument:\n%s", err, doc)
	}
}
