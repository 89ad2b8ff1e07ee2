package web_test

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/balis/illhub/web"
)

// TestMain fails the package when any page rendered during its tests
// asked for a translation key the catalogue lacks (a raw key such as
// report.courier-volume would have reached a librarian's screen).
func TestMain(m *testing.M) {
	var mu sync.Mutex
	missing := map[string]bool{}
	web.SetOnMissing(func(key string) {
		mu.Lock()
		missing[key] = true
		mu.Unlock()
	})
	code := m.Run()
	if len(missing) > 0 {
		keys := make([]string, 0, len(missing))
		for k := range missing {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(os.Stderr, "FAIL: pages used translation keys with no zh/en entry: %v\n", keys)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
