package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/redis"
)

// TestWaitingRoomEngagesAutomatically: arrivals up to the threshold in one
// second leave the room off; one more engages it from that moment, on every
// server; the queue it uses lets visitors through at the threshold rate from
// the engagement, ahead of nobody left over from an earlier room; it
// disengages once no second has been over the threshold for its TTL.
func TestWaitingRoomEngagesAutomatically(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 13})
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis: %v (start the stack: scripts/stack up)", err)
	}
	defer c.Close()
	prefix := "test:" + admit.NewToken(5) + ":"
	const perSecond, engagedFor = 10, 1500 * time.Millisecond
	server1 := redis.NewAutoRoom(c, prefix, perSecond, engagedFor)
	server2 := redis.NewAutoRoom(c, prefix, perSecond, engagedFor)
	room := redis.NewWaitingRoom(c, prefix)

	// A visitor left in the line by an earlier room.
	if _, err := room.Visit(ctx, 1, "left-over", time.Now(), time.Time{}, 1); err != nil {
		t.Fatal(err)
	}
	// Start early in a second so the burst below stays inside it.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
	now := time.Now()
	for i := range perSecond {
		if e := server1.Arrive(ctx, 1, now); e.On(now) {
			t.Fatalf("engaged after %d arrivals in a second, threshold %d", i+1, perSecond)
		}
	}
	if e := server1.Arrive(ctx, 2, now); e.On(now) {
		t.Fatal("another event's arrival engaged the room")
	}
	e := server1.Arrive(ctx, 1, now)
	if !e.On(now) || !e.Since.Equal(now.Truncate(time.Millisecond)) || e.RatePerMinute != perSecond*60 {
		t.Fatalf("after %d arrivals: %+v, want engaged since %v at %d per minute", perSecond+1, e, now, perSecond*60)
	}
	if got := server2.Engaged(ctx, 1, now); !got.On(now) || !got.Since.Equal(e.Since) {
		t.Errorf("another server sees %+v, want the engagement", got)
	}
	if got, err := room.Engagement(ctx, 1); err != nil || !got.Until.Equal(e.Until) || got.RatePerMinute != perSecond*60 {
		t.Errorf("console's view: %+v, %v", got, err)
	}
	// The queue opens at the engagement, 10 a second; the left-over
	// visitor does not stand in anyone's way.
	for i := range 15 {
		p, err := room.Visit(ctx, 1, fmt.Sprintf("v%d", i), e.Since.Add(time.Duration(i)*time.Millisecond), e.Since, e.RatePerMinute)
		if err != nil {
			t.Fatal(err)
		}
		if p.Through() {
			t.Errorf("v%d through at the engagement itself: %+v", i, p)
		}
	}
	p, _ := room.Visit(ctx, 1, "v0", e.Since.Add(time.Second), e.Since, e.RatePerMinute)
	if !p.Through() {
		t.Errorf("first visitor a second after the engagement: %+v, want through", p)
	}
	p, _ = room.Visit(ctx, 1, "v9", e.Since.Add(time.Second), e.Since, e.RatePerMinute)
	if !p.Through() {
		t.Errorf("tenth visitor a second after: %+v, want through", p)
	}
	p, _ = room.Visit(ctx, 1, "v10", e.Since.Add(time.Second), e.Since, e.RatePerMinute)
	if p.Through() || p.Ahead() != 0 {
		t.Errorf("eleventh visitor a second after: %+v, want next in line", p)
	}

	// Quiet arrivals do not keep it engaged; after the TTL it is off.
	time.Sleep(engagedFor + 100*time.Millisecond)
	later := time.Now()
	if e := server1.Arrive(ctx, 1, later); e.On(later) {
		t.Errorf("still engaged after its TTL: %+v", e)
	}
	if got := server2.Engaged(ctx, 1, later); got.On(later) {
		t.Errorf("another server still sees it engaged: %+v", got)
	}
}

// TestWaitingRoomAutoRedisDown: when Redis cannot be read, a server keeps
// what it last knew: engaged until the engagement's own end, then off.
func TestWaitingRoomAutoRedisDown(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 13})
	auto := redis.NewAutoRoom(c, "test:"+admit.NewToken(5)+":", 1, time.Second)
	now := time.Now()
	auto.Arrive(ctx, 1, now)
	e := auto.Arrive(ctx, 1, now.Add(flushGap))
	if !e.On(now) {
		c.Close()
		t.Fatalf("two arrivals over a threshold of one: %+v, want engaged", e)
	}
	c.Close() // Redis is gone from here on
	if got := auto.Arrive(ctx, 1, now.Add(500*time.Millisecond)); !got.On(now.Add(500 * time.Millisecond)) {
		t.Errorf("Redis down within the engagement: %+v, want still engaged", got)
	}
	if got := auto.Engaged(ctx, 1, now.Add(1500*time.Millisecond)); got.On(now.Add(1500 * time.Millisecond)) {
		t.Errorf("Redis down after the engagement's end: %+v, want off", got)
	}

	down := redis.NewAutoRoom(redis.NewClient(redis.Options{Addr: "127.0.0.1:1"}), "x:", 1, time.Minute)
	for i := range 3 {
		at := now.Add(time.Duration(i) * flushGap)
		if got := down.Arrive(ctx, 1, at); got.On(at) {
			t.Errorf("Redis never reachable: %+v, want off", got)
		}
	}
}

const flushGap = 200 * time.Millisecond
