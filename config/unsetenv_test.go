package config

import (
	"os"
	"testing"
)

// unsetenv removes a variable for the rest of the test; the t.Setenv call
// before it restores the original value afterwards.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
