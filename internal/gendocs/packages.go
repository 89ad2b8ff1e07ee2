package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// module is the project's import path prefix.
const module = "github.com/balis/illhub"

// Graph is the project's package graph: package (relative to the module,
// "." for the root) → the project packages it imports directly, and the
// outside packages it imports directly.
type Graph struct {
	Local   map[string][]string
	Outside map[string][]string
}

// LoadGraph lists the project's packages (tests excluded) with `go list`
// run in dir, the module root.
func LoadGraph(dir string) (Graph, error) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Graph{}, fmt.Errorf("go list: %v: %s", err, stderr.String())
	}
	g := Graph{Local: map[string][]string{}, Outside: map[string][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		p := rel(f[0])
		g.Local[p] = nil
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module) {
				g.Local[p] = append(g.Local[p], rel(imp))
			} else {
				g.Outside[p] = append(g.Outside[p], imp)
			}
		}
	}
	return g, sc.Err()
}

func rel(importPath string) string {
	if importPath == module {
		return "."
	}
	return strings.TrimPrefix(importPath, module+"/")
}

// Deps returns every project package p depends on, directly or not.
func (g Graph) Deps(p string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(q string) {
		for _, d := range g.Local[q] {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(p)
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// diagramOmits are packages left out of the architecture diagram: the
// programs (they wire everything), test support and tools.
func diagramOmits(p string) bool {
	return p == "." || strings.HasPrefix(p, "cmd/") || strings.HasPrefix(p, "internal/")
}

// Diagram is the Mermaid flowchart of the project's packages and their
// direct imports (docs/architecture.md, "Package graph").
func (g Graph) Diagram() string {
	var pkgs []string
	for p := range g.Local {
		if !diagramOmits(p) {
			pkgs = append(pkgs, p)
		}
	}
	slices.Sort(pkgs)
	id := func(p string) string { return strings.NewReplacer("/", "_", ".", "_").Replace(p) }
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart TD\n")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "    %s[\"%s\"]\n", id(p), p)
	}
	for _, p := range pkgs {
		deps := slices.Clone(g.Local[p])
		slices.Sort(deps)
		for _, d := range slices.Compact(deps) {
			if !diagramOmits(d) {
				fmt.Fprintf(&b, "    %s --> %s\n", id(p), id(d))
			}
		}
	}
	b.WriteString("```\n")
	return b.String()
}
