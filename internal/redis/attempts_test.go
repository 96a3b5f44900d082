package redis

import (
	"context"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// TestFailures: an allowance is used up by failures alone, each key
// counts on its own, forgiving clears one, and the window ends the count.
func TestFailures(t *testing.T) {
	ctx := context.Background()
	client := NewClient(Options{Addr: "127.0.0.1:16379", DB: 13})
	t.Cleanup(func() { client.Close() })
	l := NewLimiter(client, "test:"+admit.NewToken(6)+":")
	pair := admit.Failures{Key: admit.FailureKey("login", "ada@example.com", "192.0.2.1"), Max: 3, Window: time.Minute}
	other := admit.Failures{Key: admit.FailureKey("login", "ada@example.com", "192.0.2.2"), Max: 3, Window: time.Minute}
	short := admit.Failures{Key: admit.FailureKey("code", "198.51.100.1"), Max: 1, Window: 300 * time.Millisecond}

	for i := range 3 {
		if l.Blocked(ctx, pair) {
			t.Fatalf("blocked after %d failures of 3", i)
		}
		l.Fail(ctx, pair)
	}
	if !l.Blocked(ctx, pair) {
		t.Error("not blocked after 3 failures of 3")
	}
	if l.Blocked(ctx, other) {
		t.Error("failures from one address block another")
	}
	if !l.Blocked(ctx, other, pair) {
		t.Error("Blocked with several allowances ignores the used-up one")
	}
	l.Forgive(ctx, pair)
	if l.Blocked(ctx, pair) {
		t.Error("still blocked after Forgive")
	}

	l.Fail(ctx, short)
	if !l.Blocked(ctx, short) {
		t.Fatal("not blocked after its one failure")
	}
	time.Sleep(500 * time.Millisecond)
	if l.Blocked(ctx, short) {
		t.Error("still blocked after the window ended")
	}

	down := NewLimiter(NewClient(Options{Addr: "127.0.0.1:1"}), "x:")
	down.Fail(ctx, pair)
	if down.Blocked(ctx, pair) {
		t.Error("blocked while Redis is unreachable")
	}
}
