package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	client "github.com/admithq/admit/pkg/admit"
)

// mustOrder creates an order of one ticket through the API: free (a paid
// comp) with paymentMethod "", or priced and pending with "offline".
func (f *v1Fixture) mustOrder(tb testing.TB, t v1Tenant, paymentMethod string) *client.Order {
	tb.Helper()
	tt := t.free
	if paymentMethod == "offline" {
		tt = t.paid
	}
	o, err := f.client(t, "all").Orders.Create(context.Background(), client.OrderCreateParams{EventID: t.event.ID,
		Buyer: client.Person{Name: "Ada", Email: "ada@example.com"}, Items: []client.OrderItem{{TicketTypeID: tt.ID, Quantity: 1}},
		Attendees: []client.Attendee{{Name: "Ada", Email: "ada@example.com"}}, PaymentMethod: paymentMethod})
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

func (f *v1Fixture) mustQuestionAndCode(tb testing.TB, t v1Tenant) (*admit.Question, *admit.DiscountCode) {
	tb.Helper()
	ctx := context.Background()
	q := &admit.Question{OrganizationID: t.org.ID, EventID: t.event.ID, Label: "T-shirt size", Kind: admit.QuestionChoice,
		Options: []string{"S", "M", "L"}, TicketTypeIDs: []int64{t.paid.ID}}
	if err := f.db.CreateQuestion(ctx, q); err != nil {
		tb.Fatal(err)
	}
	dc := &admit.DiscountCode{OrganizationID: t.org.ID, EventID: t.event.ID, Code: "SPEAKER", Kind: admit.DiscountPercent, Value: 10000, MaxUses: 5}
	if err := f.db.CreateDiscountCode(ctx, dc); err != nil {
		tb.Fatal(err)
	}
	return q, dc
}

func (f *v1Fixture) audited(tb testing.TB, t v1Tenant, action string) bool {
	tb.Helper()
	return f.count(tb, `SELECT COUNT(*) FROM audit_log WHERE organization_id = ? AND action = ? AND detail LIKE '%API token%'`, t.org.ID, action) > 0
}

// TestV1OrderLifecycle drives orders through the client: a comp, an
// offline import marked paid, a cancel, partial and full refunds, with the
// ledger's counters checked at each step.
func TestV1OrderLifecycle(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	c := f.client(a, "all")

	// A comp: free tickets, paid at once, codes issued.
	comp, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "Grace", Email: "grace@example.com"},
		Items:     []client.OrderItem{{TicketTypeID: a.free.ID, Quantity: 2}},
		Attendees: []client.Attendee{{Name: "Grace"}, {Name: "Alan", Email: "alan@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if comp.Status != "paid" || comp.Total != 0 || comp.Currency != "EUR" || comp.PaymentMethod != "free" || len(comp.Lines) != 1 ||
		len(comp.Tickets) != 2 || comp.Tickets[1].AttendeeName != "Alan" || comp.Tickets[0].Status != "valid" || comp.Tickets[0].Code == "" || comp.PaidAt == nil {
		t.Fatalf("comp: %+v", comp)
	}
	if reserved, sold := f.counters(t, a.free); reserved != 0 || sold != 2 {
		t.Errorf("after the comp: reserved %d sold %d, want 0 2", reserved, sold)
	}
	if !f.audited(t, a, "order.created") {
		t.Error("the comp is not in the audit log")
	}

	// An import of a priced order paid elsewhere.
	imported, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "Linus", Email: "linus@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 2}}, Attendees: []client.Attendee{{Name: "Linus"}, {Name: "Ken"}},
		PaymentMethod: "offline", MarkPaid: true})
	if err != nil {
		t.Fatal(err)
	}
	if imported.Status != "paid" || imported.Total != 10000 || imported.Tickets[0].Status != "valid" {
		t.Fatalf("import: %+v", imported)
	}

	// One paid ticket left: a pending offline order takes it.
	pending, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "Barbara", Email: "barbara@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 1}}, PaymentMethod: "offline"})
	if err != nil {
		t.Fatal(err)
	}
	if pending.Status != "pending" || pending.Tickets[0].Status != "pending" {
		t.Fatalf("pending: %+v", pending)
	}
	// Sold out now: 409 naming the type, and nothing held.
	_, err = c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "X", Email: "x@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 1}}, PaymentMethod: "offline"})
	if e := mustCode(t, err, 409, "sold_out", ""); len(e.Detail) == 0 {
		t.Error("sold_out without detail")
	}
	if reserved, sold := f.counters(t, a.paid); reserved != 0 || sold != 3 {
		t.Errorf("paid type: reserved %d sold %d, want 0 3", reserved, sold)
	}

	// Cancel the pending order: its ticket returns to sale; a second cancel
	// answers the same; a paid order cannot be cancelled.
	cancelled, err := c.Orders.Cancel(ctx, pending.ID)
	if err != nil || cancelled.Status != "cancelled" || cancelled.Tickets[0].Status != "void" {
		t.Fatalf("cancel: %+v %v", cancelled, err)
	}
	if again, err := c.Orders.Cancel(ctx, pending.ID); err != nil || again.Status != "cancelled" {
		t.Errorf("second cancel: %+v %v", again, err)
	}
	_, err = c.Orders.Cancel(ctx, imported.ID)
	mustCode(t, err, 409, "conflict", "")
	_, err = c.Orders.MarkPaid(ctx, pending.ID)
	mustCode(t, err, 409, "conflict", "")
	if _, sold := f.counters(t, a.paid); sold != 2 {
		t.Errorf("after the cancel: sold %d, want 2", sold)
	}

	// Mark a new pending order paid, twice.
	pending2, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "Edsger", Email: "edsger@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 1}}, PaymentMethod: "offline"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		paid, err := c.Orders.MarkPaid(ctx, pending2.ID)
		if err != nil || paid.Status != "paid" || paid.Tickets[0].Status != "valid" {
			t.Fatalf("mark paid: %+v %v", paid, err)
		}
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'email.order_confirmation' AND JSON_VALUE(payload, '$.order_id') = ?`, pending2.ID); n != 1 {
		t.Errorf("%d confirmation emails queued for an order marked paid twice, want 1", n)
	}
	if !f.audited(t, a, "order.marked_paid") {
		t.Error("marking paid is not in the audit log")
	}

	// Refund one ticket of the import, with a reason the audit log keeps,
	// then the rest.
	_, err = c.Orders.RefundBecause(ctx, imported.ID, []int64{imported.Tickets[0].ID}, strings.Repeat("x", 501))
	mustCode(t, err, 422, "invalid", "reason")
	r, err := c.Orders.RefundBecause(ctx, imported.ID, []int64{imported.Tickets[0].ID}, "Duplicate booking")
	if err != nil {
		t.Fatal(err)
	}
	if r.Amount != 5000 || r.Currency != "EUR" || r.Tickets != 1 || r.Order.Status != "paid" || r.Order.RefundedTotal != 5000 || r.Order.Tickets[0].Status != "void" {
		t.Fatalf("partial refund: %+v", r)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE organization_id = ? AND action = 'order.refunded' AND detail LIKE '1 ticket, €50.00; reason: Duplicate booking%'`, a.org.ID); n != 1 {
		t.Errorf("%d audit entries record the refund's reason, want 1", n)
	}
	_, err = c.Orders.Refund(ctx, imported.ID, []int64{comp.Tickets[0].ID})
	mustCode(t, err, 422, "invalid", "ticket_ids[0]")
	r, err = c.Orders.Refund(ctx, imported.ID, nil)
	if err != nil || r.Tickets != 1 || r.Order.Status != "refunded" || r.Order.RefundedTotal != 10000 {
		t.Fatalf("refund of the rest: %+v %v", r, err)
	}
	_, err = c.Orders.Refund(ctx, imported.ID, nil)
	mustCode(t, err, 409, "conflict", "")
	if _, sold := f.counters(t, a.paid); sold != 1 {
		t.Errorf("after refunds: sold %d, want 1", sold)
	}
	_, err = c.Orders.Refund(ctx, pending.ID, nil)
	mustCode(t, err, 409, "conflict", "")

	// Get with and without expansions.
	plain, err := c.Orders.Get(ctx, comp.ID)
	if err != nil || plain.Lines != nil || plain.Tickets != nil || plain.Reference != comp.Reference {
		t.Errorf("plain get: %+v %v", plain, err)
	}
	full, err := c.Orders.Get(ctx, comp.ID, client.ExpandLines, client.ExpandTickets)
	if err != nil || len(full.Lines) != 1 || full.Lines[0].Quantity != 2 || len(full.Tickets) != 2 {
		t.Errorf("expanded get: %+v %v", full, err)
	}
	_, err = c.Orders.Get(ctx, 987654)
	mustCode(t, err, 404, "not_found", "")
}

