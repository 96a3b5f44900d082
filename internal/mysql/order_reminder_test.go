package mysql_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestOfflineOrdersExpireAndAreRemindedOnce: an offline order waits the
// event's days to pay; sweepers racing on four servers queue one reminder
// per unpaid order (none for a paid one, none twice), and at the due date
// the unpaid orders expire and give every ticket back to the ledger.
func TestOfflineOrdersExpireAndAreRemindedOnce(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	org, ev, _ := mustEventOrg(t, db, "remind")
	ev.Payment = admit.PaymentInstructions{Payee: "Remind e.V.", IBAN: "DE89 3704 0044 0532 0130 00", DueDays: 3}
	if err := db.SetEventPublicSettings(ctx, org.ID, ev); err != nil {
		t.Fatal(err)
	}
	tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "Paid", Price: 2500, Quantity: 100, MinPerOrder: 1, MaxPerOrder: 10}
	if err := db.CreateTicketType(ctx, tt); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var orders []*admit.Order
	for i := range n {
		h := hold(ev, fmt.Sprint("buyer", i), item(tt, 2))
		if err := db.CreateHold(ctx, h, time.Hour, admit.HoldLimits{}); err != nil {
			t.Fatal(err)
		}
		placed, err := db.PlaceOrderKeyed(ctx, admit.PlaceOrder{HoldID: h.ID, Request: admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com",
			PaymentMethod: admit.PaymentOffline, Attendees: []admit.Attendee{{Name: "A"}, {Name: "B"}}}})
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, placed.Order)
	}
	var off int
	if err := db.SQL().QueryRow(`SELECT MAX(ABS(TIMESTAMPDIFF(SECOND, created_at + INTERVAL 3 DAY, expires_at))) FROM orders WHERE event_id = ?`, ev.ID).Scan(&off); err != nil {
		t.Fatal(err)
	}
	if off > 1 {
		t.Errorf("offline orders expire %d s away from three days after they were placed", off)
	}
	if _, sold := mustLedgerMatches(t, db, tt); sold != 2*n {
		t.Fatalf("sold %d, want %d", sold, 2*n)
	}
	// One buyer pays; the others' orders are due within the hour.
	if _, changed, err := db.MarkOrderPaid(ctx, org.ID, orders[0].ID, ""); err != nil || !changed {
		t.Fatalf("paying the first order: %v %v", changed, err)
	}
	if _, err := db.SQL().Exec(`UPDATE orders SET created_at = NOW(6) - INTERVAL 3 DAY, expires_at = NOW(6) + INTERVAL 1 HOUR WHERE event_id = ?`, ev.ID); err != nil {
		t.Fatal(err)
	}

	var queued atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				k, err := db.QueuePaymentReminders(ctx, 48*time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				queued.Add(int64(k))
			}
		}()
	}
	wg.Wait()
	var rows, distinct int
	if err := db.SQL().QueryRow(`SELECT COUNT(*), COUNT(DISTINCT JSON_VALUE(payload, '$.order_id')) FROM outbox WHERE organization_id = ? AND kind = ?`,
		org.ID, admit.KindPaymentReminder).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if queued.Load() != n-1 || rows != n-1 || distinct != n-1 {
		t.Errorf("racing sweepers queued %d reminders, %d rows for %d orders; want one for each of the %d unpaid orders", queued.Load(), rows, distinct, n-1)
	}
	if k, err := db.QueuePaymentReminders(ctx, 48*time.Hour, 100); err != nil || k != 0 {
		t.Errorf("a later sweep queued %d reminders (%v), want none", k, err)
	}

	// The due date passes: the unpaid orders expire, their tickets return.
	if _, err := db.SQL().Exec(`UPDATE orders SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE event_id = ? AND status = 'pending'`, ev.ID); err != nil {
		t.Fatal(err)
	}
	released, err := db.CancelExpiredOrders(ctx, 500)
	if err != nil {
		t.Fatal(err)
	}
	back := 0
	for _, it := range released {
		back += it.Quantity
	}
	if back != 2*(n-1) {
		t.Errorf("expiry released %d tickets, want %d", back, 2*(n-1))
	}
	if _, sold := mustLedgerMatches(t, db, tt); sold != 2 {
		t.Errorf("after expiry %d sold, want the paid order's 2", sold)
	}
}

// TestOfflinePaymentDueNoLaterThanTheEvent: days to pay that run past the
// event's start end at the start.
func TestOfflinePaymentDueNoLaterThanTheEvent(t *testing.T) {
	placed := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	p := admit.PaymentInstructions{DueDays: 14}
	if got := p.PendingFor(placed, placed.Add(48*time.Hour)); got != 48*time.Hour {
		t.Errorf("pending for %v with the event in two days, want 48h", got)
	}
	if got := p.PendingFor(placed, placed.Add(30*24*time.Hour)); got != 14*24*time.Hour {
		t.Errorf("pending for %v with the event in a month, want 14 days", got)
	}
	if got := (admit.PaymentInstructions{}).PendingFor(placed, placed.Add(time.Hour)); got != 0 {
		t.Errorf("no days to pay: pending for %v, want 0 (no expiry)", got)
	}
}
