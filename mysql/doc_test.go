package mysql_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The package comment's file map (doc.go) names every source file of the
// package exactly once, and every test file: a file added, renamed or
// removed without updating the map fails here.
func TestDocFileMap(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Doc.Text()
	var mapped []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- (\w+\.go):`).FindAllStringSubmatch(doc, -1) {
		mapped = append(mapped, m[1])
	}
	tests := regexp.MustCompile(`\w+_test\.go`).FindAllString(doc, -1)
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var sources, testFiles []string
	for _, e := range entries {
		switch name := e.Name(); {
		case strings.HasSuffix(name, "_test.go"):
			testFiles = append(testFiles, name)
		case strings.HasSuffix(name, ".go"):
			sources = append(sources, name)
		}
	}
	slices.Sort(mapped)
	slices.Sort(tests)
	if !slices.Equal(mapped, sources) {
		t.Errorf("doc.go maps files %v;\nthe package has %v", mapped, sources)
	}
	if !slices.Equal(slices.Compact(tests), testFiles) {
		t.Errorf("doc.go names test files %v;\nthe package has %v", tests, testFiles)
	}
}

// sqlVerb matches a string that starts a statement.
var sqlVerb = regexp.MustCompile(`(?i)^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|RENAME|TRUNCATE|LOAD|SET|START|COMMIT|ROLLBACK|USE)(\s|$)`)

// inlineStatements lists the string literals inside function bodies of
// the package's source files in dir that start a statement.
func inlineStatements(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && sqlVerb.MatchString(s) {
						out = append(out, fmt.Sprintf("%s (%s)", fset.Position(lit.Pos()), fd.Name.Name))
					}
				}
				return true
			})
		}
	}
	return out, nil
}

// Statements are named package-level constants with a comment on what
// they lock (doc.go), not literals inside methods.
func TestStatementsAreNamed(t *testing.T) {
	found, err := inlineStatements(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s: a statement inside a function; make it a named constant", f)
	}
}
