package httpapi_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"

	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/internal/memstore"
)

// TestOpenAPIDocument: docs/openapi.yaml loads and validates as OpenAPI
// 3.1, GET /openapi.json serves it as JSON without a key, and its error
// codes are exactly ill/errors.go's.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := httpapi.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	srv := httpapi.New(&httpapi.Server{Store: &memstore.Store{}, Pub: &memstore.Publisher{}}, nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var served map[string]any
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
		json.Unmarshal(rec.Body.Bytes(), &served) != nil || served["openapi"] != "3.1.0" {
		t.Fatalf("GET /openapi.json: %d %s %.200s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if paths, _ := served["paths"].(map[string]any); len(paths) != doc.Paths.Len() {
		t.Fatalf("served %d paths, document has %d", len(paths), doc.Paths.Len())
	}
	var inSpec []string
	for _, v := range doc.Components.Schemas["ErrorCode"].Value.Enum {
		inSpec = append(inSpec, v.(string))
	}
	codes := stringConsts(t, filepath.Join("..", "ill", "errors.go"), "Code")
	sort.Strings(inSpec)
	sort.Strings(codes)
	if !slices.Equal(inSpec, codes) {
		t.Fatalf("ErrorCode enum in docs/openapi.yaml:\n  %v\nill/errors.go's codes:\n  %v", inSpec, codes)
	}
	// The states and the actions are the state table's, in its order.
	enum := func(name string) []string {
		var out []string
		for _, v := range doc.Components.Schemas[name].Value.Enum {
			out = append(out, v.(string))
		}
		return out
	}
	var states, actions []string
	for _, st := range ill.States {
		states = append(states, string(st))
	}
	for _, a := range ill.APIActions {
		actions = append(actions, string(a))
	}
	if got := enum("State"); !slices.Equal(got, states) {
		t.Errorf("State enum in docs/openapi.yaml:\n  %v\nill.States:\n  %v", got, states)
	}
	if got := enum("Action"); !slices.Equal(got, actions) {
		t.Errorf("Action enum in docs/openapi.yaml:\n  %v\nill.APIActions:\n  %v", got, actions)
	}
}

// TestOpenAPICoversEveryRoute: every "METHOD /path" pattern httpapi
// registers is an operation of docs/openapi.yaml, and every operation is
// registered (the patterns are read from the package's source, where
// each route is one string literal).
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc, err := httpapi.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, s := range stringLits(t, f) {
			method, path, ok := strings.Cut(s, " ")
			if ok && slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) && strings.HasPrefix(path, "/") {
				registered = append(registered, s)
			}
		}
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(registered)
	registered = slices.Compact(registered)
	sort.Strings(documented)
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is registered but not in docs/openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("docs/openapi.yaml describes %q, which httpapi does not register", d)
		}
	}
	if len(registered) < 30 {
		t.Fatalf("found only %d routes in the source: %v", len(registered), registered)
	}
}

func stringLits(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			if s, err := strconv.Unquote(bl.Value); err == nil {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

// stringConsts lists the values of the string constants of type typ in file.
func stringConsts(t *testing.T, file, typ string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
				continue
			}
			for _, v := range vs.Values {
				if bl, ok := v.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(bl.Value)
					out = append(out, s)
				}
			}
		}
	}
	return out
}

var _ = http.StatusOK
