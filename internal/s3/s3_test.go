package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"testing"

	"github.com/admithq/admit/internal/s3/s3test"
)

// TestUploadRoundTrip: what is streamed in comes back byte for byte, both a
// small object (one request) and one that needs several parts.
func TestUploadRoundTrip(t *testing.T) {
	st, prefix := s3test.MustStore(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"small", 1000},
		{"three parts", 2*8<<20 + 12345},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := make([]byte, tt.size)
			_, _ = rand.Read(data)
			key := prefix + tt.name
			n, err := st.Upload(ctx, key, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(tt.size) {
				t.Errorf("Upload stored %d bytes, want %d", n, tt.size)
			}
			rc, err := st.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("read back %d bytes that differ from the %d written", len(got), len(data))
			}
		})
	}
	objs, err := st.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Fatalf("List found %d objects, want 3: %+v", len(objs), objs)
	}
	for _, o := range objs {
		if err := st.Delete(ctx, o.Key); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Open(ctx, prefix+"small"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Delete: %v, want fs.ErrNotExist", err)
	}
	if objs, _ := st.List(ctx, prefix); len(objs) != 0 {
		t.Errorf("List after Delete found %d objects", len(objs))
	}
}
