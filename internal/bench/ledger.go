package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
)

// LedgerOptions runs buyers in-process against the MySQL ledger, with one
// of the strategies a ticketing system may use:
//   - "admit": the Redis gate in front of guarded statements (the product);
//   - "row": a guarded UPDATE on one row per ticket type, no gate;
//   - "event-lock": every checkout of the event serialized under one lock,
//     as pretix and Hi.Events do.
type LedgerOptions struct {
	Strategy     string
	DB           *mysql.DB
	Gate         checkout.Gate
	Event        *admit.Event
	TicketTypeID int64
	Buyers       int
	Concurrency  int
	Profile      Profile
	// Locks is a pool of its own for the event-lock strategy's named
	// locks: a buyer waiting for the lock must not hold a connection the
	// lock's holder needs.
	Locks *sql.DB
}

// RunLedger plays the buyers with the strategy and returns the result.
func RunLedger(ctx context.Context, o LedgerOptions) *Result {
	gate := o.Gate
	if o.Strategy != "admit" {
		gate = nil
	}
	co := checkout.New(checkout.Options{Ledger: o.DB, Gate: gate, BaseURL: "http://bench", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	start := time.Now()
	hold, order := NewLatency(start), NewLatency(start)
	res := &Result{Strategy: o.Strategy, Buyers: o.Buyers}
	var mu sync.Mutex
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	lockName := "admit-bench-event-" + strconv.FormatInt(o.Event.ID, 10)
	for i := range o.Buyers {
		if wait := time.Until(start.Add(o.Profile.arrival(i, o.Buyers))); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outcome, ref, err := buyLedger(ctx, co, o, i, lockName, hold, order)
			mu.Lock()
			defer mu.Unlock()
			res.count(outcome, ref, err)
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Steps = map[string]Summary{"hold": hold.Summary(), "order": order.Summary()}
	res.Series = map[string][]Point{"hold": hold.Series(), "order": order.Series()}
	res.OrdersPerSec = float64(res.Outcomes.Ordered) / res.Seconds
	res.HoldsPerSec = float64(hold.Summary().Count) / res.Seconds
	return res
}

// buyLedger is one buyer of RunLedger: a hold of one ticket and its order,
// under the event's lock for the event-lock strategy. It returns the
// outcome as Result.count takes it.
func buyLedger(ctx context.Context, co *checkout.Checkout, o LedgerOptions, i int, lockName string, hold, order *Latency) (outcome, ref string, err error) {
	if o.Strategy == "event-lock" {
		release, err := eventLock(ctx, o.Locks, lockName)
		if err != nil {
			return "error", "", err
		}
		defer release()
	}
	t0 := time.Now()
	h, err := co.Hold(ctx, o.Event, []admit.HoldItem{{TicketTypeID: o.TicketTypeID, Quantity: 1}}, checkout.Client{})
	t1 := time.Now()
	switch admit.ErrorCode(err) {
	case "":
		hold.Record(t1.Sub(t0), t1)
		placed, err := co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: fmt.Sprintf("b%d@bench.example", i)})
		t2 := time.Now()
		if err != nil {
			return "error", "", err
		}
		order.Record(t2.Sub(t1), t2)
		return "ordered", placed.Order.Reference, nil
	case admit.ESOLDOUT:
		return "sold_out", "", nil
	default:
		return "error", "", err
	}
}

// eventLock takes the event's named lock on a connection of its own and
// returns the function that releases it.
func eventLock(ctx context.Context, db *sql.DB, name string) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, 20)`, name).Scan(&got); err != nil || got.Int64 != 1 {
		conn.Close()
		return nil, fmt.Errorf("GET_LOCK(%s): %v", name, err)
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK(?)`, name)
		conn.Close()
	}, nil
}

// Fixture is the bench's own organization and event, with one ticket type
// per strategy, each with the same capacity.
type Fixture struct {
	Org   *admit.Organization
	Event *admit.Event
	Types map[string]*admit.TicketType
}

