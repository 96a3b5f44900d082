package admit

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// EventsService reads the organization's events.
type EventsService struct{ c *Client }

// List returns one page of events, every status.
func (s *EventsService) List(ctx context.Context, p ListParams) (*Page[Event], error) {
	return list[Event](ctx, s.c, "/events", p.values())
}

// All iterates over every event.
func (s *EventsService) All(ctx context.Context, p ListParams) iter.Seq2[Event, error] {
	return all(ctx, p, s.List)
}

// Get returns the event id.
func (s *EventsService) Get(ctx context.Context, id int64) (*Event, error) {
	path, err := idPath("/events/%d", id)
	if err != nil {
		return nil, err
	}
	return call[Event](ctx, s.c, http.MethodGet, path, nil, nil, nil)
}

// TicketTypesService reads ticket types.
type TicketTypesService struct{ c *Client }

// List returns one page of the event's ticket types, hidden ones included.
func (s *TicketTypesService) List(ctx context.Context, eventID int64, p ListParams) (*Page[TicketType], error) {
	path, err := idPath("/events/%d/ticket-types", eventID)
	if err != nil {
		return nil, err
	}
	return list[TicketType](ctx, s.c, path, p.values())
}

// All iterates over every ticket type of the event.
func (s *TicketTypesService) All(ctx context.Context, eventID int64, p ListParams) iter.Seq2[TicketType, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[TicketType], error) { return s.List(ctx, eventID, p) })
}

// Get returns the ticket type id.
func (s *TicketTypesService) Get(ctx context.Context, id int64) (*TicketType, error) {
	path, err := idPath("/ticket-types/%d", id)
	if err != nil {
		return nil, err
	}
	return call[TicketType](ctx, s.c, http.MethodGet, path, nil, nil, nil)
}

// OrdersService reads and changes orders.
type OrdersService struct{ c *Client }

// Expansions of an order.
const (
	ExpandLines   = "lines"
	ExpandTickets = "tickets"
)

// OrderListParams filter and page the orders.
type OrderListParams struct {
	ListParams
	EventID int64  // 0: every event
	Status  string // "": every status
	// Expand asks for each order's ExpandLines, ExpandTickets or both.
	Expand []string
}

// List returns one page of orders.
func (s *OrdersService) List(ctx context.Context, p OrderListParams) (*Page[Order], error) {
	q := p.values()
	if p.EventID != 0 {
		q.Set("event", strconv.FormatInt(p.EventID, 10))
	}
	if p.Status != "" {
		q.Set("status", p.Status)
	}
	if len(p.Expand) > 0 {
		q.Set("expand", strings.Join(p.Expand, ","))
	}
	return list[Order](ctx, s.c, "/orders", q)
}

// All iterates over every order that matches p.
func (s *OrdersService) All(ctx context.Context, p OrderListParams) iter.Seq2[Order, error] {
	return all(ctx, p.ListParams, func(ctx context.Context, lp ListParams) (*Page[Order], error) {
		p.ListParams = lp
		return s.List(ctx, p)
	})
}

// Get returns the order id with the expansions asked for.
func (s *OrdersService) Get(ctx context.Context, id int64, expand ...string) (*Order, error) {
	path, err := idPath("/orders/%d", id)
	if err != nil {
		return nil, err
	}
	q := ListParams{}.values()
	if len(expand) > 0 {
		q.Set("expand", strings.Join(expand, ","))
	}
	return call[Order](ctx, s.c, http.MethodGet, path, q, nil, nil)
}

// OrderItem is a quantity of one ticket type.
type OrderItem struct {
	TicketTypeID int64 `json:"ticket_type_id"`
	Quantity     int   `json:"quantity"`
}

// Attendee is the person a ticket is for; Answers maps question ids to
// answers.
type Attendee struct {
	Name    string           `json:"name"`
	Email   string           `json:"email,omitempty"`
	Answers map[int64]string `json:"answers,omitempty"`
}

// OrderCreateParams describe an order made outside checkout: complimentary
// tickets or an import. It takes capacity like any checkout.
type OrderCreateParams struct {
	EventID   int64       `json:"event_id"`
	Buyer     Person      `json:"buyer"`
	Items     []OrderItem `json:"items"`
	Attendees []Attendee  `json:"attendees,omitempty"`
	// PaymentMethod is empty for free orders and "offline" for priced ones,
	// which stay pending unless MarkPaid.
	PaymentMethod string `json:"payment_method,omitempty"`
	MarkPaid      bool   `json:"mark_paid,omitempty"`
}

// Create records an order and returns it with its lines and tickets.
func (s *OrdersService) Create(ctx context.Context, p OrderCreateParams, opts ...RequestOption) (*Order, error) {
	return call[Order](ctx, s.c, http.MethodPost, "/orders", nil, p, opts)
}