// TestV1OrderCreateRefusals: a refused order gives its capacity back at
// once, whatever step refused it.
func TestV1OrderCreateRefusals(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	c := f.client(a, "all")
	buyer := client.Person{Name: "Ada", Email: "ada@example.com"}
	for _, tt := range []struct {
		name   string
		params client.OrderCreateParams
		status int
		code   string
		field  string
	}{
		{"too few attendees", client.OrderCreateParams{EventID: a.event.ID, Buyer: buyer, Items: []client.OrderItem{{TicketTypeID: a.free.ID, Quantity: 2}},
			Attendees: []client.Attendee{{Name: "One"}}}, 422, "invalid", "attendees"},
		{"priced without payment", client.OrderCreateParams{EventID: a.event.ID, Buyer: buyer, Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 1}}},
			422, "invalid", "payment_method"},
		{"over the per-order maximum", client.OrderCreateParams{EventID: a.event.ID, Buyer: buyer, Items: []client.OrderItem{{TicketTypeID: a.free.ID, Quantity: 6}}},
			422, "invalid", "ticket_type_" + id(a.free.ID)},
		{"no such event", client.OrderCreateParams{EventID: 987654, Buyer: buyer, Items: []client.OrderItem{{TicketTypeID: a.free.ID, Quantity: 1}}},
			422, "invalid", "event_id"},
		{"more than remain", client.OrderCreateParams{EventID: a.event.ID, Buyer: buyer, Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 4}},
			PaymentMethod: "offline"}, 409, "sold_out", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Orders.Create(ctx, tt.params)
			mustCode(t, err, tt.status, tt.code, tt.field)
		})
	}
	for _, tt := range []*admit.TicketType{a.free, a.paid} {
		if reserved, sold := f.counters(t, tt); reserved != 0 || sold != 0 {
			t.Errorf("%s after refused orders: reserved %d sold %d", tt.Name, reserved, sold)
		}
	}
	if n := f.count(t, `SELECT COUNT(*) FROM holds WHERE status = 'active'`); n != 0 {
		t.Errorf("%d holds left active by refused orders", n)
	}
}

