package local_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/balis/illhub/filestore/local"
	"github.com/balis/illhub/filestore/storetest"
)

func TestContract(t *testing.T) {
	dir := t.TempDir()
	s, err := local.New(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, s)
	// Nothing escaped the root, and no temporary file was left behind.
	var stray []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			stray = append(stray, p)
		}
		return nil
	})
	if len(stray) != 0 {
		t.Errorf("files left: %v", stray)
	}
}
