package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
	v1 "github.com/admithq/admit/internal/api/v1"
	"github.com/admithq/admit/internal/webhook"
	client "github.com/admithq/admit/pkg/admit"
)

// publicURL is a public address written as the host, so that the URL
// policy accepts it without a DNS lookup.
const publicURL = "https://93.184.215.14/hooks/admit"

// mustDelivery records a delivery of an order.paid event, hung off the
// outbox row of a new order, to the organization's subscribed endpoints.
func (f *v1Fixture) mustDelivery(tb testing.TB, t v1Tenant) {
	tb.Helper()
	f.mustOrder(tb, t, "")
	outboxID := int64(f.count(tb, `SELECT MAX(id) FROM outbox WHERE organization_id = ?`, t.org.ID))
	if _, err := f.db.CreateWebhookDeliveries(context.Background(), t.org.ID, outboxID, "order.paid", "msg_"+admit.NewToken(8),
		[]byte(`{"type":"order.paid"}`)); err != nil {
		tb.Fatal(err)
	}
}

func TestV1WebhookEndpoints(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	write, read := f.client(a, "write"), f.client(a, "read")

	created, err := write.WebhookEndpoints().Create(ctx, client.WebhookEndpointCreateParams{URL: publicURL, Description: "CRM",
		EventTypes: []string{"order.paid", "order.placed", "order.paid"}})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.URL != publicURL || !created.Enabled || !strings.HasPrefix(created.Secret, webhook.SecretPrefix) ||
		strings.Join(created.EventTypes, ",") != "order.paid,order.placed" || created.Description != "CRM" {
		t.Fatalf("created %+v", created)
	}
	got, err := read.WebhookEndpoints().Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != "" || got.URL != publicURL {
		t.Errorf("read back %+v: the secret must appear on creation only", got)
	}
	page, err := read.WebhookEndpoints().List(ctx, client.ListParams{})
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != created.ID || page.Data[0].Secret != "" {
		t.Fatalf("list %+v, %v", page, err)
	}

	f.mustDelivery(t, a)
	f.mustDelivery(t, a)
	deliveries, err := read.WebhookEndpoints().Deliveries(ctx, created.ID, client.ListParams{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(deliveries.Data) != 1 || deliveries.Next == "" || deliveries.Data[0].EventType != "order.paid" || deliveries.Data[0].Status != "pending" {
		t.Fatalf("first page of the log %+v", deliveries)
	}
	newest := deliveries.Data[0]
	older, err := read.WebhookEndpoints().Deliveries(ctx, created.ID, client.ListParams{Limit: 1, Cursor: deliveries.Next})
	if err != nil || len(older.Data) != 1 || older.Data[0].ID >= newest.ID || older.Next != "" {
		t.Fatalf("second page of the log %+v, %v: want the older delivery, last", older, err)
	}

	again, err := write.WebhookEndpoints().Redeliver(ctx, created.ID, newest.ID)
	if err != nil || again.ID != newest.ID || again.MessageID != newest.MessageID {
		t.Fatalf("redeliver: %+v, %v", again, err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'webhook.redeliver' AND organization_id = ?`, a.org.ID); n != 1 {
		t.Errorf("%d redeliveries in the outbox, want 1", n)
	}

	off, description := false, "CRM (paused)"
	updated, err := write.WebhookEndpoints().Update(ctx, created.ID, client.WebhookEndpointUpdateParams{Enabled: &off, Description: &description})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Enabled || updated.Description != description || updated.URL != publicURL || len(updated.EventTypes) != 2 || updated.Secret != "" {
		t.Errorf("updated %+v: want disabled, renamed, the rest unchanged", updated)
	}
	_, err = write.WebhookEndpoints().Redeliver(ctx, created.ID, newest.ID)
	mustCode(t, err, http.StatusConflict, admit.ECONFLICT, "")

	if err := write.WebhookEndpoints().Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = read.WebhookEndpoints().Get(ctx, created.ID)
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	for _, action := range []string{"webhook_endpoint.created", "webhook_endpoint.updated", "webhook.redelivered", "webhook_endpoint.deleted"} {
		if !f.audited(t, a, action) {
			t.Errorf("%s is not in the audit log", action)
		}
	}
}

func TestV1WebhookEndpointRefusals(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a, b := f.a, f.b
	e, err := f.client(a, "write").WebhookEndpoints().Create(ctx, client.WebhookEndpointCreateParams{URL: publicURL, EventTypes: []string{"order.paid"}})
	if err != nil {
		t.Fatal(err)
	}
	f.mustDelivery(t, a)
	delivery := int64(f.count(t, `SELECT MAX(id) FROM webhook_deliveries`))

	for _, tc := range []struct {
		name   string
		params client.WebhookEndpointCreateParams
		field  string
	}{
		{"not a URL", client.WebhookEndpointCreateParams{URL: "crm.example.com/hook", EventTypes: []string{"order.paid"}}, "url"},
		{"http", client.WebhookEndpointCreateParams{URL: "http://93.184.215.14/hook", EventTypes: []string{"order.paid"}}, "url"},
		{"private address", client.WebhookEndpointCreateParams{URL: "https://10.1.2.3/hook", EventTypes: []string{"order.paid"}}, "url"},
		{"loopback", client.WebhookEndpointCreateParams{URL: "https://127.0.0.1:8080/hook", EventTypes: []string{"order.paid"}}, "url"},
		{"no URL", client.WebhookEndpointCreateParams{EventTypes: []string{"order.paid"}}, "url"},
		{"unknown event type", client.WebhookEndpointCreateParams{URL: publicURL, EventTypes: []string{"order.shipped"}}, "event_types"},
		{"no event types", client.WebhookEndpointCreateParams{URL: publicURL}, "event_types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client(a, "write").WebhookEndpoints().Create(ctx, tc.params)
			mustCode(t, err, http.StatusUnprocessableEntity, admit.EINVALID, tc.field)
		})
	}
	private := "https://192.168.1.10/hook"
	_, err = f.client(a, "write").WebhookEndpoints().Update(ctx, e.ID, client.WebhookEndpointUpdateParams{URL: &private})
	mustCode(t, err, http.StatusUnprocessableEntity, admit.EINVALID, "url")
	r := f.raw(t, "PATCH", "/api/v1/webhook-endpoints/"+id(e.ID), f.a.secrets["write"], "application/json", `{"secret":"whsec_mine"}`, nil)
	if r.status != http.StatusUnprocessableEntity || r.json(t)["field"] != "secret" {
		t.Errorf("PATCH with a secret: %d %s", r.status, r.body)
	}

	other := f.client(b, "all")
	_, err = other.WebhookEndpoints().Get(ctx, e.ID)
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	_, err = other.WebhookEndpoints().Update(ctx, e.ID, client.WebhookEndpointUpdateParams{Description: &private})
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	mustCode(t, other.WebhookEndpoints().Delete(ctx, e.ID), http.StatusNotFound, admit.ENOTFOUND, "")
	_, err = other.WebhookEndpoints().Deliveries(ctx, e.ID, client.ListParams{})
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	_, err = other.WebhookEndpoints().Redeliver(ctx, e.ID, delivery)
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	if page, err := other.WebhookEndpoints().List(ctx, client.ListParams{}); err != nil || len(page.Data) != 0 {
		t.Errorf("another organization lists %+v, %v", page, err)
	}

	read := f.client(a, "read")
	_, err = read.WebhookEndpoints().Create(ctx, client.WebhookEndpointCreateParams{URL: publicURL, EventTypes: []string{"order.paid"}})
	mustCode(t, err, http.StatusForbidden, admit.EFORBIDDEN, "")
	mustCode(t, read.WebhookEndpoints().Delete(ctx, e.ID), http.StatusForbidden, admit.EFORBIDDEN, "")
	_, err = read.WebhookEndpoints().Redeliver(ctx, e.ID, delivery)
	mustCode(t, err, http.StatusForbidden, admit.EFORBIDDEN, "")
	if n := f.count(t, `SELECT COUNT(*) FROM webhook_endpoints`); n != 1 {
		t.Errorf("%d endpoints after refused requests, want 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'webhook.redeliver'`); n != 0 {
		t.Errorf("%d redeliveries after refused requests, want 0", n)
	}
}

// TestV1WebhookEndpointAllowsPrivateWhenConfigured: a server that lets
// webhooks reach private addresses (development) accepts them in the API
// as in the console.
func TestV1WebhookEndpointAllowsPrivateWhenConfigured(t *testing.T) {
	f := mustV1Fixture(t, func(o *v1.Options) { o.WebhookURLs = webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true} })
	e, err := f.client(f.a, "write").WebhookEndpoints().Create(context.Background(),
		client.WebhookEndpointCreateParams{URL: "http://127.0.0.1:9000/hook", EventTypes: []string{"order.paid"}})
	if err != nil || e.URL != "http://127.0.0.1:9000/hook" {
		t.Fatalf("created %+v, %v", e, err)
	}
}

// TestV1WebhookEndpointCreateIsIdempotent: a retried creation with the
// same Idempotency-Key adds one endpoint and replays the first answer,
// secret included.
func TestV1WebhookEndpointCreateIsIdempotent(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	c := f.client(f.a, "write")
	params := client.WebhookEndpointCreateParams{URL: publicURL, EventTypes: []string{"order.paid"}}
	first, err := c.WebhookEndpoints().Create(ctx, params, client.WithIdempotencyKey("hook-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.WebhookEndpoints().Create(ctx, params, client.WithIdempotencyKey("hook-1"))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || again.Secret != first.Secret {
		t.Errorf("replay %+v, want the first answer %+v", again, first)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM webhook_endpoints`); n != 1 {
		t.Errorf("%d endpoints after a retried creation, want 1", n)
	}
}
