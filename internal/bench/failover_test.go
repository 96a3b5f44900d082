package bench

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/redis"
)

// TestRunHTTPFailover plays a burst through two addresses, one of which
// fails every request, as buyers of the paired stack see one HAProxy die
// (its server gone: connections refused) or close kept-alive connections
// as requests go out on them (a 408, which took none of the request).
// Every buyer must still order, those who started on the failing address
// by retrying on the live one, and the ledger must hold exactly the orders
// they were told of.
func TestRunHTTPFailover(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failing func(t *testing.T) string
	}{
		{"refused", refusingAddr},
		{"408", closingAddr},
	} {
		t.Run(tc.name, func(t *testing.T) { testRunHTTPFailover(t, tc.failing(t)) })
	}
}

func testRunHTTPFailover(t *testing.T, failing string) {
	ctx := context.Background()
	db := mysqltest.MustOpen(t)
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 3})
	t.Cleanup(func() { rdb.Close() })
	if err := redis.Ping(ctx, rdb); err != nil {
		t.Fatalf("redis: %v (start the stack: scripts/stack up)", err)
	}
	prefix := "test:" + admit.NewToken(6) + ":"
	live := mustServe(t, db, rdb, prefix)

	const buyers = 40
	f, err := Setup(ctx, db, buyers, []string{"http"})
	if err != nil {
		t.Fatal(err)
	}
	res := RunHTTP(ctx, HTTPOptions{BaseURLs: []string{failing, live}, Org: f.Org.Slug, Event: f.Event.Slug,
		TicketTypeID: f.Types["http"].ID, Buyers: buyers, Concurrency: 8, Profile: Profile{Kind: "burst"}})

	if res.Outcomes.Ordered != buyers || res.Outcomes.Errors != 0 {
		t.Fatalf("outcomes %+v (first error %q), want %d orders and no error", res.Outcomes, res.FirstError, buyers)
	}
	// Buyer i sends its requests to address i first: every request of
	// the even-numbered half (page, hold, order) needs a second try.
	if want := int64(buyers / 2 * 3); res.Outcomes.Retried != want {
		t.Errorf("%d requests retried, want %d (the 3 requests of each buyer who started on the failing address)", res.Outcomes.Retried, want)
	}
	if sold, problems := Check(ctx, db.SQL(), f.Types["http"].ID, res.References); sold != buyers || len(problems) > 0 {
		t.Errorf("sold %d, problems %v", sold, problems)
	}
}

// refusingAddr is an address nothing listens on.
func refusingAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}

// closingAddr answers every request as HAProxy does when its keep-alive
// timeout ends as a request arrives: 408 Request Time-out, and closes.
func closingAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 408 Request Time-out\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
