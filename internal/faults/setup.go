package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
)

// Kinds of ticket a buyer asks for.
const (
	kindFree    = "free"    // a free ticket: the order is paid as it is placed
	kindOffline = "offline" // paid, by bank transfer: the organizer marks it paid
	kindCard    = "card"    // paid by card through Stripe Checkout
	kindLimited = "limited" // free, from a small type that sells out early
)

// ticketKind is one ticket type of the fixture and how buyers pay for it.
type ticketKind struct {
	Kind     string
	Type     *admit.TicketType
	Quantity int // tickets per order
	Payment  string
}

// fixture is the run's own organization, event, ticket types, API token and
// webhook endpoint.
type fixture struct {
	Tag           string // in every buyer's address and idempotency key
	OrgID         int64
	OrgSlug       string
	EventID       int64
	EventSlug     string
	Token         string // an API token of the organization (read, write)
	EndpointID    int64
	WebhookSecret string
	Kinds         []ticketKind
}

func (f *fixture) auth() map[string]string {
	return map[string]string{"Authorization": "Bearer " + f.Token}
}

func (f *fixture) kind(k string) *ticketKind {
	for i := range f.Kinds {
		if f.Kinds[i].Kind == k {
			return &f.Kinds[i]
		}
	}
	return nil
}

func (f *fixture) describeTypes() string {
	var parts []string
	for _, k := range f.Kinds {
		parts = append(parts, fmt.Sprintf("%s (#%d, %d at %d, %s)", k.Type.Name, k.Type.ID, k.Type.Quantity, k.Type.Price, k.Payment))
	}
	return strings.Join(parts, ", ")
}

// setup creates the fixture as an organizer would. Organizations, events
// and ticket types have no /api/v1 routes (the console creates them), so
// they are made with the storage functions the console calls; the API
// token likewise; the webhook endpoint through /api/v1 with that token.
func setup(ctx context.Context, db *mysql.DB, api *client, receiverURL string, card bool, limited int) (*fixture, error) {
	tag := "f" + strings.ToLower(admit.NewToken(4))
	f := &fixture{Tag: tag}
	org := &admit.Organization{Slug: "faults-" + tag, Name: "Fault test " + tag}
	if err := db.CreateOrganization(ctx, org); err != nil {
		return nil, err
	}
	f.OrgID, f.OrgSlug = org.ID, org.Slug
	ev := &admit.Event{OrganizationID: org.ID, Slug: "onsale", Name: "Fault test on-sale", TimeZone: "UTC", Venue: "Hall 1",
		StartsAt: time.Now().Add(60 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, ev); err != nil {
		return nil, err
	}
	f.EventID, f.EventSlug = ev.ID, ev.Slug
	type spec struct {
		kind, name, payment string
		price               int64
		quantity, perOrder  int
	}
	specs := []spec{
		{kindFree, "Community (free)", admit.PaymentFree, 0, 100000, 2},
		{kindOffline, "Standard (bank transfer)", admit.PaymentOffline, 4900, 100000, 1},
		{kindLimited, "Early bird (limited)", admit.PaymentFree, 0, limited, 1},
	}
	if card {
		specs = append(specs, spec{kindCard, "Supporter (card)", admit.PaymentStripe, 9900, 100000, 1})
	}
	for i, s := range specs {
		t := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: s.name, Price: s.price, Quantity: s.quantity,
			MinPerOrder: 1, MaxPerOrder: 4, Position: i}
		if err := db.CreateTicketType(ctx, t); err != nil {
			return nil, err
		}
		f.Kinds = append(f.Kinds, ticketKind{Kind: s.kind, Type: t, Quantity: s.perOrder, Payment: s.payment})
	}
	secret, err := db.CreateAPIToken(ctx, &admit.APIToken{OrganizationID: org.ID, Name: "fault test integration",
		Scopes: []string{admit.ScopeRead, admit.ScopeWrite}}, 0)
	if err != nil {
		return nil, err
	}
	f.Token = secret

	body, _ := json.Marshal(map[string]any{"url": receiverURL, "description": "fault test receiver", "event_types": []string{"order.paid"}})
	header := f.auth()
	header["Idempotency-Key"] = "endpoint-" + tag
	a := api.do(ctx, "POST", "/api/v1/webhook-endpoints", body, header, time.Minute, true)
	if a.status != http.StatusCreated {
		return nil, fmt.Errorf("creating the webhook endpoint through /api/v1 (serve and worker need ADMIT_WEBHOOK_ALLOW_PRIVATE=true for a receiver on loopback): %s", a)
	}
	var ep struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	if err := a.decode(&ep); err != nil {
		return nil, err
	}
	f.EndpointID, f.WebhookSecret = ep.ID, ep.Secret
	return f, nil
}
