// Package ncipxsd validates NCIP documents against the NCIP 2.02 XSD kept
// in ncip/schema, with xmllint (internal/xmllint), like iso18626/isotest
// does for ISO 18626. A test that calls Validate fails, rather than skips,
// when xmllint is missing.
package ncipxsd

import (
	"testing"

	"github.com/balis/illhub/internal/xmllint"
	"github.com/balis/illhub/ncip"
)

var schema = &xmllint.Schema{Name: "ncip_v2_02.xsd", Standard: "NCIP", XSD: ncip.XSD}

// Check validates doc and returns xmllint's complaint, or nil.
func Check(doc []byte) error { return schema.Check(doc) }

// Validate fails t when doc is not valid NCIP 2.02, or when xmllint is not
// installed.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	schema.Validate(t, doc)
}
