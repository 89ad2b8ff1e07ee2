// Package isotest validates ISO 18626 XML against the embedded v1.2 XSD
// with xmllint (Debian package libxml2-utils; scripts/test.sh installs it).
// A test that calls Validate fails, rather than skips, when xmllint is
// missing: schema validity is a checked property, not an optional one.
package isotest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/balis/illhub/iso18626"
)

var (
	once    sync.Once
	xsdPath string
	xsdErr  error
)

func schema() (string, error) {
	once.Do(func() {
		dir, err := os.MkdirTemp("", "iso18626-xsd-")
		if err != nil {
			xsdErr = err
			return
		}
		xsdPath = filepath.Join(dir, "ISO-18626-v1_2.xsd")
		xsdErr = os.WriteFile(xsdPath, iso18626.XSD, 0o644)
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
	return "not valid against ISO-18626-v1_2.xsd: " + e.err.Error() + "\n" + e.out
}

// Validate fails t when doc is not valid ISO 18626 v1.2, or when xmllint
// is not installed.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("xmllint is required to validate ISO 18626 messages (apt-get install libxml2-utils): %v", err)
	}
	if err := Check(doc); err != nil {
		t.Fatalf("%v\ndocument:\n%s", err, doc)
	}
}
