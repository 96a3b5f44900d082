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
)

// EventType is one kind of event an endpoint may subscribe to.
type EventType struct {
	Name        string
	Description string
	// NotSentYet marks a type endpoints may subscribe to that nothing
	// emits yet; whoever writes its "webhook." outbox rows clears it.
	NotSentYet bool
}

// EventTypes lists every event type, in the order the console shows them.
// The outbox kind of an event is "webhook." and its name; the outbox
// payload names the object (order_id, ticket_id or event_id).
var EventTypes = []EventType{
	{"order.placed", "An order was placed (it may still wait for its payment).", true},
	{"order.paid", "An order was paid: its tickets are issued.", false},
	{"order.cancelled", "A pending order was cancelled or expired.", false},
	{"order.refunded", "Some or all tickets of an order were refunded.", false},
	{"ticket.created", "A ticket was issued.", true},
	{"ticket.updated", "A ticket's attendee changed.", false},
	{"ticket.voided", "A ticket was voided.", true},
	{"checkin.created", "A ticket was checked in.", true},
	{"checkin.deleted", "A check-in was undone.", true},
	{"event.published", "An event was published.", true},
	{"waitlist.offered", "A waiting-list offer was sent.", true},
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

// OrderJSON is an order as deliveries show it.
type OrderJSON struct {
	Object        string          `json:"object"`
	ID            int64           `json:"id"`
	Reference     string          `json:"reference"`
	EventID       int64           `json:"event_id"`
	Status        string          `json:"status"`
	Buyer         admit.Attendee  `json:"buyer"`
	Total         int64           `json:"total"`
	DiscountTotal int64           `json:"discount_total"`
	RefundedTotal int64           `json:"refunded_total"`
	Currency      string          `json:"currency"`
	Payment       string          `json:"payment_method"`
	OrderURL      string          `json:"order_url"`
	CreatedAt     time.Time       `json:"created_at"`
	PaidAt        *time.Time      `json:"paid_at"`
	Lines         []OrderLineJSON `json:"lines"`
	Tickets       []TicketJSON    `json:"tickets"`
}

// OrderLineJSON is a line of an order.
type OrderLineJSON struct {
	TicketTypeID int64  `json:"ticket_type_id"`
	Name         string `json:"name"`
	Quantity     int    `json:"quantity"`
	UnitPrice    int64  `json:"unit_price"`
}

// TicketJSON is a ticket. Its code, which admits its holder, is present
// only while the ticket is valid.
type TicketJSON struct {
	Object        string       `json:"object,omitempty"`
	ID            int64        `json:"id"`
	OrderID       int64        `json:"order_id"`
	OrderRef      string       `json:"order_reference,omitempty"`
	TicketTypeID  int64        `json:"ticket_type_id"`
	TicketType    string       `json:"ticket_type"`
	Code          string       `json:"code,omitempty"`
	AttendeeName  string       `json:"attendee_name"`
	AttendeeEmail string       `json:"attendee_email"`
	Status        string       `json:"status"`
	Answers       []AnswerJSON `json:"answers"`
}

// AnswerJSON is an attendee's answer to one question.
type AnswerJSON struct {
	QuestionID int64  `json:"question_id"`
	Question   string `json:"question"`
	Value      string `json:"value"`
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

// NewOrderJSON returns the order as deliveries show it; baseURL starts the
// buyer's private order link.
func NewOrderJSON(o *admit.Order, baseURL string) OrderJSON {
	out := OrderJSON{Object: "order", ID: o.ID, Reference: o.Reference, EventID: o.EventID, Status: string(o.Status),
		Buyer: admit.Attendee{Name: o.BuyerName, Email: o.BuyerEmail}, Total: o.Total, DiscountTotal: o.DiscountTotal,
		RefundedTotal: o.RefundedTotal, Currency: o.Currency, Payment: o.PaymentProvider,
		OrderURL:  baseURL + "/o/" + o.Reference + "?token=" + o.AccessToken,
		CreatedAt: o.CreatedAt.UTC(), PaidAt: timePtr(o.PaidAt), Lines: []OrderLineJSON{}, Tickets: []TicketJSON{}}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, OrderLineJSON{TicketTypeID: l.TicketTypeID, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	for _, t := range o.Tickets {
		out.Tickets = append(out.Tickets, newTicketJSON(t))
	}
	return out
}

func newTicketJSON(t admit.Ticket) TicketJSON {
	out := TicketJSON{ID: t.ID, OrderID: t.OrderID, TicketTypeID: t.TicketTypeID, TicketType: t.TicketType, AttendeeName: t.AttendeeName,
		AttendeeEmail: t.AttendeeEmail, Status: string(t.Status), Answers: []AnswerJSON{}}
	if t.Status == admit.TicketValid {
		out.Code = t.Code
	}
	for _, a := range t.Answers {
		out.Answers = append(out.Answers, AnswerJSON{QuestionID: a.QuestionID, Question: a.Label, Value: a.Value})
	}
	return out
}

// NewEventJSON returns the event as deliveries show it, with its public
// page's URL.
func NewEventJSON(ev *admit.Event, orgSlug, baseURL string) EventJSON {
	return EventJSON{Object: "event", ID: ev.ID, Slug: ev.Slug, Name: ev.Name, Status: string(ev.Status), StartsAt: ev.StartsAt.UTC(),
		EndsAt: timePtr(ev.EndsAt), TimeZone: ev.TimeZone, Venue: ev.Venue, Address: ev.Address, Currency: ev.Currency,
		URL: baseURL + "/e/" + orgSlug + "/" + ev.Slug}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// eventData returns the object an event is about, from the ids its outbox
// row carries: an order, a ticket, or an event. An outbox payload with none
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
				tj := newTicketJSON(t)
				tj.Object, tj.OrderRef = "ticket", o.Reference
				return tj, nil
			}
		}
		return nil, admit.Errorf(admit.ENOTFOUND, "Ticket not found.")
	case p.OrderID != 0:
		o, err := d.store.FindOrder(ctx, orgID, p.OrderID)
		if err != nil {
			return nil, err
		}
		return NewOrderJSON(o, d.baseURL), nil
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
