package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/redis"
)

func mustRoom(t *testing.T) *redis.WaitingRoom {
	t.Helper()
	c := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 13})
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v (start the stack: scripts/stack up)", err)
	}
	t.Cleanup(func() { c.Close() })
	return redis.NewWaitingRoom(c, "test:"+admit.NewToken(5)+":")
}

// TestWaitingRoomIsFair: early visitors are shuffled among themselves and
// all stand before anyone who comes after the opening; places are kept on
// every refresh; the meter lets through rate per minute from the opening.
func TestWaitingRoomIsFair(t *testing.T) {
	room := mustRoom(t)
	ctx := context.Background()
	opens := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	before := opens.Add(-30 * time.Second)
	early := map[string]int64{}
	for i := range 50 {
		v := fmt.Sprintf("early-%d", i)
		p, err := room.Visit(ctx, 1, v, before.Add(time.Duration(i)*time.Millisecond), opens, 60)
		if err != nil {
			t.Fatal(err)
		}
		if p.Through() {
			t.Fatalf("%s let through before the opening", v)
		}
	}
	for i := range 50 {
		p, _ := room.Visit(ctx, 1, fmt.Sprintf("early-%d", i), before, opens, 60)
		early[fmt.Sprintf("early-%d", i)] = p.Rank
	}
	inOrder := true
	for i := 1; i < 50; i++ {
		if early[fmt.Sprintf("early-%d", i)] < early[fmt.Sprintf("early-%d", i-1)] {
			inOrder = false
		}
	}
	if inOrder {
		t.Error("visitors who came before the opening kept their arrival order; they must be shuffled")
	}
	late, err := room.Visit(ctx, 1, "late", opens.Add(time.Second), opens, 60)
	if err != nil {
		t.Fatal(err)
	}
	if late.Rank != 50 {
		t.Errorf("first visitor after the opening is at rank %d, want 50 (behind every early one)", late.Rank)
	}
	// Ten seconds after opening at 60 per minute: ten let through.
	p, _ := room.Visit(ctx, 1, "late", opens.Add(10*time.Second), opens, 60)
	if p.Admitted != 10 || p.Rank != 50 || p.Through() {
		t.Errorf("10 s after opening: %+v, want 10 admitted and the late visitor still waiting", p)
	}
	// The organizer doubles the rate at +20 s: the 20 let through so far
	// stay, and from then on 2 per second.
	p, _ = room.Visit(ctx, 1, "late", opens.Add(20*time.Second), opens, 120)
	if p.Admitted != 20 {
		t.Errorf("at the rate change: %d admitted, want 20", p.Admitted)
	}
	p, _ = room.Visit(ctx, 1, "late", opens.Add(35*time.Second), opens, 120)
	if p.Through() || p.Admitted != 50 {
		t.Errorf("15 s after doubling: %+v, want 50 admitted and the late visitor next", p)
	}
	p, _ = room.Visit(ctx, 1, "late", opens.Add(36*time.Second), opens, 120)
	if !p.Through() {
		t.Errorf("16 s after doubling: %+v, want the late visitor through", p)
	}
	s, _ := room.Stats(ctx, 1, opens.Add(41*time.Second), opens, 120)
	if s.Size != 51 {
		t.Errorf("stats: %+v; looking must not join the queue", s)
	}
	// Visitors within one millisecond keep their arrival order, whatever
	// their ids (named here so that their ids sort against it), and one
	// who comes at the opening instant is behind every early one.
	for i := range 20 {
		p, err := room.Visit(ctx, 1, fmt.Sprintf("same-ms-%02d", 19-i), opens.Add(2*time.Second+time.Duration(i)*time.Microsecond), opens, 60)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rank != int64(51+i) {
			t.Errorf("visitor %d of one millisecond is at rank %d, want %d", i, p.Rank, 51+i)
		}
	}
	if p, _ := room.Visit(ctx, 1, "at-opening", opens, opens, 60); p.Rank != 50 {
		t.Errorf("the visitor at the opening instant is at rank %d, want 50 (behind the early ones, before later ones)", p.Rank)
	}
}

func TestWaitingRoomRedisDown(t *testing.T) {
	c := redis.NewClient(redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	room := redis.NewWaitingRoom(c, "x:")
	if p, err := room.Visit(context.Background(), 1, "v", time.Now(), time.Time{}, 600); err == nil || p.Through() {
		t.Errorf("with Redis down: %+v, %v; want an error and nobody through", p, err)
	}
}

func TestPassIsBoundAndExpires(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	pass := admit.SignPass(secret, 7, "buyer-a", now.Add(time.Minute))
	for _, tt := range []struct {
		name    string
		event   int64
		visitor string
		pass    string
		at      time.Time
		want    bool
	}{
		{"own pass", 7, "buyer-a", pass, now, true},
		{"another visitor's pass", 7, "buyer-b", pass, now, false},
		{"another event", 8, "buyer-a", pass, now, false},
		{"expired", 7, "buyer-a", pass, now.Add(2 * time.Minute), false},
		{"forged", 7, "buyer-a", admit.SignPass([]byte("another secret of 32 characters!"), 7, "buyer-a", now.Add(time.Minute)), now, false},
		{"garbage", 7, "buyer-a", "not-a-pass", now, false},
	} {
		if got := admit.VerifyPass(secret, tt.event, tt.visitor, tt.pass, tt.at); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