// TestV1OrdersConcurrentNeverOversell: 12 comps race for 10 free tickets;
// exactly 10 are sold, the others are sold_out.
func TestV1OrdersConcurrentNeverOversell(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	c := f.client(a, "all", client.WithRetries(0))
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, soldOut := 0, 0
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID,
				Buyer: client.Person{Name: "Guest", Email: "guest@example.com"}, Items: []client.OrderItem{{TicketTypeID: a.free.ID, Quantity: 1}}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case client.ErrorCode(err) == "sold_out":
				soldOut++
			default:
				t.Errorf("order %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if created != 10 || soldOut != 2 {
		t.Errorf("%d created and %d sold out, want 10 and 2", created, soldOut)
	}
	if reserved, sold := f.counters(t, a.free); reserved != 0 || sold != 10 {
		t.Errorf("reserved %d sold %d, want 0 10", reserved, sold)
	}
}

// TestV1OrdersList filters by status, event and changed_since, and expands.
func TestV1OrdersList(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	c := f.client(a, "read")
	comp := f.mustOrder(t, a, "")
	pending := f.mustOrder(t, a, "offline")
	f.mustOrder(t, f.b, "") // another organization's order never shows

	ids := func(p client.OrderListParams) []int64 {
		t.Helper()
		var out []int64
		for o, err := range c.Orders.All(ctx, p) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, o.ID)
		}
		return out
	}
	if got := ids(client.OrderListParams{}); len(got) != 2 || got[0] != comp.ID || got[1] != pending.ID {
		t.Errorf("all orders: %v", got)
	}
	if got := ids(client.OrderListParams{Status: "pending"}); len(got) != 1 || got[0] != pending.ID {
		t.Errorf("pending orders: %v", got)
	}
	if got := ids(client.OrderListParams{EventID: a.event.ID, Status: "paid"}); len(got) != 1 || got[0] != comp.ID {
		t.Errorf("paid orders of the event: %v", got)
	}
	if got := ids(client.OrderListParams{EventID: f.b.event.ID}); len(got) != 0 {
		t.Errorf("orders of another organization's event: %v", got)
	}

	// changed_since: only what changed after the mark.
	time.Sleep(10 * time.Millisecond)
	var mark time.Time
	if err := f.db.SQL().QueryRow(`SELECT NOW(6)`).Scan(&mark); err != nil {
		t.Fatal(err)
	}
	if got := ids(client.OrderListParams{ListParams: client.ListParams{ChangedSince: mark}}); len(got) != 0 {
		t.Errorf("changed since the mark, before any change: %v", got)
	}
	if _, err := f.client(a, "all").Orders.MarkPaid(ctx, pending.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(client.OrderListParams{ListParams: client.ListParams{ChangedSince: mark}}); len(got) != 1 || got[0] != pending.ID {
		t.Errorf("changed since the mark, after marking paid: %v", got)
	}

	page, err := c.Orders.List(ctx, client.OrderListParams{Expand: []string{client.ExpandLines, client.ExpandTickets}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Data {
		if len(o.Lines) != 1 || len(o.Tickets) != 1 || o.Tickets[0].OrderID != o.ID || o.Tickets[0].EventID != a.event.ID {
			t.Errorf("expanded order: %+v", o)
		}
	}
	page, err = c.Orders.List(ctx, client.OrderListParams{Expand: []string{client.ExpandLines}})
	if err != nil || page.Data[0].Lines == nil || page.Data[0].Tickets != nil {
		t.Errorf("lines only: %+v %v", page, err)
	}
	r := f.raw(t, "GET", "/api/v1/orders", a.secrets["read"], "", "", nil)
	if body := string(r.body); r.status != http.StatusOK || containsKey(r.json(t)["data"].([]any)[0], "lines") {
		t.Errorf("unexpanded list shows lines: %s", body)
	}
}

func containsKey(v any, key string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, found := m[key]
	return found
}
