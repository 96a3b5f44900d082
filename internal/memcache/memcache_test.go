package memcache_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/admithq/admit/internal/memcache"
)

func server(t *testing.T) string {
	if addr := os.Getenv("ADMIT_TEST_MEMCACHED"); addr != "" {
		return addr
	}
	return "127.0.0.1:11311"
}

// TestPingWithOneOfAPairDown: an app server stays ready while one memcached
// of its pair is down (its keys are misses), and reports memcached only when
// none answers.
func TestPingWithOneOfAPairDown(t *testing.T) {
	ctx := context.Background()
	live, dead := server(t), "127.0.0.1:1"
	if err := memcache.New([]string{live}, "t:").Ping(ctx); err != nil {
		t.Fatalf("memcached at %s: %v (start the stack: scripts/stack up)", live, err)
	}
	pair := memcache.New([]string{dead, live}, "t:")
	if err := pair.Ping(ctx); err != nil {
		t.Errorf("one of two down: %v, want ready", err)
	}
	// Keys that land on the dead server are misses, never errors.
	for _, key := range []string{"a", "b", "c", "d", "e", "f"} {
		pair.Set(key, []byte("v"), time.Minute)
		if v, ok := pair.Get(key); ok && string(v) != "v" {
			t.Errorf("%s: got %q", key, v)
		}
	}
	if err := memcache.New([]string{dead}, "t:").Ping(ctx); err == nil {
		t.Error("the only server down: ready, want an error")
	}
}
