// Package wire holds the JSON shape of each resource an integrator meets:
// the same type answers /api/v1 and fills webhook payloads, and the OpenAPI
// document describes it. pkg/admit, the Go client, mirrors these types; a
// test fails when the two drift apart.
package wire

import (
	"time"

	"github.com/admithq/admit/internal/admit"
)

// Person is a buyer or an attendee.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Order is an order as integrators see it. Lines and Tickets are present
// when they were asked for (expand on /api/v1, always in webhooks); an
// order always has both.
type Order struct {
	Object        string      `json:"object"` // "order"
	ID            int64       `json:"id"`
	Reference     string      `json:"reference"`
	EventID       int64       `json:"event_id"`
	Status        string      `json:"status"`
	Buyer         Person      `json:"buyer"`
	Total         int64       `json:"total"`
	RefundedTotal int64       `json:"refunded_total"`
	DiscountTotal int64       `json:"discount_total"`
	Currency      string      `json:"currency"`
	PaymentMethod string      `json:"payment_method"`
	OrderURL      string      `json:"order_url"` // the buyer's private order page
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	PaidAt        *time.Time  `json:"paid_at"`
	ExpiresAt     *time.Time  `json:"expires_at"`
	Lines         []OrderLine `json:"lines,omitempty"`
	Tickets       []Ticket    `json:"tickets,omitempty"`
}

// OrderLine is a quantity of one ticket type at the price charged.
type OrderLine struct {
	TicketTypeID int64  `json:"ticket_type_id"`
	Name         string `json:"name"`
	Quantity     int    `json:"quantity"`
	UnitPrice    int64  `json:"unit_price"`
}

// Ticket admits one attendee with its code, which check-in accepts only
// while the ticket is valid (status). A void ticket's code is left out:
// it admits no one, and a payload that leaks should not carry it.
type Ticket struct {
	Object         string    `json:"object"` // "ticket"
	ID             int64     `json:"id"`
	OrderID        int64     `json:"order_id"`
	OrderReference string    `json:"order_reference"`
	OrderStatus    string    `json:"order_status"`
	EventID        int64     `json:"event_id"`
	TicketTypeID   int64     `json:"ticket_type_id"`
	TicketType     string    `json:"ticket_type"`
	Code           string    `json:"code,omitempty"`
	AttendeeName   string    `json:"attendee_name"`
	AttendeeEmail  string    `json:"attendee_email"`
	Status         string    `json:"status"`
	Answers        []Answer  `json:"answers"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Answer is an attendee's answer to one question.
type Answer struct {
	QuestionID int64  `json:"question_id"`
	Question   string `json:"question"`
	Value      string `json:"value"`
}

// NewOrder renders o; baseURL starts the buyer's private order link. Lines
// and tickets are rendered when asked for.
func NewOrder(o *admit.Order, baseURL string, lines, tickets bool) Order {
	out := Order{Object: "order", ID: o.ID, Reference: o.Reference, EventID: o.EventID, Status: string(o.Status),
		Buyer: Person{Name: o.BuyerName, Email: o.BuyerEmail}, Total: o.Total, RefundedTotal: o.RefundedTotal,
		DiscountTotal: o.DiscountTotal, Currency: o.Currency, PaymentMethod: o.PaymentProvider,
		OrderURL:  baseURL + "/o/" + o.Reference + "?token=" + o.AccessToken,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(), PaidAt: TimePtr(o.PaidAt), ExpiresAt: TimePtr(o.ExpiresAt)}
	if lines {
		l := make([]OrderLine, 0, len(o.Lines))
		for _, line := range o.Lines {
			l = append(l, OrderLine{TicketTypeID: line.TicketTypeID, Name: line.Name, Quantity: line.Quantity, UnitPrice: line.UnitPrice})
		}
		out.Lines = l
	}
	if tickets {
		t := make([]Ticket, 0, len(o.Tickets))
		for _, ticket := range o.Tickets {
			t = append(t, NewTicket(&admit.TicketRecord{Ticket: ticket, EventID: o.EventID, OrderReference: o.Reference, OrderStatus: o.Status}))
		}
		out.Tickets = t
	}
	return out
}

// NewTicket renders t.
func NewTicket(t *admit.TicketRecord) Ticket {
	out := Ticket{Object: "ticket", ID: t.ID, OrderID: t.OrderID, OrderReference: t.OrderReference, OrderStatus: string(t.OrderStatus),
		EventID: t.EventID, TicketTypeID: t.TicketTypeID, TicketType: t.TicketType, AttendeeName: t.AttendeeName,
		AttendeeEmail: t.AttendeeEmail, Status: string(t.Status), Answers: []Answer{}, CreatedAt: t.CreatedAt.UTC(),
		UpdatedAt: t.UpdatedAt.UTC()}
	if t.Status != admit.TicketVoid {
		out.Code = t.Code
	}
	for _, a := range t.Answers {
		out.Answers = append(out.Answers, Answer{QuestionID: a.QuestionID, Question: a.Label, Value: a.Value})
	}
	return out
}

// TimePtr is t in UTC, or nil (JSON's null) for the zero time.
func TimePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// WaitlistEntry is a person waiting for a sold-out ticket type, with the
// state of the offer made to them: null (none yet), open, accepted or
// expired.
type WaitlistEntry struct {
	ID           int64      `json:"id"`
	EventID      int64      `json:"event_id"`
	TicketTypeID int64      `json:"ticket_type_id"`
	TicketType   string     `json:"ticket_type"`
	Name         string     `json:"name"`
	Email        string     `json:"email"`
	Quantity     int        `json:"quantity"`
	OfferState   *string    `json:"offer_state"`
	OfferedAt    *time.Time `json:"offered_at"`
	OfferEndsAt  *time.Time `json:"offer_ends_at"`
}

// NewWaitlistEntry returns the entry as the API and webhooks show it.
func NewWaitlistEntry(e *admit.WaitlistEntry) WaitlistEntry {
	out := WaitlistEntry{ID: e.ID, EventID: e.EventID, TicketTypeID: e.TicketTypeID, TicketType: e.TicketType, Name: e.Name,
		Email: e.Email, Quantity: e.Quantity, OfferedAt: TimePtr(e.OfferedAt), OfferEndsAt: TimePtr(e.OfferEnds)}
	if e.OfferState != "" {
		state := e.OfferState
		out.OfferState = &state
	}
	return out
}
