package web_test

import "github.com/balis/illhub/httpapi"

func bcryptHash(pw string) (string, error) { return httpapi.HashPIN(pw) }
