package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/webhook"
	"github.com/admithq/admit/internal/wire"
)

// TestWebhookEventTypesArrive: publishing an event, checking a ticket in,
// undoing that check-in and refunding the ticket each reach a subscribed
// receiver through the worker, signed, as event.published,
// checkin.created, checkin.deleted and ticket.voided carrying the object
// as it is after the change; a type the endpoint did not ask for does not.
func TestWebhookEventTypesArrive(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	rc := newReceiver(answer(http.StatusOK, "ok"))
	ep := f.mustEndpoint(t, rc.start(t), "event.published", "checkin.created", "checkin.deleted", "ticket.voided")
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}})

	draft := &admit.Event{OrganizationID: f.org.ID, Slug: "launch", Name: "Launch", TimeZone: "UTC",
		StartsAt: time.Date(2031, 1, 2, 18, 0, 0, 0, time.UTC), Currency: "EUR", Status: admit.EventDraft, HoldMinutes: 10}
	if err := f.db.CreateEvent(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetEventStatus(ctx, f.org.ID, draft.ID, admit.EventDraft, admit.EventPublished); err != nil {
		t.Fatal(err)
	}
	o := f.mustPaidOrders(t, 1)[0]
	ticket := o.Tickets[0]
	list := &admit.CheckInList{OrganizationID: f.org.ID, EventID: f.event.ID, Name: "Door", TicketTypeIDs: []int64{f.free.ID}}
	if err := f.db.CreateCheckInList(ctx, list); err != nil {
		t.Fatal(err)
	}
	r, err := f.db.CheckIn(ctx, f.org.ID, list.ID, ticket.Code, f.owner.ID)
	if err != nil || r.Outcome != admit.CheckInOK {
		t.Fatalf("check-in: %+v %v", r, err)
	}
	// Refused scans and repeated undos change nothing, so they send nothing.
	if again, err := f.db.CheckIn(ctx, f.org.ID, list.ID, ticket.Code, f.owner.ID); err != nil || again.Outcome != admit.CheckInAlready {
		t.Fatalf("second scan: %+v %v", again, err)
	}
	for range 2 {
		if _, _, err := f.db.UndoCheckIn(ctx, f.org.ID, list.ID, r.CheckIn.ID, f.owner.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.co.RefundTickets(ctx, f.org.ID, o.ID, []int64{ticket.ID}, f.owner.ID); err != nil {
		t.Fatal(err)
	}

	waitFor(t, 30*time.Second, "four events arrived", func() bool { return len(rc.all()) >= 4 })
	time.Sleep(300 * time.Millisecond) // anything more would arrive now
	got := map[string]json.RawMessage{}
	var types []string
	for _, req := range rc.all() {
		ev := mustVerify(t, ep.Secret, req)
		types = append(types, ev.Type)
		var body struct {
			Data json.RawMessage `json:"data"`
		}
		json.Unmarshal(req.body, &body)
		got[ev.Type] = body.Data
	}
	slices.Sort(types)
	if want := []string{"checkin.created", "checkin.deleted", "event.published", "ticket.voided"}; !slices.Equal(types, want) {
		t.Fatalf("arrived %v, want %v", types, want)
	}
	var published webhook.EventJSON
	json.Unmarshal(got["event.published"], &published)
	if published.Object != "event" || published.ID != draft.ID || published.Status != "published" || published.URL != "http://admit.test/e/hooks/launch" {
		t.Errorf("event.published data: %s", got["event.published"])
	}
	for _, typ := range []string{"checkin.created", "checkin.deleted"} {
		var tk wire.Ticket
		json.Unmarshal(got[typ], &tk)
		if tk.Object != "ticket" || tk.ID != ticket.ID || tk.OrderReference != o.Reference {
			t.Errorf("%s data: %s", typ, got[typ])
		}
	}
	var voided wire.Ticket
	json.Unmarshal(got["ticket.voided"], &voided)
	if voided.ID != ticket.ID || voided.Status != "void" || voided.Code != "" {
		t.Errorf("ticket.voided data: %s", got["ticket.voided"])
	}
}

// TestWebhookTestEvent: the console's test event reaches the endpoint it
// was sent to, signed and logged, and no other endpoint, whatever either
// subscribed to; a disabled endpoint is refused one.
func TestWebhookTestEvent(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	target, other := newReceiver(answer(http.StatusOK, "ok")), newReceiver(answer(http.StatusOK, "ok"))
	ep := f.mustEndpoint(t, target.start(t), "order.paid")
	f.mustEndpoint(t, other.start(t), "order.paid", "ticket.updated")
	off := f.mustEndpoint(t, other.start(t), "order.paid")
	off.Enabled = false
	if err := f.db.UpdateWebhookEndpoint(ctx, off); err != nil {
		t.Fatal(err)
	}
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}})
	if err := f.db.QueueWebhookTest(ctx, f.org.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.QueueWebhookTest(ctx, f.org.ID, off.ID); admit.ErrorCode(err) != admit.ECONFLICT {
		t.Errorf("a test event to a disabled endpoint: %v, want ECONFLICT", err)
	}
	waitFor(t, 30*time.Second, "the test event arrived", func() bool { return len(target.all()) == 1 })
	ev := mustVerify(t, ep.Secret, target.all()[0])
	data, _ := ev.Data.(map[string]any)
	if ev.Type != webhook.TestEventType || data["object"] != "test" || data["endpoint_id"] != float64(ep.ID) {
		t.Errorf("test event: %+v", ev)
	}
	waitFor(t, 10*time.Second, "the delivery is logged as succeeded", func() bool {
		list := f.deliveries(t, ep)
		return len(list) == 1 && list[0].Status == admit.WebhookSucceeded && list[0].EventType == webhook.TestEventType
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(other.all()); n != 0 {
		t.Errorf("%d test events reached other endpoints", n)
	}
}

// TestWebhookWaitlistOffered: an offer to a waiting-list entry reaches a
// subscribed receiver as waitlist.offered carrying the entry with its open
// offer.
func TestWebhookWaitlistOffered(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	rc := newReceiver(answer(http.StatusOK, "ok"))
	ep := f.mustEndpoint(t, rc.start(t), "waitlist.offered")
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}})
	entry := &admit.WaitlistEntry{OrganizationID: f.org.ID, EventID: f.event.ID, TicketTypeID: f.free.ID, Name: "Wendy Wait",
		Email: "wendy-" + f.tag + "@example.com"}
	if err := f.db.JoinWaitlist(ctx, entry); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SQL().QueryRow(`SELECT id FROM waitlist_entries WHERE email = ?`, entry.Email).Scan(&entry.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.OfferWaitlist(ctx, f.org.ID, entry.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the offer arrived", func() bool { return len(rc.all()) == 1 })
	ev := mustVerify(t, ep.Secret, rc.all()[0])
	var body struct {
		Data wire.WaitlistEntry `json:"data"`
	}
	json.Unmarshal(rc.all()[0].body, &body)
	if e := body.Data; ev.Type != "waitlist.offered" || e.ID != entry.ID || e.Name != "Wendy Wait" || e.Quantity != 1 ||
		e.OfferState == nil || *e.OfferState != "open" || e.OfferEndsAt == nil {
		t.Errorf("waitlist.offered: %s", rc.all()[0].body)
	}
}

// TestWebhookOrderPlacedAndTicketCreated: a placed order reaches an
// endpoint that wants order.placed and ticket.created as one event of each
// per order and ticket, through the worker; an organization without such an
// endpoint gets no outbox rows for them at all (the on-sale's hot path
// writes only what someone listens to).
func TestWebhookOrderPlacedAndTicketCreated(t *testing.T) {
	f := mustFixture(t)
	unwanted := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind IN ('webhook.order.placed', 'webhook.ticket.created')`)
	f.mustPaidOrders(t, 1)
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind IN ('webhook.order.placed', 'webhook.ticket.created')`); n != unwanted {
		t.Fatalf("%d order.placed/ticket.created rows written with no endpoint wanting them", n-unwanted)
	}
	rc := newReceiver(answer(http.StatusOK, "ok"))
	ep := f.mustEndpoint(t, rc.start(t), "order.placed", "ticket.created")
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}})
	orders := f.mustPaidOrders(t, 2)
	waitFor(t, 30*time.Second, "four events arrived", func() bool { return len(rc.all()) >= 4 })
	time.Sleep(300 * time.Millisecond)
	placed, created := map[int64]bool{}, map[int64]bool{}
	for _, req := range rc.all() {
		ev := mustVerify(t, ep.Secret, req)
		switch ev.Type {
		case "order.placed":
			var body struct {
				Data wire.Order `json:"data"`
			}
			json.Unmarshal(req.body, &body)
			placed[body.Data.ID] = true
		case "ticket.created":
			var body struct {
				Data wire.Ticket `json:"data"`
			}
			json.Unmarshal(req.body, &body)
			created[body.Data.ID] = true
		default:
			t.Errorf("unexpected %s", ev.Type)
		}
	}
	if len(rc.all()) != 4 {
		t.Errorf("%d deliveries, want 4 (2 orders, 2 tickets)", len(rc.all()))
	}
	for _, o := range orders {
		if !placed[o.ID] || !created[o.Tickets[0].ID] {
			t.Errorf("order %d: placed %v, its ticket created %v", o.ID, placed[o.ID], created[o.Tickets[0].ID])
		}
	}
}
