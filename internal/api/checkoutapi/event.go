package checkoutapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/wire"
)

type eventJSON struct {
	ID           int64      `json:"id"`
	Organization string     `json:"organization"`
	Slug         string     `json:"slug"`
	Name         string     `json:"name"`
	Description  string     `json:"description"`
	Venue        string     `json:"venue"`
	Address      string     `json:"address"`
	TimeZone     string     `json:"time_zone"`
	StartsAt     time.Time  `json:"starts_at"`
	EndsAt       *time.Time `json:"ends_at"`
	Currency     string     `json:"currency"`
	Status       string     `json:"status"`
	HoldMinutes  int        `json:"hold_minutes"`
}

type ticketTypeJSON struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Price       int64      `json:"price"`
	Currency    string     `json:"currency"`
	State       string     `json:"state"`
	Available   int        `json:"available"`
	MinPerOrder int        `json:"min_per_order"`
	MaxPerOrder int        `json:"max_per_order"`
	SalesStart  *time.Time `json:"sales_start"`
	SalesEnd    *time.Time `json:"sales_end"`
}

// eventShow returns the event with its ticket types and their availability
// (read from the ledger, so it is current).
func (h *Handler) eventShow(c echo.Context) error {
	org, slug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(org) || !admit.ValidSlug(slug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	ctx := c.Request().Context()
	ev, err := h.store.FindPublicEvent(ctx, org, slug)
	if err != nil {
		return err
	}
	types, err := h.store.ListTicketTypes(ctx, ev.OrganizationID, ev.ID, false)
	if err != nil {
		return err
	}
	out := struct {
		Event       eventJSON        `json:"event"`
		TicketTypes []ticketTypeJSON `json:"ticket_types"`
	}{Event: eventJSON{
		ID: ev.ID, Organization: org, Slug: ev.Slug, Name: ev.Name, Description: ev.Description, Venue: ev.Venue,
		Address: ev.Address, TimeZone: ev.TimeZone, StartsAt: ev.StartsAt.UTC(), EndsAt: wire.TimePtr(ev.EndsAt),
		Currency: ev.Currency, Status: string(ev.Status), HoldMinutes: ev.HoldMinutes,
	}, TicketTypes: []ticketTypeJSON{}}
	now := time.Now()
	for _, t := range types {
		state := t.AvailabilityAt(now, ev.StartsAt)
		if ev.Status != admit.EventPublished && state == admit.OnSale {
			state = admit.SalesEnded
		}
		out.TicketTypes = append(out.TicketTypes, ticketTypeJSON{
			ID: t.ID, Name: t.Name, Description: t.Description, Price: t.Price, Currency: ev.Currency,
			State: string(state), Available: t.Remaining(), MinPerOrder: t.MinPerOrder, MaxPerOrder: t.MaxPerOrder,
			SalesStart: wire.TimePtr(t.SalesStart), SalesEnd: wire.TimePtr(t.SalesEnd),
		})
	}
	return c.JSON(http.StatusOK, out)
}
