// Package local is the FileStore of delivered copies in a directory of the
// local file system (ILL_FILES_BACKEND=local, ILL_FILES_DIR), the default.
// Several processes on one host (or sharing one mounted volume) may use the
// same directory: a file is written to a temporary name and renamed into
// place, so a reader never sees half a file.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/balis/illhub/ill"
)

// Store keeps files under a root directory, one file per key ("/" in a
// key is a subdirectory).
type Store struct {
	root string
}

// New opens (creating it when missing, mode 0750) the directory root.
func New(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("filestore/local: ILL_FILES_DIR is empty")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("filestore/local: %w", err)
	}
	return &Store{root: abs}, nil
}

// path maps key to its file; keys that could leave the root are refused.
func (s *Store) path(key string) (string, error) {
	if !ill.ValidFileKey(key) {
		return "", ill.FieldError("key", "invalid file key")
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put implements ill.FileStore.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	n, err := io.Copy(tmp, io.LimitReader(r, size+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("filestore/local: %s: read %d bytes, want %d", key, n, size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Open implements ill.FileStore.
func (s *Store) Open(_ context.Context, key string) (io.ReadCloser, ill.FileInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, ill.FileInfo{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, ill.FileInfo{}, mapErr(key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, ill.FileInfo{}, err
	}
	return f, ill.FileInfo{Key: key, Size: st.Size()}, nil
}

// Stat implements ill.FileStore.
func (s *Store) Stat(_ context.Context, key string) (ill.FileInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return ill.FileInfo{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return ill.FileInfo{}, mapErr(key, err)
	}
	return ill.FileInfo{Key: key, Size: st.Size()}, nil
}

// Delete implements ill.FileStore.
func (s *Store) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func mapErr(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return ill.Errorf(ill.CodeNotFound, "file %s not found", key)
	}
	return err
}
