package bench

import (
	"context"
	"net"
	"testing"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/redis"
)

// TestRunHTTPFailover plays a burst through two addresses, one of which is
// dead (its server gone: connections refused), as buyers of the paired
// stack see one HAProxy die. Every buyer must still order, those who
// started on the dead address by retrying on the live one, and the ledger
// must hold exactly the orders they were told of.
func TestRunHTTPFailover(t *testing.T) {
	ctx := context.Background()
	db := mysqltest.MustOpen(t)
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 3})
	t.Cleanup(func() { rdb.Close() })
	if err := redis.Ping(ctx, rdb); err != nil {
		t.Fatalf("redis: %v (start the stack: scripts/stack up)", err)
	}
	prefix := "test:" + admit.NewToken(6) + ":"
	live := mustServe(t, db, rdb, prefix)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	const buyers = 40
	f, err := Setup(ctx, db, buyers, []string{"http"})
	if err != nil {
		t.Fatal(err)
	}
	res := RunHTTP(ctx, HTTPOptions{BaseURLs: []string{dead, live}, Org: f.Org.Slug, Event: f.Event.Slug,
		TicketTypeID: f.Types["http"].ID, Buyers: buyers, Concurrency: 8, Profile: Profile{Kind: "burst"}})

	if res.Outcomes.Ordered != buyers || res.Outcomes.Errors != 0 {
		t.Fatalf("outcomes %+v (first error %q), want %d orders and no error", res.Outcomes, res.FirstError, buyers)
	}
	// Buyer i sends its requests to address i first: every request of
	// the even-numbered half (page, hold, order) needs a second try.
	if want := int64(buyers / 2 * 3); res.Outcomes.Retried != want {
		t.Errorf("%d requests retried, want %d (the 3 requests of each buyer who started on the dead address)", res.Outcomes.Retried, want)
	}
	if sold, problems := Check(ctx, db.SQL(), f.Types["http"].ID, res.References); sold != buyers || len(problems) > 0 {
		t.Errorf("sold %d, problems %v", sold, problems)
	}
}
