// Package webhook delivers the organization's events to its webhook
// endpoints, following the Standard Webhooks specification: it fans an
// outbox event out to the subscribed endpoints, signs each delivery,
// schedules retries for about three days, keeps the delivery log, and
// refuses to connect to addresses that are not public (SSRF). Receivers
// verify deliveries with pkg/webhook.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/wire"
)

// EventType is one kind of event an endpoint may subscribe to.
type EventType struct {
	Name        string
	Description string
}

// EventTypes lists every event type, in the order the console shows them.
// The outbox kind of an event is "webhook." and its name; the outbox
// payload names the object (order_id, ticket_id or event_id).
var EventTypes = []EventType{
	{"order.placed", "An order was placed (it may still wait for its payment)."},
	{"order.paid", "An order was paid: its tickets are issued."},
	{"order.cancelled", "A pending order was cancelled or expired."},
	{"order.refunded", "Some or all tickets of an order were refunded."},
	{"ticket.created", "A ticket was created with its order (pending until the order is paid)."},
	{"ticket.updated", "A ticket's attendee changed."},
	{"ticket.voided", "A ticket was voided: refunded, alone or with its order."},
	{"checkin.created", "A ticket was checked in."},
	{"checkin.deleted", "A check-in was undone: the ticket may be checked in again."},
	{"event.published", "An event was published, or its sales reopened."},
	{"waitlist.offered", "A waiting-list offer was sent: tickets are held for the person."},
}

// KnownEventType reports whether name is one of EventTypes.
func KnownEventType(name string) bool {
	for _, t := range EventTypes {
		if t.Name == name {
			return true
		}
	}
	return false
}

// MessageID is the id of the event of outbox row outboxID: the payload's
// "id" and the webhook-id header of every delivery and attempt of it, so a
// receiver can deduplicate on it.
func MessageID(outboxID int64) string { return "evt_" + strconv.FormatInt(outboxID, 10) }

// Event is the body of a delivery.
type Event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      any       `json:"data"`
}

// Encode returns the event as a delivery's body: compact JSON, with <, >
// and & as they are (Go escapes them by default, for HTML pages).
func (ev Event) Encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// EventJSON is an event (the happening people buy tickets for).
type EventJSON struct {
	Object   string     `json:"object"`
	ID       int64      `json:"id"`
	Slug     string     `json:"slug"`
	Name     string     `json:"name"`
	Status   string     `json:"status"`
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
	TimeZone string     `json:"time_zone"`
	Venue    string     `json:"venue"`
	Address  string     `json:"address"`
	Currency string     `json:"currency"`
	URL      string     `json:"url"`
}

// NewOrderJSON returns the order as deliveries show it: the integrators'
// API's shape, with its lines and tickets; baseURL starts the buyer's
// private order link.
func NewOrderJSON(o *admit.Order, baseURL string) wire.Order {
	return wire.NewOrder(o, baseURL, true, true)
}

// NewEventJSON returns the event as deliveries show it, with its public
// page's URL.
func NewEventJSON(ev *admit.Event, orgSlug, baseURL string) EventJSON {
	return EventJSON{Object: "event", ID: ev.ID, Slug: ev.Slug, Name: ev.Name, Status: string(ev.Status), StartsAt: ev.StartsAt.UTC(),
		EndsAt: wire.TimePtr(ev.EndsAt), TimeZone: ev.TimeZone, Venue: ev.Venue, Address: ev.Address, Currency: ev.Currency,
		URL: baseURL + "/e/" + orgSlug + "/" + ev.Slug}
}

// eventData returns the object an event is about, from the ids its outbox
// row carries: an order, a ticket, a waiting-list entry or an event. An outbox payload with none
// of them is delivered as it is.
func (d *Deliverer) eventData(ctx context.Context, row *admit.OutboxRow) (any, error) {
	orgID := row.OrganizationID
	decoded, err := admit.DecodeOutbox(row.Kind, row.Payload)
	if err != nil {
		return nil, err
	}
	p, ok := decoded.(admit.WebhookEvent)
	if !ok {
		return nil, fmt.Errorf("outbox %d: %s is no webhook event", row.ID, row.Kind)
	}
	switch {
	case p.TicketID != 0:
		orderID, err := d.store.FindOrderIDByTicket(ctx, orgID, p.TicketID)
		if err != nil {
			return nil, err
		}
		o, err := d.store.FindOrder(ctx, orgID, orderID)
		if err != nil {
			return nil, err
		}
		for _, t := range o.Tickets {
			if t.ID == p.TicketID {
				return wire.NewTicket(&admit.TicketRecord{Ticket: t, EventID: o.EventID, OrderReference: o.Reference, OrderStatus: o.Status}), nil
			}
		}
		return nil, admit.Errorf(admit.ENOTFOUND, "Ticket not found.")
	case p.OrderID != 0:
		o, err := d.store.FindOrder(ctx, orgID, p.OrderID)
		if err != nil {
			return nil, err
		}
		return NewOrderJSON(o, d.baseURL), nil
	case p.WaitlistEntryID != 0:
		e, err := d.store.FindWaitlistEntry(ctx, orgID, p.WaitlistEntryID)
		if err != nil {
			return nil, err
		}
		return wire.NewWaitlistEntry(e), nil
	case p.EventID != 0:
		ev, err := d.store.FindEvent(ctx, orgID, p.EventID)
		if err != nil {
			return nil, err
		}
		org, err := d.store.FindOrganization(ctx, orgID)
		if err != nil {
			return nil, err
		}
		return NewEventJSON(ev, org.Slug, d.baseURL), nil
	}
	return json.RawMessage(row.Payload), nil
}
