package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// ticketTypeNew shows the form for a new ticket type of the event.
func (h *Handler) ticketTypeNew(c echo.Context) error {
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "ticket_type_form", ticketTypeFormPage{Base: h.base(c, "events"), Event: ev, Form: newTicketTypeForm()})
}

// ticketTypeCreate adds a ticket type at the end of the event's list.
func (h *Handler) ticketTypeCreate(c echo.Context) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	f := readTicketTypeForm(c)
	t := &admit.TicketType{OrganizationID: m.org.ID, EventID: ev.ID}
	problems := f.apply(t, ev)
	if len(problems) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "ticket_type_form", ticketTypeFormPage{Base: h.base(c, "events"), Event: ev,
			Form: f, Problems: problems})
	}
	types, err := h.store.ListTicketTypes(ctx, m.org.ID, ev.ID, true)
	if err != nil {
		return err
	}
	for _, other := range types {
		t.Position = max(t.Position, other.Position+1)
	}
	if err := h.store.CreateTicketType(ctx, t); err != nil {
		return err
	}
	h.audit(c, "ticket_type.created", ticketTypeAuditObject(ev, t),
		"price "+admit.FormatMoney(t.Price, ev.Currency)+", quantity "+strconv.Itoa(t.Quantity))
	return h.redirectWithFlash(c, eventURL(m, ev.ID), "Ticket type "+t.Name+" added.")
}