// Setup creates the bench fixture.
func Setup(ctx context.Context, db *mysql.DB, capacity int, strategies []string) (*Fixture, error) {
	f := &Fixture{Org: &admit.Organization{Slug: "bench-" + admit.NewToken(4), Name: "Bench"}, Types: map[string]*admit.TicketType{}}
	if err := db.CreateOrganization(ctx, f.Org); err != nil {
		return nil, err
	}
	f.Event = &admit.Event{OrganizationID: f.Org.ID, Slug: "onsale", Name: "On-sale bench", TimeZone: "UTC",
		StartsAt: time.Now().Add(90 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, f.Event); err != nil {
		return nil, err
	}
	for i, s := range strategies {
		t := &admit.TicketType{OrganizationID: f.Org.ID, EventID: f.Event.ID, Name: "GA " + s, Quantity: capacity,
			MinPerOrder: 1, MaxPerOrder: 10, Position: i}
		if err := db.CreateTicketType(ctx, t); err != nil {
			return nil, err
		}
		if s == "row" || s == "event-lock" {
			// The baselines keep a ticket type's capacity in one row, as
			// peers do; the product spreads it over buckets.
			if err := db.SplitTicketType(ctx, f.Org.ID, f.Event.ID, t.ID, 1); err != nil {
				return nil, err
			}
		}
		f.Types[s] = t
	}
	return f, nil
}

// Check verifies the invariants from the database, the same as admit
// faults proves: the ticket type is not oversold (by its counters, and by
// the tickets and active holds themselves), the counters agree with those
// tickets and holds, every order a buyer was told succeeded exists with its
// one ticket, and no buyer got a second order (a retry that doubled).
func Check(ctx context.Context, db *sql.DB, ticketTypeID int64, refs []string) (sold int, problems []string) {
	var quantity, split, reserved, issued, held, orders int
	if err := db.QueryRowContext(ctx, `SELECT tt.quantity, SUM(b.quantity), SUM(b.reserved), SUM(b.sold),
		(SELECT COUNT(*) FROM tickets t WHERE t.ticket_type_id = tt.id AND t.status IN ('pending', 'valid')),
		(SELECT COALESCE(SUM(hi.quantity), 0) FROM hold_items hi JOIN holds h ON h.id = hi.hold_id
			WHERE hi.ticket_type_id = tt.id AND h.status = 'active'),
		(SELECT COUNT(DISTINCT t.order_id) FROM tickets t WHERE t.ticket_type_id = tt.id)
		FROM ticket_types tt JOIN ticket_type_buckets b ON b.ticket_type_id = tt.id WHERE tt.id = ? GROUP BY tt.id`,
		ticketTypeID).Scan(&quantity, &split, &reserved, &sold, &issued, &held, &orders); err != nil {
		return 0, []string{err.Error()}
	}
	if split != quantity {
		problems = append(problems, fmt.Sprintf("buckets hold %d tickets, the ticket type %d", split, quantity))
	}
	if reserved+sold > quantity {
		problems = append(problems, fmt.Sprintf("oversold: reserved %d + sold %d > quantity %d", reserved, sold, quantity))
	}
	if issued+held > quantity {
		problems = append(problems, fmt.Sprintf("oversold: %d tickets issued + %d held > quantity %d", issued, held, quantity))
	}
	if sold != issued || reserved != held {
		problems = append(problems, fmt.Sprintf("counters say sold %d reserved %d, but %d tickets are issued and %d held", sold, reserved, issued, held))
	}
	missing := 0
	for _, ref := range refs {
		var tickets int
		err := db.QueryRowContext(ctx, `SELECT COUNT(t.id) FROM orders o JOIN tickets t ON t.order_id = o.id WHERE o.reference = ?`, ref).Scan(&tickets)
		if err != nil || tickets != 1 {
			missing++
		}
	}
	if missing > 0 {
		problems = append(problems, fmt.Sprintf("%d orders buyers were told succeeded are missing or lack their ticket", missing))
	}
	if sold != len(refs) || orders != len(refs) {
		problems = append(problems, fmt.Sprintf("ledger has %d tickets sold in %d orders, buyers were told of %d", sold, orders, len(refs)))
	}
	return sold, problems
}
