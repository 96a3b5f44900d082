package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api/checkoutapi"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/web"
)

// noCache is a page cache that never keeps anything.
type noCache struct{}

func (noCache) Get(string) ([]byte, bool)         { return nil, false }
func (noCache) Set(string, []byte, time.Duration) {}

// TestRunHTTPRoom plays 30 buyers arriving at once through a waiting room
// that lets 600 a minute through: every one must queue, be let through at
// about that rate, and hold and order with the pass the room gave them.
func TestRunHTTPRoom(t *testing.T) {
	ctx := context.Background()
	db := mysqltest.MustOpen(t)
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 3})
	t.Cleanup(func() { rdb.Close() })
	if err := redis.Ping(ctx, rdb); err != nil {
		t.Fatalf("redis: %v (start the stack: scripts/stack up)", err)
	}
	prefix := "test:" + admit.NewToken(6) + ":"
	base := mustServe(t, db, rdb, prefix)

	const buyers, rate = 30, 600
	f, err := Setup(ctx, db, buyers, []string{"http"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRoom(ctx, db, rdb, prefix, f, rate); err != nil {
		t.Fatal(err)
	}
	res := RunHTTP(ctx, HTTPOptions{BaseURLs: []string{base}, Org: f.Org.Slug, Event: f.Event.Slug, TicketTypeID: f.Types["http"].ID,
		Buyers: buyers, Concurrency: 8, Profile: Profile{Kind: "burst"}, Room: rate, Poll: 100 * time.Millisecond})

	if res.Outcomes.Ordered != buyers || res.Outcomes.Errors != 0 {
		t.Fatalf("outcomes %+v (first error %q), want %d orders", res.Outcomes, res.FirstError, buyers)
	}
	rm := res.Room
	if rm == nil || rm.Arrived != buyers || rm.Admitted != buyers {
		t.Fatalf("room %+v, want all %d arrived and admitted", rm, buyers)
	}
	// 10 a second: the last of 30 is let through after about 3 s, not at once.
	if q := res.Steps["queue"]; q.Max < 2500 || q.Max > 6000 {
		t.Errorf("longest queue %.0f ms, want about 3,000", q.Max)
	}
	if rm.AdmittedPerMinute < 0.6*rate || rm.AdmittedPerMinute > 1.5*rate {
		t.Errorf("admitted %.0f a minute, want about %d", rm.AdmittedPerMinute, rate)
	}
	if n := res.Steps["hold"].Count; n != buyers {
		t.Errorf("%d holds recorded, want %d", n, buyers)
	}
	if sold, problems := Check(ctx, db.SQL(), f.Types["http"].ID, res.References); sold != buyers || len(problems) > 0 {
		t.Errorf("sold %d, problems %v", sold, problems)
	}
}

// mustServe serves the buyer pages and the checkout API in-process, as
// admit serve wires them, and returns the base URL.
func mustServe(tb testing.TB, db *mysql.DB, rdb goredis.UniversalClient, prefix string) string {
	tb.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	co := checkout.New(checkout.Options{Ledger: db, Gate: redis.NewInventory(rdb, prefix), Logger: logger,
		Secret: []byte("bench-test-secret-key-0123456789")})
	pages, err := web.New(web.Options{Store: db, Cache: noCache{}, Checkout: co, Logger: logger, Queue: redis.NewWaitingRoom(rdb, prefix)})
	if err != nil {
		tb.Fatal(err)
	}
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry(), HTMLError: pages.RenderError})
	pages.Register(srv.Echo())
	checkoutapi.New(checkoutapi.Options{Store: db, Checkout: co, Logger: logger}).Register(srv.Echo())
	ts := httptest.NewServer(srv.Echo())
	tb.Cleanup(ts.Close)
	co.SetBaseURL(ts.URL)
	return ts.URL
}
