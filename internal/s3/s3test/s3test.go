// Package s3test gives tests a store on the local stack's S3 server, under
// a prefix of their own so that packages running in parallel never see
// each other's objects.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/admithq/admit/internal/s3"
)

// Endpoint is the local stack's S3 server, or ADMIT_TEST_S3_ENDPOINT.
func Endpoint() string {
	if e := os.Getenv("ADMIT_TEST_S3_ENDPOINT"); e != "" {
		return e
	}
	return "http://127.0.0.1:18130"
}

// Config is the local stack's bucket.
func Config() s3.Config {
	return s3.Config{Endpoint: Endpoint(), Region: "us-east-1", Bucket: "admit"}
}

// MustStore opens the local bucket and fails the test, naming how to start
// the server, if it cannot be reached. It returns a prefix unique to the
// test, ending in a slash.
func MustStore(tb testing.TB) (*s3.Store, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s3.Open(ctx, Config())
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.Ping(ctx); err != nil {
		tb.Fatalf("S3 at %s: %v (start the stack: scripts/stack up)", Endpoint(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return st, "test-" + hex.EncodeToString(b) + "/"
}
