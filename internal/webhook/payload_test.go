package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/webhook"
	"github.com/admithq/admit/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestWebhookPayloadGolden: the body of an order.paid delivery, as
// integrators see it; go test -update rewrites testdata/order_paid.json.
func TestWebhookPayloadGolden(t *testing.T) {
	o := &admit.Order{ID: 42, EventID: 7, Reference: "K7Q-M3XP", AccessToken: "tok", Status: admit.OrderPaid, BuyerName: "Ada <Lovelace>",
		BuyerEmail: "ada@example.com", Total: 25800, DiscountTotal: 1000, Currency: "EUR", PaymentProvider: "stripe",
		CreatedAt: time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC), PaidAt: time.Date(2027, 3, 1, 9, 31, 5, 0, time.UTC),
		Lines: []admit.OrderLine{{TicketTypeID: 3, Name: "Standard", Quantity: 2, UnitPrice: 12900}},
		Tickets: []admit.Ticket{
			{ID: 1, OrderID: 42, TicketTypeID: 3, TicketType: "Standard", Code: "aaaabbbbccccddddeeee", AttendeeName: "Ada", AttendeeEmail: "ada@example.com",
				Status: admit.TicketValid, Answers: []admit.TicketAnswer{{QuestionID: 5, Label: "T-shirt size", Value: "M"}}},
			{ID: 2, OrderID: 42, TicketTypeID: 3, TicketType: "Standard", Code: "ffffgggghhhhiiiijjjj", AttendeeName: "Grace", Status: admit.TicketVoid},
		}}
	compact, err := webhook.Event{ID: webhook.MessageID(1234), Type: "order.paid", CreatedAt: time.Date(2027, 3, 1, 9, 31, 5, 123000000, time.UTC),
		Data: webhook.NewOrderJSON(o, "https://tickets.example.com")}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	body := indented.Bytes()
	path := filepath.Join("testdata", "order_paid.json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, append(body, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(body)+"\n"); diff != "" {
		t.Errorf("order.paid payload differs from the golden file (-want +got):\n%s", diff)
	}
	if strings.Contains(string(body), "ffffgggghhhhiiiijjjj") {
		t.Error("a void ticket's code is sent")
	}
}

// TestWebhookFanOut: an event becomes one delivery per enabled endpoint
// that wants it, once however often the fan-out runs; a ticket event
// carries the ticket as it is now.
func TestWebhookFanOut(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	wants := f.mustEndpoint(t, "https://93.184.215.14/a", "ticket.updated", "order.paid")
	f.mustEndpoint(t, "https://93.184.215.14/b", "order.refunded")
	disabled := f.mustEndpoint(t, "https://93.184.215.14/c", "ticket.updated")
	disabled.Enabled = false
	if err := f.db.UpdateWebhookEndpoint(ctx, disabled); err != nil {
		t.Fatal(err)
	}
	o := f.mustPaidOrders(t, 1)[0]
	if err := f.db.RenameAttendee(ctx, f.org.ID, o.ID, o.Tickets[0].ID, admit.Attendee{Name: "Renamed Person", Email: "new@example.com"}); err != nil {
		t.Fatal(err)
	}
	mustFlushRedis(t)
	queue := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB})
	defer queue.Close()
	hooks := webhook.New(webhook.Options{Store: f.db, Queue: queue, BaseURL: "https://tickets.example.com"})
	var rowID int64
	if err := f.db.SQL().QueryRow(`SELECT id FROM outbox WHERE kind = 'webhook.ticket.updated'`).Scan(&rowID); err != nil {
		t.Fatal(err)
	}
	row, err := f.db.FindOutbox(ctx, rowID)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := hooks.FanOut(ctx, row); err != nil {
			t.Fatal(err)
		}
	}
	var endpoints []int64
	rows, _ := f.db.SQL().Query(`SELECT endpoint_id FROM webhook_deliveries WHERE outbox_id = ?`, rowID)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		endpoints = append(endpoints, id)
	}
	rows.Close()
	if len(endpoints) != 1 || endpoints[0] != wants.ID {
		t.Fatalf("deliveries for endpoints %v, want only %d", endpoints, wants.ID)
	}
	list := f.deliveries(t, wants)
	w, _, err := f.db.FindWebhookDelivery(ctx, f.org.ID, wants.ID, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		ID   string      `json:"id"`
		Type string      `json:"type"`
		Data wire.Ticket `json:"data"`
	}
	if err := json.Unmarshal(w.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != webhook.MessageID(rowID) || ev.Type != "ticket.updated" || ev.Data.Object != "ticket" || ev.Data.AttendeeName != "Renamed Person" ||
		ev.Data.OrderReference != o.Reference || ev.Data.Code != o.Tickets[0].Code {
		t.Errorf("ticket.updated payload: %s", w.Payload)
	}
	if w.Status != admit.WebhookPending || w.MessageID != ev.ID {
		t.Errorf("delivery: %+v", w)
	}
	// The fan-out handed the delivery to the queue, once.
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB})
	defer inspector.Close()
	info, err := inspector.GetTaskInfo("default", webhook.TaskID(w.ID, 0))
	if err != nil || info.Type != webhook.TypeDeliver {
		t.Errorf("queued task: %+v %v", info, err)
	}
}