func (s *OrdersService) action(ctx context.Context, id int64, action string, opts []RequestOption) (*Order, error) {
	path, err := idPath("/orders/%d/"+action, id)
	if err != nil {
		return nil, err
	}
	return call[Order](ctx, s.c, http.MethodPost, path, nil, nil, opts)
}

// Cancel cancels a pending order; its tickets go back on sale.
func (s *OrdersService) Cancel(ctx context.Context, id int64, opts ...RequestOption) (*Order, error) {
	return s.action(ctx, id, "cancel", opts)
}

// MarkPaid records the offline payment of a pending order.
func (s *OrdersService) MarkPaid(ctx context.Context, id int64, opts ...RequestOption) (*Order, error) {
	return s.action(ctx, id, "mark-paid", opts)
}

// Refund refunds the tickets ticketIDs of a paid order, or every ticket
// still valid if none are given.
func (s *OrdersService) Refund(ctx context.Context, id int64, ticketIDs []int64, opts ...RequestOption) (*Refund, error) {
	return s.RefundBecause(ctx, id, ticketIDs, "", opts...)
}

// RefundBecause refunds like Refund and gives the reason, which the
// organization's audit log keeps with the refund (at most 500 characters).
func (s *OrdersService) RefundBecause(ctx context.Context, id int64, ticketIDs []int64, reason string, opts ...RequestOption) (*Refund, error) {
	path, err := idPath("/orders/%d/refund", id)
	if err != nil {
		return nil, err
	}
	var body any
	if len(ticketIDs) > 0 || reason != "" {
		body = struct {
			TicketIDs []int64 `json:"ticket_ids,omitempty"`
			Reason    string  `json:"reason,omitempty"`
		}{ticketIDs, reason}
	}
	return call[Refund](ctx, s.c, http.MethodPost, path, nil, body, opts)
}

// TicketsService reads and changes tickets (attendees).
type TicketsService struct{ c *Client }

// List returns one page of the event's tickets, every status.
func (s *TicketsService) List(ctx context.Context, eventID int64, p ListParams) (*Page[Ticket], error) {
	path, err := idPath("/events/%d/tickets", eventID)
	if err != nil {
		return nil, err
	}
	return list[Ticket](ctx, s.c, path, p.values())
}

// All iterates over every ticket of the event.
func (s *TicketsService) All(ctx context.Context, eventID int64, p ListParams) iter.Seq2[Ticket, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[Ticket], error) { return s.List(ctx, eventID, p) })
}

// Get returns the ticket id.
func (s *TicketsService) Get(ctx context.Context, id int64) (*Ticket, error) {
	path, err := idPath("/tickets/%d", id)
	if err != nil {
		return nil, err
	}
	return call[Ticket](ctx, s.c, http.MethodGet, path, nil, nil, nil)
}

// TicketUpdateParams change a ticket's attendee; nil leaves a field as is.
type TicketUpdateParams struct {
	AttendeeName  *string `json:"attendee_name,omitempty"`
	AttendeeEmail *string `json:"attendee_email,omitempty"`
}

// Update changes the ticket's attendee.
func (s *TicketsService) Update(ctx context.Context, id int64, p TicketUpdateParams, opts ...RequestOption) (*Ticket, error) {
	path, err := idPath("/tickets/%d", id)
	if err != nil {
		return nil, err
	}
	return call[Ticket](ctx, s.c, http.MethodPatch, path, nil, p, opts)
}

// Void refunds the ticket: it stops admitting anyone and its price goes
// back to the buyer.
func (s *TicketsService) Void(ctx context.Context, id int64, opts ...RequestOption) (*Ticket, error) {
	path, err := idPath("/tickets/%d/void", id)
	if err != nil {
		return nil, err
	}
	return call[Ticket](ctx, s.c, http.MethodPost, path, nil, nil, opts)
}

// CheckInListsService reads check-in lists and checks tickets in.
type CheckInListsService struct{ c *Client }

// List returns one page of the event's check-in lists.
func (s *CheckInListsService) List(ctx context.Context, eventID int64, p ListParams) (*Page[CheckInList], error) {
	path, err := idPath("/events/%d/checkin-lists", eventID)
	if err != nil {
		return nil, err
	}
	return list[CheckInList](ctx, s.c, path, p.values())
}

// All iterates over every check-in list of the event.
func (s *CheckInListsService) All(ctx context.Context, eventID int64, p ListParams) iter.Seq2[CheckInList, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[CheckInList], error) { return s.List(ctx, eventID, p) })
}

// Get returns the check-in list id with its progress.
func (s *CheckInListsService) Get(ctx context.Context, id int64) (*CheckInList, error) {
	path, err := idPath("/checkin-lists/%d", id)
	if err != nil {
		return nil, err
	}
	return call[CheckInList](ctx, s.c, http.MethodGet, path, nil, nil, nil)
}

