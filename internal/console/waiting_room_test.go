package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/console"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
)

// TestWaitingRoomShowsAutomaticEngagement: when the room engaged on its own,
// the event dashboard says so, since and until when, with the queue's
// figures at the automatic rate.
func TestWaitingRoomShowsAutomaticEngagement(t *testing.T) {
	f := mustFixtureOn(t, 13)
	ctx := context.Background()
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 13})
	defer rdb.Close()
	prefix := "test:" + admit.NewToken(6) + ":"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	room := redis.NewWaitingRoom(rdb, prefix)
	desk, err := console.New(console.Options{Store: f.db, Sessions: redis.NewSessions(rdb, prefix, time.Hour),
		Limiter: redis.NewLimiter(rdb, prefix), Checkout: checkout.New(checkout.Options{Ledger: f.db, Logger: logger}),
		Logger: logger, Room: room})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry()})
	desk.Register(srv.Echo())
	ts := httptest.NewServer(srv.Echo())
	defer ts.Close()
	b := f.newBrowser(t)
	b.base = ts.URL
	b.mustLogin("alpha@example.com")
	dashboard := "/console/alpha/events/" + strconv.FormatInt(f.a.event.ID, 10)

	if st, body := b.get(dashboard); st != http.StatusOK || strings.Contains(body, "Engaged automatically") {
		t.Fatalf("dashboard before any burst: %d, engaged shown: %v", st, strings.Contains(body, "Engaged automatically"))
	}
	auto := redis.NewAutoRoom(rdb, prefix, 2, time.Minute)
	now := time.Now()
	var e admit.Engagement
	for i := range 5 {
		e = auto.Arrive(ctx, f.a.event.ID, now.Add(time.Duration(i)*time.Millisecond))
	}
	if !e.On(now) {
		t.Fatalf("5 arrivals over a rate of 2: %+v, want engaged", e)
	}
	for i := range 4 {
		if _, err := room.Visit(ctx, f.a.event.ID, fmt.Sprintf("v%d", i), e.Since, e.Since, e.RatePerMinute); err != nil {
			t.Fatal(err)
		}
	}
	st, body := b.get(dashboard)
	if st != http.StatusOK {
		t.Fatalf("dashboard: %d", st)
	}
	for _, want := range []string{"Engaged automatically", "since " + e.Since.UTC().Format("Mon 2 Jan, 15:04:05"),
		"until " + e.Until.UTC().Format("Mon 2 Jan, 15:04:05"), "<strong>4</strong> in the queue", "at 120 per minute the queue drains in"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}
