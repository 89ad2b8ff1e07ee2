// Package ncipxsd validates NCIP documents against the NCIP 2.02 XSD kept
// in ncip/schema, with xmllint (Debian package libxml2-utils), like
// iso18626/isotest does for ISO 18626. A test that calls Validate fails,
// rather than skips, when xmllint is missing.
package ncipxsd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/balis/illhub/ncip"
)

var (
	once    sync.Once
	xsdPath string
	xsdErr  error
)

func schema() (string, error) {
	once.Do(func() {
		dir, err := os.MkdirTemp("", "ncip-xsd-")
		if err != nil {
			xsdErr = err
			return
		}
		xsdPath = filepath.Join(dir, "ncip_v2_02.xsd")
		xsdErr = os.WriteFile(xsdPath, ncip.XSD, 0o644)
	})
	return xsdPath, xsdErr
}

// Check validates doc and returns xmllint's complaint, or nil.
func Check(doc []byte) error {
	xsd, err := schema()
	if err != nil {
		return err
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &invalid{out: string(out), err: err}
	}
	return nil
}

type invalid struct {
	out string
	err error
}

func (e *invalid) Error() string {
	return "not valid against ncip_v2_02.xsd: " + e.err.Error() + "\n" + e.out
}

// Validate fails t when doc is not valid NCIP 2.02, or when xmllint is not
// installed.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("xmllint is required to validate NCIP messages (apt-get install libxml2-utils): %v", err)
	}
	if err := Check(doc); err != nil {
		t.Fatalf("%v\ndocument:\n%s", err, doc)
	}
}
