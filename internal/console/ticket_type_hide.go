package console

import (
	"github.com/labstack/echo/v4"
)

// ticketTypeHide takes the ticket type off the public page; tickets already
// held or sold stay valid.
func (h *Handler) ticketTypeHide(c echo.Context) error { return h.ticketTypeSetHidden(c, true) }

// ticketTypeUnhide puts a hidden ticket type back on the public page.
func (h *Handler) ticketTypeUnhide(c echo.Context) error { return h.ticketTypeSetHidden(c, false) }

func (h *Handler) ticketTypeSetHidden(c echo.Context, hidden bool) error {
	m := currentMember(c)
	ev, t, err := h.ticketTypeOfRequest(c)
	if err != nil {
		return err
	}
	if err := h.store.SetTicketTypeHidden(c.Request().Context(), m.org.ID, ev.ID, t.ID, hidden); err != nil {
		return err
	}
	action, flash := "ticket_type.hidden", "Ticket type "+t.Name+" is hidden from buyers."
	if !hidden {
		action, flash = "ticket_type.shown", "Ticket type "+t.Name+" is shown to buyers again."
	}
	h.audit(c, action, ticketTypeAuditObject(ev, t), "")
	return h.redirectWithFlash(c, eventURL(m, ev.ID), flash)
}
