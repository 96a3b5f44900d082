package mysql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// mustBatchOrders places n free orders of the organization's event, each
// with tickets of two types (the second listed first) and an answer per
// ticket to each of two questions.
func mustBatchOrders(tb testing.TB, db *mysql.DB, org *admit.Organization, ev *admit.Event, n int) []*admit.Order {
	tb.Helper()
	ctx := context.Background()
	var types []*admit.TicketType
	for i, name := range []string{"Late", "Early"} {
		tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: name, Quantity: 100, MinPerOrder: 1, MaxPerOrder: 5, Position: 1 - i}
		if err := db.CreateTicketType(ctx, tt); err != nil {
			tb.Fatal(err)
		}
		types = append(types, tt)
	}
	var questions []*admit.Question
	for i, label := range []string{"Diet", "Company"} {
		q := &admit.Question{OrganizationID: org.ID, EventID: ev.ID, Label: label, Kind: "text", Position: 1 - i}
		if err := db.CreateQuestion(ctx, q); err != nil {
			tb.Fatal(err)
		}
		questions = append(questions, q)
	}
	co := checkout.New(checkout.Options{Ledger: db, BaseURL: "http://admit.test"})
	var orders []*admit.Order
	for i := range n {
		h, err := co.Hold(ctx, ev, []admit.HoldItem{{TicketTypeID: types[0].ID, Quantity: 1}, {TicketTypeID: types[1].ID, Quantity: 2}}, checkout.Client{})
		if err != nil {
			tb.Fatal(err)
		}
		req := admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: fmt.Sprintf("b%d@example.com", i)}
		for j := range 3 {
			req.Attendees = append(req.Attendees, admit.Attendee{Name: fmt.Sprintf("A%d.%d", i, j),
				Answers: map[int64]string{questions[0].ID: "vegan", questions[1].ID: fmt.Sprintf("Co %d", j)}})
		}
		placed, err := co.PlaceOrder(ctx, h.ID, req)
		if err != nil {
			tb.Fatal(err)
		}
		orders = append(orders, placed.Order)
	}
	return orders
}

