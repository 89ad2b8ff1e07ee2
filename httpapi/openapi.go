package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	illhub "github.com/balis/illhub"
	"github.com/getkin/kin-openapi/openapi3"
)

// OpenAPI loads the API's OpenAPI 3.1 description (docs/openapi.yaml,
// embedded by the root package) and checks it is a valid document.
func OpenAPI() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(illhub.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml: %w", err)
	}
	return doc, nil
}

// openAPIJSON is the description as JSON, converted once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
})

// openAPI: GET /openapi.json, no key: the OpenAPI 3.1 description of this
// API (docs/openapi.yaml as JSON).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	b, err := openAPIJSON()
	if err != nil { // a broken embedded document: a build defect, never the caller's
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Access-Control-Allow-Origin", "*") // API explorers on other origins may read it
	_, _ = w.Write(b)
}
