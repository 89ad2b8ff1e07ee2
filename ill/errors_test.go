package ill_test

import (
	"testing"

	"github.com/balis/illhub/ill"
)

// Every code of the closed set has its status; docs/states.md is generated
// from the same function, so this table is the contract as the API's
// clients see it.
func TestHTTPStatusOfEveryCode(t *testing.T) {
	for _, c := range []struct {
		code ill.Code
		want int
	}{
		{ill.CodeBadRequest, 400}, {ill.CodeUnauthorized, 401}, {ill.CodeForbidden, 403}, {ill.CodeNotFound, 404},
		{ill.CodeMethodNotAllowed, 405}, {ill.CodeInvalidTransition, 409}, {ill.CodeRenewalNotAllowed, 409},
		{ill.CodeCancelWindow, 409}, {ill.CodeConflict, 409}, {ill.CodeTooLarge, 413}, {ill.CodeRateLimited, 429},
		{ill.CodeUnsupportedMedia, 415}, {ill.CodeUnavailable, 503}, {ill.CodeInternal, 500},
		{ill.CodeTransient, 503}, {ill.CodeUndeliverable, 500}, {ill.CodeUnknownBarcode, 404},
		{ill.CodeBarcodeMismatch, 409}, {ill.CodeLinkExpired, 410},
		{"no_such_code", 500}, {"", 500},
	} {
		if got := c.code.HTTPStatus(); got != c.want {
			t.Errorf("%q.HTTPStatus() = %d, want %d", c.code, got, c.want)
		}
	}
}
