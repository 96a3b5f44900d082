package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// mustFreeType adds a free ticket type of quantity to the event.
func mustFreeType(tb testing.TB, db *mysql.DB, ev *admit.Event, name string, quantity int) *admit.TicketType {
	tb.Helper()
	tt := &admit.TicketType{OrganizationID: ev.OrganizationID, EventID: ev.ID, Name: name, Quantity: quantity, MinPerOrder: 1, MaxPerOrder: 10}
	if err := db.CreateTicketType(context.Background(), tt); err != nil {
		tb.Fatal(err)
	}
	return tt
}

func hold(ev *admit.Event, client string, items ...admit.HoldItem) *admit.Hold {
	return &admit.Hold{OrganizationID: ev.OrganizationID, EventID: ev.ID, ClientKey: client, Items: items}
}

func item(tt *admit.TicketType, q int) admit.HoldItem {
	return admit.HoldItem{TicketTypeID: tt.ID, Quantity: q}
}

// mustLedgerMatches checks the ledger against the holds and orders behind
// it: what each ticket type's buckets say is reserved and sold is exactly
// what the active holds and the live orders hold.
func mustLedgerMatches(tb testing.TB, db *mysql.DB, tt *admit.TicketType) (reserved, sold int) {
	tb.Helper()
	quantity, reserved, sold := mysqltest.Ledger(tb, db, tt.ID)
	var held, ordered int
	if err := db.SQL().QueryRow(`SELECT COALESCE(SUM(hi.quantity), 0) FROM hold_items hi JOIN holds h ON h.id = hi.hold_id
		WHERE hi.ticket_type_id = ? AND h.status = 'active'`, tt.ID).Scan(&held); err != nil {
		tb.Fatal(err)
	}
	if err := db.SQL().QueryRow(`SELECT COALESCE(SUM(ol.quantity), 0) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
		WHERE ol.ticket_type_id = ? AND o.status IN ('pending', 'paid')`, tt.ID).Scan(&ordered); err != nil {
		tb.Fatal(err)
	}
	if reserved != held || sold != ordered || reserved+sold > quantity {
		tb.Fatalf("ticket type %s: buckets say reserved %d sold %d of %d; holds say %d, orders %d", tt.Name, reserved, sold, quantity, held, ordered)
	}
	return reserved, sold
}

