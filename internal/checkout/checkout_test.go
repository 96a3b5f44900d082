package checkout_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
)

// redisDB is this package's own Redis database, so a test may flush it.
const redisDB = 2

func mustRedis(tb testing.TB) goredis.UniversalClient {
	tb.Helper()
	addr := os.Getenv("ADMIT_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:16379"
	}
	c := redis.NewClient(redis.Options{Addr: addr, DB: redisDB})
	if err := c.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("redis at %s: %v (start the stack: scripts/stack up)", addr, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

type fixture struct {
	db    *mysql.DB
	rdb   goredis.UniversalClient
	gate  *redis.Inventory
	co    *checkout.Checkout
	event *admit.Event
	types []*admit.TicketType
}

// mustFixture creates an organization with a published event whose ticket
// types have the given quantities and prices.
func mustFixture(tb testing.TB, limits admit.HoldLimits, specs ...admit.TicketType) *fixture {
	tb.Helper()
	f := &fixture{db: mysqltest.MustOpen(tb), rdb: mustRedis(tb)}
	seed := mysqltest.MustSeed(tb, f.db, mysqltest.SeedSpec{
		Org:   admit.Organization{Slug: "org-" + admit.NewToken(4), Name: "Org"},
		Event: admit.Event{Slug: "ev", Name: "Event", TimeZone: "UTC", StartsAt: time.Now().Add(30 * 24 * time.Hour)},
		Types: specs,
	})
	f.event, f.types = seed.Event, seed.Types
	f.gate = redis.NewInventory(f.rdb, "test:"+admit.NewToken(6)+":")
	f.co = checkout.New(checkout.Options{
		Ledger: f.db, Gate: f.gate, Limits: limits, BaseURL: "http://admit.test",
		Providers: []payment.Provider{&payment.Offline{}},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return f
}

// ledgerState reads the counters and recounts them from holds and orders.
type ledgerState struct {
	quantity, reserved, sold   int
	heldInHolds, soldInOrders  int
	validTickets, orders, paid int
}

func (f *fixture) state(tb testing.TB, ticketTypeID int64) ledgerState {
	tb.Helper()
	var s ledgerState
	db := f.db.SQL()
	q := func(query string, dest ...any) {
		if err := db.QueryRow(query, ticketTypeID).Scan(dest...); err != nil {
			tb.Fatalf("%s: %v", query, err)
		}
	}
	q(`SELECT quantity FROM ticket_types WHERE id = ?`, &s.quantity)
	q(`SELECT SUM(reserved), SUM(sold) FROM ticket_type_buckets WHERE ticket_type_id = ?`, &s.reserved, &s.sold)
	q(`SELECT COALESCE(SUM(hi.quantity), 0) FROM hold_items hi JOIN holds h ON h.id = hi.hold_id
		WHERE hi.ticket_type_id = ? AND h.status = 'active'`, &s.heldInHolds)
	q(`SELECT COALESCE(SUM(ol.quantity), 0) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
		WHERE ol.ticket_type_id = ? AND o.status IN ('pending', 'paid')`, &s.soldInOrders)
	q(`SELECT COUNT(*) FROM tickets WHERE ticket_type_id = ? AND status = 'valid'`, &s.validTickets)
	return s
}

// bucketProblems checks the ticket type's buckets one by one: together
// they hold exactly its quantity, and each one's counters equal the active
// holds and live orders that took from it.
func (f *fixture) bucketProblems(tb testing.TB, ticketTypeID int64) []string {
	tb.Helper()
	rows, err := f.db.SQL().Query(`SELECT b.bucket, b.quantity, b.reserved, b.sold,
		(SELECT COALESCE(SUM(hi.quantity), 0) FROM hold_items hi JOIN holds h ON h.id = hi.hold_id
			WHERE hi.ticket_type_id = b.ticket_type_id AND hi.bucket = b.bucket AND h.status = 'active'),
		(SELECT COALESCE(SUM(ol.quantity), 0) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
			WHERE ol.ticket_type_id = b.ticket_type_id AND ol.bucket = b.bucket AND o.status IN ('pending', 'paid')),
		tt.quantity
		FROM ticket_type_buckets b JOIN ticket_types tt ON tt.id = b.ticket_type_id WHERE b.ticket_type_id = ? ORDER BY b.bucket`, ticketTypeID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var problems []string
	split, quantity := 0, 0
	for rows.Next() {
		var bucket, q, reserved, sold, held, ordered int
		if err := rows.Scan(&bucket, &q, &reserved, &sold, &held, &ordered, &quantity); err != nil {
			tb.Fatal(err)
		}
		split += q
		if reserved+sold > q {
			problems = append(problems, fmt.Sprintf("bucket %d oversold: reserved %d + sold %d > quantity %d", bucket, reserved, sold, q))
		}
		if reserved != held || sold != ordered {
			problems = append(problems, fmt.Sprintf("bucket %d: reserved %d vs %d in active holds, sold %d vs %d in orders",
				bucket, reserved, held, sold, ordered))
		}
	}
	if split != quantity {
		problems = append(problems, fmt.Sprintf("buckets hold %d tickets, the ticket type %d", split, quantity))
	}
	return problems
}

// buyer is one concurrent actor: hold some tickets, then order them.
type outcome struct {
	held, soldOut, limited, ordered atomic.Int64
	failures                        atomic.Int64
	firstFailure                    atomic.Value
}

func (f *fixture) buy(ctx context.Context, rng *rand.Rand, out *outcome) {
	var items []admit.HoldItem
	switch rng.IntN(3) {
	case 0:
		items = []admit.HoldItem{{TicketTypeID: f.types[0].ID, Quantity: 1 + rng.IntN(3)}}
	case 1:
		items = []admit.HoldItem{{TicketTypeID: f.types[1].ID, Quantity: 1 + rng.IntN(3)}}
	default:
		items = []admit.HoldItem{{TicketTypeID: f.types[0].ID, Quantity: 1}, {TicketTypeID: f.types[1].ID, Quantity: 1 + rng.IntN(2)}}
	}
	h, err := f.co.Hold(ctx, f.event, items, checkout.Client{Key: admit.NewToken(8), IP: "127.0.0.1"})
	switch admit.ErrorCode(err) {
	case "":
	case admit.ESOLDOUT:
		out.soldOut.Add(1)
		return
	case admit.ERATELIMITED:
		out.limited.Add(1)
		return
	default:
		out.failures.Add(1)
		out.firstFailure.CompareAndSwap(nil, err.Error())
		return
	}
	out.held.Add(1)
	req := admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: "buyer@example.com", PaymentMethod: admit.PaymentOffline}
	for range h.Quantity() {
		req.Attendees = append(req.Attendees, admit.Attendee{Name: "Attendee"})
	}
	if _, err := f.co.PlaceOrder(ctx, h.ID, req); err != nil {
		out.failures.Add(1)
		out.firstFailure.CompareAndSwap(nil, err.Error())
		return
	}
	out.ordered.Add(1)
}

// TestConcurrentBuyersNeverOversell races 2,000 buyers for 100 tickets of two
// types, with the Redis gate intact, flushed mid-sale, or corrupted upward:
// every time exactly 100 tickets end up held or sold, and the counters match
// the holds and orders behind them.
func TestConcurrentBuyersNeverOversell(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(t *testing.T, f *fixture)
	}{
		{name: "gate intact"},
		{name: "redis flushed mid-sale", fault: func(t *testing.T, f *fixture) {
			if err := f.rdb.FlushDB(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "counters corrupted upward", fault: func(t *testing.T, f *fixture) {
			for _, tt := range f.types {
				if err := f.gate.Set(context.Background(), tt.ID, 1_000_000); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFixture(t, admit.HoldLimits{},
				admit.TicketType{Name: "Free", Price: 0, Quantity: 50},
				admit.TicketType{Name: "Paid", Price: 2500, Quantity: 50})
			ctx := context.Background()
			// Eight buckets of six or seven tickets each: holds spread over
			// them and keep rebalancing them as they empty.
			for _, tt := range f.types {
				if err := f.db.SplitTicketType(ctx, tt.OrganizationID, tt.EventID, tt.ID, 8); err != nil {
					t.Fatal(err)
				}
			}
			const buyers = 2000
			var out outcome
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range buyers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if i == buyers/4 && tt.fault != nil {
						tt.fault(t, f)
					}
					f.buy(ctx, rand.New(rand.NewPCG(uint64(i), 7)), &out)
				}()
			}
			began := time.Now()
			close(start)
			wg.Wait()
			elapsed := time.Since(began)
			t.Logf("%d buyers in %v: %d held, %d ordered, %d sold out, %d failed (%.0f attempts/s)",
				buyers, elapsed.Round(time.Millisecond), out.held.Load(), out.ordered.Load(), out.soldOut.Load(),
				out.failures.Load(), float64(buyers)/elapsed.Seconds())
			if n := out.failures.Load(); n > 0 {
				t.Fatalf("%d buyers failed with something other than sold out; first: %v", n, out.firstFailure.Load())
			}
			total := 0
			for _, tt := range f.types {
				s := f.state(t, tt.ID)
				if s.reserved+s.sold > s.quantity {
					t.Errorf("%s oversold: reserved %d + sold %d > quantity %d", tt.Name, s.reserved, s.sold, s.quantity)
				}
				if s.reserved != s.heldInHolds || s.sold != s.soldInOrders {
					t.Errorf("%s counters disagree with the ledger: reserved %d vs %d in active holds, sold %d vs %d in orders",
						tt.Name, s.reserved, s.heldInHolds, s.sold, s.soldInOrders)
				}
				for _, p := range f.bucketProblems(t, tt.ID) {
					t.Errorf("%s %s", tt.Name, p)
				}
				total += s.reserved + s.sold
			}
			if total != 100 {
				t.Errorf("%d tickets held or sold, want exactly 100", total)
			}
			if out.ordered.Load() != out.held.Load() {
				t.Errorf("%d holds but %d orders", out.held.Load(), out.ordered.Load())
			}
			// After reconciling, the gate agrees with the ledger.
			if err := f.co.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			for _, tt := range f.types {
				got, ok, err := f.gate.Available(ctx, tt.ID)
				if err != nil || !ok || got != 0 {
					t.Errorf("%s gate after reconcile: %d (exists %v, err %v), want 0", tt.Name, got, ok, err)
				}
			}
		})
	}
}

// TestLastTicketsAreAllSold checks that capacity is never stranded in a
// bucket: 40 tickets split over 8 buckets, 36 taken one at a time by
// concurrent buyers (landing wherever the buckets happen to be picked), and
// then one buyer asks for the last 4 together, which no single bucket may
// have: the hold succeeds, everything is sold, and only then is the answer
// "sold out". Lowering the quantity to what is taken works; below it is
// refused with the field named.
func TestLastTicketsAreAllSold(t *testing.T) {
	f := mustFixture(t, admit.HoldLimits{}, admit.TicketType{Name: "Hot", Price: 0, Quantity: 40})
	ctx := context.Background()
	tt := f.types[0]
	if err := f.db.SplitTicketType(ctx, tt.OrganizationID, tt.EventID, tt.ID, 8); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 36 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 1}}, checkout.Client{Key: admit.NewToken(8)})
			if err == nil {
				_, err = f.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com",
					Attendees: []admit.Attendee{{Name: "A"}}})
			}
			if err != nil {
				failed.Add(1)
				t.Errorf("single-ticket buyer: %v", err)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	last, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 4}}, checkout.Client{Key: admit.NewToken(8)})
	if err != nil {
		t.Fatalf("the last 4 tickets, spread over the buckets: %v", err)
	}
	if _, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 1}}, checkout.Client{Key: admit.NewToken(8)}); admit.ErrorCode(err) != admit.ESOLDOUT {
		t.Fatalf("one more after all 40: %v, want sold out", err)
	}
	if s := f.state(t, tt.ID); s.reserved != 4 || s.sold != 36 {
		t.Errorf("reserved %d, sold %d; want 4 and 36", s.reserved, s.sold)
	}
	for _, p := range f.bucketProblems(t, tt.ID) {
		t.Error(p)
	}

	// The organizer lowers the quantity: to exactly what is taken is fine
	// once the last hold is given back, below it is refused.
	if err := f.co.CancelHold(ctx, last.ID); err != nil {
		t.Fatal(err)
	}
	edit := *tt
	edit.Quantity = 35
	if err := f.db.UpdateTicketType(ctx, &edit); admit.ErrorCode(err) != admit.EINVALID || !strings.Contains(err.Error(), "36") {
		t.Fatalf("quantity below the 36 sold: %v, want a quantity problem naming 36", err)
	}
	edit.Quantity = 36
	if err := f.db.UpdateTicketType(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	for _, p := range f.bucketProblems(t, tt.ID) {
		t.Error(p)
	}
	// And raised again: the new tickets are sellable, all of them.
	edit.Quantity = 300
	if err := f.db.UpdateTicketType(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	if err := f.co.SyncTicketType(ctx, tt.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 10}}, checkout.Client{Key: admit.NewToken(8)}); err != nil {
		t.Fatalf("after raising the quantity: %v", err)
	}
	for _, p := range f.bucketProblems(t, tt.ID) {
		t.Error(p)
	}
	var buckets int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM ticket_type_buckets WHERE ticket_type_id = ?`, tt.ID).Scan(&buckets)
	if buckets != 8 {
		t.Errorf("%d buckets after raising the quantity to 300, want 8", buckets)
	}
}

// TestHoldsPerBuyerAreCapped checks that one buyer (by session, and by
// address) cannot hold the whole inventory, and that the cap frees up as
// holds are cancelled.
func TestHoldsPerBuyerAreCapped(t *testing.T) {
	f := mustFixture(t, admit.HoldLimits{PerClient: 2, PerIP: 3}, admit.TicketType{Name: "GA", Quantity: 100})
	ctx := context.Background()
	one := []admit.HoldItem{{TicketTypeID: f.types[0].ID, Quantity: 1}}
	session := checkout.Client{Key: "buyer-a", IP: "192.0.2.1"}
	var holds []*admit.Hold
	for range 2 {
		h, err := f.co.Hold(ctx, f.event, one, session)
		if err != nil {
			t.Fatal(err)
		}
		holds = append(holds, h)
	}
	if _, err := f.co.Hold(ctx, f.event, one, session); admit.ErrorCode(err) != admit.ERATELIMITED {
		t.Fatalf("third hold of one session: %v, want rate_limited", err)
	}
	// Another session on the same address gets one more, then the address
	// cap applies.
	if _, err := f.co.Hold(ctx, f.event, one, checkout.Client{Key: "buyer-b", IP: "192.0.2.1"}); err != nil {
		t.Fatalf("other session, same address: %v", err)
	}
	if _, err := f.co.Hold(ctx, f.event, one, checkout.Client{Key: "buyer-c", IP: "192.0.2.1"}); admit.ErrorCode(err) != admit.ERATELIMITED {
		t.Fatalf("fourth hold from one address: %v, want rate_limited", err)
	}
	if err := f.co.CancelHold(ctx, holds[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.Hold(ctx, f.event, one, session); err != nil {
		t.Fatalf("hold after cancelling one: %v", err)
	}
	if s := f.state(t, f.types[0].ID); s.reserved != 3 || s.heldInHolds != 3 {
		t.Errorf("reserved %d, in holds %d, want 3", s.reserved, s.heldInHolds)
	}
	// With the cap disabled (load tests), one address may hold many.
	g := mustFixture(t, admit.HoldLimits{}, admit.TicketType{Name: "GA", Quantity: 100})
	for range 10 {
		if _, err := g.co.Hold(ctx, g.event, []admit.HoldItem{{TicketTypeID: g.types[0].ID, Quantity: 1}}, session); err != nil {
			t.Fatalf("uncapped: %v", err)
		}
	}
}

// BenchmarkHoldAndOrder measures buyers completing a free order (hold, then
// order) concurrently on one hot ticket type against the real MySQL and
// Redis: go test -run '^$' -bench HoldAndOrder ./internal/checkout/
func BenchmarkHoldAndOrder(b *testing.B) {
	f := mustFixture(b, admit.HoldLimits{}, admit.TicketType{Name: "GA", Quantity: 10_000_000, MaxPerOrder: 10}, admit.TicketType{Name: "Other", Quantity: 1})
	ctx := context.Background()
	b.SetParallelism(32)
	var holdNanos, orderNanos atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t0 := time.Now()
			h, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: f.types[0].ID, Quantity: 1}}, checkout.Client{})
			if err != nil {
				b.Error(err)
				return
			}
			t1 := time.Now()
			if _, err := f.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com"}); err != nil {
				b.Error(err)
				return
			}
			holdNanos.Add(int64(t1.Sub(t0)))
			orderNanos.Add(int64(time.Since(t1)))
		}
	})
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/secs, "orders/s")
	b.ReportMetric(float64(holdNanos.Load())/float64(b.N)/1e6, "hold-ms/op")
	b.ReportMetric(float64(orderNanos.Load())/float64(b.N)/1e6, "order-ms/op")
}
