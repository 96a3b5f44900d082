package console

import (
	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// ticketTypeMove moves the ticket type one place up or down the event's
// list (the form's direction field), which is the order buyers see.
func (h *Handler) ticketTypeMove(c echo.Context) error {
	m := currentMember(c)
	ev, t, err := h.ticketTypeOfRequest(c)
	if err != nil {
		return err
	}
	direction := c.FormValue("direction")
	by := map[string]int{"up": -1, "down": 1}[direction]
	if by == 0 {
		return admit.FieldError("direction", "Move a ticket type up or down.")
	}
	moved, err := h.store.MoveTicketType(c.Request().Context(), m.org.ID, ev.ID, t.ID, by)
	if err != nil {
		return err
	}
	if !moved {
		return h.redirectWithFlash(c, eventURL(m, ev.ID), "Ticket type "+t.Name+" is already "+map[string]string{"up": "first", "down": "last"}[direction]+".")
	}
	h.audit(c, "ticket_type.moved", ticketTypeAuditObject(ev, t), direction)
	return h.redirectWithFlash(c, eventURL(m, ev.ID), "Ticket type "+t.Name+" moved "+direction+".")
}