// TestOutboxBatchReadsOrdersAsFindOrder: the orders a batch reads with one
// query per table are the orders FindOrder returns one by one, lines,
// tickets and answers in the same order; an order named under another
// organization is not read.
func TestOutboxBatchReadsOrdersAsFindOrder(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	a, evA, _ := mustEventOrg(t, db, "alpha")
	b, evB, _ := mustEventOrg(t, db, "beta")
	ordersA := mustBatchOrders(t, db, a, evA, 3)
	ordersB := mustBatchOrders(t, db, b, evB, 1)

	keys := []admit.OrderRef{{OrganizationID: b.ID, ID: ordersB[0].ID}, {OrganizationID: a.ID, ID: ordersB[0].ID + 1000}}
	for _, o := range ordersA {
		keys = append(keys, admit.OrderRef{OrganizationID: a.ID, ID: o.ID})
	}
	// Alpha naming beta's order must not read it.
	keys = append(keys, admit.OrderRef{OrganizationID: a.ID, ID: ordersB[0].ID})
	got, err := db.FindOrders(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d orders read, want the 3 of alpha and the 1 of beta", len(got))
	}
	if o := got[admit.OrderRef{OrganizationID: b.ID, ID: ordersB[0].ID}]; o == nil {
		t.Fatal("beta's order was not read")
	}
	var list []*admit.Order
	for _, o := range got {
		list = append(list, o)
	}
	if err := db.LoadOrderDetails(ctx, list); err != nil {
		t.Fatal(err)
	}
	for _, want := range append(ordersA, ordersB...) {
		one, err := db.FindOrder(ctx, want.OrganizationID, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(one.Tickets) != 3 || len(one.Tickets[0].Answers) != 2 || len(one.Lines) != 2 {
			t.Fatalf("fixture: order %d has %d tickets, %d lines", one.ID, len(one.Tickets), len(one.Lines))
		}
		if diff := cmp.Diff(one, got[admit.OrderRef{OrganizationID: want.OrganizationID, ID: want.ID}]); diff != "" {
			t.Errorf("order %d read in a batch differs from FindOrder (-FindOrder +batch):\n%s", want.ID, diff)
		}
	}
}

// TestFindOutboxRowsSubscribed: a batch's rows say whether an enabled
// endpoint of their organization wants their webhook event, as
// HasWebhookSubscribers does.
func TestFindOutboxRowsSubscribed(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	a, _, _ := mustEventOrg(t, db, "alpha")
	b, _, _ := mustEventOrg(t, db, "beta")
	c, _, _ := mustEventOrg(t, db, "gamma")
	for _, e := range []*admit.WebhookEndpoint{
		{OrganizationID: a.ID, URL: "https://93.184.215.14/a", EventTypes: []string{"order.refunded", "order.paid"}, Enabled: true, Secret: "whsec_a"},
		{OrganizationID: b.ID, URL: "https://93.184.215.14/b", EventTypes: []string{"order.paid"}, Enabled: true, Secret: "whsec_b"},
	} {
		if err := db.CreateWebhookEndpoint(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.OrganizationID == b.ID {
			e.Enabled = false
			if err := db.UpdateWebhookEndpoint(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[int64]bool{}
	var ids []int64
	for _, r := range []struct {
		org        int64
		kind       string
		subscribed bool
	}{
		{a.ID, "webhook.order.paid", true},
		{a.ID, "webhook.order.placed", false},
		{a.ID, "email.order_confirmation", false},
		{b.ID, "webhook.order.paid", false}, // its endpoint is disabled
		{c.ID, "webhook.order.paid", false},
	} {
		res, err := db.SQL().Exec(`INSERT INTO outbox (organization_id, kind, payload) VALUES (?, ?, '{"order_id": 1}')`, r.org, r.kind)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		ids = append(ids, id)
		want[id] = r.subscribed
		has, err := db.HasWebhookSubscribers(ctx, r.org, strings.TrimPrefix(r.kind, "webhook."))
		if err != nil || has != r.subscribed && strings.HasPrefix(r.kind, "webhook.") {
			t.Fatalf("fixture: HasWebhookSubscribers(%s) = %v, %v", r.kind, has, err)
		}
	}
	rows, err := db.FindOutboxRows(ctx, append(ids, ids[len(ids)-1]+100))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ids) {
		t.Fatalf("%d rows read, want the %d that exist", len(rows), len(ids))
	}
	for _, row := range rows {
		if row.Subscribed != want[row.ID] || string(row.Payload) != `{"order_id": 1}` || row.Done {
			t.Errorf("row %d (%s): subscribed %v, payload %s, done %v; want subscribed %v", row.ID, row.Kind, row.Subscribed, row.Payload, row.Done, want[row.ID])
		}
	}
}

// TestRecordOutboxResults: done rows are recorded in bulk with their own
// results, and recording them again changes nothing; a failed row counts
// its attempt, keeps its error, and is due again only once its backoff
// (doubling with each failure) has passed.
func TestRecordOutboxResults(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	org, _, _ := mustEventOrg(t, db, "alpha")
	var ids []int64
	for range 3 {
		res, err := db.SQL().Exec(`INSERT INTO outbox (organization_id, kind, payload, enqueued_at) VALUES (?, 'email.order_confirmation', '{}', NOW(6))`, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		ids = append(ids, id)
	}
	n, err := db.RecordOutboxResults(ctx, []admit.OutboxResult{{ID: ids[0], Result: "ses:one"}, {ID: ids[1], Result: "ses:two"},
		{ID: ids[2], Err: "SES said no"}})
	if err != nil || n != 2 {
		t.Fatalf("recorded %d done, %v; want 2", n, err)
	}
	n, err = db.RecordOutboxResults(ctx, []admit.OutboxResult{{ID: ids[0], Result: "ses:again"}, {ID: ids[1], Err: "late failure"}})
	if err != nil || n != 0 {
		t.Fatalf("recording done rows again: %d recorded, %v; want 0", n, err)
	}
	type state struct {
		Done     bool
		Result   string
		Attempts int
		Error    string
	}
	read := func(id int64) state {
		var s state
		if err := db.SQL().QueryRow(`SELECT done_at IS NOT NULL, result, attempts, last_error FROM outbox WHERE id = ?`, id).
			Scan(&s.Done, &s.Result, &s.Attempts, &s.Error); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i, want := range []state{{true, "ses:one", 1, ""}, {true, "ses:two", 1, ""}, {false, "", 1, "SES said no"}} {
		if diff := cmp.Diff(want, read(ids[i])); diff != "" {
			t.Errorf("row %d (-want +got):\n%s", i, diff)
		}
	}

	due := func() []int64 {
		rows, err := db.DueOutbox(ctx, time.Hour, 400*time.Millisecond, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	if d := due(); len(d) != 0 {
		t.Fatalf("due right after the failure: %v", d)
	}
	time.Sleep(500 * time.Millisecond)
	if d := due(); !cmp.Equal(d, []int64{ids[2]}) {
		t.Fatalf("due once the first backoff (400ms) passed: %v, want the failed row", d)
	}
	// A second failure doubles the backoff to 800ms.
	if _, err := db.RecordOutboxResults(ctx, []admit.OutboxResult{{ID: ids[2], Err: "SES said no again"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if d := due(); len(d) != 0 {
		t.Fatalf("due 500ms after the second failure: %v, want none before 800ms", d)
	}
	time.Sleep(400 * time.Millisecond)
	if d := due(); !cmp.Equal(d, []int64{ids[2]}) {
		t.Fatalf("due once the second backoff passed: %v", d)
	}
}
