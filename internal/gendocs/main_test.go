package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
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

// httpStatusNames are the net/http constants statusFor may return.
var httpStatusNames = map[string]int{
	"StatusBadRequest": http.StatusBadRequest, "StatusUnauthorized": http.StatusUnauthorized,
	"StatusForbidden": http.StatusForbidden, "StatusNotFound": http.StatusNotFound,
	"StatusMethodNotAllowed": http.StatusMethodNotAllowed, "StatusConflict": http.StatusConflict,
	"StatusGone": http.StatusGone, "StatusPreconditionFailed": http.StatusPreconditionFailed,
	"StatusRequestEntityTooLarge": http.StatusRequestEntityTooLarge,
	"StatusUnsupportedMediaType":  http.StatusUnsupportedMediaType,
	"StatusUnprocessableEntity":   http.StatusUnprocessableEntity, "StatusTooManyRequests": http.StatusTooManyRequests,
	"StatusInternalServerError": http.StatusInternalServerError, "StatusBadGateway": http.StatusBadGateway,
	"StatusServiceUnavailable": http.StatusServiceUnavailable, "StatusGatewayTimeout": http.StatusGatewayTimeout,
}

func statusName(t *testing.T, e ast.Expr) int {
	t.Helper()
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		t.Fatalf("httpapi.statusFor returns %T, want http.StatusXxx", e)
	}
	s, ok := httpStatusNames[sel.Sel.Name]
	if !ok {
		t.Fatalf("httpapi.statusFor returns http.%s: add it to httpStatusNames", sel.Sel.Name)
	}
	return s
}

// TestStatusesMatchHTTPAPI reads httpapi.statusFor's switch and compares it
// with httpStatus, so the documented statuses cannot drift from the API.
func TestStatusesMatchHTTPAPI(t *testing.T) {
	file := filepath.Join(root, "httpapi", "errors.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, codeValues := constsOfType(t, filepath.Join(root, "ill", "errors.go"), "Code")
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Name.Name == "statusFor" {
			fn = d
		}
	}
	if fn == nil {
		t.Fatalf("%s: no func statusFor", file)
	}
	got := map[ill.Code]int{}
	fallback := 0
	for _, st := range fn.Body.List {
		switch st := st.(type) {
		case *ast.SwitchStmt:
			for _, cc := range st.Body.List {
				clause := cc.(*ast.CaseClause)
				if len(clause.Body) != 1 {
					t.Fatalf("statusFor: a case body is not a single return")
				}
				ret, ok := clause.Body[0].(*ast.ReturnStmt)
				if !ok || len(ret.Results) != 1 {
					t.Fatalf("statusFor: a case body is not a single return")
				}
				status := statusName(t, ret.Results[0])
				if clause.List == nil {
					fallback = status
					continue
				}
				for _, e := range clause.List {
					sel, ok := e.(*ast.SelectorExpr)
					if !ok {
						t.Fatalf("statusFor: case %T, want ill.CodeXxx", e)
					}
					v, ok := codeValues[sel.Sel.Name]
					if !ok {
						t.Fatalf("statusFor: ill.%s is not a Code in ill/errors.go", sel.Sel.Name)
					}
					got[ill.Code(v)] = status
				}
			}
		case *ast.ReturnStmt:
			fallback = statusName(t, st.Results[0])
		}
	}
	if fallback != 500 {
		t.Errorf("statusFor's default is %d; gendocs assumes 500", fallback)
	}
	for _, c := range codes {
		want, ok := got[c.code]
		if !ok {
			want = fallback
		}
		if statusOf(c.code) != want {
			t.Errorf("%s: gendocs says %d, httpapi.statusFor says %d", c.code, statusOf(c.code), want)
		}
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
