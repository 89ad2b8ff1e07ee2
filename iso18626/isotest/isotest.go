// Package isotest validates ISO 18626 XML against the embedded v1.2 XSD
// with xmllint (internal/xmllint). A test that calls Validate fails,
// rather than skips, when xmllint is missing.
package isotest

import (
	"testing"

	"github.com/balis/illhub/internal/xmllint"
	"github.com/balis/illhub/iso18626"
)

var schema = &xmllint.Schema{Name: "ISO-18626-v1_2.xsd", Standard: "ISO 18626", XSD: iso18626.XSD}

// Check validates doc and returns xmllint's complaint, or nil.
func Check(doc []byte) error { return schema.Check(doc) }

// Validate fails t when doc is not valid ISO 18626 v1.2, or when xmllint
// is not installed.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	schema.Validate(t, doc)
}
