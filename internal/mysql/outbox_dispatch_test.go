package mysql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// dispatched collects what one server's batches hand over.
type dispatched struct {
	mu   sync.Mutex
	rows []admit.OutboxRow
}

func (d *dispatched) add(rows []admit.OutboxRow) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rows = append(d.rows, rows...)
}

// TestDispatchedEffectsAreEachServersOwn: two app servers that hand their
// orders' side effects to the queue themselves, and a third that leaves
// them to the relay, sell one event at once. Each server is handed exactly
// the rows of the orders it placed, none twice and none of another's (the
// rows of other transactions commit between a batch's INSERT and its read
// of the ids); the relay finds only the third server's rows, and the
// dispatched ones only once they are overdue.
func TestDispatchedEffectsAreEachServersOwn(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	ctx := context.Background()
	servers := make([]*mysql.DB, 3)
	for i := range servers {
		db, err := mysql.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		servers[i] = db
	}
	got := []*dispatched{{}, {}}
	servers[0].DispatchOutbox(got[0].add)
	servers[1].DispatchOutbox(got[1].add)
	db := servers[2]
	org, ev, _ := mustEventOrg(t, db, "dispatch")
	free := mustFreeType(t, db, ev, "Free", 1000)
	// The organizer listens to every order event: four rows per order.
	if err := db.CreateWebhookEndpoint(ctx, &admit.WebhookEndpoint{OrganizationID: org.ID, URL: "https://hooks.example.com/admit",
		EventTypes: []string{"order.placed", "order.paid", "ticket.created"}, Enabled: true, Secret: "whsec_dGVzdA=="}); err != nil {
		t.Fatal(err)
	}
	placedBy := make([]sync.Map, len(servers)) // order id -> true
	var wg sync.WaitGroup
	for i := range 240 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := i % len(servers)
			h := hold(ev, fmt.Sprint(i), item(free, 1))
			if err := servers[s].CreateHold(ctx, h, time.Minute, admit.HoldLimits{}); err != nil {
				t.Errorf("hold: %v", err)
				return
			}
			o, _, err := servers[s].PlaceOrder(ctx, admit.PlaceOrder{HoldID: h.ID,
				Request: admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com", Attendees: []admit.Attendee{{Name: "A"}}}})
			if err != nil {
				t.Errorf("order: %v", err)
				return
			}
			placedBy[s].Store(o.ID, true)
		}()
	}
	wg.Wait()

	// Every outbox row, by the order it belongs to.
	rows, err := db.SQL().Query(`SELECT o.id, o.payload, o.enqueued_at IS NOT NULL, COALESCE(t.order_id, 0) FROM outbox o
		LEFT JOIN tickets t ON t.id = JSON_VALUE(o.payload, '$.ticket_id') WHERE o.organization_id = ?`, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	type written struct {
		orderID int64
		handed  bool
	}
	all := map[int64]written{}
	for rows.Next() {
		var id, ticketOrder int64
		var payload []byte
		var w written
		if err := rows.Scan(&id, &payload, &w.handed, &ticketOrder); err != nil {
			t.Fatal(err)
		}
		var p struct {
			OrderID int64 `json:"order_id"`
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		w.orderID = max(p.OrderID, ticketOrder)
		all[id] = w
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(all) != 4*240 {
		t.Fatalf("%d outbox rows, want 4 for each of the 240 orders", len(all))
	}
	seen := map[int64]int{}
	for s, d := range got {
		for _, r := range d.rows {
			seen[r.ID]++
			w, ok := all[r.ID]
			if _, mine := placedBy[s].Load(w.orderID); !ok || !mine {
				t.Errorf("server %d was handed row %d (%s), of order %d, which it did not place", s, r.ID, r.Kind, w.orderID)
			}
			if r.OrganizationID != org.ID || r.Kind == "" {
				t.Errorf("row %d handed as %+v", r.ID, r)
			}
		}
	}
	for id, w := range all {
		_, dispatching := placedBy[0].Load(w.orderID)
		if _, ok := placedBy[1].Load(w.orderID); ok {
			dispatching = true
		}
		switch {
		case dispatching && seen[id] != 1:
			t.Errorf("row %d of order %d was handed over %d times, want once", id, w.orderID, seen[id])
		case dispatching && !w.handed:
			t.Errorf("row %d of order %d was dispatched but not written as handed over", id, w.orderID)
		case !dispatching && (seen[id] != 0 || w.handed):
			t.Errorf("row %d of order %d is the relay's, yet handed %d times (marked %v)", id, w.orderID, seen[id], w.handed)
		}
	}

	// The relay finds the third server's rows only, until the others are
	// overdue.
	due, err := db.DueOutbox(ctx, time.Hour, time.Second, 5000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range due {
		if w := all[r.ID]; w.handed {
			t.Errorf("the relay would hand over row %d, already dispatched", r.ID)
		}
	}
	if want := len(all) - len(seen); len(due) != want {
		t.Errorf("the relay finds %d rows, want the %d no server dispatched", len(due), want)
	}
	time.Sleep(10 * time.Millisecond)
	overdue, err := db.DueOutbox(ctx, time.Millisecond, time.Second, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(overdue) != len(all) {
		t.Errorf("overdue, the relay finds %d rows, want all %d", len(overdue), len(all))
	}

	// A row a server could not hand over goes back to the relay.
	var some []int64
	for _, r := range got[0].rows[:3] {
		some = append(some, r.ID)
	}
	if err := servers[0].ReleaseOutbox(ctx, some); err != nil {
		t.Fatal(err)
	}
	due2, err := db.DueOutbox(ctx, time.Hour, time.Second, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(due2) != len(due)+3 {
		t.Errorf("after a release the relay finds %d rows, want %d", len(due2), len(due)+3)
	}
}
