// Package s3 is the FileStore of delivered copies in a bucket of an
// S3-compatible object store (ILL_FILES_BACKEND=s3: ILL_S3_ENDPOINT,
// ILL_S3_BUCKET, ILL_S3_ACCESS_KEY, ILL_S3_SECRET_KEY, ILL_S3_REGION,
// ILL_S3_TLS), over the MinIO Go client, which speaks to AWS S3, MinIO,
// Ceph RGW and the Chinese clouds' S3 endpoints alike. Several processes
// share the bucket; S3 makes a put visible whole or not at all.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/balis/illhub/ill"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config is the bucket and how to reach it.
type Config struct {
	Endpoint  string // host[:port], no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // "" lets the client ask the server
	TLS       bool   // https
	// Transport replaces the HTTP transport (tests); nil: the client's.
	Transport http.RoundTripper
}

// Store keeps files as objects of one bucket, the key as the object name.
type Store struct {
	c      *minio.Client
	bucket string
}

// New connects to the endpoint; it does not check the bucket (Check
// does, at start-up).
func New(c Config) (*Store, error) {
	if c.Endpoint == "" || c.Bucket == "" {
		return nil, errors.New("filestore/s3: ILL_S3_ENDPOINT and ILL_S3_BUCKET are required")
	}
	cl, err := minio.New(c.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:    c.TLS,
		Region:    c.Region,
		Transport: c.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("filestore/s3: %w", err)
	}
	return &Store{c: cl, bucket: c.Bucket}, nil
}

// Check reports whether the bucket exists and the keys may see it: a
// misconfiguration stops the program at start, not at the first upload.
func (s *Store) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("filestore/s3: bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("filestore/s3: bucket %s does not exist", s.bucket)
	}
	return nil
}

// Put implements ill.FileStore. The client sends exactly size bytes; a
// reader with more left over is refused and the object removed.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !ill.ValidFileKey(key) {
		return ill.FieldError("key", "invalid file key")
	}
	cr := &countingReader{r: r}
	if _, err := s.c.PutObject(ctx, s.bucket, key, cr, size,
		minio.PutObjectOptions{ContentType: "application/pdf", DisableMultipart: size < 64<<20}); err != nil {
		return mapErr(key, err)
	}
	var one [1]byte
	if cr.n != size {
		_ = s.Delete(context.WithoutCancel(ctx), key)
		return fmt.Errorf("filestore/s3: %s: read %d bytes, want %d", key, cr.n, size)
	}
	if n, _ := io.ReadFull(r, one[:]); n > 0 {
		_ = s.Delete(context.WithoutCancel(ctx), key)
		return fmt.Errorf("filestore/s3: %s: more than %d bytes", key, size)
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open implements ill.FileStore.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, ill.FileInfo, error) {
	if !ill.ValidFileKey(key) {
		return nil, ill.FileInfo{}, ill.FieldError("key", "invalid file key")
	}
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, ill.FileInfo{}, mapErr(key, err)
	}
	st, err := obj.Stat() // GetObject is lazy: this is the request
	if err != nil {
		obj.Close()
		return nil, ill.FileInfo{}, mapErr(key, err)
	}
	return obj, ill.FileInfo{Key: key, Size: st.Size}, nil
}

// Stat implements ill.FileStore.
func (s *Store) Stat(ctx context.Context, key string) (ill.FileInfo, error) {
	if !ill.ValidFileKey(key) {
		return ill.FileInfo{}, ill.FieldError("key", "invalid file key")
	}
	st, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ill.FileInfo{}, mapErr(key, err)
	}
	return ill.FileInfo{Key: key, Size: st.Size}, nil
}

// Delete implements ill.FileStore (S3 deletes of missing objects succeed).
func (s *Store) Delete(ctx context.Context, key string) error {
	if !ill.ValidFileKey(key) {
		return ill.FieldError("key", "invalid file key")
	}
	if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return mapErr(key, err)
	}
	return nil
}

func mapErr(key string, err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == minio.NoSuchKey || resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket {
		return ill.Errorf(ill.CodeNotFound, "file %s not found", key)
	}
	return fmt.Errorf("filestore/s3: %s: %w", key, err)
}
