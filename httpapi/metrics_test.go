package httpapi_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// promRegistry is a registry that fails the test unless the publish
// metrics are on it when the test ends.
func promRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	t.Cleanup(func() {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, mf := range mfs {
			got[mf.GetName()] = true
		}
		if !got["illhub_publish_total"] || !got["illhub_publish_confirm_seconds"] {
			t.Errorf("metrics %v", got)
		}
	})
	return reg
}
