package web_test

import (
	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
)

func bcryptHash(pw string) (string, error) { return httpapi.HashPIN(pw) }

func mysqlFilter(lib, patron string) ill.ListFilter {
	return ill.ListFilter{Caller: lib, PatronID: patron, Page: 1, PerPage: 10}
}
