package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balis/illhub/ill"
)

// The printable pages' only inline content is their style sheet, and the
// CSP allows exactly it by hash: a change to the page's CSS that forgot
// the policy (or a policy that allowed more) fails here.
func TestPrintablePagesCSPMatchesTheirStyle(t *testing.T) {
	pages := map[string]func(*strings.Builder) error{
		"manifest":  func(b *strings.Builder) error { return RenderManifestHTML(b, ill.Manifest{RunDate: "2026-03-02"}) },
		"pull slip": func(b *strings.Builder) error { return renderPullSlipHTML(b, pullSlipView{Library: "PKU"}) },
	}
	for name, render := range pages {
		w := httptest.NewRecorder()
		if err := writeHTML(w, render); err != nil {
			t.Fatal(err)
		}
		body, h := w.Body.String(), w.Header()
		i, j := strings.Index(body, "<style>"), strings.Index(body, "</style>")
		if i < 0 || j < i || strings.Count(body, "<style") != 1 || strings.Contains(body, "<script") || strings.Contains(body, " style=") {
			t.Fatalf("%s: expected exactly one inline <style> and no script or style attribute", name)
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src '" + styleHash(body[i+len("<style>"):j]) + "'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", name, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q allows more than the style sheet", name, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", name, h)
		}
	}
}