// Tickets returns one page of the tickets the list admits, for a
// scanner's sync: set ChangedSince to the start of the previous sync.
func (s *CheckInListsService) Tickets(ctx context.Context, listID int64, p ListParams) (*Page[ListTicket], error) {
	path, err := idPath("/checkin-lists/%d/tickets", listID)
	if err != nil {
		return nil, err
	}
	return list[ListTicket](ctx, s.c, path, p.values())
}

// AllTickets iterates over every ticket the list admits.
func (s *CheckInListsService) AllTickets(ctx context.Context, listID int64, p ListParams) iter.Seq2[ListTicket, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[ListTicket], error) { return s.Tickets(ctx, listID, p) })
}

// CheckIns returns one page of the list's check-ins, undone ones included.
func (s *CheckInListsService) CheckIns(ctx context.Context, listID int64, p ListParams) (*Page[CheckIn], error) {
	path, err := idPath("/checkin-lists/%d/checkins", listID)
	if err != nil {
		return nil, err
	}
	return list[CheckIn](ctx, s.c, path, p.values())
}

// AllCheckIns iterates over every check-in of the list.
func (s *CheckInListsService) AllCheckIns(ctx context.Context, listID int64, p ListParams) iter.Seq2[CheckIn, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[CheckIn], error) { return s.CheckIns(ctx, listID, p) })
}

// CheckIn checks the ticket with code in on the list. A refusal (already
// checked in, void, unpaid, wrong list, unknown code) returns the result
// with its Outcome and an *Error (conflict, or not_found for an unknown
// code).
func (s *CheckInListsService) CheckIn(ctx context.Context, listID int64, code string, opts ...RequestOption) (*CheckInResult, error) {
	path, err := idPath("/checkin-lists/%d/checkins", listID)
	if err != nil {
		return nil, err
	}
	var r CheckInResult
	err = s.c.do(ctx, http.MethodPost, path, nil, map[string]string{"code": code}, &r, opts)
	var apiErr *Error
	if errors.As(err, &apiErr) && len(apiErr.Detail) > 0 {
		var refused CheckInResult
		if json.Unmarshal(apiErr.Detail, &refused) == nil && refused.Outcome != "" {
			return &refused, err
		}
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// UndoCheckIn undoes the check-in, so the ticket can be checked in again.
func (s *CheckInListsService) UndoCheckIn(ctx context.Context, listID, checkInID int64, opts ...RequestOption) (*CheckIn, error) {
	path, err := idPath("/checkin-lists/%d/checkins/%d", listID, checkInID)
	if err != nil {
		return nil, err
	}
	return call[CheckIn](ctx, s.c, http.MethodDelete, path, nil, nil, opts)
}

// DiscountCodesService reads and creates discount codes.
type DiscountCodesService struct{ c *Client }

// List returns one page of the event's codes.
func (s *DiscountCodesService) List(ctx context.Context, eventID int64, p ListParams) (*Page[DiscountCode], error) {
	path, err := idPath("/events/%d/discount-codes", eventID)
	if err != nil {
		return nil, err
	}
	return list[DiscountCode](ctx, s.c, path, p.values())
}

// All iterates over every code of the event.
func (s *DiscountCodesService) All(ctx context.Context, eventID int64, p ListParams) iter.Seq2[DiscountCode, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[DiscountCode], error) { return s.List(ctx, eventID, p) })
}

// DiscountCodeCreateParams describe a new code.
type DiscountCodeCreateParams struct {
	Code string `json:"code"`
	Kind string `json:"kind"` // percent or fixed
	// Value is basis points for percent (2500 is 25%) and minor units off
	// each ticket for fixed.
	Value         int64      `json:"value"`
	MaxUses       *int       `json:"max_uses,omitempty"`
	ValidFrom     *time.Time `json:"valid_from,omitempty"`
	ValidUntil    *time.Time `json:"valid_until,omitempty"`
	TicketTypeIDs []int64    `json:"ticket_type_ids,omitempty"`
}

// Create adds a code to the event.
func (s *DiscountCodesService) Create(ctx context.Context, eventID int64, p DiscountCodeCreateParams, opts ...RequestOption) (*DiscountCode, error) {
	path, err := idPath("/events/%d/discount-codes", eventID)
	if err != nil {
		return nil, err
	}
	return call[DiscountCode](ctx, s.c, http.MethodPost, path, nil, p, opts)
}

// QuestionsService reads the questions asked at checkout.
type QuestionsService struct{ c *Client }

// List returns one page of the event's questions.
func (s *QuestionsService) List(ctx context.Context, eventID int64, p ListParams) (*Page[Question], error) {
	path, err := idPath("/events/%d/questions", eventID)
	if err != nil {
		return nil, err
	}
	return list[Question](ctx, s.c, path, p.values())
}

// All iterates over every question of the event.
func (s *QuestionsService) All(ctx context.Context, eventID int64, p ListParams) iter.Seq2[Question, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[Question], error) { return s.List(ctx, eventID, p) })
}