// TestHoldBatchServesBuyersInArrivalOrder: in one batch, holds that fit and
// holds that do not get the answers they would have got one after another:
// a buyer is refused only when those before it left too few, and is told
// how many are left; nothing of a refused buyer is taken.
func TestHoldBatchServesBuyersInArrivalOrder(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	_, ev, ga := mustEventOrg(t, db, "arrival")
	mysqltest.SetLedger(t, db, ga.ID, 5, 0, 0)
	vip := mustFreeType(t, db, ev, "VIP", 1)
	mysqltest.SetLedger(t, db, vip.ID, 1, 0, 0)

	holds := []*admit.Hold{
		hold(ev, "a", item(ga, 3)),               // fits: 2 left
		hold(ev, "b", item(ga, 3)),               // 2 left: refused
		hold(ev, "c", item(ga, 1), item(vip, 1)), // fits both: 1 GA left, VIP gone
		hold(ev, "d", item(vip, 1), item(ga, 1)), // VIP gone: refused, its GA not taken
		hold(ev, "e", item(ga, 1)),               // the last GA
		hold(ev, "f", item(ga, 1)),               // sold out
	}
	errs := db.HoldsInOneBatch(ctx, holds, time.Minute, admit.HoldLimits{})
	want := []struct {
		code      string
		short     int64
		remaining int
	}{{"", 0, 0}, {admit.ESOLDOUT, ga.ID, 2}, {"", 0, 0}, {admit.ESOLDOUT, vip.ID, 0}, {"", 0, 0}, {admit.ESOLDOUT, ga.ID, 0}}
	for i, w := range want {
		err := errs[i]
		if admit.ErrorCode(err) != w.code {
			t.Errorf("hold %s: %v, want %q", holds[i].ClientKey, err, w.code)
			continue
		}
		var exists int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM holds WHERE id = ?`, holds[i].ID).Scan(&exists)
		if (err == nil) != (exists == 1) {
			t.Errorf("hold %s: answer %v but %d rows", holds[i].ClientKey, err, exists)
		}
		if w.code != admit.ESOLDOUT {
			continue
		}
		var de *admit.Error
		if !errors.As(err, &de) {
			t.Fatalf("hold %s: %T", holds[i].ClientKey, err)
		}
		s, _ := de.Detail.(admit.Shortage)
		if s.TicketTypeID != w.short || s.Remaining != w.remaining || s.Name == "" {
			t.Errorf("hold %s: shortage %+v, want type %d with %d left", holds[i].ClientKey, s, w.short, w.remaining)
		}
	}
	if reserved, _ := mustLedgerMatches(t, db, ga); reserved != 5 {
		t.Errorf("GA reserved %d, want all 5", reserved)
	}
	if reserved, _ := mustLedgerMatches(t, db, vip); reserved != 1 {
		t.Errorf("VIP reserved %d, want 1", reserved)
	}
}

// TestHoldBatchCapsEachBuyer: the per-buyer cap counts the buyer's earlier
// holds and those earlier in the same batch.
func TestHoldBatchCapsEachBuyer(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	_, ev, ga := mustEventOrg(t, db, "capped")
	limits := admit.HoldLimits{PerClient: 2}
	if err := db.CreateHold(ctx, hold(ev, "greedy", item(ga, 1)), time.Minute, limits); err != nil {
		t.Fatal(err)
	}
	holds := []*admit.Hold{hold(ev, "greedy", item(ga, 1)), hold(ev, "modest", item(ga, 1)), hold(ev, "greedy", item(ga, 1))}
	errs := db.HoldsInOneBatch(ctx, holds, time.Minute, limits)
	for i, want := range []string{"", "", admit.ERATELIMITED} {
		if got := admit.ErrorCode(errs[i]); got != want {
			t.Errorf("hold %d (%s): %v, want %q", i, holds[i].ClientKey, errs[i], want)
		}
	}
	if reserved, _ := mustLedgerMatches(t, db, ga); reserved != 3 {
		t.Errorf("reserved %d, want 3", reserved)
	}
}

// TestOrderBatchOneKeyOneOrder: two requests with one Idempotency-Key in one
// batch are one request: one order, and the second gets the first's
// response. The key with another request is refused; a repeat later
// replays; one hold ordered twice in a batch is one order.
func TestOrderBatchOneKeyOneOrder(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	_, ev, _ := mustEventOrg(t, db, "keys")
	free := mustFreeType(t, db, ev, "Free", 10)
	h1, h2, h3 := hold(ev, "1", item(free, 1)), hold(ev, "2", item(free, 1)), hold(ev, "3", item(free, 1))
	for _, h := range []*admit.Hold{h1, h2, h3} {
		if err := db.CreateHold(ctx, h, time.Minute, admit.HoldLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	renders := 0
	key := func(k, body string) *admit.OrderKey {
		return &admit.OrderKey{Scope: "checkout", Key: k, Hash: []byte(fmt.Sprintf("%-32s", body)),
			Render: func(o *admit.Order, existing bool, err error) (int, []byte) {
				renders++
				if err != nil {
					return 422, []byte(err.Error())
				}
				return 201, []byte(o.Reference)
			}}
	}
	req := admit.OrderRequest{BuyerName: "Ada", BuyerEmail: "ada@example.com", Attendees: []admit.Attendee{{Name: "Ada"}}}
	placed, errs := db.OrdersInOneBatch(ctx, []admit.PlaceOrder{
		{HoldID: h1.ID, Request: req, Key: key("k1", "one")},
		{HoldID: h1.ID, Request: req, Key: key("k1", "one")},   // the same request again
		{HoldID: h2.ID, Request: req, Key: key("k1", "other")}, // the key with another request
		{HoldID: h3.ID, Request: req},
		{HoldID: h3.ID, Request: req}, // a double submit without a key
	})
	for i, err := range errs[:2] {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	first, second := placed[0], placed[1]
	if first.Order == nil || first.Replayed || first.Response == nil || string(first.Response.Body) != first.Order.Reference {
		t.Fatalf("first request: %+v", first)
	}
	if !second.Replayed || second.Response.Status != 201 || string(second.Response.Body) != first.Order.Reference {
		t.Errorf("second request with the key: %+v, want the first's response replayed", second)
	}
	if admit.ErrorCode(errs[2]) != admit.EKEYREUSED {
		t.Errorf("key with another request: %v", errs[2])
	}
	if errs[3] != nil || errs[4] != nil || placed[3].Existing || !placed[4].Existing || placed[4].Order.Reference != placed[3].Order.Reference {
		t.Errorf("double submit: %v %v %+v %+v", errs[3], errs[4], placed[3], placed[4])
	}
	if renders != 1 {
		t.Errorf("the response was rendered %d times, want once", renders)
	}
	var orders int
	db.SQL().QueryRow(`SELECT COUNT(*) FROM orders WHERE hold_id IN (?, ?, ?)`, h1.ID, h2.ID, h3.ID).Scan(&orders)
	if orders != 2 {
		t.Errorf("%d orders, want 2 (h1 once, h3 once; h2's request was refused)", orders)
	}
	// A repeat in a later batch replays; the refused request can still
	// be made with a key of its own.
	placed, errs = db.OrdersInOneBatch(ctx, []admit.PlaceOrder{
		{HoldID: h1.ID, Request: req, Key: key("k1", "one")},
		{HoldID: h2.ID, Request: req, Key: key("k2", "two")},
	})
	if errs[0] != nil || !placed[0].Replayed || string(placed[0].Response.Body) != first.Order.Reference {
		t.Errorf("later repeat: %v %+v", errs[0], placed[0])
	}
	if errs[1] != nil || placed[1].Order == nil || placed[1].Replayed {
		t.Errorf("h2 with its own key: %v %+v", errs[1], placed[1])
	}
	if _, sold := mustLedgerMatches(t, db, free); sold != 3 {
		t.Errorf("sold %d, want 3", sold)
	}
}

// TestOrderBatchMixesOutcomes: in one batch, a valid order, an expired
// hold, an invalid request and an unknown hold each get their own answer;
// the others are placed.
func TestOrderBatchMixesOutcomes(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	_, ev, ga := mustEventOrg(t, db, "mixed")
	free := mustFreeType(t, db, ev, "Free", 10)
	ok, expired, invalid, paid := hold(ev, "ok", item(free, 2)), hold(ev, "late", item(free, 1)), hold(ev, "bad", item(free, 1)), hold(ev, "paid", item(ga, 1))
	for _, h := range []*admit.Hold{ok, expired, invalid, paid} {
		if err := db.CreateHold(ctx, h, time.Minute, admit.HoldLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL().Exec(`UPDATE holds SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE id = ?`, expired.ID); err != nil {
		t.Fatal(err)
	}
	two := []admit.Attendee{{Name: "Ada"}, {Name: "Grace"}}
	check := func(h *admit.Hold, r *admit.OrderRequest) error { return r.Validate(h.Quantity()) }
	placed, errs := db.OrdersInOneBatch(ctx, []admit.PlaceOrder{
		{HoldID: ok.ID, Request: admit.OrderRequest{BuyerName: "Ada", BuyerEmail: "ada@example.com", Attendees: two}, Check: check},
		{HoldID: expired.ID, Request: admit.OrderRequest{BuyerName: "Bo", BuyerEmail: "bo@example.com"}, Check: check},
		{HoldID: invalid.ID, Request: admit.OrderRequest{BuyerName: "", BuyerEmail: "not an address"}, Check: check},
		{HoldID: "no-such-hold", Request: admit.OrderRequest{BuyerName: "Cy", BuyerEmail: "cy@example.com"}, Check: check},
		{HoldID: paid.ID, Request: admit.OrderRequest{BuyerName: "Di", BuyerEmail: "di@example.com", PaymentMethod: admit.PaymentOffline}, Check: check},
	})
	for i, want := range []string{"", admit.EEXPIRED, admit.EINVALID, admit.ENOTFOUND, ""} {
		if got := admit.ErrorCode(errs[i]); got != want {
			t.Errorf("order %d: %v, want %q", i, errs[i], want)
		}
	}
	if o := placed[0].Order; o.Status != admit.OrderPaid || len(o.Tickets) != 2 || o.Tickets[0].ID == 0 || o.Tickets[1].AttendeeName != "Grace" {
		t.Errorf("free order: %+v", o)
	}
	if o := placed[4].Order; o.Status != admit.OrderPending || o.Total != 1000 || o.ID == 0 {
		t.Errorf("offline order: %+v", o)
	}
	for _, o := range []*admit.Order{placed[0].Order, placed[4].Order} {
		got, err := db.FindOrder(ctx, o.OrganizationID, o.ID)
		if err != nil || got.Reference != o.Reference || len(got.Tickets) != len(o.Tickets) || got.Tickets[0].Code != o.Tickets[0].Code {
			t.Errorf("order %s as stored: %+v %v", o.Reference, got, err)
		}
	}
	var effects string
	db.SQL().QueryRow(`SELECT GROUP_CONCAT(kind ORDER BY id) FROM outbox WHERE payload IN (?, ?)`,
		fmt.Sprintf(`{"order_id":%d}`, placed[0].Order.ID), fmt.Sprintf(`{"order_id":%d}`, placed[4].Order.ID)).Scan(&effects)
	if effects != "email.order_confirmation,webhook.order.paid,order.placed" {
		t.Errorf("side effects %q", effects)
	}
	if _, sold := mustLedgerMatches(t, db, free); sold != 2 {
		t.Errorf("free sold %d, want 2", sold)
	}
	if reserved, sold := mustLedgerMatches(t, db, ga); sold != 1 || reserved != 0 {
		t.Errorf("GA reserved %d sold %d", reserved, sold)
	}
}

// commitCutter is a TCP proxy in front of MySQL that, when armed, cuts the
// next connection that sends COMMIT (alone, or ending a script): before the server gets it (the
// transaction is rolled back), or after the server answered it (the
// transaction committed, but the client never hears so).
type commitCutter struct {
	to    string
	armed atomic.Value // "", "before" or "after"
	cuts  atomic.Int64
}

func mustCommitCutter(tb testing.TB, to string) (*commitCutter, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &commitCutter{to: to}
	p.armed.Store("")
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			go p.serve(c, s)
		}
	}()
	return p, ln.Addr().String()
}

func (p *commitCutter) serve(client, server net.Conn) {
	defer client.Close()
	defer server.Close()
	var swallow atomic.Bool
	done := make(chan struct{})
	go func() { // server to client, until told to swallow the answer
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 && swallow.Load() {
				client.Close() // the commit's answer never arrives
				return
			}
			if n > 0 {
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for { // client to server, packet by packet
		var header [4]byte
		if _, err := io.ReadFull(client, header[:]); err != nil {
			return
		}
		size := int(header[0]) | int(header[1])<<8 | int(header[2])<<16
		payload := make([]byte, size)
		if _, err := io.ReadFull(client, payload); err != nil {
			return
		}
		// COMMIT alone, or as the last statement of a batch's script.
		if size > 1 && payload[0] == 0x03 && strings.HasSuffix(strings.ToUpper(strings.TrimSpace(string(payload[1:]))), "COMMIT") {
			switch mode := p.armed.Load().(string); {
			case mode == "before" && p.armed.CompareAndSwap(mode, ""):
				p.cuts.Add(1)
				return
			case mode == "after" && p.armed.CompareAndSwap(mode, ""):
				p.cuts.Add(1)
				swallow.Store(true)
			}
		}
		if _, err := server.Write(append(header[:], payload...)); err != nil {
			return
		}
		if swallow.Load() {
			<-done
			return
		}
	}
}

// TestBatchCommitCutMidway: when the connection dies at a batch's COMMIT,
// before the server got it or after it committed, every buyer of the batch
// ends up with its hold or order if and only if the ledger has it, and the
// counters are exact.
func TestBatchCommitCutMidway(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	direct, err := mysql.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	ctx := context.Background()
	_, ev, _ := mustEventOrg(t, direct, "cut")
	free := mustFreeType(t, direct, ev, "Free", 100)
	cutter, addr := mustCommitCutter(t, mysql.TestServerAddr(t))
	cfg, _ := gomysql.ParseDSN(dsn)
	cfg.Addr = addr
	db, err := mysql.Open(cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, mode := range []string{"before", "after"} {
		t.Run(mode, func(t *testing.T) {
			var holds []*admit.Hold
			for i := range 8 {
				holds = append(holds, hold(ev, fmt.Sprint(mode, i), item(free, 1+i%2)))
			}
			cutter.armed.Store(mode)
			errs := db.HoldsInOneBatch(ctx, holds, time.Minute, admit.HoldLimits{})
			if cutter.cuts.Load() == 0 {
				t.Fatal("the proxy cut nothing")
			}
			var reqs []admit.PlaceOrder
			for i, h := range holds {
				var exists int
				direct.SQL().QueryRow(`SELECT COUNT(*) FROM holds WHERE id = ?`, h.ID).Scan(&exists)
				if (errs[i] == nil) != (exists == 1) {
					t.Errorf("hold %d: answer %v, %d rows", i, errs[i], exists)
				}
				// Whether COMMIT reached the server or not, the batch
				// finds out and ends done: none of these buyers is
				// refused for the cut.
				if errs[i] != nil {
					t.Errorf("hold %d: %v", i, errs[i])
				}
				if errs[i] == nil {
					attendees := make([]admit.Attendee, h.Quantity())
					for j := range attendees {
						attendees[j].Name = "A"
					}
					reqs = append(reqs, admit.PlaceOrder{HoldID: h.ID, Request: admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com", Attendees: attendees}})
				}
			}
			mustLedgerMatches(t, direct, free)
			if len(reqs) == 0 {
				t.Fatal("no hold survived the cut: nothing to order")
			}
			cutter.armed.Store(mode)
			placed, errs := db.OrdersInOneBatch(ctx, reqs)
			for i, r := range reqs {
				var orders int
				direct.SQL().QueryRow(`SELECT COUNT(*) FROM orders WHERE hold_id = ?`, r.HoldID).Scan(&orders)
				if (errs[i] == nil) != (orders == 1) || errs[i] != nil {
					t.Errorf("order %d: answer %v, %d orders", i, errs[i], orders)
				}
				if errs[i] == nil && (placed[i].Order == nil || placed[i].Order.ID == 0) {
					t.Errorf("order %d: told placed without an order: %+v", i, placed[i])
				}
			}
			mustLedgerMatches(t, direct, free)
		})
	}
}

// TestConcurrentHoldsAndOrdersBatch: many buyers at once through the
// batching entry points, more than there are tickets: exactly the stock is
// sold, each buyer told "placed" has an order, and the ledger matches.
func TestConcurrentHoldsAndOrdersBatch(t *testing.T) {
	// One lane per kind (as each of two app servers runs) and three.
	for _, lanes := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d lanes", lanes), func(t *testing.T) { testConcurrentHoldsAndOrders(t, lanes) })
	}
}

func testConcurrentHoldsAndOrders(t *testing.T, lanes int) {
	db := mysqltest.MustOpen(t)
	db.SetBatchLanes(lanes)
	ctx := context.Background()
	_, ev, _ := mustEventOrg(t, db, "crowd")
	free := mustFreeType(t, db, ev, "Free", 150)
	var wg sync.WaitGroup
	var placed atomic.Int64
	var refs sync.Map
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := hold(ev, fmt.Sprint(i), item(free, 1+i%2))
			if err := db.CreateHold(ctx, h, time.Minute, admit.HoldLimits{}); err != nil {
				if admit.ErrorCode(err) != admit.ESOLDOUT {
					t.Errorf("hold: %v", err)
				}
				return
			}
			attendees := make([]admit.Attendee, h.Quantity())
			for j := range attendees {
				attendees[j].Name = "A"
			}
			o, _, err := db.PlaceOrder(ctx, admit.PlaceOrder{HoldID: h.ID, Request: admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com", Attendees: attendees}})
			if err != nil {
				t.Errorf("order: %v", err)
				return
			}
			placed.Add(int64(len(o.Tickets)))
			refs.Store(o.Reference, len(o.Tickets))
		}()
	}
	wg.Wait()
	reserved, sold := mustLedgerMatches(t, db, free)
	if sold != 150 || reserved != 0 || placed.Load() != 150 {
		t.Errorf("sold %d reserved %d, buyers told %d tickets; want exactly the 150", sold, reserved, placed.Load())
	}
	refs.Range(func(k, v any) bool {
		var tickets int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.reference = ?`, k).Scan(&tickets)
		if tickets != v.(int) {
			t.Errorf("order %s has %d tickets, buyer told %d", k, tickets, v)
		}
		return true
	})
}

