package web_test

import (
	"github.com/balis/illhub/app"
	"github.com/balis/illhub/ill"
)

func bcryptHash(pw string) (string, error) { return app.HashPIN(pw) }

func mysqlFilter(lib, patron string) ill.ListFilter {
	return ill.ListFilter{Caller: lib, PatronID: patron, Page: 1, PerPage: 10}
}
