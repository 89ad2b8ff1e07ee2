package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

// root is the module root, seen from this package's directory (go test
// runs a package's tests in its own directory).
const root = "../.."

// TestStatesDocUpToDate fails when docs/states.md was not regenerated after a
// change to the state table, the states, the codes or the dispositions.
func TestStatesDocUpToDate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docs", "states.md"))
	if err != nil {
		t.Fatalf("%v: generate it with `go run ./internal/gendocs > docs/states.md`", err)
	}
	want := Render()
	if string(b) == want {
		return
	}
	got, exp := strings.Split(string(b), "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(got), len(exp)); i++ {
		var g, e string
		if i < len(got) {
			g = got[i]
		}
		if i < len(exp) {
			e = exp[i]
		}
		if g != e {
			t.Fatalf("docs/states.md is out of date (first difference at line %d):\n  file:      %q\n  generated: %q\n"+
				"regenerate it with `go run ./internal/gendocs > docs/states.md`", i+1, g, e)
		}
	}
	t.Fatal("docs/states.md is out of date; regenerate it with `go run ./internal/gendocs > docs/states.md`")
}

// constsOfType returns name → string value of the constants of type typ
// declared in a Go file, in declaration order.
func constsOfType(t *testing.T, file, typ string) (names []string, values map[string]string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	values = map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			id, ok := vs.Type.(*ast.Ident)
			if !ok || id.Name != typ {
				continue
			}
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s: %s is not a string literal", file, n.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				names = append(names, n.Name)
				values[n.Name] = v
			}
		}
	}
	return names, values
}

// TestEveryCodeListed: a code added to ill/errors.go must be documented.
func TestEveryCodeListed(t *testing.T) {
	names, values := constsOfType(t, filepath.Join(root, "ill", "errors.go"), "Code")
	var inFile, listed []string
	for _, n := range names {
		inFile = append(inFile, values[n])
	}
	for _, c := range codes {
		listed = append(listed, string(c.code))
	}
	if !slices.Equal(inFile, listed) {
		t.Errorf("codes in ill/errors.go:\n  %v\nlisted in gendocs (same order, please):\n  %v", inFile, listed)
	}
}

// TestEveryReasonListed: a reason added to ill/errors.go must be documented.
func TestEveryReasonListed(t *testing.T) {
	names, values := constsOfType(t, filepath.Join(root, "ill", "errors.go"), "Reason")
	var inFile, listed []string
	for _, n := range names {
		inFile = append(inFile, values[n])
	}
	for _, r := range reasons {
		listed = append(listed, string(r.reason))
	}
	if !slices.Equal(inFile, listed) {
		t.Errorf("reasons in ill/errors.go:\n  %v\nlisted in gendocs (same order, please):\n  %v", inFile, listed)
	}
}

// TestEverySystemActionExplained: Render panics on a system action
// without a note; say so plainly instead.
func TestEverySystemActionExplained(t *testing.T) {
	for _, r := range ill.Table {
		if !ill.IsAPIAction(r.Action) {
			if _, ok := systemNotes[r.Action]; !ok {
				t.Errorf("system action %s has no entry in systemNotes", r.Action)
			}
		}
	}
}
