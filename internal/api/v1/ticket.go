package v1

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/wire"
)

// v1TicketsList lists the event's tickets (one per attendee), every status,
// with changed_since for incremental syncs.
func (h *Handler) v1TicketsList(c echo.Context) error {
	p, err := v1Page(c, true)
	if err != nil {
		return err
	}
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	tickets, hasMore, err := h.v1.Store.ListTicketsPage(c.Request().Context(), e.OrganizationID, e.ID, p)
	if err != nil {
		return err
	}
	out := make([]wire.Ticket, 0, len(tickets))
	for i := range tickets {
		out = append(out, wire.NewTicket(&tickets[i]))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(t wire.Ticket) int64 { return t.ID }))
}

func (h *Handler) v1FindTicket(c echo.Context) (*admit.TicketRecord, error) {
	id, err := v1ID(c, "ticket", "Ticket")
	if err != nil {
		return nil, err
	}
	return h.v1.Store.FindTicketRecord(c.Request().Context(), v1Token(c).OrganizationID, id)
}

func (h *Handler) v1TicketShow(c echo.Context) error {
	t, err := h.v1FindTicket(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.NewTicket(t))
}

// v1TicketUpdate changes the attendee of a ticket: name, email or both.
func (h *Handler) v1TicketUpdate(c echo.Context) error {
	var req struct {
		AttendeeName  *string `json:"attendee_name"`
		AttendeeEmail *string `json:"attendee_email"`
	}
	if err := api.Decode(c, &req, api.Rules{Strict: true}); err != nil {
		return err
	}
	t, err := h.v1FindTicket(c)
	if err != nil {
		return err
	}
	a := admit.Attendee{Name: t.AttendeeName, Email: t.AttendeeEmail}
	var p admit.Problems
	if req.AttendeeName == nil && req.AttendeeEmail == nil {
		p.Add("attendee_name", "Send attendee_name, attendee_email or both.")
	}
	if req.AttendeeName != nil {
		a.Name = strings.TrimSpace(*req.AttendeeName)
		switch {
		case a.Name == "":
			p.Add("attendee_name", "Name is required.")
		case utf8.RuneCountInString(a.Name) > 200:
			p.Add("attendee_name", "Name must be at most 200 characters.")
		case strings.ContainsAny(a.Name, "\x00\r\n"):
			p.Add("attendee_name", "Name must be one line of text.")
		}
	}
	if req.AttendeeEmail != nil {
		a.Email = strings.TrimSpace(*req.AttendeeEmail)
		if a.Email != "" && !admit.ValidEmail(a.Email) {
			p.Add("attendee_email", "Enter an email address such as name@example.com, or an empty string for none.")
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	if t.Status == admit.TicketVoid {
		return admit.Errorf(admit.ECONFLICT, "This ticket is void and cannot be changed.")
	}
	ctx := c.Request().Context()
	org := v1Token(c).OrganizationID
	if err := h.v1.Store.RenameAttendee(ctx, org, t.OrderID, t.ID, a); err != nil {
		return err
	}
	h.v1Audit(c, "ticket.renamed", t.OrderReference, a.Name)
	if t, err = h.v1.Store.FindTicketRecord(ctx, org, t.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.NewTicket(t))
}

// v1TicketVoid refunds one ticket of a paid order: it stops admitting
// anyone, its place returns to sale, and its price goes back to the buyer.
func (h *Handler) v1TicketVoid(c echo.Context) error {
	if err := v1NoBody(c); err != nil {
		return err
	}
	t, err := h.v1FindTicket(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	org := v1Token(c).OrganizationID
	if t.Status == admit.TicketVoid {
		return admit.Errorf(admit.ECONFLICT, "This ticket is already void.")
	}
	if t.OrderStatus != admit.OrderPaid {
		return admit.Errorf(admit.ECONFLICT, "Only tickets of paid orders can be voided; cancel pending order %s instead.", t.OrderReference)
	}
	if _, err := h.checkout.RefundTickets(ctx, org, t.OrderID, []int64{t.ID}, 0); err != nil {
		return err
	}
	h.v1Audit(c, "ticket.voided", t.OrderReference, t.AttendeeName)
	if t, err = h.v1.Store.FindTicketRecord(ctx, org, t.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.NewTicket(t))
}
