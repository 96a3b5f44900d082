package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/webhook"
	"github.com/admithq/admit/internal/wire"
)

// TestV1OpenAPIWebhooks: the document's webhooks section names exactly the
// event types deliveries are made of (and the console's test event), each with the schema of the object
// it carries, and a payload as the worker builds it from the database
// matches that schema: what an integrator reads is what arrives.
func TestV1OpenAPIWebhooks(t *testing.T) {
	doc := mustOpenAPI(t)
	hooks, _ := doc["webhooks"].(map[string]any)
	var documented, sent []string
	for name := range hooks {
		documented = append(documented, name)
	}
	for _, et := range webhook.EventTypes {
		sent = append(sent, et.Name)
	}
	sent = append(sent, webhook.TestEventType) // to one endpoint, on request
	sort.Strings(documented)
	sort.Strings(sent)
	if !slices.Equal(documented, sent) {
		t.Errorf("webhooks documented %v, sent %v", documented, sent)
	}
	for _, name := range documented {
		post, _ := hooks[name].(map[string]any)["post"].(map[string]any)
		if post == nil {
			t.Errorf("webhook %s: no post operation", name)
			continue
		}
		var headers []string
		for _, p := range asMaps(post["parameters"]) {
			if p["in"] == "header" {
				headers = append(headers, p["name"].(string))
			}
		}
		for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			if !slices.Contains(headers, h) {
				t.Errorf("webhook %s: header %s not documented", name, h)
			}
		}
	}

	f := mustV1Fixture(t)
	ctx := context.Background()
	placed := f.mustOrder(t, f.a, "")
	o, err := f.db.FindOrder(ctx, f.a.org.ID, placed.ID)
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := f.db.FindTicketRecord(ctx, f.a.org.ID, o.Tickets[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		schema string
		data   any
	}{
		{"Order", webhook.NewOrderJSON(o, "http://admit.test")},
		{"Ticket", wire.NewTicket(ticket)},
		{"PublishedEvent", webhook.NewEventJSON(f.a.event, f.a.org.Slug, "http://admit.test")},
		{"TestEvent", webhook.TestEventData{Object: "test", EndpointID: 1, Message: "test"}},
		{"WaitlistEntry", wire.NewWaitlistEntry(&admit.WaitlistEntry{ID: 1, EventID: 2, TicketTypeID: 3, TicketType: "GA", Name: "W", Email: "w@example.com",
			Quantity: 1, OfferState: "open", OfferedAt: time.Now(), OfferEnds: time.Now().Add(time.Hour)})},
	} {
		b, err := json.Marshal(c.data)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		for _, p := range doc.check(c.schema, map[string]any{"$ref": "#/components/schemas/" + c.schema}, v) {
			t.Errorf("a webhook's %s: %s", c.schema, p)
		}
	}
}
