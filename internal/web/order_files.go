package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/email"
)

// ticketsPDF downloads the order's tickets as the PDF the confirmation
// email attaches: a buyer who lost the email, or never got it, still has
// them.
func (h *Handler) ticketsPDF(c echo.Context) error {
	o, ev, _, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	if o.Status != admit.OrderPaid {
		return admit.Errorf(admit.ECONFLICT, "Tickets are issued once the order is paid.")
	}
	pdf, err := email.TicketsPDF(ev, o, formatWhen(ev)+" ("+ev.TimeZone+")")
	if err != nil {
		return err
	}
	header := c.Response().Header()
	header.Set("Cache-Control", "no-store")
	header.Set("Referrer-Policy", "no-referrer")
	header.Set("Content-Disposition", `attachment; filename="tickets-`+o.Reference+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

// orderCalendar downloads the event as an iCalendar entry. It links to the
// public event page, not to the order: calendars are shared, the order's
// link is private.
func (h *Handler) orderCalendar(c echo.Context) error {
	_, ev, org, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	page := strings.TrimRight(h.checkout.BaseURL(), "/") + "/e/" + org.Slug + "/" + ev.Slug
	header := c.Response().Header()
	header.Set("Cache-Control", "no-store")
	header.Set("Referrer-Policy", "no-referrer")
	header.Set("Content-Disposition", `attachment; filename="`+ev.Slug+`.ics"`)
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", email.EventICS(ev, page))
}
