package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	diagramBegin = "<!-- packages:begin (generated: go run ./internal/gendocs packages) -->\n"
	diagramEnd   = "<!-- packages:end -->"
)

// TestPackageDiagramUpToDate fails when the package graph in
// docs/architecture.md is not the one the code has.
func TestPackageDiagramUpToDate(t *testing.T) {
	g, err := LoadGraph(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, diagramBegin), strings.Index(doc, diagramEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/architecture.md has no %q … %q block", diagramBegin, diagramEnd)
	}
	if got, want := doc[i+len(diagramBegin):j], g.Diagram(); got != want {
		t.Fatalf("the package graph in docs/architecture.md is out of date: replace the block between the markers "+
			"with the output of `go run ./internal/gendocs packages`:\n%s", want)
	}
}

// The dependency rules of the layout (docs/architecture.md, "Package
// layout"), checked on the real import graph.
func TestDependencyRules(t *testing.T) {
	g, err := LoadGraph(root)
	if err != nil {
		t.Fatal(err)
	}
	if deps := g.Deps("ill"); len(deps) > 0 {
		t.Errorf("ill imports project packages %v: the domain imports nothing of the project", deps)
	}
	// Only the storage adapter talks SQL. The load tool's ceilings measure
	// a plain database/sql transaction on purpose.
	sqlAllowed := []string{"mysql", "internal/loadtest", "cmd/illbench"}
	for p, outside := range g.Outside {
		for _, imp := range outside {
			if (imp == "database/sql" || strings.HasPrefix(imp, "github.com/jmoiron/sqlx") ||
				strings.HasPrefix(imp, "github.com/go-sql-driver/mysql")) && !slices.Contains(sqlAllowed, p) {
				t.Errorf("%s imports %s: only mysql talks to the database", p, imp)
			}
		}
	}
	// The translators (JSON API, ISO 18626 intake, console) reach the store
	// and the broker through the application package and its ports only,
	// and never each other.
	adapters := []string{"httpapi", "iso18626/intake", "web"}
	forbidden := append([]string{"mysql", "rabbitmq"}, adapters...)
	for _, a := range adapters {
		if _, ok := g.Local[a]; !ok {
			t.Errorf("package %s is missing", a)
			continue
		}
		for _, d := range g.Deps(a) {
			if slices.Contains(forbidden, d) && d != a && !pending[a+" → "+d] {
				t.Errorf("%s depends on %s", a, d)
			}
		}
	}
	for edge := range pending {
		a, d, _ := strings.Cut(edge, " → ")
		if !slices.Contains(g.Deps(a), d) {
			t.Errorf("%s no longer depends on %s: delete it from pending", a, d)
		}
	}
}

// pending are the dependencies the redesign has not removed yet; the test
// fails when one is gone, so the list only shrinks.
var pending = map[string]bool{}