// TestSweepersReleaseExpiredHoldsOnce: after an on-sale many holds expire
// at once; sweepers on several servers release them together, each hold
// exactly once, and the capacity they return is exactly what was held.
func TestSweepersReleaseExpiredHoldsOnce(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	_, ev, _ := mustEventOrg(t, db, "sweep")
	a, b := mustFreeType(t, db, ev, "A", 700), mustFreeType(t, db, ev, "B", 500)
	var holds []*admit.Hold
	for i := range 300 {
		holds = append(holds, hold(ev, fmt.Sprint(i), item(a, 1+i%3), item(b, 1)))
	}
	for i := 0; i < len(holds); i += 50 {
		for _, err := range db.HoldsInOneBatch(ctx, holds[i:i+50], time.Minute, admit.HoldLimits{}) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	live := hold(ev, "live", item(a, 2))
	if err := db.CreateHold(ctx, live, time.Hour, admit.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE holds SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE id <> ?`, live.ID); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	returned := map[int64]int{}
	var wg sync.WaitGroup
	for range 4 { // four servers' sweepers at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				items, err := db.ReleaseExpiredHolds(ctx, 40)
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) == 0 {
					return
				}
				mu.Lock()
				for _, it := range items {
					returned[it.TicketTypeID] += it.Quantity
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if returned[a.ID] != 600 || returned[b.ID] != 300 {
		t.Errorf("sweepers returned %v, want %d: 600 and %d: 300", returned, a.ID, b.ID)
	}
	if reserved, _ := mustLedgerMatches(t, db, a); reserved != 2 {
		t.Errorf("A reserved %d, want the live hold's 2", reserved)
	}
	if reserved, _ := mustLedgerMatches(t, db, b); reserved != 0 {
		t.Errorf("B reserved %d, want 0", reserved)
	}
}
