package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/server"
)

// ticketTypeOfRequest returns the event and its ticket type named in the
// URL, both of the member's organization, or ENOTFOUND.
func (h *Handler) ticketTypeOfRequest(c echo.Context) (*admit.Event, *admit.TicketType, error) {
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(c.Param("type"), 10, 64)
	if err != nil {
		return nil, nil, admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
	}
	t, err := h.store.FindTicketType(c.Request().Context(), currentMember(c).org.ID, ev.ID, id)
	if err != nil {
		return nil, nil, err
	}
	return ev, t, nil
}

// ticketTypeEdit shows the ticket type's form filled in.
func (h *Handler) ticketTypeEdit(c echo.Context) error {
	ev, t, err := h.ticketTypeOfRequest(c)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "ticket_type_form", ticketTypeFormPage{Base: h.base(c, "events"), Event: ev, Type: t,
		Form: ticketTypeFormOf(t, ev), Taken: t.Reserved + t.Sold})
}

// ticketTypeUpdate stores the edited ticket type. A new quantity is taken
// by one guarded statement that refuses to go below what is sold or held;
// the inventory gate's counter is then set to the ledger's new figure, so
// buyers meet the new capacity at once rather than at the next reconcile.
func (h *Handler) ticketTypeUpdate(c echo.Context) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	ev, t, err := h.ticketTypeOfRequest(c)
	if err != nil {
		return err
	}
	f := readTicketTypeForm(c)
	changed := *t
	problems := f.apply(&changed, ev)
	if len(problems) == 0 {
		err := h.store.UpdateTicketType(ctx, &changed)
		if problems = eventInvalid(err); err != nil && len(problems) == 0 {
			return err
		}
	}
	if len(problems) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "ticket_type_form", ticketTypeFormPage{Base: h.base(c, "events"), Event: ev,
			Type: t, Form: f, Taken: t.Reserved + t.Sold, Problems: problems})
	}
	detail := ""
	if changed.Quantity != t.Quantity {
		detail = "quantity " + strconv.Itoa(t.Quantity) + " → " + strconv.Itoa(changed.Quantity)
		if h.checkout != nil {
			if err := h.checkout.SyncTicketType(ctx, t.ID); err != nil {
				// The change is in the ledger; the reconciler brings the
				// gate in line within seconds.
				server.LoggerFrom(ctx).Warn("inventory gate: sync after quantity change failed", "ticket_type", t.ID, "err", err)
			}
		}
	}
	if changed.Price != t.Price {
		if detail != "" {
			detail += ", "
		}
		detail += "price " + admit.FormatMoney(t.Price, ev.Currency) + " → " + admit.FormatMoney(changed.Price, ev.Currency)
	}
	h.audit(c, "ticket_type.updated", ticketTypeAuditObject(ev, &changed), detail)
	return h.redirectWithFlash(c, eventURL(m, ev.ID), "Ticket type "+changed.Name+" saved.")
}
